"""Escalations that wait for an answer: the steps the reminder sweep sends and records, a
chef's acknowledgement (with, if agreed, a new klart-datum), and who holds the levels above
the plan's chef.

The sweep (tracker.services.reminders) asks `first_steps` and `climbs` what to send and has
`record_steps` write the steps, in the transaction that writes their mail: the unique key on
(action, timer, anchor, level) means a rerun or a second scheduler never records, and so
never sends, a step twice. Whether a step climbs is tracker.domain.escalation's rule.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from tracker.domain.escalation import (
    StepSent,
    answer_by,
    is_new_date_acceptable,
    next_level,
    still_waits,
)
from tracker.domain.roles import may_acknowledge_escalation
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Conflict, Forbidden, NotFound, Refused
from tracker.logs import log_after_commit
from tracker.models import Action, ActionEvent, Escalation, EscalationHolder, Person, Plan
from tracker.services import actions as action_service
from tracker.services import directory
from tracker.services.absences import NO_DEPUTIES, Deputies, deputies_on
from workflows import CHEF_LEVEL, DEFAULT_NOUN, LevelDef, NounDef, TimerDef, WorkflowRegistry

_log = logging.getLogger(__name__)

_ESC = Escalation.__table__  # type: ignore[attr-defined]
_EVENT = ActionEvent.__table__  # type: ignore[attr-defined]

NOTHING_OPEN = "Det finns ingen eskalering att kvittera för den här åtgärden."
NOT_SENT_TO_YOU = "Eskaleringen skickades inte till dig. Ingenting ändrades."
ALREADY = "Eskaleringen har redan kvitterats av någon annan. Ingenting ändrades."
NEED_COMMENT = "Skriv en kommentar till kvitteringen."


def _who(person: Person) -> str:
    # As the history writes an actor, which is what erasing a person replaces.
    return f"{person.name} <{person.email}>"


def _acting(person: Person, deputies: Deputies) -> str:
    """A step's recipient in its history line, with whom they stand in for."""
    away = deputies.stands_in_for(person)
    if not away:
        return _who(person)
    return f"{_who(person)} (ersättare för {', '.join(p.name for p in away)})"


def timer_def(registry: WorkflowRegistry, workflow: str, timer_id: str) -> TimerDef | None:
    if workflow not in registry.names():
        return None
    for t in registry.get(workflow).definition.timers:
        if t.id == timer_id:
            return t
    return None


# --- What the sweep sends ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of an escalation to send and record today."""

    action_id: int
    timer_id: str
    anchor: date
    level: LevelDef
    level_index: int
    recipients: tuple[Person, ...]
    # What the digest's section is called, and what it says above its åtgärder.
    title: str
    intro: str
    # The history's line.
    text: str


