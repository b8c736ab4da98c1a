"""Plans, areas and actions: creating them and reading them back with derived status."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import and_, exists, func, or_
from sqlalchemy import select as core_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from tracker.domain.roles import chefs_of
from tracker.domain.schedule import ScheduleStatus, schedule_status
from tracker.errors import NotFound
from tracker.models import Action, ActionEvent, Area, Person, Plan, Role
from tracker.services.actions import ASSIGNED, CREATED, PROGRESS
from workflows import WorkflowRegistry
from workflows.definition import StateDef


def get_plan(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"Ingen åtgärdsplan med nummer {plan_id}.")
    return plan


def create_plan(session: Session, *, now: datetime, title: str, **fields: Any) -> Plan:
    plan = Plan(title=title.strip(), created_at=now, **fields)
    session.add(plan)
    session.flush()
    return plan


def ensure_area(session: Session, plan: Plan, title: str, *, section: str = "") -> Area:
    """The plan's area with this title, appended at the end if new."""
    area = session.exec(
        select(Area).where(Area.plan_id == plan.id, Area.title == title.strip())
    ).first()
    if area is not None:
        return area
    last = session.exec(select(func.max(Area.position)).where(Area.plan_id == plan.id)).one()
    assert plan.id is not None
    area = Area(
        plan_id=plan.id, title=title.strip(), section=section.strip(), position=(last or 0) + 1
    )
    session.add(area)
    session.flush()
    return area


def add_action(
    session: Session,
    registry: WorkflowRegistry,
    area: Area,
    *,
    now: datetime,
    text: str,
    workflow: str = "atgard",
    state: str | None = None,
    owner: Person | None = None,
    actor: Person | None = None,
    actor_label: str = "systemet",
    **fields: Any,
) -> Action:
    wf = registry.get(workflow)
    start = state or wf.initial
    wf.definition.state(start)  # KeyError for an unknown state is a programming error here
    last = session.exec(select(func.max(Action.position)).where(Action.area_id == area.id)).one()
    assert area.id is not None
    action = Action(
        plan_id=area.plan_id,
        area_id=area.id,
        position=(last or 0) + 1,
        text=text.strip(),
        workflow=workflow,
        state=start,
        owner_id=owner.id if owner else None,
        updated_at=now,
        **fields,
    )
    session.add(action)
    session.flush()
    assert action.id is not None
    session.add(
        ActionEvent(
            action_id=action.id,
            at=now,
            actor_id=actor.id if actor else None,
            actor_label=f"{actor.name} <{actor.email}>" if actor else actor_label,
            trigger=CREATED,
            from_state=None,
            to_state=start,
            text="",
        )
    )
    # Written now, so a change made next in the same transaction comes after it in history.
    session.flush()
    return action


def _state_condition(
    registry: WorkflowRegistry, keep: Callable[[StateDef], bool]
) -> ColumnElement[bool]:
    """Actions in a state that `keep` picks, per workflow definition."""
    parts = []
    for name in registry.names():
        wf = registry.get(name)
        states = [s.id for s in wf.definition.states if keep(s)]
        if states:
            parts.append(and_(col(Action.workflow) == name, col(Action.state).in_(states)))
    return or_(*parts)


def open_condition(registry: WorkflowRegistry) -> ColumnElement[bool]:
    """Actions whose state is not done, per workflow definition."""
    return _state_condition(registry, lambda s: not s.done)


def unfinished_condition(registry: WorkflowRegistry) -> ColumnElement[bool]:
    """Actions whose state is not final: an evaluation, at least, is still to come."""
    return _state_condition(registry, lambda s: not s.final)


# The history entries that say the åtgärd was created with its owner or given to them.
RECEIVED = (CREATED, ASSIGNED)


@dataclass(frozen=True)
class ActionFilter:
    plan_id: int | None = None
    state: str | None = None
    owner_id: int | None = None
    overdue_on: date | None = None  # only actions overdue on this date
    # Late on this date by the one rule for it, schedule_status (overdue or evaluation overdue).
    late_on: date | None = None
    without_owner: bool = False  # open actions nobody owns
    # Open actions whose owner has neither answered nor been given them since this moment.
    unanswered_since: datetime | None = None
    # An evaluation due on these dates (both included), in a state that is not final.
    evaluation_between: tuple[date, date] | None = None


@dataclass(frozen=True)
class ActionRow:
    """An action in a list: the columns lists show, read without building ORM objects."""

    id: int
    plan_id: int
    area_id: int
    text: str
    workflow: str
    state: str
    tidsplan: str
    due_on: date | None
    evaluate_on: date | None
    progress_note: str
    version: int
    owner_id: int | None
    owner_name: str | None
    owner_email: str | None


