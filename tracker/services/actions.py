"""Changing an action: every change writes an event row in the same transaction, and is
refused if the action changed since the caller read it (optimistic locking)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from tracker.errors import Conflict, NotFound, Refused
from tracker.models import Action, ActionEvent, Person, Plan, Role
from workflows import TransitionRefused, WorkflowRegistry

# Non-state changes in the history; workflow triggers are the other kind.
CREATED = "skapad"
ASSIGNED = "tilldelad"
PROGRESS = "processlage"
EDITED = "andrad"
IMPORTED = "importerad"


def get_action(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(f"Ingen åtgärd med nummer {action_id}.")
    return action


def roles_of(person: Person, action: Action, plan: Plan) -> set[str]:
    """The workflow roles a person holds for one action."""
    roles: set[str] = set()
    if action.owner_id is not None and action.owner_id == person.id:
        roles.add("owner")
    if person.role == Role.admin:
        roles.update({"admin", "chef"})
    elif person.role == Role.chef and person.forvaltning in ("", plan.forvaltning):
        roles.add("chef")
    return roles


def _write(
    session: Session,
    action: Action,
    expected_version: int | None,
    event: ActionEvent,
    now: datetime,
    **values: Any,
) -> ActionEvent:
    """Conditional UPDATE on the version the caller saw, plus the event row, or Conflict."""
    seen = action.version if expected_version is None else expected_version
    result = session.execute(
        update(Action)
        .where(col(Action.id) == action.id, col(Action.version) == seen)
        .values(**values, version=seen + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(
            "Åtgärden har ändrats av någon annan sedan du öppnade den. "
            "Ingenting sparades; ladda om sidan och försök igen."
        )
    for key, value in {**values, "version": seen + 1, "updated_at": now}.items():
        setattr(action, key, value)
    session.add(event)
    session.flush()
    return event


def _event(
    action: Action, actor: Person | None, now: datetime, trigger: str, **kw: Any
) -> ActionEvent:
    assert action.id is not None
    return ActionEvent(
        action_id=action.id,
        at=now,
        actor_id=actor.id if actor else None,
        actor_label=(f"{actor.name} <{actor.email}>" if actor else kw.pop("label", "systemet")),
        trigger=trigger,
        **kw,
    )


def move(
    session: Session,
    registry: WorkflowRegistry,
    action_id: int,
    trigger: str,
    actor: Person,
    *,
    now: datetime,
    text: str | None = None,
    expected_version: int | None = None,
) -> ActionEvent:
    """Fire a workflow trigger. The text, when given, also becomes the latest processläge."""
    action = get_action(session, action_id)
    plan = session.get(Plan, action.plan_id)
    assert plan is not None
    if expected_version is not None and expected_version != action.version:
        raise Conflict(
            "Åtgärden har ändrats av någon annan sedan du öppnade den. "
            "Ingenting sparades; ladda om sidan och försök igen."
        )
    workflow = registry.get(action.workflow)
    roles = roles_of(actor, action, plan)
    if not roles:
        raise Refused("Du är inte ansvarig för den här åtgärden och inte chef för planen.")
    try:
        new_state = workflow.fire(action.state, trigger, roles=roles, text=text)
    except TransitionRefused as exc:
        raise Refused(exc.reason) from exc
    note = (text or "").strip()
    values: dict[str, Any] = {"state": new_state}
    if note:
        values.update(progress_note=note, progress_at=now)
    event = _event(
        action, actor, now, trigger, from_state=action.state, to_state=new_state, text=note
    )
    return _write(session, action, expected_version, event, now, **values)


def note_progress(
    session: Session,
    action_id: int,
    actor: Person,
    text: str,
    *,
    now: datetime,
    expected_version: int | None = None,
) -> ActionEvent:
    """A new processläge without a change of state."""
    action = get_action(session, action_id)
    plan = session.get(Plan, action.plan_id)
    assert plan is not None
    if not roles_of(actor, action, plan):
        raise Refused("Du är inte ansvarig för den här åtgärden och inte chef för planen.")
    note = text.strip()
    if not note:
        raise Refused("Skriv processläget innan du sparar.")
    event = _event(
        action, actor, now, PROGRESS, from_state=action.state, to_state=action.state, text=note
    )
    return _write(
        session, action, expected_version, event, now, progress_note=note, progress_at=now
    )


def assign(
    session: Session,
    action_id: int,
    owner: Person,
    *,
    now: datetime,
    actor: Person | None = None,
    expected_version: int | None = None,
) -> ActionEvent:
    action = get_action(session, action_id)
    text = f"Ansvarig: {owner.name} <{owner.email}>"
    event = _event(
        action, actor, now, ASSIGNED, from_state=action.state, to_state=action.state, text=text
    )
    return _write(session, action, expected_version, event, now, owner_id=owner.id)


def edit(
    session: Session,
    action_id: int,
    *,
    now: datetime,
    actor: Person | None = None,
    expected_version: int | None = None,
    **changes: Any,
) -> ActionEvent | None:
    """Change plain fields (text, dates, tidsplan, ...); the event lists what changed."""
    allowed = {
        "text",
        "tidsplan",
        "due_on",
        "evaluate_on",
        "next_report_on",
        "expected_effect",
        "follow_up",
        "target_group",
        "budget_sek",
        "area_id",
        "position",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot edit {sorted(unknown)} here")
    action = get_action(session, action_id)
    diff = {k: v for k, v in changes.items() if getattr(action, k) != v}
    if not diff:
        return None
    text = "; ".join(f"{k}: {_show(getattr(action, k))} → {_show(v)}" for k, v in diff.items())
    event = _event(
        action, actor, now, EDITED, from_state=action.state, to_state=action.state, text=text
    )
    return _write(session, action, expected_version, event, now, **diff)


def _show(value: object) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def history(session: Session, action_id: int) -> list[ActionEvent]:
    get_action(session, action_id)
    return list(
        session.exec(
            select(ActionEvent)
            .where(ActionEvent.action_id == action_id)
            .order_by(col(ActionEvent.at), col(ActionEvent.id))
        )
    )


def replay(initial: str, events: Iterable[ActionEvent]) -> str:
    """The state the history leads to: each state change must start where the last ended."""
    state = initial
    for ev in events:
        if ev.from_state is not None and ev.from_state != state:
            raise ValueError(f"event {ev.id} starts in {ev.from_state}, history was in {state}")
        if ev.to_state is not None:
            state = ev.to_state
    return state
