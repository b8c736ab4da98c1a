"""What the API reads, a page at a time, for one token's reader.

What a token may read is decided by the one rule, tracker.domain.roles.may_read, asked
through tracker.services.overview.readable_plan_ids (and may_read itself for one plan): the
queries here only narrow to those plans, never decide who sees what. Pages are keyset pages
by id ("after" the last id of the page before), so a walk sees every row once even while
rows are added.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, func, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from tracker.domain.evaluation import answers_from_json
from tracker.domain.roles import Someone, may_edit, may_read
from tracker.domain.schedule import SCHEDULE_LABELS, ScheduleStatus
from tracker.errors import NotFound
from tracker.models import Action, ActionEvent, Area, Person, Plan, Report
from tracker.models.report import ReportFile
from tracker.services import overview, people, plans, reports
from tracker.web.api import models as out
from tracker.web.views import event_views
from workflows import WorkflowRegistry

_A = Action.__table__  # type: ignore[attr-defined]
_R = Area.__table__  # type: ignore[attr-defined]
_P = Plan.__table__  # type: ignore[attr-defined]
_O = Person.__table__  # type: ignore[attr-defined]
_F = ReportFile.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ActionQuery:
    """The filters of GET /actions: those of `tracker action list` and of /atgarder."""

    plan_id: int | None = None
    forvaltning: str | None = None
    state: str | None = None  # a state id, resolved from what was typed
    owner_email: str | None = None
    overdue: bool = False  # open and past its klart-datum (tracker action list --overdue)
    late: bool = False  # overdue or evaluation overdue (the start page's "Försenade")
    without_owner: bool = False  # open and nobody's


def readable_plan(session: Session, reader: Someone, plan_id: int) -> Plan:
    """The plan, if the reader may read it; otherwise the same 404 as for no plan at all, so
    a token learns nothing of another förvaltning's plans."""
    plan = session.get(Plan, plan_id)
    if plan is None or not may_read(reader, plan):
        raise NotFound(f"Ingen åtgärdsplan med nummer {plan_id}.")
    return plan


def _scope(session: Session, reader: Someone) -> ColumnElement[bool] | None:
    """SQL for "a plan the reader may read" (None: every plan), from the one rule."""
    ids = overview.readable_plan_ids(session, reader)
    return None if ids is None else _A.c.plan_id.in_(sorted(ids))


# --- plans ----------------------------------------------------------------------------------


def plan_out(summary: plans.PlanSummary) -> out.PlanOut:
    p = summary.plan
    assert p.id is not None
    return out.PlanOut(
        id=p.id,
        title=p.title,
        forvaltning=p.forvaltning,
        namnd=p.namnd,
        dnr=p.dnr,
        ort=p.ort,
        decision_on=p.decision_on,
        decision_paragraph=p.decision_paragraph,
        report_months=p.report_month_numbers(),
        next_report_on=p.next_report_on,
        created_at=p.created_at,
        actions=summary.total,
        by_state=summary.by_state,
        overdue=summary.overdue,
        late=summary.late,
    )


def plan_page(
    session: Session,
    registry: WorkflowRegistry,
    reader: Someone,
    *,
    today: date,
    forvaltning: str | None,
    after: int,
    limit: int,
) -> tuple[list[out.PlanOut], bool]:
    """A page of the plans the reader may read, counted as `tracker plan list` counts them.
    A kommun has tens or hundreds of plans: they are counted in two grouped queries and
    paged here."""
    shown = [
        s
        for s in plans.summarise_plans(session, registry, today)
        if (s.plan.id or 0) > after
        and may_read(reader, s.plan)
        and (forvaltning is None or s.plan.forvaltning == forvaltning)
    ]
    return [plan_out(s) for s in shown[:limit]], len(shown) > limit


def plan_detail(
    session: Session, registry: WorkflowRegistry, reader: Someone, plan_id: int, today: date
) -> out.PlanDetail:
    plan = readable_plan(session, reader, plan_id)
    [summary] = [s for s in plans.summarise_plans(session, registry, today) if s.plan.id == plan_id]
    areas = session.exec(
        select(Area).where(Area.plan_id == plan_id).order_by(col(Area.position), col(Area.id))
    ).all()
    return out.PlanDetail(
        **plan_out(summary).model_dump(),
        background=plan.background,
        signatory_name=plan.signatory_name,
        signatory_title=plan.signatory_title,
        areas=[
            out.AreaOut(id=a.id or 0, title=a.title, section=a.section, position=a.position)
            for a in areas
        ],
    )


# --- åtgärder -------------------------------------------------------------------------------