_A = Action.__table__  # type: ignore[attr-defined]
_P = Person.__table__  # type: ignore[attr-defined]
_LIST_COLUMNS = [
    _A.c.id,
    _A.c.plan_id,
    _A.c.area_id,
    _A.c.text,
    _A.c.workflow,
    _A.c.state,
    _A.c.tidsplan,
    _A.c.due_on,
    _A.c.evaluate_on,
    _A.c.progress_note,
    _A.c.version,
    _A.c.owner_id,
    _P.c.name,
    _P.c.email,
]


def list_actions(
    session: Session, registry: WorkflowRegistry, filt: ActionFilter
) -> list[ActionRow]:
    query = (
        core_select(*_LIST_COLUMNS)
        .select_from(_A.outerjoin(_P, _P.c.id == _A.c.owner_id))
        .where(*_conditions(registry, filt))
        .order_by(_A.c.plan_id, _A.c.area_id, _A.c.position)
    )
    rows = [ActionRow(*row) for row in session.connection().execute(query)]
    if filt.late_on is not None:
        late_on = filt.late_on
        rows = [r for r in rows if status_of(registry, r, late_on) is not ScheduleStatus.on_track]
    return rows


def _conditions(registry: WorkflowRegistry, filt: ActionFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if filt.plan_id is not None:
        conds.append(_A.c.plan_id == filt.plan_id)
    if filt.state is not None:
        conds.append(_A.c.state == filt.state)
    if filt.owner_id is not None:
        conds.append(_A.c.owner_id == filt.owner_id)
    if filt.overdue_on is not None:
        conds += [_A.c.due_on < filt.overdue_on, open_condition(registry)]
    if filt.late_on is not None:
        # Only narrows what is read: schedule_status, in list_actions, decides what is late.
        conds.append(or_(_A.c.due_on < filt.late_on, _A.c.evaluate_on < filt.late_on))
    if filt.without_owner:
        conds += [_A.c.owner_id.is_(None), open_condition(registry)]
    if filt.unanswered_since is not None:
        conds += [
            _A.c.owner_id.is_not(None),
            open_condition(registry),
            ~_heard_since(filt.unanswered_since),
        ]
    if filt.evaluation_between is not None:
        first, last = filt.evaluation_between
        conds += [_A.c.evaluate_on.between(first, last), unfinished_condition(registry)]
    return conds


_E = ActionEvent.__table__  # type: ignore[attr-defined]


def answer_condition() -> ColumnElement[bool]:
    """History entries that answer for an åtgärd: a processläge or a change of state (an
    edit, an import or an assignment changes no state). Said positively, so that a kind of
    entry added later is not taken for an answer."""
    return or_(_E.c.trigger == PROGRESS, _E.c.from_state != _E.c.to_state)


def _heard_since(since: datetime) -> ColumnElement[bool]:
    """The action's owner answered on it after `since`, or got it after then: one probe of
    the history's (action, at) index."""
    return exists().where(
        _E.c.action_id == _A.c.id,
        _E.c.at > since,
        or_(
            and_(_E.c.actor_id == _A.c.owner_id, answer_condition()),
            _E.c.trigger.in_(RECEIVED),
        ),
    )


class Scheduled(Protocol):
    """What the schedule of an action is read from: an Action, an ActionRow or a row of those
    columns."""

    @property
    def workflow(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def due_on(self) -> date | None: ...
    @property
    def evaluate_on(self) -> date | None: ...


def status_of(registry: WorkflowRegistry, action: Scheduled, today: date) -> ScheduleStatus:
    wf = registry.get(action.workflow)
    st = wf.definition.state(action.state)
    return schedule_status(
        done=st.done,
        final=st.final,
        due_on=action.due_on,
        evaluate_on=action.evaluate_on,
        today=today,
    )


@dataclass(frozen=True)
class PlanSummary:
    plan: Plan
    by_state: dict[str, int]
    # Open past their due date (the API's "overdue").
    overdue: int
    total: int
    # Late by the rule every "Försenade" in the web and the återrapport's list of late
    # åtgärder follow: past the due date, or done and past the evaluation date.
    late: int = 0
    # Per state label, over every workflow the plan's items follow (a protokoll's decisions
    # are "Tilldelad", a kontroll "Planerad"): the columns of the plan list.
    by_label: dict[str, int] = field(default_factory=dict)
    # The workflows its items follow, by whose nouns the list names what it counts.
    workflows: frozenset[str] = frozenset()


def summarise_plans(session: Session, registry: WorkflowRegistry, today: date) -> list[PlanSummary]:
    plans = list(session.exec(select(Plan).order_by(col(Plan.id))))
    counts: dict[int, Counter[str]] = {p.id: Counter() for p in plans if p.id is not None}
    by_label: dict[int, Counter[str]] = {p.id: Counter() for p in plans if p.id is not None}
    workflows: dict[int, set[str]] = {p.id: set() for p in plans if p.id is not None}
    labels = registry.state_labels()
    for plan_id, workflow, state, n in session.exec(
        select(Action.plan_id, Action.workflow, Action.state, func.count()).group_by(
            col(Action.plan_id), col(Action.workflow), col(Action.state)
        )
    ):
        counts[plan_id][state] += n
        workflows[plan_id].add(workflow)
        by_label[plan_id][labels.get((workflow, state), state)] += n
    overdue: dict[int, int] = dict(
        session.exec(
            select(Action.plan_id, func.count())
            .where(col(Action.due_on) < today, open_condition(registry))
            .group_by(col(Action.plan_id))
        ).all()
    )
    late = Counter(r.plan_id for r in list_actions(session, registry, ActionFilter(late_on=today)))
    return [
        PlanSummary(
            plan=p,
            by_state=dict(counts[p.id]),
            overdue=overdue.get(p.id, 0),
            total=sum(counts[p.id].values()),
            late=late[p.id],
            by_label=dict(by_label[p.id]),
            workflows=frozenset(workflows[p.id]),
        )
        for p in plans
        if p.id is not None
    ]


def plan_areas(
    session: Session, plan_id: int
) -> list[tuple[Area, list[tuple[Action, Person | None]]]]:
    """The plan's areas in order, each with its actions and owners, in two queries."""
    areas = list(
        session.exec(select(Area).where(Area.plan_id == plan_id).order_by(col(Area.position)))
    )
    rows = session.exec(
        select(Action, Person)
        .join(Person, col(Action.owner_id) == Person.id, isouter=True)
        .where(Action.plan_id == plan_id)
        .order_by(col(Action.area_id), col(Action.position))
    ).all()
    by_area: dict[int, list[tuple[Action, Person | None]]] = {a.id: [] for a in areas if a.id}
    for action, person in rows:
        by_area.setdefault(action.area_id, []).append((action, person))
    return [(a, by_area.get(a.id or 0, [])) for a in areas]


def reply_address(session: Session, plan_ids: Iterable[int]) -> str:
    """Where an owner's reply about these plans' åtgärder goes: their one chef (roles.chefs_of,
    as escalations go), or "" when they answer to several chefs, or to none."""
    ids = sorted(set(plan_ids))
    plans = list(session.exec(select(Plan).where(col(Plan.id).in_(ids))))
    people = chef_candidates(session, plans)
    addresses = {chef.email for plan in plans for chef in chefs_of(plan, people)}
    return addresses.pop() if len(addresses) == 1 else ""


def chef_candidates(session: Session, plans: Sequence[Plan]) -> list[Person]:
    """The people roles.chefs_of may choose among for these plans: the chefs they name and
    the chefs of their förvaltningar."""
    named = {p.chef_id for p in plans if p.chef_id is not None}
    forvaltningar = {p.forvaltning for p in plans}
    query = select(Person).where(
        or_(
            col(Person.id).in_(named),
            and_(col(Person.role) == Role.chef.value, col(Person.forvaltning).in_(forvaltningar)),
        )
    )
    return list(session.exec(query.order_by(col(Person.id))))


def plans_owned_by(session: Session, person_id: int) -> list[int]:
    """The plans in which the person owns an åtgärd."""
    return list(session.exec(select(Action.plan_id).where(Action.owner_id == person_id).distinct()))


def assigned_since(session: Session, owner: Person, since: datetime) -> list[Action]:
    """The åtgärder given to `owner` at or after `since` that are still theirs, oldest
    assignment first."""
    rows = session.exec(
        select(Action, func.min(ActionEvent.at))
        .join(ActionEvent, col(ActionEvent.action_id) == Action.id)
        .where(
            Action.owner_id == owner.id,
            ActionEvent.trigger == ASSIGNED,
            col(ActionEvent.at) >= since,
        )
        .group_by(col(Action.id))
        .order_by(func.min(ActionEvent.at), col(Action.id))
    )
    return [action for action, _ in rows]
