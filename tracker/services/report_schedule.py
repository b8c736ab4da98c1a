"""A plan's återrapporter on the calendar: its occasions, read from the plan, its nämnd's
meetings and the report workflow's [schedule] (the rules are tracker.domain.report_schedule)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from tracker.domain import nouns
from tracker.domain.clock import local_date, start_of_day
from tracker.domain.meetings import CANCELLED
from tracker.domain.report import Snapshot
from tracker.domain.report_schedule import (
    BoardMeeting,
    Occasion,
    ScheduleRules,
    calendar_occasions,
    month_occasions,
    occasion_of,
    still_to_report,
)
from tracker.domain.workdays import WorkCalendar
from tracker.models import Action, Meeting, Person, Plan, Report
from tracker.models.report import DRAFT_STATE
from workflows import WorkflowRegistry

REPORT_WORKFLOW = "aterrapport"
# How many days before the update-by day owners are asked, when no workflow says so.
DEFAULT_CALL_DAYS = 14


def schedule_rules(registry: WorkflowRegistry) -> ScheduleRules:
    """The report workflow's [schedule], or the defaults when it states none."""
    if REPORT_WORKFLOW not in registry.names():
        return ScheduleRules()
    schedule = registry.get(REPORT_WORKFLOW).definition.schedule
    if schedule is None:
        return ScheduleRules()
    return ScheduleRules(
        draft_working_days=schedule.draft_working_days,
        update_working_days=schedule.update_working_days,
    )


def call_days(registry: WorkflowRegistry) -> int:
    """How many days before the update-by day the call to update goes out: the longest
    "before" timer on report_update_by. A processläge written since then counts as updated
    for the report."""
    days = [
        t.days
        for name in registry.names()
        for t in registry.get(name).definition.timers
        if t.date == "report_update_by" and t.kind == "before"
    ]
    return max(days, default=DEFAULT_CALL_DAYS)


def call_on(occasion: Occasion, days: int, cal: WorkCalendar) -> date:
    """The working day the call to update for `occasion` goes out."""
    return cal.on_or_before(occasion.update_by - timedelta(days=days))


class ReportCalendar:
    """The occasions of any number of plans, with the meetings read once."""

    def __init__(
        self,
        session: Session,
        registry: WorkflowRegistry,
        cal: WorkCalendar,
        fallback_draft_days: int,
        boards: Iterable[str] | None = None,
    ) -> None:
        self.rules = schedule_rules(registry)
        self.call_days = call_days(registry)
        self.cal = cal
        self.fallback_draft_days = fallback_draft_days
        self._meetings = _meetings_by_board(session, boards)

    def occasions(self, plan: Plan, around: date) -> list[Occasion]:
        """The plan's occasions from the year before `around` to the year after."""
        months = plan.report_month_numbers()
        meetings = self._meetings.get(plan.namnd, [])
        if meetings:
            return calendar_occasions(months, meetings, self.rules, self.cal)
        years = range(around.year - 1, around.year + 2)
        return month_occasions(
            months, plan.next_report_on, years, self.fallback_draft_days, self.cal
        )

    def call_on(self, occasion: Occasion) -> date:
        return call_on(occasion, self.call_days, self.cal)


def _meetings_by_board(
    session: Session, boards: Iterable[str] | None
) -> dict[str, list[BoardMeeting]]:
    query = select(Meeting)
    if boards is not None:
        query = query.where(col(Meeting.board).in_(sorted(set(boards))))
    out: dict[str, list[BoardMeeting]] = defaultdict(list)
    for m in session.exec(query):
        assert m.id is not None
        out[m.board].append(
            BoardMeeting(
                id=m.id,
                board=m.board,
                held_on=m.held_on,
                planned_on=m.planned_on or m.held_on,
                cancelled=m.status == CANCELLED,
                lead_days=m.lead_days,
            )
        )
    return out


def report_calendar(
    session: Session,
    registry: WorkflowRegistry,
    cal: WorkCalendar,
    fallback_draft_days: int,
    plans: Sequence[Plan],
) -> ReportCalendar:
    """A ReportCalendar holding the meetings of these plans' nämnder."""
    return ReportCalendar(
        session, registry, cal, fallback_draft_days, boards={p.namnd for p in plans}
    )


@dataclass(frozen=True)
class NotUpdated:
    """An open åtgärd whose processläge was not written for the coming återrapport."""

    action_id: int
    text: str
    owner: str
    progress_on: date | None
    # Its workflow, by whose noun it is counted ("2 åtgärder och 1 kontroll").
    workflow: str


