"""Changing an åtgärd: the one write path for every change, from every entry point (the
owner's link, the chef's pages, the command line, an import).

A change is decided first, by rules that need no database (`decide_move`, `decide_note`: may
this person do this, from the state the caller saw?), then written by `write`: a conditional
`UPDATE … WHERE version = :seen` and the change's event row, in the caller's transaction. If
the åtgärd changed since the caller read it, nothing is written and the caller gets a
Conflict: of two changes made from the same read, only one can win.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select, update

from tracker.domain.roles import action_roles
from tracker.errors import Conflict, NotFound, Refused
from tracker.logs import log_after_commit
from tracker.models import Action, ActionEvent, Area, Person, Plan
from workflows import TransitionRefused, WorkflowRegistry

_log = logging.getLogger(__name__)

# Non-state changes in the history; workflow triggers are the other kind.
CREATED = "skapad"
ASSIGNED = "tilldelad"
PROGRESS = "processlage"
EDITED = "andrad"
IMPORTED = "importerad"

CONFLICT_MESSAGE = (
    "Åtgärden har ändrats av någon annan sedan du öppnade den. "
    "Ingenting sparades; ladda om sidan och försök igen."
)
NOT_YOURS = "Du är inte ansvarig för den här åtgärden och inte chef för planen."

# What edit() may change: the åtgärd's own facts, not its state, owner or version.
EDITABLE = frozenset(
    {
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
)


def get_action(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(f"Ingen åtgärd med nummer {action_id}.")
    return action


def get_action_and_plan(session: Session, action_id: int) -> tuple[Action, Plan]:
    action = get_action(session, action_id)
    plan = session.get(Plan, action.plan_id)
    assert plan is not None  # a foreign key
    return action, plan


@dataclass(frozen=True)
class Pending:
    """A change decided on the åtgärd as the caller read it, not yet written. It is written
    only if the åtgärd still has version `seen`."""

    action_id: int
    from_state: str
    seen: int
    actor: Person | None
    now: datetime
    trigger: str
    to_state: str
    event_text: str
    values: Mapping[str, Any] = field(default_factory=dict)  # more columns to set
    before_json: str | None = None

    def columns(self) -> dict[str, Any]:
        return {
            **self.values,
            "state": self.to_state,
            "version": self.seen + 1,
            "updated_at": self.now,
        }

    def event(self) -> ActionEvent:
        actor = self.actor
        return ActionEvent(
            action_id=self.action_id,
            at=self.now,
            actor_id=actor.id if actor else None,
            actor_label=f"{actor.name} <{actor.email}>" if actor else "systemet",
            trigger=self.trigger,
            from_state=self.from_state,
            to_state=self.to_state,
            text=self.event_text,
            before_json=self.before_json,
        )


def _pending(action: Action, expected_version: int | None, **kw: Any) -> Pending:
    assert action.id is not None
    seen = action.version if expected_version is None else expected_version
    return Pending(action_id=action.id, from_state=action.state, seen=seen, **kw)


def _check_version(action: Action, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != action.version:
        raise Conflict(CONFLICT_MESSAGE)


def decide_move(
    registry: WorkflowRegistry,
    action: Action,
    plan: Plan,
    trigger: str,
    actor: Person,
    *,
    now: datetime,
    text: str | None = None,
    expected_version: int | None = None,
    only_roles: Collection[str] | None = None,
) -> Pending:
    """A workflow trigger fired on the åtgärd as read, or Conflict (the caller saw another
    version) or Refused (with the workflow's reason). The text, when given, also becomes the
    latest processläge. `only_roles`: of the actor's roles, only these count (an owner link is
    a weaker credential than a log-in, even for a person who is also a chef)."""
    _check_version(action, expected_version)
    roles = set(action_roles(actor, plan, action.owner_id))
    if only_roles is not None:
        roles &= set(only_roles)
    if not roles:
        raise Refused(NOT_YOURS)
    try:
        new_state = registry.get(action.workflow).fire(
            action.state, trigger, roles=roles, text=text
        )
    except TransitionRefused as exc:
        raise Refused(exc.reason) from exc
    note = (text or "").strip()
    return _pending(
        action,
        expected_version,
        actor=actor,
        now=now,
        trigger=trigger,
        to_state=new_state,
        event_text=note,
        values={"progress_note": note, "progress_at": now} if note else {},
    )


def decide_note(
    action: Action,
    plan: Plan,
    actor: Person,
    text: str,
    *,
    now: datetime,
    expected_version: int | None = None,
) -> Pending:
    """A new processläge without a change of state, or Conflict or Refused."""
    _check_version(action, expected_version)
    if not action_roles(actor, plan, action.owner_id):
        raise Refused(NOT_YOURS)
    note = text.strip()
    if not note:
        raise Refused("Skriv processläget innan du sparar.")
    return _pending(
        action,
        expected_version,
        actor=actor,
        now=now,
        trigger=PROGRESS,
        to_state=action.state,
        event_text=note,
        values={"progress_note": note, "progress_at": now},
    )


def write(session: Session, pending: Pending) -> ActionEvent:
    """The conditional UPDATE on the version the change was decided on, and its event row, in
    the session's transaction; or Conflict, with the transaction rolled back. The event row
    is what the change did (the history is made of them)."""
    updated = session.execute(
        update(Action)
        .where(col(Action.id) == pending.action_id, col(Action.version) == pending.seen)
        .values(**pending.columns())
    )
    if updated.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(CONFLICT_MESSAGE)
    event = pending.event()
    session.add(event)
    session.flush()
    log_after_commit(
        session.info,
        _log,
        "action.changed",
        action_id=pending.action_id,
        trigger=pending.trigger,
        from_state=pending.from_state,
        to_state=pending.to_state,
        actor_id=pending.actor.id if pending.actor else None,
    )
    return event


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
    only_roles: Collection[str] | None = None,
) -> ActionEvent:
    """Fire a workflow trigger on the åtgärd and write it (decide_move says how)."""
    action, plan = get_action_and_plan(session, action_id)
    pending = decide_move(
        registry,
        action,
        plan,
        trigger,
        actor,
        now=now,
        text=text,
        expected_version=expected_version,
        only_roles=only_roles,
    )
    return write(session, pending)


def note_progress(
    session: Session,
    action_id: int,
    actor: Person,
    text: str,
    *,
    now: datetime,
    expected_version: int | None = None,
) -> ActionEvent:
    """A new processläge without a change of state, written."""
    action, plan = get_action_and_plan(session, action_id)
    return write(
        session,
        decide_note(action, plan, actor, text, now=now, expected_version=expected_version),
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
    _check_version(action, expected_version)
    pending = _pending(
        action,
        expected_version,
        actor=actor,
        now=now,
        trigger=ASSIGNED,
        to_state=action.state,
        event_text=f"Ansvarig: {owner.name} <{owner.email}>",
        values={"owner_id": owner.id},
    )
    return write(session, pending)


def edit(
    session: Session,
    action_id: int,
    *,
    now: datetime,
    actor: Person | None = None,
    expected_version: int | None = None,
    **changes: Any,
) -> ActionEvent | None:
    """Change plain fields (text, dates, tidsplan, ...); the event lists what changed, and
    keeps the values before it (a report as of an earlier date shows those)."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"cannot edit {sorted(unknown)} here")
    action = get_action(session, action_id)
    _check_version(action, expected_version)
    diff = {k: v for k, v in changes.items() if getattr(action, k) != v}
    if not diff:
        return None
    summary = "; ".join(f"{k}: {_show(getattr(action, k))} → {_show(v)}" for k, v in diff.items())
    before = {k: _json_value(getattr(action, k)) for k in diff}
    pending = _pending(
        action,
        expected_version,
        actor=actor,
        now=now,
        trigger=EDITED,
        to_state=action.state,
        event_text=summary,
        values=diff,
        before_json=json.dumps(before, ensure_ascii=False),
    )
    return write(session, pending)


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _show(value: object) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def owned_actions(
    session: Session, person_id: int, only: int | None = None
) -> list[tuple[Action, Area, Plan]]:
    """The åtgärder a person owns, in plan order, with their area and plan; only `only` (if
    it is theirs) when given."""
    statement = (
        select(Action, Area, Plan)
        .join(Area, col(Area.id) == Action.area_id)
        .join(Plan, col(Plan.id) == Action.plan_id)
        .where(Action.owner_id == person_id)
        .order_by(col(Plan.id), col(Area.position), col(Action.position))
    )
    if only is not None:
        statement = statement.where(Action.id == only)
    return [(action, area, plan) for action, area, plan in session.exec(statement)]


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
