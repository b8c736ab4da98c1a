"""Derived schedule status: computed from dates and state given today, never stored."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class ScheduleStatus(StrEnum):
    on_track = "pa_ratt_spar"
    overdue = "forsenad"
    evaluation_overdue = "utvardering_forsenad"


SCHEDULE_LABELS = {
    ScheduleStatus.on_track: "På rätt spår",
    ScheduleStatus.overdue: "Försenad",
    ScheduleStatus.evaluation_overdue: "Utvärdering försenad",
}


def schedule_status(
    *,
    done: bool,
    final: bool,
    due_on: date | None,
    evaluate_on: date | None,
    today: date,
) -> ScheduleStatus:
    """`done`: the state counts as finished (klar); `final`: nothing is left (utvärderad)."""
    if not done and due_on is not None and today > due_on:
        return ScheduleStatus.overdue
    if not final and evaluate_on is not None and today > evaluate_on:
        return ScheduleStatus.evaluation_overdue
    return ScheduleStatus.on_track
