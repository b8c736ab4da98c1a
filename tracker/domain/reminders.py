"""Which reminders are due on a given day: pure planning, no database and no mail.

Inputs are an action's state and dates, the timers of its workflow, what has already been
sent for it, today's local date and the working-day calendar. Reminders go out on working
days only:

- "before" (N days before a date): the nominal day is moved back to the working day before
  it, so on a working day D everything whose nominal day falls on D or on the closed days up
  to the next working day is due on D. If that day was missed (the scheduler was down, the
  action was imported late) it is still sent, once, as long as the date has not passed.
- "after" (N days after a date, once): states a fact ("försenad mer än 30 dagar") that is not
  true before its day, so it is never moved earlier; it goes out on the first working day on
  or after its day.
- "every_after" (every N days while past the date, i.e. while overdue): due whenever no such
  reminder went out in the last N days, so the first sweep after an import reminds at once;
  the next one is moved back to the working day before its nominal day, like "before".

"Already sent" is remembered per (action, timer, anchor), where the anchor is the date the
timer counts from: when a due date is moved, its reminders apply to the new date again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import IntEnum

from tracker.domain.workdays import WorkCalendar
from workflows import TimerDef

# The notice that an återrapport's dates moved (its meeting moved or was cancelled) is not a
# workflow timer; a leading underscore cannot clash with a timer id from a definition file
# (they must start with a letter).
DATES_MOVED = "_datum_flyttat"


@dataclass(frozen=True)
class Sent:
    """What went out before for one (action, timer)."""

    # Latest local date it went out, for any anchor (only recent rows need to be known).
    last: date | None = None
    # Anchors it already went out for.
    anchors: frozenset[date] = frozenset()


NOTHING_SENT = Sent()


@dataclass(frozen=True)
class Due:
    """One reminder that should go out today."""

    timer_id: str
    kind: str
    date_field: str
    anchor: date
    recipient: str  # "owner" or "chef"
    label: str


def timer_is_due(
    kind: str, anchor: date, days: int, today: date, cal: WorkCalendar, sent: Sent
) -> bool:
    return cal.is_working(today) and _due_on_working_day(kind, anchor, days, today, cal, sent)


def _due_on_working_day(
    kind: str, anchor: date, days: int, today: date, cal: WorkCalendar, sent: Sent
) -> bool:
    if kind == "before":
        nominal = anchor - timedelta(days=days)
        return cal.on_or_before(nominal) <= today <= anchor and anchor not in sent.anchors
    if kind == "after":
        return anchor + timedelta(days=days) <= today and anchor not in sent.anchors
    if kind == "every_after":
        if today <= anchor:
            return False
        return sent.last is None or cal.on_or_before(sent.last + timedelta(days=days)) <= today
    raise ValueError(f"unknown timer kind {kind!r}")


def due_timers(
    timers: Sequence[TimerDef],
    *,
    state: str,
    dates: Mapping[str, date | None],
    today: date,
    cal: WorkCalendar,
    sent: Mapping[str, Sent],
) -> list[Due]:
    """The timers of one action that are due today, in definition order."""
    if not cal.is_working(today):
        return []
    out = []
    for t in timers:
        if state not in t.states:
            continue
        anchor = dates.get(t.date)
        if anchor is None:
            continue
        if _due_on_working_day(t.kind, anchor, t.days, today, cal, sent.get(t.id, NOTHING_SENT)):
            out.append(
                Due(
                    timer_id=t.id,
                    kind=t.kind,
                    date_field=t.date,
                    anchor=anchor,
                    recipient=t.recipient,
                    label=t.label,
                )
            )
    return out


def report_timer_due(
    timer: TimerDef,
    *,
    update_by: date,
    approve_by: date,
    today: date,
    cal: WorkCalendar,
    sent: bool,
    updated: bool,
) -> bool:
    """Whether a timer on an återrapport's update-by day is due today for one action.

    `sent`: it already went out for this återrapport (whatever dates it named then).
    `updated`: the owner wrote a processläge since the call to update went out.
    Nothing goes out once the report's approval day has passed: it is then too late to
    help the report. A call whose days were missed (the meeting moved earlier) is not made
    up for late: the reminder after the update-by day, if the workflow has one, says it.
    """
    if sent or today > approve_by or not cal.is_working(today):
        return False
    if timer.kind == "before":
        nominal = update_by - timedelta(days=timer.days)
        return cal.on_or_before(nominal) <= today <= update_by
    if timer.unless_updated and updated:
        return False
    return update_by + timedelta(days=timer.days) <= today


def lookahead_days(cal: WorkCalendar, today: date) -> int:
    """How far past today a nominal day may lie and still be due today."""
    return (cal.next_working(today) - today).days - 1


class Section(IntEnum):
    """Groups in a digest, in the order they are shown: försenade first."""

    overdue = 1
    evaluation_overdue = 2
    report_overdue = 3
    report_missed = 4
    due_soon = 5
    evaluation_soon = 6
    report_soon = 7
    report_call = 8


SECTION_TITLES = {
    Section.overdue: "Försenade",
    Section.evaluation_overdue: "Utvärdering försenad",
    Section.report_overdue: "Återrapportering försenad",
    Section.report_missed: "Inte uppdaterat inför återrapporten",
    Section.due_soon: "Klart-datum närmar sig",
    Section.evaluation_soon: "Utvärdering närmar sig",
    Section.report_soon: "Återrapportering närmar sig",
    Section.report_call: "Inför återrapporten",
}

_BEFORE = {
    "due_on": Section.due_soon,
    "evaluate_on": Section.evaluation_soon,
    "next_report_on": Section.report_soon,
}
_AFTER = {
    "due_on": Section.overdue,
    "evaluate_on": Section.evaluation_overdue,
    "next_report_on": Section.report_overdue,
}


def section_of(due: Due) -> Section:
    if due.date_field == "report_update_by":
        return Section.report_missed if due.kind == "after" else Section.report_call
    table = _BEFORE if due.kind == "before" else _AFTER
    return table[due.date_field]


def is_overdue(*, done: bool, due_on: date | None, today: date) -> bool:
    return not done and due_on is not None and due_on < today
