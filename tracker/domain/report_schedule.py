"""When each återrapport of a plan is due, counted backwards from the nämnd's meeting.

A plan reports in its report months ("6,12"). When its nämnd has a sammanträdesplan, each
report goes to the first meeting first planned in such a month (a meeting moved into the next
month stays the one); a cancelled meeting passes its report to the nämnd's next meeting. From
that meeting, backwards:

- approve_by: the secretary's deadline, the meeting's lead time before it (paper_deadline);
- draft_on:   `draft_working_days` working days before approve_by, when the draft is made;
- update_by:  `update_working_days` working days before draft_on, when owners should have
              written their processläge (the workflow's report timers count from it).

A nämnd without a sammanträdesplan keeps the simpler rule: the report is due at the start of
each report month (or on the plan's own next report date), the draft `fallback_draft_days`
before it, and owners update by the working day on or before the draft.

A report belongs to an occasion when it is made in the occasion's run-up: from `RUN_UP` before
its draft day up to its meeting (to the end of the report month without a sammanträdesplan).
A report made earlier is an extra report: it answers no occasion, and the next one still to
come is the one it names as the next återrapport.

Each occasion has a key that does not move with the meeting (the date the meeting was first
planned for, or the report month): what a reminder already sent for an occasion is remembered
by it, so a moved meeting moves the dates without sending or skipping anything twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from tracker.domain.meetings import paper_deadline
from tracker.domain.report import month_end
from tracker.domain.workdays import WorkCalendar

# How long before its draft day a report is already made for the occasion. A meeting moved
# later moves its draft day with it, and the draft already made on the old draft day must
# stay the one for it (not become an extra report, with a second draft made): six weeks keeps
# that for a meeting moved a few weeks later, the moves a sammanträdesplan sees. A report made
# longer before, months ahead of the meeting, was made for another reason than the occasion.
# The same bound without a sammanträdesplan, so that whether a report is an occasion's or an
# extra one does not depend on whether the nämnd has published its meetings.
RUN_UP = timedelta(weeks=6)


@dataclass(frozen=True)
class ScheduleRules:
    """The report workflow's [schedule]: how far before the secretary's deadline."""

    draft_working_days: int = 3
    update_working_days: int = 1


@dataclass(frozen=True)
class BoardMeeting:
    """What the schedule needs of one stored meeting."""

    id: int
    board: str
    held_on: date
    planned_on: date
    cancelled: bool
    lead_days: int


@dataclass(frozen=True)
class Occasion:
    """One återrapport of a plan: where it goes and the dates worked back from it."""

    key: date
    meeting_on: date
    approve_by: date
    draft_on: date
    update_by: date
    # A report made (as_of) in [window_start, window_end] is this occasion's (with_windows).
    window_start: date
    window_end: date
    board: str = ""
    meeting_id: int | None = None
    # The meeting first planned for this report, when it was cancelled and the report passed
    # on to a later one.
    cancelled_on: date | None = None

    @property
    def period(self) -> date:
        """The month the report is named for."""
        return self.meeting_on.replace(day=1)

    @property
    def from_calendar(self) -> bool:
        return self.meeting_id is not None

    def days_past_approval(self, today: date) -> int:
        """How many days ago the day to approve by passed; 0 until it has."""
        return max(0, (today - self.approve_by).days)


def working_days_before(d: date, n: int, cal: WorkCalendar) -> date:
    """The working day `n` working days before `d` (d itself if n is 0 and it is one)."""
    d = cal.on_or_before(d)
    for _ in range(n):
        d = cal.on_or_before(d - timedelta(days=1))
    return d


def _meeting_occasion(
    meeting: BoardMeeting,
    key: date,
    rules: ScheduleRules,
    cal: WorkCalendar,
    cancelled: date | None,
) -> Occasion:
    approve_by = paper_deadline(meeting.held_on, meeting.lead_days, cal)
    draft_on = working_days_before(approve_by, rules.draft_working_days, cal)
    return Occasion(
        key=key,
        meeting_on=meeting.held_on,
        approve_by=approve_by,
        draft_on=draft_on,
        update_by=working_days_before(draft_on, rules.update_working_days, cal),
        window_start=draft_on,
        window_end=meeting.held_on,
        board=meeting.board,
        meeting_id=meeting.id,
        cancelled_on=cancelled,
    )


def calendar_occasions(
    months: Iterable[int],
    meetings: Sequence[BoardMeeting],
    rules: ScheduleRules,
    cal: WorkCalendar,
) -> list[Occasion]:
    """The plan's occasions at its nämnd's meetings, in date order."""
    wanted = set(months)
    held = sorted((m for m in meetings if not m.cancelled), key=lambda m: (m.held_on, m.id))
    chosen: dict[int, Occasion] = {}
    firsts: dict[tuple[int, int], BoardMeeting] = {}
    for m in sorted(meetings, key=lambda m: (m.planned_on, m.id)):
        month = (m.planned_on.year, m.planned_on.month)
        if m.planned_on.month in wanted and month not in firsts:
            firsts[month] = m
    for first in firsts.values():
        target, cancelled = first, None
        if first.cancelled:
            later = [m for m in held if m.held_on > first.held_on]
            if not later:
                continue
            target, cancelled = later[0], first.held_on
        if target.id not in chosen:
            chosen[target.id] = _meeting_occasion(target, first.planned_on, rules, cal, cancelled)
    return with_windows(sorted(chosen.values(), key=lambda o: o.meeting_on))


def month_occasions(
    months: Iterable[int],
    next_report_on: date | None,
    years: range,
    fallback_draft_days: int,
    cal: WorkCalendar,
) -> list[Occasion]:
    """Occasions of a plan whose nämnd has no sammanträdesplan: the start of each report
    month, or the plan's own next report date in its month."""
    starts = {date(y, m, 1) for y in years for m in months}
    if next_report_on is not None:
        starts.discard(next_report_on.replace(day=1))
        starts.add(next_report_on)
    out: list[Occasion] = []
    for start in sorted(starts):
        month = start.replace(day=1)
        draft_on = month - timedelta(days=fallback_draft_days)
        out.append(
            Occasion(
                key=start,
                meeting_on=start,
                approve_by=start,
                draft_on=draft_on,
                update_by=cal.on_or_before(start - timedelta(days=fallback_draft_days)),
                window_start=draft_on,
                window_end=month_end(month),
            )
        )
    return with_windows(out)


