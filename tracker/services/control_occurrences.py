"""Controls as åtgärder: each control of a kontrollmoment, when it comes due, becomes an
åtgärd in the "kontroll" workflow of the internkontrollplan's own åtgärdsplan, so that its
owner is reminded, reports through the link in the e-mail, is late and escalated exactly as
for any åtgärd. A deviation the owner reports opens an åtgärd in the same plan (the
workflow's opens_action; tracker.services.actions writes it).

The reminder sweep opens them, in its transaction, before it plans the day's reminders: a
control opened today is in today's digest. Each (kontrollmoment, day) is opened once: the
unique key on control_occurrence makes a second scheduler's sweep fail and start over, and
then find it opened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from notifications.swedish import long_date
from tracker.domain.clock import local_date
from tracker.domain.control_report import CONTROL_WORKFLOW
from tracker.domain.controls import occurrences, opens_on, parse_frequency
from tracker.domain.workdays import WorkCalendar
from tracker.models import (
    ControlOccurrence,
    ControlPlan,
    ControlPoint,
    ControlRisk,
    Person,
    Plan,
)
from tracker.services import plans
from workflows import WorkflowRegistry


@dataclass(frozen=True)
class DueControl:
    """A control to open: its kontrollmoment, its plan and the working day it is due."""

    control_plan: ControlPlan
    risk: ControlRisk
    point: ControlPoint
    due_on: date
    owner: Person | None


def action_plan_title(control_plan: ControlPlan) -> str:
    return f"Internkontroll {control_plan.year} – {control_plan.namnd}"


def ensure_action_plan(session: Session, control_plan: ControlPlan, *, now: datetime) -> Plan:
    """The åtgärdsplan of the internkontrollplan: its controls and the åtgärder its
    deviations open. Made the first time it is needed."""
    if control_plan.plan_id is not None:
        return plans.get_plan(session, control_plan.plan_id)
    plan = plans.create_plan(
        session,
        now=now,
        title=action_plan_title(control_plan),
        forvaltning=control_plan.forvaltning,
        namnd=control_plan.namnd,
    )
    control_plan.plan_id = plan.id
    session.add(control_plan)
    session.flush()
    return plan


def actions_area(registry: WorkflowRegistry) -> str:
    """The list of the plan's åtgärder that answer the internkontroll: the one the control
    workflow opens a deviation's åtgärd in."""
    for t in registry.get(CONTROL_WORKFLOW).definition.transitions:
        if t.opens_action is not None:
            return t.opens_action.area
    return "Åtgärder från internkontroll"


def add_decided_action(
    session: Session,
    registry: WorkflowRegistry,
    plan: Plan,
    *,
    text: str,
    owner: Person | None,
    now: datetime,
) -> None:
    """An åtgärd the nämnd decided on for a risk instead of a control, in the plan's list of
    åtgärder from the internkontroll; its dates are set by the chef."""
    area = plans.ensure_area(session, plan, actions_area(registry))
    plans.add_action(
        session,
        registry,
        area,
        now=now,
        text=text,
        owner=owner,
        actor_label="internkontrollplanen",
    )


def open_days_before(registry: WorkflowRegistry) -> int:
    occurrences_def = registry.get(CONTROL_WORKFLOW).definition.occurrences
    return occurrences_def.open_days_before if occurrences_def else 0


def due_controls(
    session: Session, registry: WorkflowRegistry, *, today: date, cal: WorkCalendar
) -> list[DueControl]:
    """The controls to open by `today` and not yet opened: due within the workflow's
    open_days_before (a weekly control from the Monday of its week), not before the plan came
    into the product (a plan adopted in June does not start with five months of late
    controls), oldest first."""
    lead = timedelta(days=open_days_before(registry))
    found: list[DueControl] = []
    for control_plan, risk, point, owner in _points(session, years=(today.year, today.year + 1)):
        frequency = parse_frequency(point.frequency_text)
        start = local_date(control_plan.created_at)
        for due_on in occurrences(frequency, control_plan.year, cal):
            if due_on >= start and opens_on(frequency, due_on, lead) <= today:
                found.append(DueControl(control_plan, risk, point, due_on, owner))
    opened = _opened(session, {d.point.id for d in found if d.point.id is not None})
    return sorted(
        (d for d in found if (d.point.id, d.due_on) not in opened),
        key=lambda d: (d.due_on, d.control_plan.id or 0, d.risk.position, d.point.position),
    )


def open_due_controls(
    session: Session,
    registry: WorkflowRegistry,
    *,
    now: datetime,
    today: date,
    cal: WorkCalendar,
) -> list[DueControl]:
    """Open each due control as an åtgärd in the caller's transaction: the ones opened."""
    due = due_controls(session, registry, today=today, cal=cal)
    for control in due:
        _open(session, registry, control, now=now)
    return due


def _open(
    session: Session, registry: WorkflowRegistry, control: DueControl, *, now: datetime
) -> None:
    plan = ensure_action_plan(session, control.control_plan, now=now)
    area = plans.ensure_area(session, plan, control.risk.process or "Kontroller")
    point = control.point
    action = plans.add_action(
        session,
        registry,
        area,
        now=now,
        text=point.text,
        workflow=CONTROL_WORKFLOW,
        owner=control.owner,
        actor_label="internkontrollplanen",
        tidsplan=f"Görs senast {long_date(control.due_on)}.",
        due_on=control.due_on,
        follow_up=f"Metod enligt planen: {point.method}" if point.method else "",
    )
    assert point.id is not None and action.id is not None
    session.add(
        ControlOccurrence(
            point_id=point.id, due_on=control.due_on, action_id=action.id, created_at=now
        )
    )
    # Written now: a second sweep's opening of the same control fails here, before it
    # plans a digest.
    session.flush()


def _points(
    session: Session, *, years: Iterable[int]
) -> list[tuple[ControlPlan, ControlRisk, ControlPoint, Person | None]]:
    rows = session.exec(
        select(ControlPlan, ControlRisk, ControlPoint)
        .join(ControlRisk, col(ControlRisk.plan_id) == ControlPlan.id)
        .join(ControlPoint, col(ControlPoint.risk_id) == ControlRisk.id)
        .where(col(ControlPlan.year).in_(list(years)))
        .order_by(col(ControlPlan.id), col(ControlRisk.position), col(ControlPoint.position))
    ).all()
    owner_ids = {point.owner_id for _, _, point in rows if point.owner_id is not None}
    owners = {
        p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(owner_ids))).all()
    }
    return [
        (cp, risk, point, owners.get(point.owner_id) if point.owner_id else None)
        for cp, risk, point in rows
    ]


def _opened(session: Session, point_ids: set[int]) -> set[tuple[int, date]]:
    if not point_ids:
        return set()
    rows = session.exec(
        select(col(ControlOccurrence.point_id), col(ControlOccurrence.due_on)).where(
            col(ControlOccurrence.point_id).in_(point_ids)
        )
    ).all()
    return {(point_id, due_on) for point_id, due_on in rows}
