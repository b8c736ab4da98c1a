"""When an unanswered escalation climbs one level: pure rules, no database and no clock.

An escalation that waits for an answer (a timer with `acknowledge_within` in its workflow
file) goes first to the plan's chef. Whoever it was sent to has `acknowledge_within` working
days after the day it went out to acknowledge it: it may be acknowledged on the day it went
out and on each of those working days. On the first working day after them, unacknowledged,
it goes to the next level up that someone holds; from the top level it goes nowhere. One
level per day at most, so a sweep that catches up after days of downtime climbs one step a
working day, each step with its own answer time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from notifications.swedish import month_year
from tracker.domain.workdays import WorkCalendar


@dataclass(frozen=True)
class StepSent:
    """One step of an escalation that went out: the level (its index in the workflow's
    levels, 0 for the plan's chef) and the local day it went out on."""

    level: int
    sent_on: date


def answer_by(sent_on: date, within: int, cal: WorkCalendar) -> date:
    """The last day a step sent on `sent_on` may be acknowledged before it climbs: the
    `within`-th working day after it."""
    day = sent_on
    for _ in range(within):
        day = cal.next_working(day)
    return day


def still_waits(state: str, due_on: date | None, anchor: date, states: Collection[str]) -> bool:
    """Whether an escalation counted from `anchor` still waits for an answer: its åtgärd is
    in one of the states its timer escalates (`states`: not done, not withdrawn) and still
    due on the date it went out for (not given a later klart-datum). One that no longer
    waits is not shown as waiting and climbs no more; it waits again if the åtgärd goes
    back to such a state with the same date."""
    return state in states and due_on == anchor


def next_level(
    steps: Sequence[StepSent],
    *,
    acknowledged: bool,
    applies: bool,
    staffed: Sequence[bool],
    within: int,
    today: date,
    cal: WorkCalendar,
) -> int | None:
    """The level the escalation goes to today, or None.

    `applies`: the escalation still waits (`still_waits`); `staffed[i]`: someone holds
    level i for the åtgärd's plan. A level nobody holds is passed over; above the top level
    nothing is sent.
    """
    if acknowledged or not applies or not steps or not cal.is_working(today):
        return None
    last = max(steps, key=lambda s: (s.level, s.sent_on))
    if today <= answer_by(last.sent_on, within, cal):
        return None
    for level in range(last.level + 1, len(staffed)):
        if staffed[level]:
            return level
    return None


def days_late(anchor: date, today: date) -> int:
    return max((today - anchor).days, 0)


def is_new_date_acceptable(new: date, current: date | None, today: date) -> str | None:
    """Why an agreed new klart-datum cannot be used, in Swedish; None when it can."""
    if new <= today:
        return "Det nya klart-datumet måste ligga efter i dag."
    if current is not None and new == current:
        return "Det nya klart-datumet är samma som det nuvarande."
    if new > today + timedelta(days=5 * 366):
        return "Det nya klart-datumet ligger mer än fem år fram."
    return None


def new_schedule_line(due_on: date | None, original: date | None) -> str:
    """'Ny tidplan: klart till maj 2018 (ursprungligen mars 2018)': what the återrapport says
    beside the tidsplan once a new klart-datum was agreed; "" when none was."""
    if due_on is None or original is None or original == due_on:
        return ""
    return f"Ny tidplan: klart till {month_year(due_on)} (ursprungligen {month_year(original)})"
