"""The återrapporter that go to a nämnd's meetings, for the calendar's pages. Which plan's
report goes to which meeting is the schedule's rule (ReportCalendar, and through it
tracker.domain.report_schedule: the first meeting planned in a report month, a cancelled one's
report passed to the next), and a report is the one made for an occasion when its day falls in
the occasion's window (occasion_of), as the report sweep and the start page decide it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from tracker.domain.report_schedule import Occasion, occasion_of
from tracker.domain.roles import Someone, may_see_report
from tracker.domain.workdays import WorkCalendar
from tracker.models import Plan, Report
from tracker.services.meetings import MeetingView
from tracker.services.report_schedule import report_calendar
from tracker.services.reports import Sending, is_issued, sendings
from workflows import WorkflowRegistry


@dataclass(frozen=True)
class ShownReport:
    """A report made for the occasion, with how it is on its way to the nämnd."""

    report: Report
    sending: Sending


@dataclass(frozen=True)
class MeetingReport:
    """One plan's återrapport due at a meeting: its occasion (the dates worked back from the
    meeting) and the reports made for it that the reader may see, oldest first; none until a
    draft is made."""

    plan: Plan
    occasion: Occasion
    reports: list[ShownReport] = field(default_factory=list)
    # Whether the reader would see a draft: else "none yet" means none issued yet.
    sees_drafts: bool = False


def reports_at_meetings(
    session: Session,
    registry: WorkflowRegistry,
    plans: Sequence[Plan],
    meetings: Sequence[MeetingView],
    *,
    reader: Someone,
    cal: WorkCalendar,
    fallback_draft_days: int,
) -> dict[int, list[MeetingReport]]:
    """Per meeting id of `meetings`, the återrapporter of `plans` (those the reader may read)
    due at it, by plan title. A plan whose nämnd has no sammanträdesplan reports by month and
    goes to no meeting."""
    if not meetings:
        return {}
    boards = {m.board for m in meetings}
    # A nämnd with meetings has its plans' occasions worked from all of them: `around` is
    # only the year for a nämnd without, and no plan of those goes to a meeting.
    around = min(m.held_on for m in meetings)
    reporting = [p for p in plans if p.namnd in boards]
    calendar = report_calendar(session, registry, cal, fallback_draft_days, reporting)
    made = _reports_by_plan(session, [p.id for p in reporting if p.id is not None])
    wanted = {m.id for m in meetings}
    due: list[tuple[Plan, Occasion, list[Report]]] = []
    for plan in sorted(reporting, key=lambda p: p.title):
        assert plan.id is not None
        occasions = calendar.occasions(plan, around)
        theirs = made.get(plan.id, [])
        due.extend(
            (plan, o, _made_for(o, occasions, theirs, plan, reader))
            for o in occasions
            if o.meeting_id in wanted
        )
    return _by_meeting(session, registry, due, reader)


def _by_meeting(
    session: Session,
    registry: WorkflowRegistry,
    due: Sequence[tuple[Plan, Occasion, list[Report]]],
    reader: Someone,
) -> dict[int, list[MeetingReport]]:
    """The reports due, per meeting, each with how it is on its way to the nämnd: one read
    of the outbox for every report shown."""
    sent = sendings(session, registry, [r for _, _, theirs in due for r in theirs])
    found: dict[int, list[MeetingReport]] = defaultdict(list)
    for plan, occasion, theirs in due:
        assert occasion.meeting_id is not None
        shown = [ShownReport(r, sent[r.id]) for r in theirs if r.id is not None]
        drafts = may_see_report(reader, plan, issued=False)
        found[occasion.meeting_id].append(MeetingReport(plan, occasion, shown, drafts))
    return found


def _made_for(
    occasion: Occasion,
    occasions: Sequence[Occasion],
    reports: Sequence[Report],
    plan: Plan,
    reader: Someone,
) -> list[Report]:
    """The plan's reports made for `occasion` (made in its window) that the reader may see."""
    return [
        r
        for r in reports
        if occasion_of(occasions, r.as_of) == occasion
        and may_see_report(reader, plan, issued=is_issued(r))
    ]


def _reports_by_plan(session: Session, plan_ids: list[int]) -> dict[int, list[Report]]:
    out: dict[int, list[Report]] = defaultdict(list)
    if not plan_ids:
        return out
    query = (
        select(Report)
        .where(col(Report.plan_id).in_(plan_ids))
        .order_by(col(Report.as_of), col(Report.id))
    )
    for report in session.exec(query):
        out[report.plan_id].append(report)
    return out
