from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class Action(SQLModel, table=True):
    """An åtgärd. Its state moves only through tracker.services.actions."""

    __table_args__ = (
        Index("ix_action_open_due", "state", "due_on"),
        Index("ix_action_owner", "owner_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    area_id: int = Field(foreign_key="area.id", index=True)
    position: int = 0
    text: str = Field(sa_column=Column(Text, nullable=False))
    owner_id: int | None = Field(default=None, foreign_key="person.id")
    workflow: str = "atgard"
    state: str
    # Tidsplan as written ("Klart till mars 2018. Utvärderas oktober 2018.") and as parsed.
    tidsplan: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    due_on: date | None = None
    # The klart-datum before the first new date agreed on an escalation: the återrapport
    # prints it beside the new one ("ursprungligen mars 2018").
    original_due_on: date | None = None
    evaluate_on: date | None = None
    # Latest processläge narrative, and when it was written.
    progress_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    progress_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    next_report_on: date | None = None
    expected_effect: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    follow_up: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    target_group: str = ""
    budget_sek: int | None = None
    # The protokoll the åtgärd was decided in, its item ("§ 45", "3") and the words of the
    # decision as written: the åtgärd's page shows where it came from. No foreign key in the
    # database: SQLite cannot drop a column that has one (a downgrade), and a batch copy of
    # action trips the keys of the tables that point at it; tracker.services.protokoll is
    # what writes it, from a row it has just read.
    protokoll_id: int | None = Field(default=None, index=True)
    protokoll_item: str | None = None
    protokoll_quote: str | None = Field(default=None, sa_column=Column(Text))
    # The åtgärd whose answer opened this one (a control that found a deviation opens the
    # åtgärd that corrects it: workflows' opens_action). No foreign key, as for protokoll_id.
    opened_from_id: int | None = Field(default=None, index=True)
    # Optimistic lock: every write bumps it; a write from a stale read is refused.
    version: int = 1
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ActionEvent(SQLModel, table=True):
    """One change of an action: the audit trail and the source of every report."""

    __tablename__ = "action_event"
    # One index serves the history of an action and every "as of" or "since" query by plan:
    # each event written pays for one index, not two.
    __table_args__ = (Index("ix_action_event_action_at", "action_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    # Who, as shown in the history even if the person is later pseudonymised or removed.
    actor_label: str = ""
    # A workflow trigger ("starta"), or a non-state change: skapad, tilldelad, processlage,
    # andrad, importerad.
    trigger: str
    from_state: str | None = None
    to_state: str | None = None
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # An edit's fields as they were before it, as JSON ({"due_on": "2018-03-31", ...}): what
    # lets a report as of an earlier date show the texts and dates of that date.
    before_json: str | None = Field(default=None, sa_column=Column(Text))
    # The answers to the fields a transition asks (an evaluation's "Vilket var problemet?"),
    # as JSON: [{"id": ..., "label": ..., "value": ...}], with the labels as asked then.
    answers_json: str | None = Field(default=None, sa_column=Column(Text))
