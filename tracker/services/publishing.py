"""What anyone may read, without a log-in, of the plans a chef has published: the plan as the
återrapport's table and its issued återrapporter.

Everything here is read into plain records that hold no person: an åtgärd's owner is shown by
förvaltning (the owner's own, else the plan's), never by name or e-mail address, and the query
reads no name or address at all. A plan that does not exist and one that is not published
are the same NotFound, so the public cannot tell them apart. Drafts are never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from tracker.domain.schedule import SCHEDULE_LABELS, ScheduleStatus
from tracker.errors import NotFound
from tracker.models import Action, Area, Person, Plan, Report, ReportFile
from tracker.models.report import DRAFT_STATE
from tracker.services import plans as plan_service
from tracker.services import reports
from workflows import WorkflowRegistry

# The one message for a plan that is not there and one that is not published.
NOT_PUBLISHED = "Det finns ingen publicerad plan på den adressen."


@dataclass(frozen=True)
class PublicAction:
    text: str
    # Its workflow's name, which names it: an åtgärd, a kontroll, a beslut.
    workflow: str
    state: str
    state_label: str
    withdrawn: bool
    late: bool
    schedule_label: str
    # As written in the plan ("Klart till mars 2018. Utvärderas oktober 2018."), and the
    # dates read from it.
    tidsplan: str
    due_on: date | None
    evaluate_on: date | None
    progress_note: str
    progress_at: datetime | None
    # "Ansvarig: Socialförvaltningen", or that nobody is responsible yet.
    responsible: str


@dataclass(frozen=True)
class PublicArea:
    title: str
    section: str
    actions: list[PublicAction]


@dataclass(frozen=True)
class PublicFile:
    fmt: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class PublicReport:
    id: int
    number: int | None
    as_of: date
    state_label: str
    approved_at: datetime | None
    sent_at: datetime | None
    files: list[PublicFile]


@dataclass(frozen=True)
class PublicPlan:
    id: int
    title: str
    forvaltning: str
    namnd: str
    dnr: str
    decision_on: date | None
    decision_paragraph: str
    background: str
    areas: list[PublicArea]
    reports: list[PublicReport]

    @property
    def total(self) -> int:
        return sum(len(a.actions) for a in self.areas)

    @property
    def late(self) -> int:
        return sum(1 for a in self.areas for x in a.actions if x.late)

    @property
    def workflows(self) -> list[str]:
        """Each item's workflow, to name them by ("2 beslut")."""
        return [x.workflow for a in self.areas for x in a.actions]

    @property
    def late_workflows(self) -> list[str]:
        return [x.workflow for a in self.areas for x in a.actions if x.late]


@dataclass(frozen=True)
class PublishedPlan:
    """A line of the public list."""

    id: int
    title: str
    forvaltning: str
    namnd: str
    actions: int
    # The workflows its items are of, which name what `actions` counts.
    workflows: frozenset[str]


def responsible_label(owned: bool, owner_forvaltning: str | None, plan_forvaltning: str) -> str:
    """Who answers for an åtgärd, as the public sees it: a förvaltning, never a person."""
    if not owned:
        return "Ingen ansvarig utsedd"
    unit = (owner_forvaltning or "").strip() or plan_forvaltning.strip()
    return f"Ansvarig: {unit}" if unit else "Ansvarig utsedd"


def published_plans(session: Session) -> list[PublishedPlan]:
    """The published plans, by förvaltning and title, each with its number of items and
    their workflows."""
    plans = session.exec(
        select(Plan)
        .where(col(Plan.published).is_(True))
        .order_by(col(Plan.forvaltning), col(Plan.title), col(Plan.id))
    ).all()
    ids = [p.id for p in plans if p.id is not None]
    counts: dict[int, int] = {}
    kinds: dict[int, set[str]] = {}
    if ids:
        for plan_id, workflow, n in session.exec(
            select(Action.plan_id, Action.workflow, func.count())
            .where(col(Action.plan_id).in_(ids))
            .group_by(col(Action.plan_id), col(Action.workflow))
        ).all():
            counts[plan_id] = counts.get(plan_id, 0) + n
            kinds.setdefault(plan_id, set()).add(workflow)
    return [
        PublishedPlan(
            p.id,
            p.title,
            p.forvaltning,
            p.namnd,
            counts.get(p.id, 0),
            frozenset(kinds.get(p.id, ())),
        )
        for p in plans
        if p.id is not None
    ]


def published_plan(session: Session, plan_id: int) -> Plan:
    """The plan, if it exists and is published; NotFound, the same for both, otherwise."""
    plan = session.get(Plan, plan_id)
    if plan is None or not plan.published:
        raise NotFound(NOT_PUBLISHED)
    return plan


