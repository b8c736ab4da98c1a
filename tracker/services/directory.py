"""The people page: whom a chef or admin sees, with their open and late åtgärder and when they
last answered. Who may be seen is roles.may_see_person's; this module only reads."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from tracker.domain.roles import Role, Someone, chefs_of, may_see_person
from tracker.domain.schedule import ScheduleStatus
from tracker.errors import Refused
from tracker.models import Action, ActionEvent, Person, Plan
from tracker.services.plans import answer_condition, open_condition, status_of
from workflows import WorkflowRegistry

_A = Action.__table__  # type: ignore[attr-defined]
_E = ActionEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PersonRow:
    person: Person
    open: int
    late: int
    # Their latest processläge or change of state on an åtgärd they own; None: never.
    last_answer: datetime | None
    # The workflows of the open ones, which name them: "Öppna åtgärder och kontroller".
    open_workflows: frozenset[str] = frozenset()


def owned_plans(session: Session, person_id: int | None = None) -> dict[int, list[Plan]]:
    """Per person (or only `person_id`), the plans they own åtgärder in: what the rules for
    seeing a person and cutting their links are asked with."""
    plans = {p.id: p for p in session.exec(select(Plan))}
    query = select(Action.owner_id, Action.plan_id).where(col(Action.owner_id).is_not(None))
    if person_id is not None:
        query = query.where(Action.owner_id == person_id)
    out: dict[int, list[Plan]] = defaultdict(list)
    for owner_id, plan_id in session.exec(query.distinct()):
        if owner_id is not None:
            out[owner_id].append(plans[plan_id])
    return out


def forvaltningar(session: Session) -> list[str]:
    """Every förvaltning a person or a plan names, for the admin's filter."""
    names = set(session.exec(select(Person.forvaltning).distinct()))
    names.update(session.exec(select(Plan.forvaltning).distinct()))
    return sorted((n for n in names if n), key=str.casefold)


def check_forvaltning(session: Session, forvaltning: str) -> None:
    """Refused when `forvaltning` is one no plan or person has: what is set for it (an
    escalation level, an API token) would silently hold for nothing, and a typo is the usual
    cause. "" (the whole kommun) passes."""
    if not forvaltning:
        return
    known = forvaltningar(session)
    if forvaltning in known:
        return
    check_spelling(session, forvaltning, known)
    hint = f" Förvaltningar: {', '.join(known) or 'inga'}."
    raise Refused(
        f"Förvaltningen '{forvaltning}' finns inte: ingen plan eller person hör till den.{hint}"
    )


def without_chef(session: Session, plans: Iterable[Plan]) -> list[Plan]:
    """Those of `plans` whose matters reach nobody: neither the chef the plan names nor any
    chef of its förvaltning is there (roles.chefs_of, as the reminder sweep asks it). Their
    escalations, and the reminders of åtgärder nobody owns, wait until a chef is."""
    plans = list(plans)
    people = chef_candidates(session, (p.chef_id for p in plans if p.chef_id is not None))
    return [p for p in plans if not chefs_of(p, people)]


def chef_candidates(session: Session, plan_chef_ids: Iterable[int]) -> list[Person]:
    """Whom roles.chefs_of may choose from for plans naming `plan_chef_ids`: every chef, and
    the people the plans name (whatever their role now)."""
    ids = sorted(set(plan_chef_ids))
    query = select(Person).where(or_(col(Person.role) == Role.chef.value, col(Person.id).in_(ids)))
    return list(session.exec(query))


def check_spelling(session: Session, forvaltning: str, known: list[str] | None = None) -> None:
    """Refused when `forvaltning` is a known förvaltning spelled otherwise (in capitals):
    what is put in it would hold for none of that förvaltning's plans, which are matched by
    their exact name. A förvaltning no plan or person has yet passes (a person may be the
    first of a new one)."""
    names = forvaltningar(session) if known is None else known
    if not forvaltning or forvaltning in names:
        return
    same = [k for k in names if k.casefold() == forvaltning.casefold()]
    if same:
        raise Refused(
            f"Förvaltningen '{forvaltning}' finns inte: ingen plan eller person hör till den. "
            f"Menar du {same[0]}?"
        )


