"""Handing over everything a person owns to another, as when they leave or change jobs: their
åtgärder, kontroller and beslut not yet done, and the kontrollmoment of the
internkontrollplaner still in use, in one transaction. The person's page and `tracker person
hand-over` both come here.

Each åtgärd goes through assigning.assign (its event, and the mail still waiting that told the
former owner taken back), each kontrollmoment through internal_control.change_control_point
(which also gives the new owner its controls already opened); the new owner gets one mail
listing all, through link_mail.queue_assignments as any assignment from the web.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from config import Settings
from notifications.swedish import count, listing
from tracker.domain import nouns
from tracker.domain.clock import local_date
from tracker.domain.roles import may_edit, may_edit_control_plan
from tracker.errors import Refused
from tracker.models import (
    Action,
    ControlPlan,
    ControlPoint,
    ControlRisk,
    OutboxMessage,
    Person,
    Plan,
)
from tracker.services import assigning, internal_control, people
from tracker.services.link_mail import queue_assignments
from tracker.services.plans import open_condition
from workflows import WorkflowRegistry

NOBODY = "Skriv e-postadressen till den som ska ta över."


@dataclass
class HandedOver:
    """What a hand-over moved to `to`, and what it left with the former owner because the one
    handing over may not change those plans."""

    former: Person
    to: Person
    actions: list[Action] = field(default_factory=list)
    points: list[ControlPoint] = field(default_factory=list)
    kept_actions: list[Action] = field(default_factory=list)
    kept_points: list[ControlPoint] = field(default_factory=list)
    # Risks whose handling they answered for, in the same internkontrollplaner.
    risks: list[ControlRisk] = field(default_factory=list)
    kept_risks: list[ControlRisk] = field(default_factory=list)
    # The förvaltningar of the plans of what was handed over.
    places: set[str] = field(default_factory=set)
    mail: OutboxMessage | None = None


def successor(session: Session, former: Person, email: str) -> Person:
    """The person a hand-over goes to, by address: someone known, not the former owner."""
    if not email.strip():
        raise Refused(NOBODY)
    found = people.find_person(session, email)
    if found is None:
        raise Refused(
            f"Ingen person har e-postadressen {email.strip()}. Lägg till personen först, "
            "eller välj någon som finns."
        )
    if found.id == former.id:
        raise Refused(f"{former.name} kan inte lämna över till sig själv. Välj någon annan.")
    return found


def hand_over(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    former: Person,
    email: str,
    *,
    now: datetime,
    actor: Person | None,
) -> HandedOver:
    """Give what `former` owns and is not done to the person with address `email`: the
    items in the plans `actor` may edit (tracker.domain.roles), everything when `actor` is
    None (the command line, run by whoever runs the server). What is kept is said, not
    refused. Refused (nothing changed) for no address, an unknown one, or `former`'s own."""
    to = successor(session, former, email)
    result = HandedOver(former, to)
    moved: dict[int, Action] = {}
    # The kontrollmoment first: a change of its owner gives the new owner its controls
    # already opened, which are then not handed over a second time below.
    for point, control_plan in _points(session, former, now):
        if actor is not None and not may_edit_control_plan(actor, control_plan.forvaltning):
            result.kept_points.append(point)
            continue
        assert point.id is not None and control_plan.id is not None
        done = internal_control.change_control_point(
            session,
            registry,
            settings,
            control_plan.id,
            point.id,
            method=point.method,
            frequency_text=point.frequency_text,
            owner=to,
            now=now,
            actor=actor,
            label="kommandoraden" if actor is None else "",
        )
        result.points.append(point)
        result.places.add(control_plan.forvaltning)
        moved.update((a.id, a) for a in done.reassigned if a.id is not None)
    for risk, control_plan in _risks(session, former, now):
        if actor is not None and not may_edit_control_plan(actor, control_plan.forvaltning):
            result.kept_risks.append(risk)
            continue
        assert risk.id is not None and control_plan.id is not None
        internal_control.change_risk_handling_owner(
            session,
            control_plan.id,
            risk.id,
            owner=to,
            now=now,
            actor=actor,
            label="kommandoraden" if actor is None else "",
        )
        result.risks.append(risk)
        result.places.add(control_plan.forvaltning)
    for action, plan in _actions(session, registry, former):
        if actor is not None and not may_edit(actor, plan):
            result.kept_actions.append(action)
            continue
        assert action.id is not None
        assigning.assign(session, registry, settings, action.id, to, now=now, actor=actor)
        moved[action.id] = action
        result.places.add(plan.forvaltning)
    result.actions = list(moved.values())
    result.mail = queue_assignments(
        session,
        registry,
        settings,
        to,
        None,
        result.actions,
        now=now,
        assigned_by=actor,
        points=[p.id for p in result.points if p.id is not None],
    )
    return result


