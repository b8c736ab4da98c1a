from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class AreaEvent(SQLModel, table=True):
    """One change of an utvecklingsområde's title or section heading: its history, and what
    lets a report as of an earlier date show the area as it was called then."""

    __tablename__ = "area_event"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    # Who, as the history shows it ("Name <address>", which erasing a person replaces).
    actor_label: str = ""
    # The Area attribute changed: "title" or "section".
    field: str
    old: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    new: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
