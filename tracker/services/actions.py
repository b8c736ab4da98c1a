"""Changing an action: every change writes an event row in the same transaction, and is
refused if the action changed since the caller read it (optimistic locking)."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam
from sqlalchemy import select as core_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from tracker.db import Prepared
from tracker.errors import Conflict, NotFound, Refused
from tracker.logs import log_after_commit
from tracker.models import Action, ActionEvent, Actor, Person, Plan, Role
from workflows import TransitionRefused, WorkflowRegistry

_log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Change:
    """What one change did: the event row written and the action's new version."""

    id: int
    action_id: int
    at: datetime
    trigger: str
    from_state: str | None
    to_state: str | None
    text: str
    version: int


class ActionRead(Protocol):
    """The columns a change starts from: what the caller read of the åtgärd. The change is
    written only if the åtgärd still has this version, and every change of its columns
    raises the version, so a row read before the transaction is as good as one read in it.
    Not so the plan's förvaltning, which decides who counts as chef: the owner page passes a
    row with only_roles={"owner"}, where it does not count."""

    @property
    def id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def owner_id(self) -> int | None: ...
    @property
    def workflow(self) -> str: ...
    @property
    def forvaltning(self) -> str: ...


@dataclass(frozen=True)
class _Current:
    """The columns a change needs, read with the plan's förvaltning in one query."""

    id: int
    state: str
    version: int
    owner_id: int | None
    workflow: str
    forvaltning: str


# Statements are built once and run as Prepared (tracker.db): on this hot path building
# them, and SQLAlchemy's per-execute work, cost more than running them.
_ACTION = Action.__table__  # type: ignore[attr-defined]
_EVENT = ActionEvent.__table__  # type: ignore[attr-defined]
_PLAN = Plan.__table__  # type: ignore[attr-defined]
_LOAD = Prepared(
    core_select(
        _ACTION.c.id,
        _ACTION.c.state,
        _ACTION.c.version,
        _ACTION.c.owner_id,
        _ACTION.c.workflow,
        _PLAN.c.forvaltning,
    )
    .join(_PLAN, _PLAN.c.id == _ACTION.c.plan_id)
    .where(_ACTION.c.id == bindparam("action_id"))
)
_CONDITIONAL_UPDATE = Prepared(
    _ACTION.update().where(
        _ACTION.c.id == bindparam("match_id"), _ACTION.c.version == bindparam("match_version")
    )
)
_INSERT_EVENT = Prepared(_EVENT.insert(), key=_EVENT.c.id)
_EVENT_COLUMNS = (
    "action_id",
    "at",
    "actor_id",
    "actor_label",
    "trigger",
    "from_state",
    "to_state",
    "text",
    "before_json",
)


@functools.cache
def _update_with_event(columns: tuple[str, ...]) -> Prepared:
    """On PostgreSQL: the conditional UPDATE of `columns` and the event row in one statement,
    one round trip instead of two (the event is inserted only if the UPDATE matched, so no
    event row means a conflict). Values are bound as set_<column> and event_<column>."""
    changed = (
        _ACTION.update()
        .where(
            _ACTION.c.id == bindparam("match_id"),
            _ACTION.c.version == bindparam("match_version"),
        )
        .values({name: bindparam(f"set_{name}", type_=_ACTION.c[name].type) for name in columns})
        .returning(_ACTION.c.id)
        .cte("changed")
    )
    event_values = core_select(
        changed.c.id,
        *(bindparam(f"event_{name}", type_=_EVENT.c[name].type) for name in _EVENT_COLUMNS[1:]),
    )
    return Prepared(_EVENT.insert().from_select(_EVENT_COLUMNS, event_values), key=_EVENT.c.id)


CONFLICT_MESSAGE = (
    "Åtgärden har ändrats av någon annan sedan du öppnade den. "
    "Ingenting sparades; ladda om sidan och försök igen."
)
NOT_YOURS = "Du är inte ansvarig för den här åtgärden och inte chef för planen."


def _load(conn: Connection, action: int | ActionRead) -> ActionRead:
    if not isinstance(action, int):
        return action
    row = _LOAD.first(conn, {"action_id": action})
    if row is None:
        raise NotFound(f"Ingen åtgärd med nummer {action}.")
    return _Current(*row)


def _connection(session: Session | Connection) -> Connection:
    return session.connection() if isinstance(session, Session) else session


def roles_of(person: Actor, owner_id: int | None, forvaltning: str) -> set[str]:
    """The workflow roles a person holds for an action with this owner, in this förvaltning."""
    roles: set[str] = set()
    if owner_id is not None and owner_id == person.id:
        roles.add("owner")
    if person.role == Role.admin:
        roles.update({"admin", "chef"})
    elif person.role == Role.chef and person.forvaltning in ("", forvaltning):
        roles.add("chef")
    return roles