def visible_people(session: Session, user: Someone, forvaltning: str | None = None) -> list[Person]:
    """The people `user` may see, by name; of `forvaltning` only, when given (see
    people_of)."""
    owned = owned_plans(session)
    return [
        p
        for p in _people_of(session, owned, forvaltning)
        if may_see_person(user, p, owned.get(p.id or 0, ()))
    ]


def people_of(session: Session, forvaltning: str | None) -> list[Person]:
    """The people of a förvaltning, by name: theirs by their own förvaltning, or as owners
    of åtgärder in its plans (a person's förvaltning is often left empty); None: everyone."""
    return _people_of(session, owned_plans(session), forvaltning)


def _people_of(
    session: Session, owned: dict[int, list[Plan]], forvaltning: str | None
) -> list[Person]:
    return [
        p
        for p in session.exec(select(Person).order_by(col(Person.name), col(Person.id)))
        if forvaltning is None or _belongs(p, owned.get(p.id or 0, ()), forvaltning)
    ]


def _belongs(person: Person, plans: Iterable[Plan], forvaltning: str) -> bool:
    return person.forvaltning == forvaltning or any(p.forvaltning == forvaltning for p in plans)


def person_rows(
    session: Session,
    registry: WorkflowRegistry,
    people: list[Person],
    plan_ids: Collection[int] | None,
    today: date,
) -> list[PersonRow]:
    """Each person with their open and late åtgärder (in `plan_ids`; None: all) and their
    latest answer there."""
    opened, late, kinds = _counts(session, registry, plan_ids, today)
    answers = _last_answers(session, plan_ids)
    return [
        PersonRow(
            p,
            opened[p.id or 0],
            late[p.id or 0],
            answers.get(p.id or 0),
            frozenset(kinds[p.id or 0]),
        )
        for p in people
    ]


def _counts(
    session: Session, registry: WorkflowRegistry, plan_ids: Collection[int] | None, today: date
) -> tuple[Counter[int], Counter[int], dict[int, set[str]]]:
    """Per owner: open åtgärder (state not done), late ones (schedule_status), and the
    workflows of the open ones."""
    query = core_select(
        _A.c.owner_id, _A.c.workflow, _A.c.state, _A.c.due_on, _A.c.evaluate_on, _A.c.plan_id
    ).where(
        _A.c.owner_id.is_not(None),
        # Only narrows what is read: a late one is open or past its evaluation date.
        or_(open_condition(registry), _A.c.evaluate_on < today),
    )
    known = set(registry.names())
    opened: Counter[int] = Counter()
    late: Counter[int] = Counter()
    kinds: dict[int, set[str]] = defaultdict(set)
    for row in session.connection().execute(query):
        if (plan_ids is not None and row.plan_id not in plan_ids) or row.workflow not in known:
            continue
        if not registry.get(row.workflow).definition.state(row.state).done:
            opened[row.owner_id] += 1
            kinds[row.owner_id].add(row.workflow)
        if status_of(registry, row, today) is not ScheduleStatus.on_track:
            late[row.owner_id] += 1
    return opened, late, kinds


def _last_answers(session: Session, plan_ids: Collection[int] | None) -> dict[int, datetime]:
    """Per owner, their latest processläge or change of state on an åtgärd they own."""
    query = (
        core_select(_A.c.owner_id, func.max(_E.c.at))
        .select_from(
            _A.join(
                _E,
                and_(
                    _E.c.action_id == _A.c.id,
                    _E.c.actor_id == _A.c.owner_id,
                    answer_condition(),
                ),
            )
        )
        .group_by(_A.c.owner_id)
    )
    if plan_ids is not None:
        query = query.where(_A.c.plan_id.in_(sorted(plan_ids)))
    return {owner_id: at for owner_id, at in session.connection().execute(query)}