_ACTION_COLUMNS = [
    _A.c.id,
    _A.c.plan_id,
    _P.c.forvaltning,
    _A.c.area_id,
    _R.c.title.label("area_title"),
    _R.c.section,
    _R.c.position.label("area_position"),
    _A.c.position,
    _A.c.text,
    _A.c.workflow,
    _A.c.state,
    _A.c.tidsplan,
    _A.c.due_on,
    _A.c.original_due_on,
    _A.c.evaluate_on,
    _A.c.next_report_on,
    _A.c.owner_id,
    _O.c.name.label("owner_name"),
    _O.c.email.label("owner_email"),
    _A.c.progress_note,
    _A.c.progress_at,
    _A.c.expected_effect,
    _A.c.follow_up,
    _A.c.target_group,
    _A.c.budget_sek,
    _A.c.version,
    _A.c.updated_at,
]
# Rows read at a time while filtering by lateness, which is decided in Python (status_of).
_BATCH = 500


def _action_select() -> Any:
    return core_select(*_ACTION_COLUMNS).select_from(
        _A.join(_P, _P.c.id == _A.c.plan_id)
        .join(_R, _R.c.id == _A.c.area_id)
        .outerjoin(_O, _O.c.id == _A.c.owner_id)
    )


def _action_out(registry: WorkflowRegistry, row: Row[Any], today: date) -> out.ActionOut:
    status = plans.status_of(registry, row, today)
    state = registry.get(row.workflow).definition.state(row.state)
    return out.ActionOut(
        id=row.id,
        plan_id=row.plan_id,
        forvaltning=row.forvaltning,
        area=out.AreaOut(
            id=row.area_id, title=row.area_title, section=row.section, position=row.area_position
        ),
        position=row.position,
        text=row.text,
        workflow=row.workflow,
        state=row.state,
        state_label=state.label,
        schedule=status.value,
        schedule_label=SCHEDULE_LABELS[status],
        late=status is not ScheduleStatus.on_track,
        tidsplan=row.tidsplan,
        due_on=row.due_on,
        original_due_on=row.original_due_on,
        evaluate_on=row.evaluate_on,
        next_report_on=row.next_report_on,
        owner=(
            out.OwnerOut(name=row.owner_name, email=row.owner_email)
            if row.owner_id is not None
            else None
        ),
        progress_note=row.progress_note,
        progress_at=row.progress_at,
        expected_effect=row.expected_effect,
        follow_up=row.follow_up,
        target_group=row.target_group,
        budget_sek=row.budget_sek,
        version=row.version,
        updated_at=row.updated_at,
    )


