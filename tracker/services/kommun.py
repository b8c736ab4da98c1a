"""The kommun's overview of what is not yet carried out: per förvaltning the åtgärder and
decisions by state and lateness, and the oldest open ones first ("äldst ej verkställda"),
the question auditors ask.

A few queries whatever the size: the counts grouped in the database, the plans, the items
past a date (which schedule_status, the one rule for "late", then decides on), and the open
items with the day each was first recorded (the earliest event in its history). 100 plans
with 20,000 åtgärder take under 200 milliseconds (bench/overview.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, false, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from tracker.domain.audit import ANSWER_LABELS
from tracker.domain.clock import local_date
from tracker.domain.schedule import SCHEDULE_LABELS, ScheduleStatus
from tracker.domain.tables import OutCell
from tracker.models import Action, ActionEvent, Person, Plan
from tracker.models.audit import Audit
from tracker.services import audits
from tracker.services.plans import ActionFilter, list_actions, status_of
from workflows import WorkflowRegistry

_A = Action.__table__  # type: ignore[attr-defined]
_P = Plan.__table__  # type: ignore[attr-defined]
_O = Person.__table__  # type: ignore[attr-defined]
_E = ActionEvent.__table__  # type: ignore[attr-defined]

# The page lists this many of the oldest open items; the export has them all.
OLDEST_SHOWN = 50


@dataclass
class ForvaltningCounts:
    """One förvaltning's items: how many in each state, how many late."""

    forvaltning: str
    by_state: dict[str, int] = field(default_factory=dict)
    open: int = 0
    late: int = 0
    plans: int = 0
    # The workflows its items follow, by whose nouns the page names what it counts.
    workflows: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


@dataclass(frozen=True)
class OpenItem:
    """An åtgärd or decision not yet carried out."""

    action_id: int
    text: str
    kind: str
    plan_id: int
    plan_title: str
    forvaltning: str
    owner: str
    state_label: str
    since: date | None
    due_on: date | None
    # By the one rule for it (schedule_status), as every other page: past the due date, or
    # past the evaluation date with no evaluation.
    late: bool
    schedule: str
    schedule_label: str


@dataclass(frozen=True)
class AuditLine:
    """A granskning with its rekommendationer counted by their rolled-up status."""

    audit_id: int
    title: str
    auditor: str
    report_on: date | None
    forvaltning: str
    by_status: dict[str, int]
    late: int
    total: int


@dataclass(frozen=True)
class Overview:
    today: date
    forvaltningar: list[ForvaltningCounts]
    # The state labels in the order the columns show them.
    states: list[str]
    oldest: list[OpenItem]
    open_total: int
    audits: list[AuditLine] = field(default_factory=list)
    # The rekommendation statuses in the order the columns show them.
    answer_labels: list[str] = field(default_factory=list)


def _open_states(registry: WorkflowRegistry) -> set[tuple[str, str]]:
    return {
        (name, st.id)
        for name in registry.names()
        for st in registry.get(name).definition.states
        if not st.done
    }


def _open_condition(registry: WorkflowRegistry) -> ColumnElement[bool]:
    """SQL for "not done" in each workflow's own terms."""
    parts = []
    for name in registry.names():
        open_states = [s.id for s in registry.get(name).definition.states if not s.done]
        if open_states:
            parts.append(and_(_A.c.workflow == name, _A.c.state.in_(open_states)))
    return or_(*parts) if parts else false()


def overview(
    session: Session,
    registry: WorkflowRegistry,
    *,
    today: date,
    tz: ZoneInfo,
    forvaltning: str | None = None,
    limit: int | None = OLDEST_SHOWN,
) -> Overview:
    """The kommun's (or one förvaltning's) counts and oldest open items as of `today`."""
    labels = registry.state_labels()
    counts = _counts(session, registry, today, forvaltning, labels)
    oldest = list(_open_items(session, registry, today, tz, forvaltning, labels, limit))
    return Overview(
        today=today,
        forvaltningar=counts,
        states=registry.labels_in_order({label for c in counts for label in c.by_state}),
        oldest=oldest,
        open_total=sum(c.open for c in counts),
        audits=_audits(session, registry, today, forvaltning),
        answer_labels=list(ANSWER_LABELS.values()),
    )


def _audits(
    session: Session, registry: WorkflowRegistry, today: date, forvaltning: str | None
) -> list[AuditLine]:
    """Each granskning in scope, oldest report first: a kommun has a handful a year, each
    with its own few rekommendationer, so each is rolled up as its own page does."""
    query = select(Audit).order_by(col(Audit.report_on), col(Audit.id))
    if forvaltning is not None:
        query = query.where(Audit.forvaltning == forvaltning)
    out = []
    for audit in session.exec(query):
        assert audit.id is not None
        view = audits.audit_view(session, registry, audit.id, today)
        by_status: dict[str, int] = {}
        for rec in view.recommendations:
            # Under the columns' own labels: "Alla beslut klara" is counted as done too.
            label = ANSWER_LABELS[rec.status.status]
            by_status[label] = by_status.get(label, 0) + 1
        out.append(
            AuditLine(
                audit_id=audit.id,
                title=audit.title,
                auditor=audit.auditor,
                report_on=audit.report_on,
                forvaltning=audit.forvaltning,
                by_status=by_status,
                late=sum(1 for r in view.recommendations if r.status.late),
                total=len(view.recommendations),
            )
        )
    return out