class CandidateRow(Protocol):
    """What the sweep has read of an åtgärd (tracker.services.reminders._Row)."""

    @property
    def id(self) -> int: ...
    @property
    def workflow(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def due_on(self) -> date | None: ...
    @property
    def forvaltning(self) -> str: ...


def first_intro(noun: NounDef) -> str:
    """What the first step's digest section says above its items, named by their workflow's
    noun: a kontroll's escalation lists kontroller, not åtgärder."""
    return (
        f"{_capital(noun.the_many)} nedan har passerat en gräns för eskalering till dig som "
        f"chef. Kvittera eskaleringen med en kommentar via länken vid varje {noun.one}; där "
        "kan du också ange ett nytt klart-datum som du har kommit överens om med den ansvariga."
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def first_steps(
    timer: TimerDef,
    row: CandidateRow,
    anchor: date,
    heads: Sequence[Person],
    deputies: Deputies = NO_DEPUTIES,
    noun: NounDef = DEFAULT_NOUN,
) -> list[Step]:
    """The first step of an escalation that waits for an answer, to the plan's chefs (or who
    stands in for them: `heads` are who acts today); none when nobody is there to send it
    to (it goes out once a chef is)."""
    if not timer.awaits_answer or not heads:
        return []
    level = timer.escalation_levels()[0]
    names = ", ".join(_acting(p, deputies) for p in heads)
    return [
        Step(
            action_id=row.id,
            timer_id=timer.id,
            anchor=anchor,
            level=level,
            level_index=0,
            recipients=tuple(heads),
            title=timer.label,
            intro=first_intro(noun),
            text=f"{timer.label}: eskalerad till {level.label.lower()}: {names}",
        )
    ]


@dataclass(frozen=True)
class _Open:
    """An escalation nobody has acknowledged: its steps so far."""

    action_id: int
    timer_id: str
    anchor: date
    steps: tuple[StepSent, ...]


def _open_escalations(session: Session) -> list[_Open]:
    rows = session.exec(
        select(Escalation)
        .where(col(Escalation.acknowledged_at).is_(None))
        .order_by(col(Escalation.action_id), col(Escalation.timer_id), col(Escalation.anchor))
    ).all()
    grouped: dict[tuple[int, str, date], list[StepSent]] = defaultdict(list)
    for r in rows:
        grouped[(r.action_id, r.timer_id, r.anchor)].append(StepSent(r.level_index, r.sent_on))
    return [_Open(a, t, d, tuple(steps)) for (a, t, d), steps in grouped.items()]


class Holders:
    """Who holds each level above the plan's chef: for the förvaltning, else for the kommun."""

    def __init__(self, rows: Iterable[tuple[EscalationHolder, Person]]) -> None:
        self._by_key = {(h.level, h.forvaltning): p for h, p in rows}

    def of(self, level: str, forvaltning: str) -> Person | None:
        return self._by_key.get((level, forvaltning)) or self._by_key.get((level, ""))


def holders(session: Session) -> Holders:
    return Holders(
        session.exec(
            select(EscalationHolder, Person).join(
                Person, col(Person.id) == col(EscalationHolder.person_id)
            )
        ).all()
    )


def climbs(
    session: Session,
    registry: WorkflowRegistry,
    rows: Mapping[int, CandidateRow],
    *,
    today: date,
    cal: WorkCalendar,
    deputies: Deputies = NO_DEPUTIES,
) -> list[Step]:
    """The unacknowledged escalations that go one level up today, each to the level's holder
    or, while they are away, to who stands in for them. `rows`: the sweep's candidate
    åtgärder by id; one no longer among them is no longer late, and climbs no more."""
    opened = _open_escalations(session)
    if not opened:
        return []
    who = holders(session)
    out: list[Step] = []
    for esc in opened:
        row = rows.get(esc.action_id)
        timer = timer_def(registry, row.workflow, esc.timer_id) if row is not None else None
        if row is None or timer is None or timer.acknowledge_within is None:
            continue
        levels = timer.escalation_levels()
        staffed = [
            i == 0 or who.of(lv.id, row.forvaltning) is not None for i, lv in enumerate(levels)
        ]
        level_index = next_level(
            esc.steps,
            acknowledged=False,
            applies=still_waits(row.state, row.due_on, esc.anchor, timer.states),
            staffed=staffed,
            within=timer.acknowledge_within,
            today=today,
            cal=cal,
        )
        if level_index is None:
            continue
        level = levels[level_index]
        held_by = who.of(level.id, row.forvaltning)
        assert held_by is not None
        holder = deputies.acting_for(held_by)
        last = levels[max(s.level for s in esc.steps)]
        days = timer.acknowledge_within
        noun = registry.get(row.workflow).definition.noun
        out.append(
            Step(
                action_id=esc.action_id,
                timer_id=timer.id,
                anchor=esc.anchor,
                level=level,
                level_index=level_index,
                recipients=(holder,),
                title=f"{timer.label}, inte kvitterad",
                intro=(
                    f"{_capital(noun.the_many)} nedan eskalerades till {last.label.lower()} "
                    f"men ingen har kvitterat inom {days} arbetsdagar. Eskaleringen går nu "
                    f"vidare till dig som {level.label.lower()}. Kvittera den med en kommentar "
                    f"via länken vid varje {noun.one}."
                ),
                text=(
                    f"Inte kvitterad av {last.label.lower()} inom {days} arbetsdagar: "
                    f"eskalerad till {level.label.lower()}: {_acting(holder, deputies)}"
                ),
            )
        )
    return out


def record_steps(session: Session, steps: Sequence[Step], *, now: datetime, today: date) -> None:
    """The steps and their history lines, in the caller's transaction (the sweep's, with the
    mail): a step recorded before fails the whole transaction on its unique key."""
    if not steps:
        return
    conn = session.connection()
    conn.execute(
        insert(_ESC),
        [
            {
                "action_id": s.action_id,
                "timer_id": s.timer_id,
                "anchor": s.anchor,
                "level": s.level.id,
                "level_index": s.level_index,
                "sent_to": ",".join(str(p.id) for p in s.recipients),
                "sent_on": today,
                "sent_at": now,
                "acknowledged_at": None,
                "acknowledged_by": None,
                "comment": "",
                "new_due_on": None,
            }
            for s in steps
        ],
    )
    conn.execute(
        insert(_EVENT),
        [
            {
                "action_id": s.action_id,
                "at": now,
                "actor_id": None,
                "actor_label": "systemet",
                "trigger": action_service.ESCALATED,
                "from_state": None,
                "to_state": None,
                "text": s.text,
                "before_json": None,
            }
            for s in steps
        ],
    )


# --- Acknowledging ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    level_label: str
    sent_on: date
    sent_to: str
    answer_by: date


@dataclass(frozen=True)
class Pending:
    """An åtgärd's escalation waiting for an answer, as a page shows it."""

    action: Action
    plan: Plan
    owner: Person | None
    timer_label: str
    anchor: date
    steps: tuple[StepView, ...]
    sent_to: frozenset[int]
    # What the item is called ("kontrollen"), by its workflow.
    noun: NounDef = DEFAULT_NOUN

    @property
    def current(self) -> StepView:
        return self.steps[-1]


def _open_steps(session: Session, action_ids: Sequence[int] | None = None) -> list[Escalation]:
    query = select(Escalation).where(col(Escalation.acknowledged_at).is_(None))
    if action_ids is not None:
        query = query.where(col(Escalation.action_id).in_(action_ids))
    return list(
        session.exec(
            query.order_by(
                col(Escalation.action_id), col(Escalation.level_index), col(Escalation.id)
            )
        ).all()
    )


def _waiting(
    registry: WorkflowRegistry, action: Action, steps: Iterable[Escalation]
) -> list[Escalation]:
    """The steps of the åtgärd's escalations that still wait for an answer: one whose åtgärd
    has since been done, withdrawn or given a later klart-datum is nobody's to acknowledge."""
    out = []
    for s in steps:
        timer = timer_def(registry, action.workflow, s.timer_id)
        if timer is None or still_waits(action.state, action.due_on, s.anchor, timer.states):
            out.append(s)
    return out


def _pendings(
    session: Session, registry: WorkflowRegistry, steps: Sequence[Escalation], cal: WorkCalendar
) -> list[Pending]:
    by_action: dict[int, list[Escalation]] = defaultdict(list)
    for s in steps:
        by_action[s.action_id].append(s)
    ids = sorted({p for s in steps for p in s.recipients()})
    people = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(ids)))}
    out = []
    for action_id, open_rows in by_action.items():
        action = session.get(Action, action_id)
        assert action is not None
        rows = _waiting(registry, action, open_rows)
        if not rows:
            continue
        plan = session.get(Plan, action.plan_id)
        assert plan is not None
        timer = timer_def(registry, action.workflow, rows[0].timer_id)
        levels = {lv.id: lv.label for lv in timer.escalation_levels()} if timer else {}
        within = timer.acknowledge_within if timer and timer.acknowledge_within else 0
        views = tuple(
            StepView(
                level_label=levels.get(r.level, r.level),
                sent_on=r.sent_on,
                sent_to=", ".join(people[p].name for p in r.recipients() if p in people),
                answer_by=answer_by(r.sent_on, within, cal),
            )
            for r in rows
        )
        out.append(
            Pending(
                action=action,
                plan=plan,
                owner=session.get(Person, action.owner_id) if action.owner_id else None,
                timer_label=timer.label if timer else rows[0].timer_id,
                anchor=rows[0].anchor,
                steps=views,
                sent_to=frozenset(p for r in rows for p in r.recipients()),
                noun=registry.get(action.workflow).definition.noun,
            )
        )
    return out


