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
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, exists, func, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from notifications.swedish import long_date
from tracker.domain.clock import local_date
from tracker.domain.roles import PlanScope, action_roles
from tracker.errors import Conflict, NotFound, Refused
from tracker.logs import log_after_commit
from tracker.models import Action, ActionEvent, Area, Indicator, Person, Plan
from workflows import FieldDef, TransitionDef, TransitionRefused, WorkflowRegistry

_log = logging.getLogger(__name__)

# Non-state changes in the history; workflow triggers are the other kind.
CREATED = "skapad"
ASSIGNED = "tilldelad"
PROGRESS = "processlage"
EDITED = "andrad"
IMPORTED = "importerad"
MOVED = "flyttad"  # to another utvecklingsområde of the same plan
RESCHEDULED = "ny_tidplan"  # a new klart-datum agreed on an escalation
# An escalation step sent, and an escalation acknowledged (tracker.services.escalations):
# history only, they change nothing of the åtgärd itself.
ESCALATED = "eskalerad"
ACKNOWLEDGED = "kvitterad"
# An indicator added to the åtgärd, corrected or removed, and a value measured for one or
# removed from it (tracker.services.indicators).
INDICATOR_ADDED = "indikator"
INDICATOR_EDITED = "indikator_andrad"
INDICATOR_REMOVED = "indikator_borttagen"
MEASURED = "matvarde"
VALUE_REMOVED = "matvarde_borttaget"

CONFLICT_MESSAGE = (
    "Åtgärden har ändrats av någon annan sedan du öppnade den. "
    "Ingenting sparades; ladda om sidan och försök igen."
)
NOT_YOURS = "Du är inte ansvarig för den här åtgärden och inte chef för planen."
WITHDRAWN_NOTE = (
    "Åtgärden utgår och tar inget nytt processläge: skälet till att den utgår är det som "
    "står kvar i återrapporten."
)

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


