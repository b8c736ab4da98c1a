"""The reminders page: what went out to whom and when, and what the next sweep will send.

What went out is read from the sent-reminder keys (per åtgärd) and the outbox (per person);
what will go out is the sweep itself as a dry run, at the next working day's send time, with
the controls of internkontrollplaner it would open. All are cut to what the viewer may see:
the outbox by its förvaltning, åtgärder by their plans, controls by their internkontrollplan.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from config import Settings
from tracker.domain.reminders import DATES_MOVED
from tracker.domain.workdays import WorkCalendar, next_send_time
from tracker.models import (
    Action,
    ActionEvent,
    ControlPlan,
    OutboxMessage,
    Person,
    Plan,
    SentReminder,
)
from tracker.services.actions import ASSIGNED
from tracker.services.control_occurrences import DueControl
from tracker.services.reminders import (
    DATES_MOVED_LABEL,
    KIND_ESCALATION,
    KIND_REMINDER,
    PlannedDigest,
    sweep,
)
from workflows import WorkflowRegistry
from workflows.registry import DEFAULT_ACTION_WORKFLOW

# Reminder history shown, and at most how many rows of each kind: enough for a week's
# follow-up, never the whole table.
HISTORY_DAYS = 30
HISTORY_LIMIT = 500

_S = SentReminder.__table__  # type: ignore[attr-defined]
_A = Action.__table__  # type: ignore[attr-defined]
_P = Plan.__table__  # type: ignore[attr-defined]
_O = Person.__table__  # type: ignore[attr-defined]
_M = OutboxMessage.__table__  # type: ignore[attr-defined]
_E = ActionEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class MailRow:
    """A reminder or escalation e-mail, with the person it went to (None: no longer known)."""

    message: OutboxMessage
    person: Person | None


def reminder_mail(session: Session, *, forvaltning: str | None, since: datetime) -> list[MailRow]:
    """Reminder and escalation e-mails queued since `since`, newest first; `forvaltning`:
    only that förvaltning's (the outbox's own rule; None: all)."""
    query = (
        select(OutboxMessage, Person)
        .join(Person, col(Person.email) == col(OutboxMessage.to_addr), isouter=True)
        .where(
            col(OutboxMessage.kind).in_((KIND_REMINDER, KIND_ESCALATION)),
            col(OutboxMessage.created_at) >= since,
        )
        .order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
        .limit(HISTORY_LIMIT)
    )
    if forvaltning is not None:
        query = query.where(col(OutboxMessage.forvaltning) == forvaltning)
    return [MailRow(message, person) for message, person in session.exec(query)]


@dataclass(frozen=True)
class SentRow:
    """One reminder about one åtgärd: the day it went out, what it said, and to whom."""

    local_date: date
    action_id: int
    action_text: str
    plan_title: str
    label: str
    to_chef: bool
    # The owner it went to, when the åtgärd has had no other owner since (and their digest
    # of that sweep is in the outbox); None for a chef's escalation or an owner replaced.
    owner_name: str | None
    # The åtgärd had no owner, so the reminder went to its chefs (services.reminders): it
    # has none now and has had none given since.
    unowned: bool = False
    # Its workflow, which names it: an åtgärd, a beslut.
    workflow: str = DEFAULT_ACTION_WORKFLOW


def sent_reminders(
    session: Session, registry: WorkflowRegistry, *, plan_ids: Collection[int] | None, since: date
) -> list[SentRow]:
    """Reminders recorded as sent since `since` about åtgärder of `plan_ids` (None: all),
    newest first."""
    # The owner's digest of the same sweep (written at the same moment as the key), when the
    # åtgärd has had no other owner since: then the owner now is the one it went to.
    reassigned = exists().where(
        _E.c.action_id == _S.c.action_id, _E.c.trigger == ASSIGNED, _E.c.at > _S.c.created_at
    )
    digest = and_(
        _M.c.created_at == _S.c.created_at,
        _M.c.to_addr == _O.c.email,
        _M.c.kind == KIND_REMINDER,
        ~reassigned,
    )
    query = (
        core_select(
            _S.c.local_date,
            _S.c.action_id,
            _S.c.timer_id,
            _A.c.text,
            _A.c.workflow,
            _P.c.title,
            _O.c.name,
            _M.c.id,
            _A.c.owner_id.is_(None) & ~reassigned,
        )
        .select_from(
            _S.join(_A, _A.c.id == _S.c.action_id)
            .join(_P, _P.c.id == _A.c.plan_id)
            .outerjoin(_O, _O.c.id == _A.c.owner_id)
            .outerjoin(_M, digest)
        )
        .where(_S.c.local_date >= since)
        .order_by(_S.c.local_date.desc(), _S.c.action_id, _S.c.timer_id)
        .limit(HISTORY_LIMIT)
    )
    if plan_ids is not None:
        query = query.where(_A.c.plan_id.in_(sorted(plan_ids)))
    timers = _timers(registry)
    out = []
    for (
        day,
        action_id,
        timer_id,
        text,
        workflow,
        plan_title,
        owner,
        mail_id,
        unowned,
    ) in session.connection().execute(query):
        label, to_chef = timers.get((workflow, timer_id), (timer_id, False))
        shown = owner if mail_id is not None and not to_chef else None
        out.append(
            SentRow(
                day, action_id, text, plan_title, label, to_chef, shown, bool(unowned), workflow
            )
        )
    return out


def _timers(registry: WorkflowRegistry) -> dict[tuple[str, str], tuple[str, bool]]:
    """(workflow, timer id) -> (what the reminder says, whether it goes to the chef)."""
    out = {}
    for name in registry.names():
        out[(name, DATES_MOVED)] = (DATES_MOVED_LABEL, False)
        for t in registry.get(name).definition.timers:
            out[(name, t.id)] = (t.label, t.recipient == "chef")
    return out


@dataclass(frozen=True)
class PreviewSection:
    title: str
    actions: list[tuple[int, str]]  # (id, text) of the åtgärder the viewer may see


@dataclass(frozen=True)
class PreviewDigest:
    person_id: int
    to: str
    name: str
    kind: str
    # The subject only when the viewer may see every åtgärd in the e-mail: it counts them.
    subject: str | None
    sections: list[PreviewSection]


@dataclass(frozen=True)
class PreviewControl:
    """A control of an internkontrollplan that the sweep will open, and so put in its owner's
    e-mail that morning."""

    control_plan_id: int
    plan_title: str
    process: str
    text: str
    due_on: date
    owner_name: str  # "" when the kontrollmoment has no owner
    owner_email: str


@dataclass(frozen=True)
class Preview:
    at: datetime  # when the sweep will run
    digests: list[PreviewDigest]
    # The controls it will open first, in the order it opens them.
    controls: list[PreviewControl]
    # The workflows of the items the digests list that the viewer may see: what names them.
    workflows: list[str] = field(default_factory=list)


def preview(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    *,
    now: datetime,
    may_see: Callable[[Plan], bool],
    may_see_control_plan: Callable[[ControlPlan], bool],
) -> Preview:
    """What the next sweep would send (a dry run: nothing is written), as far as it concerns
    plans that `may_see` lets through, and the controls it would open (the dry run's own
    list) of the internkontrollplaner that `may_see_control_plan` lets through."""
    cal = WorkCalendar()
    at = next_send_time(
        now,
        ZoneInfo(settings.timezone),
        cal,
        time(settings.reminder_hour, settings.reminder_minute),
    )
    result = sweep(session, registry, settings, now=at, dry_run=True, calendar=cal)
    listed = {i for d in result.digests for _, ids in d.listed for i in ids}
    visible = _visible_actions(session, listed, may_see)
    digests = [_scoped(d, {i: text for i, (text, _) in visible.items()}) for d in result.digests]
    controls = [_control(c) for c in result.controls if may_see_control_plan(c.control_plan)]
    return Preview(
        at=at,
        digests=[d for d in digests if d.sections],
        controls=controls,
        workflows=[workflow for _, workflow in visible.values()],
    )


def _control(due: DueControl) -> PreviewControl:
    assert due.control_plan.id is not None
    return PreviewControl(
        control_plan_id=due.control_plan.id,
        plan_title=due.control_plan.title,
        process=due.risk.process,
        text=due.point.text,
        due_on=due.due_on,
        owner_name=due.owner.name if due.owner else "",
        owner_email=due.owner.email if due.owner else "",
    )


def _visible_actions(
    session: Session, ids: Iterable[int], may_see: Callable[[Plan], bool]
) -> dict[int, tuple[str, str]]:
    """The texts and workflows of the åtgärder among `ids` in plans the viewer may see, by
    id."""
    plans = {p.id: p for p in session.exec(select(Plan))}
    wanted = sorted(ids)
    out: dict[int, tuple[str, str]] = {}
    # In chunks: SQLite allows some thousands of parameters.
    for i in range(0, len(wanted), 5000):
        query = select(Action.id, Action.text, Action.plan_id, Action.workflow).where(
            col(Action.id).in_(wanted[i : i + 5000])
        )
        for action_id, text, plan_id, workflow in session.exec(query):
            if action_id is not None and may_see(plans[plan_id]):
                out[action_id] = (text, workflow)
    return out


def _scoped(digest: PlannedDigest, visible: dict[int, str]) -> PreviewDigest:
    sections = [
        PreviewSection(title, [(i, visible[i]) for i in ids if i in visible])
        for title, ids in digest.listed
    ]
    whole = all(i in visible for _, ids in digest.listed for i in ids)
    return PreviewDigest(
        person_id=digest.person_id,
        to=digest.to,
        name=digest.name,
        kind=digest.kind,
        subject=digest.message.subject if whole else None,
        sections=[s for s in sections if s.actions],
    )