def with_windows(occasions: Sequence[Occasion]) -> list[Occasion]:
    """The occasions, in date order, each with the first day of its window: `RUN_UP` before
    its draft day, but not before the day after the previous occasion's window, so that a
    report is the earlier occasion's while that one's meeting is still to come. The draft day
    is always in the window."""
    out: list[Occasion] = []
    for o in occasions:
        start = o.draft_on - RUN_UP
        if out:
            start = max(start, out[-1].window_end + timedelta(days=1))
        out.append(replace(o, window_start=min(start, o.draft_on)))
    return out


def occasion_of(occasions: Sequence[Occasion], as_of: date) -> Occasion | None:
    """The occasion a report made on `as_of` is for; None for an extra report, one made in
    no occasion's run-up (long before its meeting, or after the last one)."""
    for o in occasions:
        if o.window_start <= as_of <= o.window_end:
            return o
    return None


def occasion_after(
    occasions: Sequence[Occasion], current: Occasion | None, as_of: date
) -> Occasion | None:
    """The next occasion after the current one; for an extra report (no current one), the
    first occasion whose meeting is after `as_of`, the next one still to come."""
    after = current.meeting_on if current is not None else as_of
    later = [o for o in occasions if o.meeting_on > after]
    return later[0] if later else None


def upcoming(occasions: Sequence[Occasion], today: date) -> Occasion | None:
    """The first occasion whose meeting is today or later."""
    for o in occasions:
        if o.meeting_on >= today:
            return o
    return None


def still_to_report(
    occasions: Sequence[Occasion], today: date, issued_on: Iterable[date]
) -> list[Occasion]:
    """The occasions still to report to, in date order: those whose meeting is today or
    later and that no issued report (by the day it is as of) belongs to. One whose day to
    approve by passed without a report stays until its meeting, first: it is the most
    urgent, not done, and the report sweep drafts it (reports.due_occasion)."""
    issued = {o.key for d in issued_on if (o := occasion_of(occasions, d)) is not None}
    return [o for o in occasions if o.meeting_on >= today and o.key not in issued]


def draft_due(occasions: Sequence[Occasion], today: date) -> Occasion | None:
    """The occasion whose draft is due: from its draft day until its meeting."""
    for o in occasions:
        if o.draft_on <= today <= o.window_end:
            return o
    return None


def upcoming_approval(occasions: Sequence[Occasion], today: date) -> Occasion | None:
    """The first occasion whose approval day is today or later: the one being prepared."""
    for o in occasions:
        if o.approve_by >= today:
            return o
    return None
