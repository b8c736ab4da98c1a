from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class Meeting(SQLModel, table=True):
    """One sammanträde in a nämnd's sammanträdesplan."""

    id: int | None = Field(default=None, primary_key=True)
    # The nämnd as text: meetings are planned before any plan names its nämnd.
    board: str = Field(index=True)
    held_on: date
    # The date the meeting was first planned for, kept when it moves: a plan reporting "in
    # June" still reports at the June meeting moved into July. None for a meeting stored
    # before this was kept: its held_on stands in.
    planned_on: date | None = None
    title: str = ""
    place: str = ""
    # tracker.domain.meetings.PLANNED or CANCELLED.
    status: str
    # Days before the meeting that papers must be with the secretary. Kept per meeting, since
    # a nämnd may shorten it for a single sammanträde.
    lead_days: int
    # The calendar event's UID, "" when the source had none (a CSV row); what a new import of
    # the same file is matched on.
    uid: str = ""
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
