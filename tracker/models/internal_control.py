"""Internkontroll: a nämnd's yearly internkontrollplan, its risks per process, and the
kontrollmoment that control each risk.

A kontrollmoment keeps its Frekvens as written ("mars och oktober"); when its dates are
needed the text is read again with tracker.domain.controls.parse_frequency, so there is one
representation to keep true, the nämnd's own words.
"""

from __future__ import annotations

from datetime import datetime

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
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


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