def pending(
    session: Session, registry: WorkflowRegistry, action_id: int, cal: WorkCalendar
) -> Pending | None:
    """The åtgärd's escalation waiting for an answer, if it has one."""
    found = _pendings(session, registry, _open_steps(session, [action_id]), cal)
    return found[0] if found else None


def pending_for(
    session: Session, registry: WorkflowRegistry, user: Person, cal: WorkCalendar, *, today: date
) -> list[Pending]:
    """The escalations waiting for an answer that `user` may acknowledge from the start
    page: those sent to them or to someone they stand in for today, and those of the plans
    they lead."""
    every = _pendings(session, registry, _open_steps(session), cal)
    deputies = deputies_on(session, today)
    return [
        p
        for p in every
        if may_acknowledge_escalation(
            user, p.sent_to | deputies.acting_ids(p.sent_to), p.plan, logged_in=True
        )
    ]


@dataclass(frozen=True)
class Acknowledged:
    action_id: int
    comment: str
    new_due_on: date | None


def acknowledge(
    session: Session,
    registry: WorkflowRegistry,
    action_id: int,
    actor: Person,
    *,
    comment: str,
    new_due_on: date | None,
    now: datetime,
    today: date,
    logged_in: bool,
) -> Acknowledged:
    """The åtgärd's escalation acknowledged by `actor` with a comment, and, when a new
    klart-datum was agreed with the owner, the åtgärd given it (through the one write path
    for åtgärder, which keeps the original date). Forbidden for someone the rule
    (roles.may_acknowledge_escalation) does not allow; Conflict when there is nothing (left)
    to acknowledge; Refused for a missing comment or an unusable date."""
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(f"Ingen åtgärd med nummer {action_id}.")
    plan = session.get(Plan, action.plan_id)
    assert plan is not None
    steps = _waiting(registry, action, _open_steps(session, [action_id]))
    sent_to = {p for s in steps for p in s.recipients()}
    # Sent to someone away today: their deputy answers for them.
    sent_to |= deputies_on(session, today).acting_ids(sent_to)
    # A link was sent for an escalation that is over now; logged in, the rule is asked first,
    # so that nobody learns of another plan's åtgärder.
    if not steps and not logged_in:
        raise Conflict(NOTHING_OPEN)
    if not may_acknowledge_escalation(actor, sent_to, plan, logged_in=logged_in):
        raise Forbidden(NOT_SENT_TO_YOU)
    if not steps:
        raise Conflict(NOTHING_OPEN)
    text = comment.strip()
    if not text:
        raise Refused(NEED_COMMENT)
    if new_due_on is not None:
        problem = is_new_date_acceptable(new_due_on, action.due_on, today)
        if problem:
            raise Refused(problem)
    done = session.connection().execute(
        update(_ESC)
        .where(_ESC.c.id.in_([s.id for s in steps]), _ESC.c.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by=actor.id, comment=text, new_due_on=new_due_on)
    )
    if done.rowcount != len(steps):
        session.rollback()
        raise Conflict(ALREADY)
    timer = timer_def(registry, action.workflow, steps[0].timer_id)
    levels = {lv.id: lv.label for lv in timer.escalation_levels()} if timer else {}
    top = steps[-1]
    session.connection().execute(
        insert(_EVENT),
        {
            "action_id": action_id,
            "at": now,
            "actor_id": actor.id,
            "actor_label": _who(actor),
            "trigger": action_service.ACKNOWLEDGED,
            "from_state": None,
            "to_state": None,
            "text": (
                f"Eskaleringen ({levels.get(top.level, top.level).lower()}) kvitterad av "
                f"{_who(actor)}: {text}"
            ),
            "before_json": None,
        },
    )
    if new_due_on is not None:
        old = action.due_on
        action_service.reschedule(
            session,
            action_id,
            new_due_on,
            now=now,
            actor=actor,
            text=(
                f"Nytt klart-datum {new_due_on.isoformat()} överenskommet med den ansvariga "
                f"vid kvittering av eskaleringen (tidigare {old.isoformat() if old else '–'})."
            ),
        )
    log_after_commit(
        session.info,
        _log,
        "escalation.acknowledged",
        action_id=action_id,
        actor_id=actor.id,
        new_date=new_due_on is not None,
    )
    return Acknowledged(action_id, text, new_due_on)