def public_plan(
    session: Session, registry: WorkflowRegistry, plan_id: int, today: date
) -> PublicPlan:
    """The published plan as the public page shows it, late or not as of `today`."""
    plan = published_plan(session, plan_id)
    assert plan.id is not None
    return PublicPlan(
        id=plan.id,
        title=plan.title,
        forvaltning=plan.forvaltning,
        namnd=plan.namnd,
        dnr=plan.dnr,
        decision_on=plan.decision_on,
        decision_paragraph=plan.decision_paragraph,
        background=plan.background,
        areas=_areas(session, registry, plan, today),
        reports=_issued_reports(session, registry, plan.id),
    )


def _areas(
    session: Session, registry: WorkflowRegistry, plan: Plan, today: date
) -> list[PublicArea]:
    areas = session.exec(
        select(Area).where(Area.plan_id == plan.id).order_by(col(Area.position), col(Area.id))
    ).all()
    # The owner's förvaltning and nothing else of the person.
    rows = session.exec(
        select(Action, Person.forvaltning)
        .join(Person, col(Action.owner_id) == Person.id, isouter=True)
        .where(Action.plan_id == plan.id)
        .order_by(col(Action.area_id), col(Action.position), col(Action.id))
    ).all()
    by_area: dict[int, list[PublicAction]] = {}
    for action, owner_forvaltning in rows:
        by_area.setdefault(action.area_id, []).append(
            _action(registry, action, owner_forvaltning, plan.forvaltning, today)
        )
    return [PublicArea(a.title, a.section, by_area.get(a.id or 0, [])) for a in areas]


def _action(
    registry: WorkflowRegistry,
    action: Action,
    owner_forvaltning: str | None,
    plan_forvaltning: str,
    today: date,
) -> PublicAction:
    state = registry.get(action.workflow).definition.state(action.state)
    status = plan_service.status_of(registry, action, today)
    return PublicAction(
        text=action.text,
        workflow=action.workflow,
        state=action.state,
        state_label=state.label,
        withdrawn=state.withdrawn,
        late=status is not ScheduleStatus.on_track,
        schedule_label=SCHEDULE_LABELS[status],
        tidsplan=action.tidsplan,
        due_on=action.due_on,
        evaluate_on=action.evaluate_on,
        progress_note=action.progress_note,
        progress_at=action.progress_at,
        responsible=responsible_label(
            action.owner_id is not None, owner_forvaltning, plan_forvaltning
        ),
    )


def _issued_reports(
    session: Session, registry: WorkflowRegistry, plan_id: int
) -> list[PublicReport]:
    """The plan's issued återrapporter, newest first, with their archived files' names and
    SHA-256 (not the files themselves)."""
    issued = session.exec(
        select(Report)
        .where(Report.plan_id == plan_id, Report.state != DRAFT_STATE)
        .order_by(col(Report.as_of).desc(), col(Report.id).desc())
    ).all()
    ids = [r.id for r in issued if r.id is not None]
    files: dict[int, list[PublicFile]] = {}
    if ids:
        for report_id, fmt, filename, sha in session.exec(
            select(ReportFile.report_id, ReportFile.format, ReportFile.filename, ReportFile.sha256)
            .where(col(ReportFile.report_id).in_(ids))
            .order_by(col(ReportFile.id))
        ).all():
            files.setdefault(report_id, []).append(PublicFile(fmt, filename, sha))
    order = {fmt: n for n, fmt in enumerate(reports.FORMATS)}
    # Sent as the chef's pages say it: once the mail reached the nämnd, not when it was queued.
    sent = reports.sendings(session, registry, list(issued))
    return [
        PublicReport(
            id=r.id,
            number=r.number,
            as_of=r.as_of,
            state_label=sent[r.id].state_label,
            approved_at=r.approved_at,
            sent_at=sent[r.id].delivered_at,
            files=sorted(files.get(r.id, []), key=lambda f: order.get(f.fmt, len(order))),
        )
        for r in issued
        if r.id is not None
    ]


def public_document(session: Session, plan_id: int, report_id: int, fmt: str) -> reports.Document:
    """An issued återrapport's archived file, exactly as stored, if its plan is published;
    NotFound otherwise (a draft, another plan's report, a format it was not issued in)."""
    published_plan(session, plan_id)
    report = session.get(Report, report_id)
    if (
        report is None
        or report.plan_id != plan_id
        or not reports.is_issued(report)
        or fmt not in reports.FORMATS
    ):
        raise NotFound(NOT_PUBLISHED)
    return reports.report_document(session, report_id, fmt)
