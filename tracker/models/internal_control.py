"""Internkontroll: a nämnd's yearly internkontrollplan, its risks per process, and the
kontrollmoment that control each risk.

A kontrollmoment keeps its Frekvens as written ("mars och oktober"); when its dates are
needed the text is read again with tracker.domain.controls.parse_frequency, so there is one
representation to keep true, the nämnd's own words.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class ControlPlan(SQLModel, table=True):
    """An internkontrollplan: one per nämnd and year."""

    __tablename__ = "control_plan"
    __table_args__ = (UniqueConstraint("namnd", "year", name="uq_control_plan_namnd_year"),)

    id: int | None = Field(default=None, primary_key=True)
    namnd: str
    year: int
    forvaltning: str = Field(default="", index=True)
    # "Internkontrollplan 2025 – Barn- och utbildningsnämnden".
    title: str
    # The file it was imported from, as named.
    filename: str = ""
    # The åtgärdsplan that holds the plan's controls as åtgärder in the "kontroll" workflow,
    # and the åtgärder its deviations open: reminders, owners' links, lateness and
    # escalation are the åtgärder's own. No foreign key: a batch copy of control_plan on
    # SQLite would trip the keys of the tables that point at it.
    plan_id: int | None = Field(default=None, index=True)
    # The risk scale the plan was assessed on (tracker.domain.risk.RiskScale.to_dict as
    # JSON), kept from its import: a scale configured later does not move its risks.
    risk_scale_json: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The plan this one was copied from (next year's plan made from this year's): the
    # follow-up reports the deviations still open in the plans before it. No foreign key, as
    # for plan_id.
    copied_from_id: int | None = Field(default=None)


class ControlRisk(SQLModel, table=True):
    """A risk in a process of the plan, rated sannolikhet × konsekvens."""

    __tablename__ = "control_risk"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="control_plan.id", index=True)
    process: str
    name: str
    likelihood: int
    consequence: int
    position: int = 0
    # How the risk is handled when no kontrollmoment controls it ("Risken accepteras").
    handling: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Who answers for that handling, when the file names someone.
    handling_owner_id: int | None = Field(default=None, foreign_key="person.id")


class ControlPoint(SQLModel, table=True):
    """A kontrollmoment: what is checked, how, how often (as written) and by whom."""

    __tablename__ = "control_point"

    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(foreign_key="control_risk.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    method: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    frequency_text: str
    owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    position: int = 0


class ControlOccurrence(SQLModel, table=True):
    """One control of a kontrollmoment, due on one working day: opened once (the unique key
    makes a second scheduler's attempt fail and start over) as an åtgärd in the "kontroll"
    workflow of the plan's åtgärdsplan."""

    __tablename__ = "control_occurrence"
    __table_args__ = (
        UniqueConstraint("point_id", "due_on", name="uq_control_occurrence_point_due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    point_id: int = Field(foreign_key="control_point.id", index=True)
    due_on: date
    # The åtgärd that carries the control (no foreign key, as for ControlPlan.plan_id).
    action_id: int = Field(unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