# --- Who holds the levels ----------------------------------------------------------------------


def known_levels(registry: WorkflowRegistry) -> dict[str, str]:
    """The levels above the plan's chef that the loaded workflows name, with their labels."""
    out: dict[str, str] = {}
    for name in registry.names():
        for t in registry.get(name).definition.timers:
            for level in t.escalation_levels() if t.awaits_answer else ():
                if level.id != CHEF_LEVEL:
                    out.setdefault(level.id, level.label)
    return out


def list_holders(session: Session) -> list[tuple[EscalationHolder, Person]]:
    return list(
        session.exec(
            select(EscalationHolder, Person)
            .join(Person, col(Person.id) == col(EscalationHolder.person_id))
            .order_by(col(EscalationHolder.level), col(EscalationHolder.forvaltning))
        ).all()
    )


def _level(registry: WorkflowRegistry, level: str) -> str:
    known = known_levels(registry)
    wanted = level.strip()
    for key, label in known.items():
        if wanted.casefold() in (key, label.casefold()):
            return key
    possible = ", ".join(f"{k} ({v})" for k, v in known.items()) or "inga"
    raise Refused(f"Okänd eskaleringsnivå '{wanted}'. Möjliga: {possible}.")


def set_holder(
    session: Session,
    registry: WorkflowRegistry,
    level: str,
    forvaltning: str,
    person: Person,
    *,
    now: datetime,
) -> EscalationHolder:
    """`person` holds `level` for `forvaltning` ("" for the whole kommun), instead of whoever
    held it."""
    key = _level(registry, level)
    where = forvaltning.strip()
    directory.check_forvaltning(session, where)
    assert person.id is not None
    row = session.exec(
        select(EscalationHolder).where(
            EscalationHolder.level == key, EscalationHolder.forvaltning == where
        )
    ).first()
    if row is None:
        row = EscalationHolder(level=key, forvaltning=where, person_id=person.id, updated_at=now)
    else:
        row.person_id = person.id
        row.updated_at = now
    session.add(row)
    session.flush()
    log_after_commit(session.info, _log, "escalation.holder_set", level=key, person_id=person.id)
    return row


def level_label(registry: WorkflowRegistry, level: str) -> str:
    """The level as the pages name it, in lower case within a sentence ("förvaltningschef")."""
    key = _level(registry, level)
    return known_levels(registry)[key].lower()


def remove_holder(
    session: Session, registry: WorkflowRegistry, level: str, forvaltning: str
) -> None:
    key = _level(registry, level)
    row = session.exec(
        select(EscalationHolder).where(
            EscalationHolder.level == key, EscalationHolder.forvaltning == forvaltning.strip()
        )
    ).first()
    if row is None:
        where = forvaltning.strip() or "hela kommunen"
        raise Refused(f"Ingen har nivån {known_levels(registry)[key].lower()} för {where}.")
    session.delete(row)
