"""Who stands in for whom on a given day: a chef away passes what waits for their answer
to their deputy, and a deputy away to theirs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

# Error messages, in Swedish, for a period that cannot be an absence.
ENDS_BEFORE_START = "Sista dagen ligger före första dagen."
ALREADY_OVER = "Frånvaron är redan slut: sista dagen har passerat."
SELF_DEPUTY = "En person kan inte vara sin egen ersättare."
TOO_LONG_DAYS = 366
TOO_LONG = f"En frånvaro kan vara högst ett år ({TOO_LONG_DAYS} dagar); lägg in en ny efter den."


def period_problem(starts_on: date, ends_on: date, today: date) -> str | None:
    """Why the period cannot be registered, or None."""
    if ends_on < starts_on:
        return ENDS_BEFORE_START
    if ends_on < today:
        return ALREADY_OVER
    if (ends_on - starts_on).days >= TOO_LONG_DAYS:
        return TOO_LONG
    return None


def stand_in(person_id: int, deputies: Mapping[int, int]) -> int:
    """Who acts for `person_id` today, given each absent person's deputy: the deputy, or
    theirs when they are away too. When the chain comes back to someone already passed,
    everyone in it is away: the person themselves keeps it rather than no one."""
    seen = [person_id]
    current = person_id
    while current in deputies:
        current = deputies[current]
        if current in seen:
            return person_id
        seen.append(current)
    return current
