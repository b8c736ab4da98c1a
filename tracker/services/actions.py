"""Changing an action: every change writes an event row in the same transaction, and is
refused if the action changed since the caller read it (optimistic locking)."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Integer, String, Text, any_, bindparam, column, func, null
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeEngine
from sqlmodel import Session, col, select

from tracker.db import Prepared
from tracker.errors import Conflict, NotFound, Refused
from tracker.logs import log_after_commit
from tracker.models import Action, ActionEvent, Actor, Person, Plan, Role
from tracker.models.base import UTCDateTime
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


# One row per change. The changes come as one JSON parameter: binding lists as arrays cost
# the driver more than the whole statement.
_OWNER_ROW: dict[str, TypeEngine[Any]] = {
    "id": Integer(),
    "seen": Integer(),
    "version": Integer(),
    "to_state": String(),
    "progress_note": Text(),
    "progress_at": UTCDateTime(),
    "at": UTCDateTime(),
    "actor_id": Integer(),
    "actor_label": String(),
    "trigger": String(),
    "from_state": String(),
    "text": Text(),
}


def _owner_changes_statement() -> Prepared:
    """On PostgreSQL: many owners' changes in one statement. Each åtgärd is updated only if
    it still has the version the change was decided on, and gets its event row only if it
    was updated; RETURNING says which were (the others: conflicts). The åtgärder are also
    matched by `= ANY(ids)`, so they are found by index however large the table is (joined
    only to the JSON rows, whose number the planner cannot know, it would scan it)."""
    rows = (
        func.jsonb_to_recordset(bindparam("all_changes", type_=JSONB()))
        .table_valued(*(column(name, item) for name, item in _OWNER_ROW.items()))
        .render_derived(name="w", with_types=True)
        .select()
        .cte("change")
    )
    changed = (
        _ACTION.update()
        .where(
            _ACTION.c.id == any_(bindparam("all_ids", type_=ARRAY(Integer()))),
            _ACTION.c.id == rows.c.id,
            _ACTION.c.version == rows.c.seen,
        )
        .values(
            state=rows.c.to_state,
            version=rows.c.version,
            updated_at=rows.c.at,
            progress_note=func.coalesce(rows.c.progress_note, _ACTION.c.progress_note),
            progress_at=func.coalesce(rows.c.progress_at, _ACTION.c.progress_at),
        )
        .returning(_ACTION.c.id)
        .cte("changed")
    )
    events = core_select(
        rows.c.id,
        rows.c.at,
        rows.c.actor_id,
        rows.c.actor_label,
        rows.c.trigger,
        rows.c.from_state,
        rows.c.to_state,
        rows.c.text,
        null(),
    ).join_from(rows, changed, changed.c.id == rows.c.id)
    return Prepared(
        _EVENT.insert()
        .from_select(_EVENT_COLUMNS, events)
        .returning(_EVENT.c.action_id, _EVENT.c.id)
    )


_OWNER_CHANGES = _owner_changes_statement()


def _write_owner_changes_pg(conn: Connection, pendings: Sequence[Pending]) -> list[tuple[int, int]]:
    """(action id, event id) of each change written."""
    changes = []
    # In the order of their ids, the order PostgreSQL locks the rows in: two processes' batches
    # that share åtgärder then wait for each other instead of deadlocking.
    for p in sorted(pendings, key=lambda p: p.current.id):
        event = p.event()
        note_at = p.values.get("progress_at")
        changes.append(
            {
                "id": p.current.id,
                "seen": p.seen,
                "version": p.seen + 1,
                "to_state": p.to_state,
                "progress_note": p.values.get("progress_note"),
                "progress_at": None if note_at is None else _utc_text(note_at),
                **{name: event[name] for name in _EVENT_ROW},
                "at": _utc_text(p.now),
            }
        )
    params = {"all_changes": changes, "all_ids": [p.current.id for p in pendings]}
    return [(row[0], row[1]) for row in _OWNER_CHANGES.all(conn, params)]


def _utc_text(moment: datetime) -> str:
    # As UTCDateTime binds it, for the JSON: aware, in UTC.
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one (UTC)")
    return moment.astimezone(UTC).isoformat()


_EVENT_ROW = ("actor_id", "actor_label", "trigger", "from_state", "text")


CONFLICT_MESSAGE = (
    "Åtgärden har ändrats av någon annan sedan du öppnade den. "
    "Ingenting sparades; ladda om sidan och försök igen."
)
NOT_YOURS = "Du är inte ansvarig för den här åtgärden och inte chef för planen."


def _load(conn: Connection, action_id: int) -> ActionRead:
    row = _LOAD.first(conn, {"action_id": action_id})
    if row is None:
        raise NotFound(f"Ingen åtgärd med nummer {action_id}.")
    return _Current(*row)


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


@dataclass(frozen=True)
class Pending:
    """A change decided on the row the caller read (the workflow allows it), not yet written.
    It is written only if the åtgärd still has version `seen`."""

    current: ActionRead
    seen: int
    actor: Actor | None
    now: datetime
    trigger: str
    to_state: str
    event_text: str
    values: Mapping[str, Any] = field(default_factory=dict)  # more columns to set
    before_json: str | None = None

    def event(self) -> dict[str, Any]:
        actor = self.actor
        return {
            "action_id": self.current.id,
            "at": self.now,
            "actor_id": actor.id if actor else None,
            "actor_label": f"{actor.name} <{actor.email}>" if actor else "systemet",
            "trigger": self.trigger,
            "from_state": self.current.state,
            "to_state": self.to_state,
            "text": self.event_text,
            "before_json": self.before_json,
        }

    def columns(self) -> dict[str, Any]:
        return {
            **self.values,
            "state": self.to_state,
            "version": self.seen + 1,
            "updated_at": self.now,
        }

    def written(self, info: dict[Any, Any], event_id: int) -> Change:
        """The Change, once its rows are written; its log line goes out after the commit."""
        current, actor = self.current, self.actor
        log_after_commit(
            info,
            _log,
            "action.changed",
            action_id=current.id,
            trigger=self.trigger,
            from_state=current.state,
            to_state=self.to_state,
            actor_id=actor.id if actor else None,
        )
        return Change(
            id=event_id,
            action_id=current.id,
            at=self.now,
            trigger=self.trigger,
            from_state=current.state,
            to_state=self.to_state,
            text=self.event_text,
            version=self.seen + 1,
        )


def _pending(current: ActionRead, expected_version: int | None, **kw: Any) -> Pending:
    return Pending(current, current.version if expected_version is None else expected_version, **kw)


def decide_move(
    registry: WorkflowRegistry,
    current: ActionRead,
    trigger: str,
    actor: Actor,
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
    return _pending(
        current,
        expected_version,
        actor=actor,
        now=now,
        trigger=trigger,
        to_state=new_state,
        event_text=note,
        values={"progress_note": note, "progress_at": now} if note else {},
    )


def decide_note(
    current: ActionRead,
    actor: Actor,
    text: str,
    *,
    now: datetime,
    expected_version: int | None = None,
) -> Pending:
    """A new processläge without a change of state, or Conflict or Refused."""
    if expected_version is not None and expected_version != current.version:
        raise Conflict(CONFLICT_MESSAGE)
    if not roles_of(actor, current.owner_id, current.forvaltning):
        raise Refused(NOT_YOURS)
    note = text.strip()
    if not note:
        raise Refused("Skriv processläget innan du sparar.")
    return _pending(
        current,
        expected_version,
        actor=actor,
        now=now,
        trigger=PROGRESS,
        to_state=current.state,
        event_text=note,
        values={"progress_note": note, "progress_at": now},
    )


def _write_one(conn: Connection, pending: Pending) -> int | None:
    """The conditional UPDATE and the event row of one change: the event's id, or None when
    the åtgärd no longer has the version the change was decided on (nothing written)."""
    changes = pending.columns()
    match = {"match_id": pending.current.id, "match_version": pending.seen}
    event = pending.event()
    if conn.dialect.name == "postgresql":
        row = _update_with_event(tuple(sorted(changes))).first(
            conn,
            {
                **{f"set_{k}": v for k, v in changes.items()},
                **{f"event_{k}": v for k, v in event.items() if k != "action_id"},
                **match,
            },
        )
        return row[0] if row is not None else None
    if _CONDITIONAL_UPDATE.rowcount(conn, {**changes, **match}) != 1:
        return None
    # SQLite has no UPDATE in a WITH clause; there a statement costs microseconds, not a
    # round trip. The event's key: the driver's last row id.
    return _INSERT_EVENT.inserted_key(conn, event)


def _write(session: Session, pending: Pending) -> Change:
    """Conditional UPDATE on the version the caller saw, plus the event row, in the
    session's transaction, or Conflict (and the transaction is rolled back)."""
    conn = session.connection()
    event_id = _write_one(conn, pending)
    if event_id is None:
        session.rollback()
        raise Conflict(CONFLICT_MESSAGE)
    # An Action already loaded in this session must not show the old values. (Most
    # sessions that get here hold no objects at all: then there is nothing to look up.)
    if session.identity_map:
        loaded = session.identity_map.get(session.identity_key(Action, pending.current.id))
        if loaded is not None:
            for key, value in pending.columns().items():
                set_committed_value(loaded, key, value)
    return pending.written(session.info, event_id)


