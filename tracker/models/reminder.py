from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class SentReminder(SQLModel, table=True):
    """A reminder that went into the outbox: written in the same transaction as the message.

    The unique key is what makes a rerun, a restart or a second scheduler harmless: the same
    reminder for the same action cannot be recorded twice on one local day, and the whole
    sweep transaction (with its outbox rows) fails if it tries.
    """

    __tablename__ = "sent_reminder"
    __table_args__ = (
        UniqueConstraint("action_id", "timer_id", "local_date", name="uq_sent_reminder"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id")
    # A timer id from the action's workflow definition, or an id of the product's own
    # (leading underscore) such as the notice that a report's dates moved.
    timer_id: str
    # The Swedish calendar day of the sweep that sent it.
    local_date: date = Field(index=True)
    # The date the timer counted from (due_on, evaluate_on, ...) when it went out.
    anchor: date | None = None
    # For a reminder before an återrapport: the date it asked owners to update by. The
    # anchor is then the report's fixed key, so a moved meeting is noticed (told_on differs)
    # and told once, instead of the reminder going out again.
    told_on: date | None = None
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SentSummary(SQLModel, table=True):
    """A chef's daily summary that went into the outbox, written in the same transaction as
    the message: unique per person and local day, so a rerun or a second scheduler cannot send
    a second one that day (the same guard as SentReminder)."""

    __tablename__ = "sent_summary"
    __table_args__ = (UniqueConstraint("person_id", "local_date", name="uq_sent_summary"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    # The Swedish calendar day of the sweep that sent it.
    local_date: date
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
