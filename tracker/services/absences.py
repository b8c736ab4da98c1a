"""A chef's absences: who is away when, and who stands in for them meanwhile.

While a chef is away, what the reminder sweep would send them as chef goes to their deputy:
the escalations that wait for an answer (which the deputy may then acknowledge, as the step
was sent to them), the owners' overdue åtgärder of their plans, and the owners' replies
(Reply-To). An escalation sent to the chef before they left is the deputy's to acknowledge
too, for the days of the absence (services.escalations asks `acting_ids`). Their own
åtgärder, as an owner, still go to them. The sweep asks `deputies_on` once and substitutes
through the Deputies it returns; the rule of the chain (a deputy away too passes it on) is
tracker.domain.absence.stand_in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from tracker.domain.absence import SELF_DEPUTY, period_problem, stand_in
from tracker.domain.roles import may_be_absent, may_register_absence, may_stand_in
from tracker.errors import Forbidden, NotFound, Refused
from tracker.logs import log_after_commit
from tracker.models import Absence, Person, Role

_log = logging.getLogger(__name__)

NOT_YOURS = "Du kan bara lägga in din egen frånvaro; en administratör kan lägga in andras."


@dataclass(frozen=True)
class AbsenceView:
    absence: Absence
    person: Person
    deputy: Person

    @property
    def id(self) -> int:
        assert self.absence.id is not None
        return self.absence.id


def _day(d: date) -> str:
    return d.isoformat()


def list_absences(session: Session, *, today: date) -> list[AbsenceView]:
    """Absences that are going on or to come, the earliest first."""
    rows = session.exec(
        select(Absence, Person)
        .join(Person, col(Person.id) == col(Absence.person_id))
        .where(col(Absence.ends_on) >= today)
        .order_by(col(Absence.starts_on), col(Absence.id))
    ).all()
    people = _people(session, (a.deputy_id for a, _ in rows))
    return [AbsenceView(a, p, people[a.deputy_id]) for a, p in rows]


@dataclass(frozen=True)
class Today:
    """A person's absences that hold today: their own, and those they stand in for."""

    away: AbsenceView | None
    standing_in: list[AbsenceView]


def today_for(session: Session, person: Person, *, today: date) -> Today:
    """What the start page tells `person` of absences today."""
    now_on = _going_on(session, today)
    own = next((v for v in now_on if v.person.id == person.id), None)
    deputies = _deputies(now_on)
    standing_in = [
        v
        for v in now_on
        if v.person.id != person.id and deputies.acting_for(v.person).id == person.id
    ]
    return Today(own, standing_in)


def who_may_stand_in(session: Session) -> list[Person]:
    """Everyone who may be a deputy (roles.may_stand_in), by name."""
    everyone = session.exec(
        select(Person)
        .where(col(Person.role).in_([Role.chef.value, Role.admin.value]))
        .order_by(col(Person.name), col(Person.id))
    ).all()
    return [p for p in everyone if may_stand_in(p)]


def _people(session: Session, ids: Iterable[int]) -> dict[int, Person]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found = session.exec(select(Person).where(col(Person.id).in_(wanted))).all()
    return {p.id: p for p in found if p.id is not None}