def _scoped(query: Select[Any], forvaltning: str | None) -> Select[Any]:
    return query if forvaltning is None else query.where(_P.c.forvaltning == forvaltning)


def _counts(
    session: Session,
    registry: WorkflowRegistry,
    today: date,
    forvaltning: str | None,
    labels: dict[tuple[str, str], str],
) -> list[ForvaltningCounts]:
    query = _scoped(
        sa_select(_P.c.forvaltning, _A.c.workflow, _A.c.state, func.count())
        .select_from(_A.join(_P, _P.c.id == _A.c.plan_id))
        .group_by(_P.c.forvaltning, _A.c.workflow, _A.c.state),
        forvaltning,
    )
    by_name: dict[str, ForvaltningCounts] = {}
    open_states = _open_states(registry)
    for name, workflow, state, n in session.connection().execute(query):
        counts = by_name.setdefault(name, ForvaltningCounts(name))
        label = labels.get((workflow, state), state)
        counts.by_state[label] = counts.by_state.get(label, 0) + n
        counts.workflows.add(workflow)
        if (workflow, state) in open_states:
            counts.open += n
    plan_query = _scoped(sa_select(_P.c.id, _P.c.forvaltning), forvaltning)
    forvaltning_of: dict[int, str] = {}
    for plan_id, name in session.connection().execute(plan_query):
        forvaltning_of[plan_id] = name
        by_name.setdefault(name, ForvaltningCounts(name)).plans += 1
    # Late by the rule the plan list and the start page count with, so that a förvaltning's
    # Försenade is the sum of its plans'.
    for row in list_actions(session, registry, ActionFilter(late_on=today)):
        if row.plan_id in forvaltning_of:
            by_name[forvaltning_of[row.plan_id]].late += 1
    return sorted(by_name.values(), key=lambda c: (-c.late, c.forvaltning))


def _open_items(
    session: Session,
    registry: WorkflowRegistry,
    today: date,
    tz: ZoneInfo,
    forvaltning: str | None,
    labels: dict[tuple[str, str], str],
    limit: int | None,
) -> Iterator[OpenItem]:
    """Open items, the longest open first: by the day each was first recorded."""
    first = (
        sa_select(_E.c.action_id, func.min(_E.c.at).label("since"))
        .group_by(_E.c.action_id)
        .subquery()
    )
    query = _scoped(
        sa_select(
            _A.c.id,
            _A.c.text,
            _A.c.workflow,
            _A.c.state,
            _A.c.due_on,
            _A.c.evaluate_on,
            _P.c.id,
            _P.c.title,
            _P.c.forvaltning,
            _O.c.name,
            first.c.since,
        )
        .select_from(
            _A.join(_P, _P.c.id == _A.c.plan_id)
            .outerjoin(_O, _O.c.id == _A.c.owner_id)
            .outerjoin(first, first.c.action_id == _A.c.id)
        )
        .where(_open_condition(registry))
        .order_by(first.c.since.asc().nulls_first(), _A.c.id),
        forvaltning,
    )
    if limit is not None:
        query = query.limit(limit)
    for (
        aid,
        text,
        workflow,
        state,
        due_on,
        evaluate_on,
        pid,
        title,
        forv,
        owner,
        since,
    ) in session.connection().execute(query):
        status = status_of(registry, _Dated(workflow, state, due_on, evaluate_on), today)
        yield OpenItem(
            action_id=aid,
            text=text,
            # Its workflow's own name: Åtgärd, Kontroll, Protokollsbeslut, SBS-insats.
            kind=registry.get(workflow).definition.label,
            plan_id=pid,
            plan_title=title,
            forvaltning=forv,
            owner=owner or "",
            state_label=labels.get((workflow, state), state),
            since=_day(since, tz),
            due_on=due_on,
            late=status is not ScheduleStatus.on_track,
            schedule=status.value,
            schedule_label=SCHEDULE_LABELS[status],
        )


class _Dated(NamedTuple):
    """What status_of reads of an item."""

    workflow: str
    state: str
    due_on: date | None
    evaluate_on: date | None


def _day(value: datetime | None, tz: ZoneInfo) -> date | None:
    return local_date(value, tz) if value is not None else None


EXPORT_HEADER = (
    "Förvaltning",
    "Typ",
    "Plan",
    "Nr",
    "Åtgärd",
    "Ansvarig",
    "Läge",
    "Sedan",
    "Klart till",
    "Försenad",
)


def export_rows(items: Sequence[OpenItem]) -> Iterator[Sequence[OutCell]]:
    """The open items as the export's rows, the header first."""
    yield EXPORT_HEADER
    for i in items:
        yield (
            i.forvaltning,
            i.kind,
            i.plan_title,
            i.action_id,
            i.text,
            i.owner,
            i.state_label,
            i.since,
            i.due_on,
            "ja" if i.late else "",
        )
