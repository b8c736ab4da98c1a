from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class Plan(SQLModel, table=True):
    """An åtgärdsplan."""

    __table_args__ = (UniqueConstraint("title", "forvaltning", name="uq_plan_title"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str
    forvaltning: str = ""
    namnd: str = ""
    background: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    dnr: str = ""
    ort: str = ""
    signatory_name: str = ""
    signatory_title: str = ""
    # Months (1-12) in which an återrapport is due, comma separated: "6,12".
    report_months: str = ""
    # E-mail addresses of the nämnd's recipients, comma separated.
    board_recipients: str = ""
    chef_id: int | None = Field(default=None, foreign_key="person.id")
    next_report_on: date | None = None
    # The nämnd's decision the plan answers to: its date and paragraph ("§ 45"); printed on
    # the återrapport with the nämnd and the Dnr ("Återrapport enligt beslut BUN 2017-06-14
    # § 45, Dnr BUN 2017/112").
    decision_on: date | None = None
    decision_paragraph: str = ""
    # Shown to anyone, without a log-in, at /oppet/planer/{id}: a chef's choice, off until made.
    published: bool = Field(default=False)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    def report_month_numbers(self) -> list[int]:
        return sorted({int(m) for m in self.report_months.split(",") if m.strip()})


class Area(SQLModel, table=True):
    """An utvecklingsområde, ordered within its plan, optionally under a section heading."""

    __table_args__ = (UniqueConstraint("plan_id", "title", name="uq_area_title"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    position: int = 0
    section: str = ""


class PlanEvent(SQLModel, table=True):
    """One change of a plan's own data (title, nämnd, recipients, ...): the plan's history."""

    __tablename__ = "plan_event"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    # Who, as shown in the history: a person's name, or "import (plan.csv)".
    actor_label: str = ""
    # The Plan attribute changed ("namnd", "board_recipients", ...).
    field: str
    # The values as the plan's settings page shows them, before and after.
    old: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    new: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