class ActionState(Protocol):
    """What a change is decided on: an Action row, or the columns `move` reads of one."""

    @property
    def id(self) -> int | None: ...
    @property
    def state(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def owner_id(self) -> int | None: ...
    @property
    def workflow(self) -> str: ...
    @property
    def plan_id(self) -> int: ...


@dataclass(frozen=True)
class Opened:
    """An åtgärd a change opens in the same plan (a deviation's, from a control's answer)."""

    area: str
    workflow: str
    state: str
    text: str
    owner_id: int | None
    due_on: date


@dataclass(frozen=True)
class Change:
    """One change of an åtgärd: decided on the åtgärd as the caller read it, and written (with
    its event row's id) only if the åtgärd still has version `seen`. What a page shows of the
    change just made, as it shows an ActionEvent of the history."""

    action_id: int
    from_state: str
    seen: int
    actor: Person | None
    at: datetime
    trigger: str
    to_state: str
    text: str
    values: Mapping[str, Any] = field(default_factory=dict)  # more columns to set
    before_json: str | None = None
    # The answers to the transition's fields, as JSON (answers_json below).
    answers_json: str | None = None
    event_id: int | None = None  # once written
    # An åtgärd the change opens, and once written its id.
    opens: Opened | None = None
    opened_id: int | None = None

    @property
    def version(self) -> int:
        """The åtgärd's version once this change is written."""
        return self.seen + 1

    def columns(self) -> dict[str, Any]:
        return {
            **self.values,
            "state": self.to_state,
            "version": self.version,
            "updated_at": self.at,
        }

    def event_row(self) -> dict[str, Any]:
        actor = self.actor
        return {
            "action_id": self.action_id,
            "at": self.at,
            "actor_id": actor.id if actor else None,
            "actor_label": f"{actor.name} <{actor.email}>" if actor else "systemet",
            "trigger": self.trigger,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "text": self.text,
            "before_json": self.before_json,
            "answers_json": self.answers_json,
        }


def _change(action: ActionState, expected_version: int | None, **kw: Any) -> Change:
    assert action.id is not None
    seen = action.version if expected_version is None else expected_version
    return Change(action_id=action.id, from_state=action.state, seen=seen, **kw)


def _check_version(action: ActionState, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != action.version:
        raise Conflict(CONFLICT_MESSAGE)


def _roles(
    actor: Person, plan: PlanScope, action: ActionState, only_roles: Collection[str] | None
) -> set[str]:
    """The actor's roles for the åtgärd (of them only `only_roles`: an owner link is a weaker
    credential than a log-in, even for a person who is also a chef), or Refused if none."""
    roles = set(action_roles(actor, plan, action.owner_id))
    if only_roles is not None:
        roles &= set(only_roles)
    if not roles:
        raise Refused(NOT_YOURS)
    return roles


def decide_move(
    registry: WorkflowRegistry,
    action: ActionState,
    plan: PlanScope,
    trigger: str,
    actor: Person,
    *,
    now: datetime,
    text: str | None = None,
    answers: Mapping[str, str] | None = None,
    expected_version: int | None = None,
    only_roles: Collection[str] | None = None,
) -> Change:
    """A workflow trigger fired on the åtgärd as read, or Conflict (the caller saw another
    version) or Refused (with the workflow's reason, naming a required field left empty).
    The text, when given, also becomes the latest processläge; `answers` (by field id) are
    kept with the event for the fields the transition asks, with their labels as asked.
    `only_roles`: of the actor's roles, only these count (_roles)."""
    _check_version(action, expected_version)
    roles = _roles(actor, plan, action, only_roles)
    workflow = registry.get(action.workflow)
    try:
        new_state = workflow.fire(action.state, trigger, roles=roles, text=text, answers=answers)
    except TransitionRefused as exc:
        raise Refused(exc.reason, exc.fields) from exc
    note = (text or "").strip()
    transition = workflow.definition.transition(trigger)
    return _change(
        action,
        expected_version,
        actor=actor,
        at=now,
        trigger=trigger,
        to_state=new_state,
        text=note,
        values={"progress_note": note, "progress_at": now} if note else {},
        answers_json=answers_json(transition, answers),
        opens=_opened(registry, transition, action, answers, now) if transition else None,
    )


def _opened(
    registry: WorkflowRegistry,
    transition: TransitionDef,
    action: ActionState,
    answers: Mapping[str, str] | None,
    now: datetime,
) -> Opened | None:
    """The åtgärd the transition's answers open (a deviation found by a control), given to
    the same owner, klart till the file's number of days from today."""
    opens = transition.opens_action_for(answers)
    if opens is None:
        return None
    return Opened(
        area=opens.area,
        workflow=opens.workflow,
        state=registry.get(opens.workflow).initial,
        text=(answers or {}).get(opens.text_field, "").strip(),
        owner_id=action.owner_id,
        due_on=local_date(now) + timedelta(days=opens.due_days),
    )


def answers_json(transition: TransitionDef | None, answers: Mapping[str, str] | None) -> str | None:
    """The answers to a transition's fields as kept with its event, in the fields' order and
    with their labels (a report prints them as asked, whatever the file says later); a
    choice as the file writes it, and a field not asked (its required_if did not hold)
    empty. None when the transition asks none."""
    fields: Sequence[FieldDef] = transition.fields if transition else ()
    if not fields or transition is None:
        return None
    given = answers or {}

    def value(f: FieldDef) -> str:
        answer = given.get(f.id, "").strip() if transition.asks(f, given) else ""
        return (f.choice(answer) or answer) if f.choices else answer

    return json.dumps(
        [{"id": f.id, "label": f.label, "value": value(f)} for f in fields],
        ensure_ascii=False,
    )


def decide_note(
    action: ActionState,
    plan: PlanScope,
    actor: Person,
    text: str,
    *,
    now: datetime,
    expected_version: int | None = None,
    only_roles: Collection[str] | None = None,
    withdrawn: bool = False,
) -> Change:
    """A new processläge without a change of state, or Conflict or Refused. `withdrawn`: the
    åtgärd is in a withdrawn state, whose processläge is the reason it was withdrawn."""
    _check_version(action, expected_version)
    _roles(actor, plan, action, only_roles)
    if withdrawn:
        raise Refused(WITHDRAWN_NOTE)
    note = text.strip()
    if not note:
        raise Refused("Skriv processläget innan du sparar.")
    return _change(
        action,
        expected_version,
        actor=actor,
        at=now,
        trigger=PROGRESS,
        to_state=action.state,
        text=note,
        values={"progress_note": note, "progress_at": now},
    )


# The statements of a change, built once: building a statement and its cache key costs
# more than running it, and a SQLModel object per event more than writing it (bench/core.py,
# transitions on SQLite: ~320/s with the ORM's get, bulk UPDATE and flush; ~1,200/s so).
_ACTION = Action.__table__  # type: ignore[attr-defined]
_EVENT = ActionEvent.__table__  # type: ignore[attr-defined]
_PLAN = Plan.__table__  # type: ignore[attr-defined]
_CURRENT = (
    core_select(
        _ACTION.c.id,
        _ACTION.c.state,
        _ACTION.c.version,
        _ACTION.c.owner_id,
        _ACTION.c.workflow,
        _ACTION.c.plan_id,
        _PLAN.c.forvaltning,
        _PLAN.c.chef_id,
    )
    .join(_PLAN, _PLAN.c.id == _ACTION.c.plan_id)
    .where(_ACTION.c.id == bindparam("action_id"))
)
_CONDITIONAL_UPDATE = update(_ACTION).where(
    _ACTION.c.id == bindparam("match_id"), _ACTION.c.version == bindparam("match_version")
)
_INSERT_EVENT = insert(_EVENT).returning(_EVENT.c.id)


def _current(session: Session, action_id: int) -> tuple[ActionState, PlanScope]:
    """The åtgärd's state and its plan's scope (who counts as its chef), as committed now:
    one row that is both."""
    row = session.connection().execute(_CURRENT, {"action_id": action_id}).one_or_none()
    if row is None:
        raise NotFound(f"Ingen åtgärd med nummer {action_id}.")
    return row, row


def write(session: Session, change: Change) -> Change:
    """The conditional UPDATE on the version the change was decided on, and its event row, in
    the session's transaction: the change with its event's id. Or Conflict, with the
    transaction rolled back, when the åtgärd has changed since."""
    conn = session.connection()
    columns = change.columns()
    updated = conn.execute(
        _CONDITIONAL_UPDATE,
        {**columns, "match_id": change.action_id, "match_version": change.seen},
    )
    if updated.rowcount != 1:
        session.rollback()
        raise Conflict(CONFLICT_MESSAGE)
    _show_in_session(session, change.action_id, columns)
    event_id = conn.execute(_INSERT_EVENT, change.event_row()).scalar_one()
    opened_id = _open(session, change) if change.opens else None
    log_after_commit(
        session.info,
        _log,
        "action.changed",
        action_id=change.action_id,
        trigger=change.trigger,
        from_state=change.from_state,
        to_state=change.to_state,
        actor_id=change.actor.id if change.actor else None,
    )
    return replace(change, event_id=event_id, opened_id=opened_id)


def _open(session: Session, change: Change) -> int:
    """Write the åtgärd a change opens, at the end of its list in the plan (made when the
    plan has none yet), with its "skapad" event: the new åtgärd's id."""
    opens = change.opens
    assert opens is not None
    source = session.get_one(Action, change.action_id)
    area = session.exec(
        select(Area).where(Area.plan_id == source.plan_id, Area.title == opens.area)
    ).first()
    if area is None:
        last_area = session.exec(
            select(func.max(Area.position)).where(Area.plan_id == source.plan_id)
        ).one()
        area = Area(plan_id=source.plan_id, title=opens.area, position=(last_area or 0) + 1)
        session.add(area)
        session.flush()
    last = session.exec(select(func.max(Action.position)).where(Action.area_id == area.id)).one()
    assert area.id is not None
    opened = Action(
        plan_id=source.plan_id,
        area_id=area.id,
        position=(last or 0) + 1,
        text=opens.text,
        owner_id=opens.owner_id,
        workflow=opens.workflow,
        state=opens.state,
        tidsplan=f"Klart till {long_date(opens.due_on)}.",
        due_on=opens.due_on,
        opened_from_id=source.id,
        updated_at=change.at,
    )
    session.add(opened)
    session.flush()
    assert opened.id is not None
    event = change.event_row()
    session.add(
        ActionEvent(
            action_id=opened.id,
            at=change.at,
            actor_id=event["actor_id"],
            actor_label=event["actor_label"],
            trigger=CREATED,
            to_state=opens.state,
            text=f"Öppnad efter avvikelsen i: {source.text}",
        )
    )
    session.flush()
    return opened.id


def _show_in_session(session: Session, action_id: int, columns: Mapping[str, Any]) -> None:
    """An Action this session holds shows what was written, as if it had been read again."""
    loaded = session.identity_map.get(session.identity_key(Action, action_id))
    if loaded is not None:
        for key, value in columns.items():
            set_committed_value(loaded, key, value)


def move(
    session: Session,
    registry: WorkflowRegistry,
    action_id: int,
    trigger: str,
    actor: Person,
    *,
    now: datetime,
    text: str | None = None,
    answers: Mapping[str, str] | None = None,
    expected_version: int | None = None,
    only_roles: Collection[str] | None = None,
) -> Change:
    """Fire a workflow trigger on the åtgärd and write it (decide_move says how)."""
    action, plan = _current(session, action_id)
    change = decide_move(
        registry,
        action,
        plan,
        trigger,
        actor,
        now=now,
        text=text,
        answers=answers,
        expected_version=expected_version,
        only_roles=only_roles,
    )
    return write(session, change)


def note_progress(
    session: Session,
    action_id: int,
    actor: Person,
    text: str,
    *,
    now: datetime,
    expected_version: int | None = None,
    only_roles: Collection[str] | None = None,
    registry: WorkflowRegistry | None = None,
) -> Change:
    """A new processläge without a change of state, written. With the `registry`, a
    withdrawn åtgärd is refused one (decide_note)."""
    action, plan = _current(session, action_id)
    return write(
        session,
        decide_note(
            action,
            plan,
            actor,
            text,
            now=now,
            expected_version=expected_version,
            only_roles=only_roles,
            withdrawn=registry is not None and _withdrawn(registry, action),
        ),
    )


def _withdrawn(registry: WorkflowRegistry, action: ActionState) -> bool:
    return registry.get(action.workflow).is_withdrawn(action.state)


def report_progress(
    session: Session,
    registry: WorkflowRegistry,
    action_id: int,
    actor: Person,
    *,
    trigger: str,
    text: str,
    now: datetime,
    answers: Mapping[str, str] | None = None,
    expected_version: int | None = None,
    only_roles: Collection[str] | None = None,
) -> Change:
    """What the update form on an åtgärd asks, from the owner's page or the chef's: a
    transition with its text (and the answers to its fields) when a trigger is given, else
    a new processläge. The same form sent again after it was saved (a double tap, a reload
    of the receipt) is answered with the change it made, not written twice (_repeat)."""
    try:
        return _report_progress(
            session,
            registry,
            action_id,
            actor,
            trigger=trigger,
            text=text,
            now=now,
            answers=answers,
            expected_version=expected_version,
            only_roles=only_roles,
        )
    except Conflict:
        repeated = _repeat(
            session, registry, action_id, actor, trigger, text, answers, expected_version
        )
        if repeated is None:
            raise
        return repeated


def _repeat(
    session: Session,
    registry: WorkflowRegistry,
    action_id: int,
    actor: Person,
    trigger: str,
    text: str,
    answers: Mapping[str, str] | None,
    expected_version: int | None,
) -> Change | None:
    """The change this same form already made, if it is the one right after the version the
    form was read at: by the same person, with the same trigger, text and answers."""
    action = session.get(Action, action_id)
    if expected_version is None or action is None or action.version != expected_version + 1:
        return None
    last = session.exec(
        select(ActionEvent)
        .where(ActionEvent.action_id == action_id)
        .order_by(col(ActionEvent.id).desc())
        .limit(1)
    ).first()
    transition = registry.get(action.workflow).definition.transition(trigger) if trigger else None
    same = (
        last is not None
        and last.actor_id is not None
        and last.actor_id == actor.id
        and last.trigger == (trigger or PROGRESS)
        and last.text == text.strip()
        and last.answers_json == answers_json(transition, answers)
    )
    if not same or last is None:
        return None
    # What a change opens is opened with it, so the newest opened from this åtgärd is its.
    opens = transition is not None and transition.opens_action_for(answers) is not None
    opened = (
        session.exec(
            select(Action.id)
            .where(Action.opened_from_id == action_id)
            .order_by(col(Action.id).desc())
            .limit(1)
        ).first()
        if opens
        else None
    )
    return Change(
        action_id=action_id,
        from_state=last.from_state or action.state,
        seen=expected_version,
        actor=actor,
        at=last.at,
        trigger=last.trigger,
        to_state=last.to_state or action.state,
        text=last.text,
        answers_json=last.answers_json,
        event_id=last.id,
        opened_id=opened,
    )


def _report_progress(
    session: Session,
    registry: WorkflowRegistry,
    action_id: int,
    actor: Person,
    *,
    trigger: str,
    text: str,
    now: datetime,
    answers: Mapping[str, str] | None,
    expected_version: int | None,
    only_roles: Collection[str] | None,
) -> Change:
    if trigger:
        return move(
            session,
            registry,
            action_id,
            trigger,
            actor,
            now=now,
            text=text,
            answers=answers,
            expected_version=expected_version,
            only_roles=only_roles,
        )
    return note_progress(
        session,
        action_id,
        actor,
        text,
        now=now,
        expected_version=expected_version,
        only_roles=only_roles,
        registry=registry,
    )


def assign(
    session: Session,
    action_id: int,
    owner: Person,
    *,
    now: datetime,
    actor: Person | None = None,
    expected_version: int | None = None,
) -> Change:
    """The new owner written, with its event, and nothing else: an assignment goes through
    tracker.services.assigning.assign, which also takes back mail still waiting that told a
    former owner the åtgärd was theirs (that needs the mail's rendering, which this module,
    imported by those it would need, cannot reach)."""
    action = get_action(session, action_id)
    _check_version(action, expected_version)
    change = _change(
        action,
        expected_version,
        actor=actor,
        at=now,
        trigger=ASSIGNED,
        to_state=action.state,
        text=_assignment_text(_previous_owner(session, action.owner_id, owner), owner),
        values={"owner_id": owner.id},
    )
    return write(session, change)


def record_fact(
    session: Session,
    action_id: int,
    trigger: str,
    text: str,
    *,
    now: datetime,
    actor: Person | None,
) -> Change:
    """A history-only event (an indicator added, a value measured): it changes none of the
    åtgärd's own columns, but is written as every change is, so the history keeps it."""
    action = get_action(session, action_id)
    change = _change(
        action, None, actor=actor, at=now, trigger=trigger, to_state=action.state, text=text
    )
    return write(session, change)


def _previous_owner(session: Session, owner_id: int | None, new: Person) -> Person | None:
    if owner_id is None or owner_id == new.id:
        return None
    return session.get(Person, owner_id)


def _assignment_text(previous: Person | None, owner: Person) -> str:
    """What the history says: who had the åtgärd before, on a reassignment. Names are written
    as the event's actor is ("Name <address>"), which is what erasing a person replaces."""
    new = f"{owner.name} <{owner.email}>"
    if previous is None:
        return f"Ansvarig: {new}"
    return f"Ansvarig ändrad från {previous.name} <{previous.email}> till {new}"


def edit(
    session: Session,
    action_id: int,
    *,
    now: datetime,
    actor: Person | None = None,
    expected_version: int | None = None,
    **changes: Any,
) -> Change | None:
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
    change = _change(
        action,
        expected_version,
        actor=actor,
        at=now,
        trigger=EDITED,
        to_state=action.state,
        text=summary,
        values=diff,
        before_json=json.dumps(before, ensure_ascii=False),
    )
    return write(session, change)


def reschedule(
    session: Session,
    action_id: int,
    new_due_on: date,
    *,
    now: datetime,
    actor: Person | None,
    text: str,
) -> Change:
    """A new klart-datum agreed (on an escalation): due_on moves, and the first one agreed
    keeps the date before it in original_due_on, so the återrapport can print both. The event
    keeps the values before it (before_json), so a report as of an earlier date shows those."""
    action = get_action(session, action_id)
    original = action.original_due_on or action.due_on
    values: dict[str, Any] = {"due_on": new_due_on, "original_due_on": original}
    change = _change(
        action,
        None,
        actor=actor,
        at=now,
        trigger=RESCHEDULED,
        to_state=action.state,
        text=text,
        values=values,
        before_json=json.dumps(
            {
                "due_on": _json_value(action.due_on),
                "original_due_on": _json_value(action.original_due_on),
            }
        ),
    )
    return write(session, change)


def move_to_area(
    session: Session,
    action_id: int,
    area_id: int,
    *,
    now: datetime,
    actor: Person | None = None,
    expected_version: int | None = None,
) -> Change:
    """Move the åtgärd to the end of another utvecklingsområde of its plan. The event keeps
    where it stood (before_json), so a report as of an earlier date places it there."""
    action = get_action(session, action_id)
    _check_version(action, expected_version)
    source = session.get(Area, action.area_id)
    target = session.get(Area, area_id)
    assert source is not None
    if target is None or target.plan_id != action.plan_id:
        raise Refused("Välj ett utvecklingsområde i åtgärdens egen plan.")
    if target.id == source.id:
        raise Refused(f"Åtgärden ligger redan under '{source.title}'.")
    change = _change(
        action,
        expected_version,
        actor=actor,
        at=now,
        trigger=MOVED,
        to_state=action.state,
        text=f"Utvecklingsområde: '{source.title}' → '{target.title}'",
        values={"area_id": area_id, "position": _last_position(session, area_id) + 1},
        before_json=json.dumps({"area_id": action.area_id, "position": action.position}),
    )
    return write(session, change)


def _last_position(session: Session, area_id: int) -> int:
    last = session.exec(select(func.max(Action.position)).where(Action.area_id == area_id)).one()
    return last or 0


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
) -> list[tuple[Action, str, str, bool]]:
    """The åtgärder a person owns, in plan order, with their area's and plan's titles and
    whether they have indicators; only `only` (if it is theirs) when given."""
    # Whether there are indicators comes with the åtgärder, so that the owner's page asks
    # for them only when there are some: a query of its own on every owner request cost
    # p95 29 → 37-53 ms in bench/web.py on PostgreSQL.
    has_indicators = exists().where(col(Indicator.action_id) == Action.id)
    statement = (
        select(Action, Area.title, Plan.title, has_indicators)
        .join(Area, col(Area.id) == Action.area_id)
        .join(Plan, col(Plan.id) == Action.plan_id)
        .where(Action.owner_id == person_id)
        .order_by(col(Plan.id), col(Area.position), col(Action.position))
    )
    if only is not None:
        statement = statement.where(Action.id == only)
    return [(action, area, plan, bool(has)) for action, area, plan, has in session.exec(statement)]


def was_owner(session: Session, action_id: int, person: Person) -> bool:
    """Whether the åtgärd was once this person's: an assignment in its history names them.
    Every assignment names the new owner, and a reassignment the previous one too, as
    "Name <address>" (_assignment_text); the address alone is matched, as a name may have
    been changed since."""
    mark = f"<{person.email}>"
    texts = session.exec(
        select(ActionEvent.text).where(
            ActionEvent.action_id == action_id, ActionEvent.trigger == ASSIGNED
        )
    )
    return any(mark in text for text in texts)


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
