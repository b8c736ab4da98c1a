"""An åtgärd's indicators: what is measured to see its effect, from a baseline towards a
target, and the values measured on the way."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class Indicator(SQLModel, table=True):
    """One indicator of an åtgärd ("Andel elever med godkänt i matematik", unit "%")."""

    __table_args__ = (UniqueConstraint("action_id", "name", name="uq_indicator_name"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    name: str
    unit: str = ""
    baseline_value: float | None = None
    baseline_on: date | None = None
    target_value: float | None = None
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class IndicatorValue(SQLModel, table=True):
    """A value measured on a date; one per indicator and date (an import again replaces it)."""

    __tablename__ = "indicator_value"
    # Also the index an indicator's values are read by.
    __table_args__ = (
        UniqueConstraint("indicator_id", "measured_on", name="uq_indicator_value_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id")
    measured_on: date
    value: float
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