def move(
    session: Session,
    registry: WorkflowRegistry,
    action_id: int,
    trigger: str,
    actor: Actor,
    *,
    now: datetime,
    text: str | None = None,
    expected_version: int | None = None,
    only_roles: Collection[str] | None = None,
) -> Change:
    """Fire a workflow trigger on the åtgärd and write it (decide_move says how)."""
    current = _load(session.connection(), action_id)
    pending = decide_move(
        registry,
        current,
        trigger,
        actor,
        now=now,
        text=text,
        expected_version=expected_version,
        only_roles=only_roles,
    )
    return _write(session, pending)


def note_progress(
    session: Session,
    action_id: int,
    actor: Actor,
    text: str,
    *,
    now: datetime,
    expected_version: int | None = None,
) -> Change:
    """A new processläge without a change of state, written."""
    current = _load(session.connection(), action_id)
    return _write(
        session, decide_note(current, actor, text, now=now, expected_version=expected_version)
    )


# The columns an owner's change sets besides state, version and updated_at: what
# write_owner_changes writes.
OWNER_COLUMNS = frozenset({"progress_note", "progress_at"})


def write_owner_changes(conn: Connection, pendings: Sequence[Pending]) -> list[Change | None]:
    """Several owners' changes (decide_move, decide_note), each written only if its åtgärd
    still has the version it was decided on: its Change, or None when it had changed (a
    conflict; nothing of it written). At most one change per åtgärd: a second one is decided
    on the row the first one changes, so it belongs in a later call.

    For owners' bursts (tracker.web.owner_batch): on PostgreSQL all of them are one statement,
    one round trip, atomic on its own (tracker.db.single_write runs it in autocommit); on
    SQLite, where a statement is a function call, two each, in the caller's transaction."""
    ids = [p.current.id for p in pendings]
    if len(set(ids)) != len(ids):
        raise ValueError("two changes of the same åtgärd in one write_owner_changes()")
    for p in pendings:
        if not OWNER_COLUMNS.issuperset(p.values) or p.before_json is not None:
            raise ValueError(f"not an owner's change: {sorted(p.values)}")
    if not pendings:
        return []
    if conn.dialect.name == "postgresql" and len(pendings) > 1:
        written = dict(_write_owner_changes_pg(conn, pendings))
        event_ids = [written.get(i) for i in ids]
    else:
        # A change alone (its statement for one is planned once and cheaper to run than the
        # one for many), or on SQLite, where a statement is a function call: as _write does.
        event_ids = [_write_one(conn, p) for p in pendings]
    return [
        None if event_id is None else p.written(conn.info, event_id)
        for p, event_id in zip(pendings, event_ids, strict=True)
    ]


def assign(
    session: Session,
    action_id: int,
    owner: Person,
    *,
    now: datetime,
    actor: Actor | None = None,
    expected_version: int | None = None,
) -> Change:
    current = _load(session.connection(), action_id)
    pending = _pending(
        current,
        expected_version,
        actor=actor,
        now=now,
        trigger=ASSIGNED,
        to_state=current.state,
        event_text=f"Ansvarig: {owner.name} <{owner.email}>",
        values={"owner_id": owner.id},
    )
    return _write(session, pending)


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
    pending = _pending(
        _load(session.connection(), action_id),
        expected_version,
        actor=actor,
        now=now,
        trigger=EDITED,
        to_state=action.state,
        event_text=summary,
        values=diff,
        before_json=json.dumps(before, ensure_ascii=False),
    )
    return _write(session, pending)


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