def _write(
    session: Session | Connection,
    conn: Connection,
    current: ActionRead,
    expected_version: int | None,
    *,
    actor: Actor | None,
    now: datetime,
    trigger: str,
    to_state: str,
    event_text: str,
    before_json: str | None = None,
    **values: Any,
) -> Change:
    """Conditional UPDATE on the version the caller saw, plus the event row, or Conflict.
    `conn` is the connection (the session's) that _load used: one transaction."""
    seen = current.version if expected_version is None else expected_version
    changes = {**values, "state": to_state, "version": seen + 1, "updated_at": now}
    match = {"match_id": current.id, "match_version": seen}
    event = {
        "action_id": current.id,
        "at": now,
        "actor_id": actor.id if actor else None,
        "actor_label": f"{actor.name} <{actor.email}>" if actor else "systemet",
        "trigger": trigger,
        "from_state": current.state,
        "to_state": to_state,
        "text": event_text,
        "before_json": before_json,
    }
    event_id: int | None
    if conn.dialect.name == "postgresql":
        row = _update_with_event(tuple(sorted(changes))).first(
            conn,
            {
                **{f"set_{k}": v for k, v in changes.items()},
                **{f"event_{k}": v for k, v in event.items() if k != "action_id"},
                **match,
            },
        )
        event_id = row[0] if row is not None else None
    elif _CONDITIONAL_UPDATE.rowcount(conn, {**changes, **match}) == 1:
        # SQLite has no UPDATE in a WITH clause; there a statement costs microseconds, not a
        # round trip. The event's key: the driver's last row id.
        event_id = _INSERT_EVENT.inserted_key(conn, event)
    else:
        event_id = None
    if event_id is None:
        session.rollback()
        raise Conflict(CONFLICT_MESSAGE)
    log_after_commit(
        session.info,
        _log,
        "action.changed",
        action_id=current.id,
        trigger=trigger,
        from_state=current.state,
        to_state=to_state,
        actor_id=actor.id if actor else None,
    )
    # An Action already loaded in this session must not show the old values. (Most
    # sessions that get here hold no objects at all: then there is nothing to look up.)
    if isinstance(session, Session) and session.identity_map:
        loaded = session.identity_map.get(session.identity_key(Action, current.id))
        if loaded is not None:
            for key, value in changes.items():
                set_committed_value(loaded, key, value)
    return Change(
        id=event_id,
        action_id=current.id,
        at=now,
        trigger=trigger,
        from_state=current.state,
        to_state=to_state,
        text=event_text,
        version=seen + 1,
    )


def move(
    session: Session | Connection,
    registry: WorkflowRegistry,
    action: int | ActionRead,
    trigger: str,
    actor: Actor,
    *,
    now: datetime,
    text: str | None = None,
    expected_version: int | None = None,
    only_roles: Collection[str] | None = None,
) -> Change:
    """Fire a workflow trigger on the åtgärd (its id, or the row the caller read of it). The
    text, when given, also becomes the latest processläge. `only_roles`: of the actor's roles,
    only these count (an owner link is a weaker credential than a log-in, even for a person
    who is also a chef). `session`: a Session, or a Connection in a transaction
    (tracker.db.single_write: on PostgreSQL
    the change is one statement)."""
    conn = _connection(session)
    current = _load(conn, action)
    if expected_version is not None and expected_version != current.version:
        raise Conflict(CONFLICT_MESSAGE)
    roles = roles_of(actor, current.owner_id, current.forvaltning)
    if only_roles is not None:
        roles &= set(only_roles)
    if not roles:
        raise Refused(NOT_YOURS)
    try:
        new_state = registry.get(current.workflow).fire(
            current.state, trigger, roles=roles, text=text
        )
    except TransitionRefused as exc:
        raise Refused(exc.reason) from exc
    note = (text or "").strip()
    values: dict[str, Any] = {"progress_note": note, "progress_at": now} if note else {}
    return _write(
        session,
        conn,
        current,
        expected_version,
        actor=actor,
        now=now,
        trigger=trigger,
        to_state=new_state,
        event_text=note,
        **values,
    )


def note_progress(
    session: Session | Connection,
    action: int | ActionRead,
    actor: Actor,
    text: str,
    *,
    now: datetime,
    expected_version: int | None = None,
) -> Change:
    """A new processläge without a change of state (the åtgärd and `session`: as for move)."""
    conn = _connection(session)
    current = _load(conn, action)
    if not roles_of(actor, current.owner_id, current.forvaltning):
        raise Refused(NOT_YOURS)
    note = text.strip()
    if not note:
        raise Refused("Skriv processläget innan du sparar.")
    return _write(
        session,
        conn,
        current,
        expected_version,
        actor=actor,
        now=now,
        trigger=PROGRESS,
        to_state=current.state,
        event_text=note,
        progress_note=note,
        progress_at=now,
    )


def assign(
    session: Session,
    action_id: int,
    owner: Person,
    *,
    now: datetime,
    actor: Actor | None = None,
    expected_version: int | None = None,
) -> Change:
    conn = session.connection()
    current = _load(conn, action_id)
    return _write(
        session,
        conn,
        current,
        expected_version,
        actor=actor,
        now=now,
        trigger=ASSIGNED,
        to_state=current.state,
        event_text=f"Ansvarig: {owner.name} <{owner.email}>",
        owner_id=owner.id,
    )


def edit(
    session: Session,
    action_id: int,
    *,
    now: datetime,
    actor: Actor | None = None,
    expected_version: int | None = None,
    **changes: Any,
) -> Change | None:
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
    summary = "; ".join(f"{k}: {_show(getattr(action, k))} → {_show(v)}" for k, v in diff.items())
    before = {k: _json_value(getattr(action, k)) for k in diff}
    conn = session.connection()
    return _write(
        session,
        conn,
        _load(conn, action_id),
        expected_version,
        actor=actor,
        now=now,
        trigger=EDITED,
        to_state=action.state,
        event_text=summary,
        before_json=json.dumps(before, ensure_ascii=False),
        **diff,
    )


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


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
