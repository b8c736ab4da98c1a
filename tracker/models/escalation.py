from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class Escalation(SQLModel, table=True):
    """One step of an escalation that waits for an answer: sent to whom at which level, and
    whether (by whom, with what comment, with what new date) it was acknowledged.

    An escalation is an åtgärd's timer counted from one date (the anchor); its steps are its
    levels. The unique key is what makes a rerun, a restart or a second scheduler harmless:
    a step is recorded in the same transaction as its mail, and cannot be recorded twice.
    Acknowledging acknowledges every step of the escalation.
    """

    __table_args__ = (
        UniqueConstraint("action_id", "timer_id", "anchor", "level", name="uq_escalation_step"),
        Index("ix_escalation_open", "acknowledged_at", "action_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id")
    timer_id: str
    # The date the escalation counts from (the åtgärd's due_on when it went out).
    anchor: date
    # The level's id in the workflow file ("chef", "forvaltningschef", ...) and its place.
    level: str
    level_index: int = 0
    # Whom this step went to: person ids, comma separated (the plan's chefs may be several).
    sent_to: str = ""
    # The Swedish calendar day of the sweep that sent it, and when.
    sent_on: date
    sent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    acknowledged_by: int | None = Field(default=None, foreign_key="person.id")
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # The klart-datum agreed with the owner when it was acknowledged, if one was.
    new_due_on: date | None = None

    def recipients(self) -> list[int]:
        return [int(p) for p in self.sent_to.split(",") if p.strip()]


class EscalationHolder(SQLModel, table=True):
    """Who holds a level of escalation above the plan's chef: per förvaltning, or for the
    whole kommun (forvaltning ""), one person per level and förvaltning."""

    __tablename__ = "escalation_holder"
    __table_args__ = (UniqueConstraint("level", "forvaltning", name="uq_escalation_holder"),)

    id: int | None = Field(default=None, primary_key=True)
    level: str
    forvaltning: str = ""
    person_id: int = Field(foreign_key="person.id")
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
