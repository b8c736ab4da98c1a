"""A chef's absence, and who stands in for them meanwhile."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class Absence(SQLModel, table=True):
    """From `starts_on` to `ends_on` (both included) the person is away, and an escalation
    that would go to them goes to `deputy_id` instead (tracker.services.absences)."""

    __table_args__ = (Index("ix_absence_person_dates", "person_id", "ends_on"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    deputy_id: int = Field(foreign_key="person.id")
    starts_on: date
    ends_on: date
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