def _action_conditions(
    registry: WorkflowRegistry, q: ActionQuery, today: date
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if q.plan_id is not None:
        conds.append(_A.c.plan_id == q.plan_id)
    if q.forvaltning is not None:
        conds.append(_P.c.forvaltning == q.forvaltning)
    if q.state is not None:
        conds.append(_A.c.state == q.state)
    if q.owner_email is not None:
        conds.append(_O.c.email == people.normalise_email(q.owner_email))
    if q.overdue:
        conds += [_A.c.due_on < today, plans.open_condition(registry)]
    if q.late:
        # Only narrows what is read: status_of decides what is late, as list_actions does.
        conds.append(or_(_A.c.due_on < today, _A.c.evaluate_on < today))
    if q.without_owner:
        conds += [_A.c.owner_id.is_(None), plans.open_condition(registry)]
    return conds


def action_page(
    session: Session,
    registry: WorkflowRegistry,
    reader: Someone,
    q: ActionQuery,
    *,
    today: date,
    after: int,
    limit: int,
) -> tuple[list[out.ActionOut], bool]:
    """A page of the åtgärder the reader may read that match `q`, by id; and whether there
    are more."""
    if q.plan_id is not None:
        readable_plan(session, reader, q.plan_id)
    conds = _action_conditions(registry, q, today)
    scope = _scope(session, reader)
    if scope is not None:
        conds.append(scope)
    found: list[out.ActionOut] = []
    for row in _rows_after(session, conds, after):
        item = _action_out(registry, row, today)
        if q.late and not item.late:
            continue
        if len(found) == limit:
            return found, True
        found.append(item)
    return found, False


def _rows_after(
    session: Session, conds: Sequence[ColumnElement[bool]], after: int
) -> Iterator[Row[Any]]:
    """The matching rows by id after `after`, read a batch at a time as they are used."""
    last = after
    while True:
        batch = (
            session.connection()
            .execute(_action_select().where(*conds, _A.c.id > last).order_by(_A.c.id).limit(_BATCH))
            .all()
        )
        yield from batch
        if len(batch) < _BATCH:
            return
        last = batch[-1].id


def _readable_action(session: Session, reader: Someone, action_id: int) -> Action:
    action = session.get(Action, action_id)
    plan = session.get(Plan, action.plan_id) if action is not None else None
    if action is None or plan is None or not may_read(reader, plan):
        raise NotFound(f"Ingen åtgärd med nummer {action_id}.")
    return action


def action_detail(
    session: Session, registry: WorkflowRegistry, reader: Someone, action_id: int, today: date
) -> out.ActionOut:
    _readable_action(session, reader, action_id)
    row = session.connection().execute(_action_select().where(_A.c.id == action_id)).one()
    return _action_out(registry, row, today)


def event_page(
    session: Session,
    registry: WorkflowRegistry,
    reader: Someone,
    action_id: int,
    *,
    after: int,
    limit: int,
) -> tuple[list[out.EventOut], bool]:
    """A page of the åtgärd's history (its action_event rows), oldest first."""
    action = _readable_action(session, reader, action_id)
    events = list(
        session.exec(
            select(ActionEvent)
            .where(ActionEvent.action_id == action_id, col(ActionEvent.id) > after)
            .order_by(col(ActionEvent.id))
            .limit(limit + 1)
        )
    )
    shown = events[:limit]
    items = [
        out.EventOut(
            id=e.id or 0,
            at=e.at,
            actor=e.actor_label,
            trigger=e.trigger,
            label=v.label,
            from_state=e.from_state,
            from_label=v.from_label,
            to_state=e.to_state,
            to_label=v.to_label,
            text=e.text,
            answers=[
                out.AnswerOut(label=a.label, value=a.value)
                for a in answers_from_json(e.answers_json)
            ],
        )
        for e, v in zip(shown, event_views(registry, action, shown), strict=True)
    ]
    return items, len(events) > limit


# --- återrapporter --------------------------------------------------------------------------


def _visible(reader: Someone, report: Report, plan: Plan) -> bool:
    """As on the web: an issued report to whoever may read its plan, a draft only to those
    who may edit it (which no token may)."""
    return may_read(reader, plan) and (reports.is_issued(report) or may_edit(reader, plan))


def _files(session: Session, report_ids: list[int], base: str) -> dict[int, list[Any]]:
    """Each report's archived files, without reading the files themselves."""
    found: dict[int, list[Any]] = {}
    if not report_ids:
        return found
    rows = session.connection().execute(
        core_select(
            _F.c.report_id,
            _F.c.format,
            _F.c.filename,
            _F.c.content_type,
            func.length(_F.c.data),
            _F.c.sha256,
        )
        .where(_F.c.report_id.in_(report_ids))
        .order_by(_F.c.id)
    )
    for report_id, fmt, filename, content_type, size, sha in rows:
        found.setdefault(report_id, []).append(
            out.ReportFileOut(
                format=fmt,
                filename=filename,
                content_type=content_type,
                size=size,
                sha256=sha,
                url=f"{base}/reports/{report_id}/files/{fmt}",
            )
        )
    return found


def _report_out(
    report: Report, plan: Plan, sending: reports.Sending, files: list[out.ReportFileOut]
) -> out.ReportOut:
    assert report.id is not None
    return out.ReportOut(
        id=report.id,
        plan_id=report.plan_id,
        plan_title=plan.title,
        number=report.number,
        title=reports.report_title(report),
        state=report.state,
        state_label=sending.state_label,
        as_of=report.as_of,
        data_until=report.data_until,
        approved_by=report.approved_by,
        approved_at=report.approved_at,
        sent_at=report.sent_at,
        delivery_status=sending.status,
        delivered_at=sending.delivered_at,
        files=files,
    )


def _reports_out(
    session: Session, registry: WorkflowRegistry, found: list[tuple[Report, Plan]], base: str
) -> list[out.ReportOut]:
    """The reports with their archived files and what the outbox did with their mail."""
    ids = [r.id for r, _ in found if r.id is not None]
    files = _files(session, ids, base)
    sent = reports.sendings(session, registry, [r for r, _ in found])
    return [_report_out(r, p, sent[r.id or 0], files.get(r.id or 0, [])) for r, p in found]


def report_page(
    session: Session,
    registry: WorkflowRegistry,
    reader: Someone,
    *,
    plan_id: int | None,
    after: int,
    limit: int,
    base: str,
) -> tuple[list[out.ReportOut], bool]:
    """A page of the issued återrapporter the reader may read, by id."""
    if plan_id is not None:
        readable_plan(session, reader, plan_id)
    shown = sorted(
        (
            (r, p)
            for r, p in reports.list_reports(session, plan_id)
            if (r.id or 0) > after and _visible(reader, r, p)
        ),
        key=lambda rp: rp[0].id or 0,
    )
    return _reports_out(session, registry, shown[:limit], base), len(shown) > limit


def readable_report(session: Session, reader: Someone, report_id: int) -> tuple[Report, Plan]:
    report = session.get(Report, report_id)
    plan = session.get(Plan, report.plan_id) if report is not None else None
    if report is None or plan is None or not _visible(reader, report, plan):
        raise NotFound(f"Ingen återrapport med nummer {report_id}.")
    return report, plan


def report_detail(
    session: Session, registry: WorkflowRegistry, reader: Someone, report_id: int, base: str
) -> out.ReportOut:
    [found] = _reports_out(session, registry, [readable_report(session, reader, report_id)], base)
    return found


def report_file(session: Session, reader: Someone, report_id: int, fmt: str) -> ReportFile:
    """An issued report's archived file, exactly as stored."""
    readable_report(session, reader, report_id)
    stored = session.exec(
        select(ReportFile).where(ReportFile.report_id == report_id, ReportFile.format == fmt)
    ).first()
    if stored is None:
        raise NotFound(f"Återrapport {report_id} har ingen arkiverad fil i formatet {fmt!r}.")
    return stored