def add_absence(
    session: Session,
    user: Person | None,
    person: Person,
    deputy: Person,
    *,
    starts_on: date,
    ends_on: date,
    now: datetime,
    today: date,
) -> Absence:
    """`person` is away from `starts_on` to `ends_on`, and `deputy` stands in. `user` None is
    the command line. Forbidden for someone the rule (roles.may_register_absence) does not
    allow; Refused with the reason for someone whose absence does not matter, a deputy who
    cannot act, a period that cannot be, or one that overlaps another."""
    if not may_be_absent(person):
        raise Refused(
            f"{person.name} leder inga planer (rollen är inte chef eller administratör), så "
            "ingenting väntar på hens svar medan hen är borta."
        )
    if user is not None and not may_register_absence(user, person):
        raise Forbidden(NOT_YOURS)
    assert person.id is not None and deputy.id is not None
    if deputy.id == person.id:
        raise Refused(SELF_DEPUTY)
    if not may_stand_in(deputy):
        raise Refused(
            f"{deputy.name} kan inte vara ersättare: en ersättare ska vara chef eller "
            "administratör, så att hen kan logga in och kvittera eskaleringar."
        )
    problem = period_problem(starts_on, ends_on, today)
    if problem:
        raise Refused(problem)
    overlapping = session.exec(
        select(Absence).where(
            Absence.person_id == person.id,
            col(Absence.starts_on) <= ends_on,
            col(Absence.ends_on) >= starts_on,
        )
    ).first()
    if overlapping is not None:
        raise Refused(
            f"{person.name} är redan borta {_day(overlapping.starts_on)}–"
            f"{_day(overlapping.ends_on)}, vilket överlappar. Ta bort den frånvaron först "
            "eller välj andra datum."
        )
    absence = Absence(
        person_id=person.id,
        deputy_id=deputy.id,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=now,
    )
    session.add(absence)
    session.flush()
    log_after_commit(
        session.info,
        _log,
        "absence.added",
        person_id=person.id,
        deputy_id=deputy.id,
        actor_id=user.id if user else None,
    )
    return absence


def remove_absence(session: Session, user: Person | None, absence_id: int) -> AbsenceView:
    """The absence removed (a trip called off, a wrong date); what it was. `user` None is
    the command line."""
    absence = session.get(Absence, absence_id)
    if absence is None:
        raise NotFound(f"Ingen frånvaro med nummer {absence_id}.")
    people = _people(session, (absence.person_id, absence.deputy_id))
    person, deputy = people[absence.person_id], people[absence.deputy_id]
    if user is not None and not may_register_absence(user, person):
        raise Forbidden(NOT_YOURS)
    view = AbsenceView(absence, person, deputy)
    session.delete(absence)
    session.flush()
    log_after_commit(
        session.info,
        _log,
        "absence.removed",
        person_id=person.id,
        actor_id=user.id if user else None,
    )
    return view


class Deputies:
    """Who stands in for whom on one day."""

    def __init__(self, deputy_of: dict[int, int], people: dict[int, Person]) -> None:
        self._deputy_of = deputy_of
        self._people = people

    def acting_for(self, person: Person) -> Person:
        """Who acts for `person` today: themselves, or their deputy."""
        if person.id is None or person.id not in self._deputy_of:
            return person
        acting = stand_in(person.id, self._deputy_of)
        return self._people.get(acting, person)

    def standing_in(self, people: Iterable[Person]) -> list[Person]:
        """`people` (each once, as roles.chefs_of gives them) with each one away replaced by
        who acts for them, each person still once."""
        if not self._deputy_of:
            # Most days nobody is away: the sweep asks this for every candidate åtgärd.
            return list(people)
        out: dict[int | None, Person] = {}
        for person in people:
            acting = self.acting_for(person)
            out.setdefault(acting.id, acting)
        return list(out.values())

    def acting_ids(self, ids: Iterable[int]) -> set[int]:
        """Who acts today for each of `ids` (an escalation's recipients): those away are
        answered for by their deputies."""
        return {stand_in(i, self._deputy_of) for i in ids}

    def stands_in_for(self, person: Person) -> list[Person]:
        """Whom `person` acts for today (their absent chefs' names in a step's text)."""
        return [
            self._people[away]
            for away in sorted(self._deputy_of)
            if away in self._people
            and away != person.id
            and stand_in(away, self._deputy_of) == person.id
        ]


NO_DEPUTIES = Deputies({}, {})


def deputies_on(session: Session, today: date) -> Deputies:
    """Who is away today and who stands in for them."""
    return _deputies(_going_on(session, today))


def _going_on(session: Session, today: date) -> list[AbsenceView]:
    return [v for v in list_absences(session, today=today) if v.absence.starts_on <= today]


def _deputies(going_on: list[AbsenceView]) -> Deputies:
    if not going_on:
        return NO_DEPUTIES
    return Deputies(
        {v.absence.person_id: v.absence.deputy_id for v in going_on},
        {p.id: p for v in going_on for p in (v.person, v.deputy) if p.id is not None},
    )