def _actions(
    session: Session, registry: WorkflowRegistry, former: Person
) -> list[tuple[Action, Plan]]:
    """The person's åtgärder not done (as their page counts them open), in plan order."""
    return list(
        session.exec(
            select(Action, Plan)
            .join(Plan, col(Plan.id) == Action.plan_id)
            .where(Action.owner_id == former.id, open_condition(registry))
            .order_by(col(Plan.id), col(Action.area_id), col(Action.position))
        ).all()
    )


def _plans_in_use(session: Session, now: datetime) -> dict[int, ControlPlan]:
    """The internkontrollplaner still in use: of this year or later, and each nämnd's
    newest, which next year's plan is copied from. An earlier year's plan is done, and says
    who did its controls and answered for its risks."""
    plans = list(session.exec(select(ControlPlan)))
    newest: dict[str, int] = {}
    for p in plans:
        newest[p.namnd] = max(newest.get(p.namnd, p.year), p.year)
    year = local_date(now).year
    return {
        p.id: p for p in plans if p.id is not None and (p.year >= year or p.year == newest[p.namnd])
    }


def _points(
    session: Session, former: Person, now: datetime
) -> list[tuple[ControlPoint, ControlPlan]]:
    """The person's kontrollmoment in the internkontrollplaner still in use."""
    in_use = _plans_in_use(session, now)
    rows = session.exec(
        select(ControlPoint, ControlRisk.plan_id)
        .join(ControlRisk, col(ControlRisk.id) == ControlPoint.risk_id)
        .where(ControlPoint.owner_id == former.id, col(ControlRisk.plan_id).in_(list(in_use)))
        .order_by(col(ControlRisk.plan_id), col(ControlRisk.position), col(ControlPoint.position))
    )
    return [(point, in_use[plan_id]) for point, plan_id in rows]


def _risks(
    session: Session, former: Person, now: datetime
) -> list[tuple[ControlRisk, ControlPlan]]:
    """The risks whose handling the person answers for, in the internkontrollplaner still
    in use: a copy to next year takes its handling owner from them."""
    in_use = _plans_in_use(session, now)
    rows = session.exec(
        select(ControlRisk)
        .where(
            ControlRisk.handling_owner_id == former.id,
            col(ControlRisk.plan_id).in_(list(in_use)),
        )
        .order_by(col(ControlRisk.plan_id), col(ControlRisk.position), col(ControlRisk.id))
    )
    return [(risk, in_use[risk.plan_id]) for risk in rows]


def _what(registry: WorkflowRegistry, actions: list[Action], points: list[ControlPoint]) -> str:
    """'3 åtgärder, 1 kontroll och 2 kontrollmoment', each kind by its workflow's noun; ""
    for nothing."""
    if not actions and not points:
        return ""
    return nouns.counted(registry, [a.workflow for a in actions], points=len(points))


def confirmation(registry: WorkflowRegistry, done: HandedOver) -> str:
    """What the page and the command say (Swedish): how many of each kind went to whom, the
    mail, and what was left with the former owner and why."""
    moved = _what(registry, done.actions, done.points)
    to = f"{done.to.name} ({done.to.email})"
    handled = (
        f"ansvaret för hanteringen av {count(len(done.risks), 'risk', 'risker')}"
        if done.risks
        else ""
    )
    if moved:
        said = f"{moved} har lämnats över från {done.former.name} till {to}."
        if handled:
            said += f" Även {handled} har lämnats över."
    elif handled:
        said = (
            f"{handled[0].upper()}{handled[1:]} har lämnats över från {done.former.name} till {to}."
        )
    else:
        said = f"{done.former.name} hade inget öppet att lämna över till {to}."
    # Allowed, as giving one åtgärd to someone of another förvaltning is; but said, for the
    # chef may have picked the wrong person. Someone of no förvaltning (added by address as
    # an owner) is of none other.
    elsewhere = sorted(done.places - {done.to.forvaltning}) if done.to.forvaltning else []
    if elsewhere:
        said += (
            f" Observera att {done.to.name} hör till {done.to.forvaltning}, men det som "
            f"lämnats över finns i planer för {listing(elsewhere)}."
        )
    if done.mail is not None:
        said += (
            f" Ett e-postmeddelande till {done.to.name} med allt som lämnats över ligger i "
            "utkorgen."
        )
    kept = _what(registry, done.kept_actions, done.kept_points)
    if done.kept_risks:
        handled = f"ansvaret för hanteringen av {count(len(done.kept_risks), 'risk', 'risker')}"
        kept = f"{kept} och {handled}" if kept else handled[0].upper() + handled[1:]
    if kept:
        said += (
            f" {kept} i andra förvaltningars planer, som du inte kan ändra, har "
            f"{done.former.name} kvar; dem lämnar en chef för den förvaltningen eller en "
            "administratör över."
        )
    return said