def not_updated(
    session: Session,
    registry: WorkflowRegistry,
    plan_id: int,
    since: date,
    tz: ZoneInfo,
) -> list[NotUpdated]:
    """The plan's open åtgärder with no processläge written on or after `since` (the day the
    call to update went out), in the plan's order."""
    start = start_of_day(since, tz)
    query = (
        select(Action, Person.name)
        .join(Person, col(Person.id) == col(Action.owner_id), isouter=True)
        .where(Action.plan_id == plan_id)
        .order_by(col(Action.area_id), col(Action.position), col(Action.id))
    )
    out = []
    for action, owner in session.exec(query):
        assert action.id is not None
        if _is_done(registry, action.workflow, action.state):
            continue
        if action.progress_at is not None and action.progress_at >= start:
            continue
        out.append(
            NotUpdated(
                action_id=action.id,
                text=action.text,
                owner=owner or "ingen ansvarig",
                progress_on=local_date(action.progress_at, tz) if action.progress_at else None,
                workflow=action.workflow,
            )
        )
    return out


def _is_done(registry: WorkflowRegistry, workflow: str, state: str) -> bool:
    if workflow not in registry.names():
        return True
    return registry.get(workflow).definition.state(state).done


def issued_on(session: Session, plan_ids: Sequence[int]) -> dict[int, list[date]]:
    """Per plan, the days its issued (approved or sent) reports are as of."""
    out: dict[int, list[date]] = {plan_id: [] for plan_id in plan_ids}
    query = select(col(Report.plan_id), col(Report.as_of)).where(
        col(Report.plan_id).in_(plan_ids), Report.state != DRAFT_STATE
    )
    for plan_id, as_of in session.exec(query):
        out[plan_id].append(as_of)
    return out


@dataclass(frozen=True)
class ComingReport:
    """A plan's next återrapport with its dates, for the chef's start page."""

    plan: Plan
    occasion: Occasion
    call_on: date
    # Filled once owners have been called on to update: who has not.
    not_updated: list[NotUpdated]
    # Those counted by their workflows' nouns: "2 åtgärder och 1 kontroll".
    not_updated_counted: str = ""


def coming_reports(
    session: Session,
    registry: WorkflowRegistry,
    plans: Sequence[Plan],
    *,
    today: date,
    tz: ZoneInfo,
    cal: WorkCalendar,
    fallback_draft_days: int,
) -> list[ComingReport]:
    """Per plan that reports back, its next återrapport not yet issued (one past its day to
    approve by until its meeting), in the order of the deadlines."""
    calendar = report_calendar(session, registry, cal, fallback_draft_days, plans)
    issued = issued_on(session, [p.id for p in plans if p.id is not None])
    out = []
    for plan in plans:
        assert plan.id is not None
        ahead = still_to_report(calendar.occasions(plan, today), today, issued[plan.id])
        if not ahead:
            continue
        occasion = ahead[0]
        called = calendar.call_on(occasion)
        stale = not_updated(session, registry, plan.id, called, tz) if called <= today else []
        counted = nouns.counted(registry, (n.workflow for n in stale))
        out.append(ComingReport(plan, occasion, called, stale, counted))
    return sorted(out, key=lambda r: (r.occasion.approve_by, r.plan.title))


@dataclass(frozen=True)
class UpdateMark:
    """Whether one open åtgärd of a draft had its processläge written for the report."""

    action_id: int
    text: str
    state_label: str
    updated: bool
    note_on: date | None
    workflow: str  # which names it: an åtgärd, a beslut


@dataclass(frozen=True)
class DraftUpdates:
    """The draft's open åtgärder, each marked updated or not since the call to update."""

    occasion: Occasion
    call_on: date
    marks: list[UpdateMark]

    @property
    def missing(self) -> int:
        return sum(1 for m in self.marks if not m.updated)


def draft_updates(
    session: Session,
    registry: WorkflowRegistry,
    plan: Plan,
    snapshot: Snapshot,
    fallback_draft_days: int,
) -> DraftUpdates | None:
    """For a draft of `plan`: per open åtgärd in it, whether its processläge was written on or
    after the day owners were called on to update for this report. None when the draft
    belongs to no occasion of the plan."""
    calendar = report_calendar(session, registry, WorkCalendar(), fallback_draft_days, [plan])
    occasion = occasion_of(calendar.occasions(plan, snapshot.as_of), snapshot.as_of)
    if occasion is None:
        return None
    called = calendar.call_on(occasion)
    marks = []
    for action in snapshot.actions():
        state = snapshot.state_info(action.workflow, action.state)
        if state.done:
            continue
        updated = action.note_on is not None and action.note_on >= called
        marks.append(
            UpdateMark(
                action.id, action.text, state.label, updated, action.note_on, action.workflow
            )
        )
    return DraftUpdates(occasion, called, marks)
