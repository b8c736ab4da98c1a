"""The reminder sweep: find what is due today, write one digest per person to the outbox.

One query for the candidate actions (with owner, plan and area), one for what was already
sent for them, one for the chefs; the planning itself is tracker.domain.reminders. Every
digest and the keys of the reminders it carries (sent_reminder, unique per action, timer and
local day) are written in the caller's transaction: a rerun, a restart or a second scheduler
cannot send the same reminder twice on one day, because the second sweep's transaction
fails on the unique key and, retried, finds nothing left to send.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from config import Settings
from notifications import OutgoingMessage
from notifications.render import (
    Digest,
    DigestItem,
    DigestSection,
    Summary,
    SummaryEntry,
    SummarySection,
    long_date,
    render_digest,
    render_summary,
)
from notifications.swedish import count, weekday_date
from tracker.app import App
from tracker.domain import nouns
from tracker.domain.clock import local_date, start_of_day
from tracker.domain.reminders import (
    DATES_MOVED,
    NOTHING_SENT,
    SECTION_TITLES,
    Due,
    Section,
    Sent,
    due_timers,
    is_overdue,
    lookahead_days,
    report_timer_due,
    section_of,
)
from tracker.domain.report_schedule import Occasion, upcoming_approval
from tracker.domain.roles import PlanScope, chefs_of, may_get_daily_summary
from tracker.domain.workdays import WorkCalendar
from tracker.models import (
    Action,
    ActionEvent,
    Area,
    Person,
    Plan,
    Role,
    SentReminder,
    SentSummary,
)
from tracker.services import absences, control_occurrences, directory, escalations
from tracker.services.actions import PROGRESS
from tracker.services.outbox import enqueue_many
from tracker.services.report_schedule import report_calendar
from tracker.web.links import acknowledge_url, action_url, assign_url, owner_url
from workflows import DEFAULT_NOUN, NounDef, TimerDef, WorkflowRegistry

log = logging.getLogger(__name__)

KIND_REMINDER = "påminnelse"
KIND_ESCALATION = "eskalering"
KIND_SUMMARY = "dagssammanfattning"
DATES_MOVED_LABEL = "Nya datum inför återrapporten"
UNOWNED_TITLE = "Utan ansvarig"
# A chef's lists are cut here: after an import a förvaltning may have hundreds of late
# åtgärder, and a mail listing them all is read by no one. The count is always given.
CHEF_LIST_LIMIT = 50

_A = Action.__table__  # type: ignore[attr-defined]
_P = Plan.__table__  # type: ignore[attr-defined]
_O = Person.__table__  # type: ignore[attr-defined]
_R = Area.__table__  # type: ignore[attr-defined]
_S = SentReminder.__table__  # type: ignore[attr-defined]
_E = ActionEvent.__table__  # type: ignore[attr-defined]
_SS = SentSummary.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Row:
    """A candidate action with what its digest shows, read in the one candidate query."""

    id: int
    plan_id: int
    workflow: str
    state: str
    text: str
    tidsplan: str
    due_on: date | None
    evaluate_on: date | None
    next_report_on: date | None
    progress_note: str
    progress_at: datetime | None
    owner_id: int | None
    owner_name: str | None
    owner_email: str | None
    plan_title: str
    forvaltning: str
    chef_id: int | None
    plan_next_report_on: date | None
    area_title: str


_COLUMNS = (
    _A.c.id,
    _A.c.plan_id,
    _A.c.workflow,
    _A.c.state,
    _A.c.text,
    _A.c.tidsplan,
    _A.c.due_on,
    _A.c.evaluate_on,
    _A.c.next_report_on,
    _A.c.progress_note,
    _A.c.progress_at,
    _A.c.owner_id,
    _O.c.name,
    _O.c.email,
    _P.c.title,
    _P.c.forvaltning,
    _P.c.chef_id,
    _P.c.next_report_on,
    _R.c.title,
)


@dataclass(frozen=True)
class PlannedDigest:
    """One e-mail the sweep writes (or, in a dry run, would write)."""

    person_id: int
    to: str
    name: str
    kind: str
    message: OutgoingMessage
    # Per section title, the action numbers listed: for the dry-run listing and tests.
    listed: tuple[tuple[str, tuple[int, ...]], ...]
    # The förvaltning of every åtgärd in it, or "" when they are of several (OutboxMessage).
    forvaltning: str = ""


@dataclass
class SweepResult:
    today: date
    working_day: bool
    digests: list[PlannedDigest] = field(default_factory=list)
    # (action_id, timer_id, anchor) recorded as sent.
    reminders: list[tuple[int, str, date]] = field(default_factory=list)
    # For the reminders before an återrapport: the update-by day each one named.
    told: dict[tuple[int, str], date] = field(default_factory=dict)
    # The people whose daily summary is among the digests, recorded as sent.
    summaries: list[int] = field(default_factory=list)
    # The steps of escalations that wait for an answer, recorded as sent.
    steps: list[escalations.Step] = field(default_factory=list)
    # The controls of internkontrollplaner opened today (in a dry run: to be opened).
    controls: list[control_occurrences.DueControl] = field(default_factory=list)
    written: bool = False


@dataclass
class _Recipient:
    person_id: int
    name: str
    email: str
    # Own actions: the action and the sections its due reminders belong to.
    own: dict[int, tuple[_Row, set[Section]]] = field(default_factory=dict)
    # Chef timers that fired, per label: the actions.
    escalated: dict[str, list[_Row]] = field(default_factory=dict)
    # Per label of an escalation that waits for an answer: what its section says; and the
    # actions whose items carry a link to acknowledge it.
    escalation_intros: dict[str, str] = field(default_factory=dict)
    acknowledge: dict[int, Person] = field(default_factory=dict)
    # Actions without owner whose owner's reminders fell due: told to the chef instead, as
    # the action and the sections those reminders belong to.
    unowned: dict[int, tuple[_Row, set[Section]]] = field(default_factory=dict)
    # Plans this person is chef of (for listing the other overdue actions).
    chef_plans: set[int] = field(default_factory=set)
    # Paragraphs for a chef: an återrapport of theirs whose dates moved.
    notices: list[str] = field(default_factory=list)


def _candidates(
    session: Session, registry: WorkflowRegistry, today: date, look: int, reporting: set[int]
) -> list[_Row]:
    """The actions something may be due for today; `reporting` are the plans whose
    återrapport is being prepared (their open actions are called on to update)."""
    conds = []
    for name in registry.names():
        wf = registry.get(name).definition
        for t in wf.timers:
            if t.date == "report_update_by":
                continue
            column = _A.c[t.date]
            if t.kind == "before":
                window = column.between(today, today + timedelta(days=t.days + look))
            elif t.kind == "after":
                window = column <= today - timedelta(days=t.days)
            else:
                window = column < today
            conds.append(and_(_A.c.workflow == name, _A.c.state.in_(t.states), window))
        open_states = [s.id for s in wf.states if not s.done]
        if open_states:
            # Overdue ones are listed in every digest that goes out; open ones of a plan with
            # an återrapport being prepared are called for it.
            conds.append(
                and_(
                    _A.c.workflow == name,
                    _A.c.state.in_(open_states),
                    or_(_A.c.due_on < today, _A.c.plan_id.in_(sorted(reporting))),
                )
            )
    if not conds:
        return []
    query = (
        select(*_COLUMNS)
        .select_from(
            _A.join(_P, _P.c.id == _A.c.plan_id)
            .join(_R, _R.c.id == _A.c.area_id)
            .outerjoin(_O, _O.c.id == _A.c.owner_id)
        )
        .where(or_(*conds))
    )
    return [_Row(*r) for r in session.connection().execute(query)]  # type: ignore[call-arg]


def _sent(
    session: Session, registry: WorkflowRegistry, today: date, look: int, keys: Iterable[date]
) -> dict[int, dict[str, Sent]]:
    """What went out before, for the rows that can still matter: recent ones (for the
    "every N days" timers), and those anchored at a date an action still has."""
    intervals = [
        t.days
        for n in registry.names()
        for t in registry.get(n).definition.timers
        if t.kind == "every_after"
    ]
    cutoff = today - timedelta(days=max(intervals, default=0) + look + 1)
    query = (
        select(_S.c.action_id, _S.c.timer_id, _S.c.anchor, func.max(_S.c.local_date))
        .select_from(_S.join(_A, _A.c.id == _S.c.action_id))
        .where(
            or_(
                _S.c.local_date >= cutoff,
                _S.c.anchor >= today,
                _S.c.anchor == _A.c.due_on,
                _S.c.anchor == _A.c.evaluate_on,
                _S.c.anchor == _A.c.next_report_on,
                _S.c.anchor.in_(sorted(set(keys))),
            )
        )
        .group_by(_S.c.action_id, _S.c.timer_id, _S.c.anchor)
    )
    last: dict[tuple[int, str], date] = {}
    anchors: dict[tuple[int, str], set[date]] = defaultdict(set)
    for action_id, timer_id, anchor, latest in session.connection().execute(query):
        key = (action_id, timer_id)
        if key not in last or latest > last[key]:
            last[key] = latest
        if anchor is not None:
            anchors[key].add(anchor)
    out: dict[int, dict[str, Sent]] = defaultdict(dict)
    for (action_id, timer_id), latest in last.items():
        out[action_id][timer_id] = Sent(
            last=latest, anchors=frozenset(anchors.get((action_id, timer_id), ()))
        )
    return out


def _told(session: Session, keys: Sequence[date]) -> dict[tuple[int, date], date]:
    """Per (action, återrapport key): the update-by day the latest reminder before that
    återrapport named, to notice a moved meeting."""
    if not keys:
        return {}
    query = (
        select(_S.c.action_id, _S.c.anchor, _S.c.told_on)
        .where(_S.c.anchor.in_(sorted(set(keys))), _S.c.told_on.is_not(None))
        .order_by(_S.c.local_date, _S.c.id)
    )
    return {(a, k): told for a, k, told in session.connection().execute(query)}


def _persons(session: Session, ids: Sequence[int]) -> dict[int, Person]:
    """The people to sign links for, in chunks (SQLite allows some thousands of parameters)."""
    out: dict[int, Person] = {}
    for i in range(0, len(ids), 5000):
        query = select(Person).where(col(Person.id).in_(ids[i : i + 5000]))
        for person in session.scalars(query):
            assert person.id is not None
            out[person.id] = person
    return out


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _days_reason(row: _Row, section: Section, today: date, deadline: date | None) -> str:
    def until(d: date) -> str:
        n = (d - today).days
        return "i dag" if n == 0 else f"om {_plural(n, 'dag', 'dagar')}"

    def since(d: date) -> str:
        return _plural((today - d).days, "dag", "dagar")

    if section is Section.overdue and row.due_on:
        return f"Försenad {since(row.due_on)} (klart-datum {long_date(row.due_on)})"
    if section is Section.due_soon and row.due_on:
        return f"Ska vara klar {long_date(row.due_on)}, {until(row.due_on)}"
    if section is Section.evaluation_soon and row.evaluate_on:
        return f"Ska utvärderas {long_date(row.evaluate_on)}, {until(row.evaluate_on)}"
    if section is Section.evaluation_overdue and row.evaluate_on:
        return f"Utvärderingen är försenad {since(row.evaluate_on)}"
    if section is Section.report_soon and row.next_report_on:
        return f"Ska återrapporteras {long_date(row.next_report_on)}, {until(row.next_report_on)}"
    if section is Section.report_overdue and row.next_report_on:
        return f"Återrapporteringen är försenad {since(row.next_report_on)}"
    if section is Section.report_call and deadline:
        return f"Uppdatera processläget senast {long_date(max(deadline, today))}"
    if section is Section.report_missed and deadline:
        return f"Processläget uppdaterades inte till {long_date(deadline)}: skriv det nu"
    return SECTION_TITLES[section]


class _ChefIndex:
    """Whom an action's escalations go to (roles.chefs_of), with the chefs indexed; a chef
    away today is replaced by who stands in for them (services.absences)."""

    def __init__(self, people: Iterable[Person], deputies: absences.Deputies) -> None:
        self.deputies = deputies
        self.by_id: dict[int, Person] = {}
        self.by_forvaltning: dict[str, list[Person]] = defaultdict(list)
        for person in people:
            if person.id is not None:
                self.by_id[person.id] = person
            if person.role == Role.chef.value:
                self.by_forvaltning[person.forvaltning].append(person)

    def of(self, row: PlanScope) -> list[Person]:
        # The rule is roles.chefs_of; the index only hands it the few people it may choose
        # from, as it is asked for every candidate row of the sweep.
        named = self.by_id.get(row.chef_id) if row.chef_id is not None else None
        nearby = self.by_forvaltning.get(row.forvaltning, [])
        chefs = chefs_of(row, [named, *nearby] if named is not None else nearby)
        return self.deputies.standing_in(chefs)

    def reply_address(self, rows: Iterable[_Row]) -> str:
        """The one chef an owner's åtgärder answer to, for their digest's Reply-To; "" when
        they answer to several, or to none."""
        addresses = {chef.email for row in rows for chef in self.of(row)}
        return addresses.pop() if len(addresses) == 1 else ""


@dataclass
class _Gathered:
    """What one pass over the candidate actions finds, for the digests to be made from."""

    recipients: dict[int, _Recipient] = field(default_factory=dict)
    # Overdue actions are listed in every digest their owner gets, and a chef's digest lists
    # those of the plans they lead.
    overdue_by_owner: defaultdict[int, list[_Row]] = field(
        default_factory=lambda: defaultdict(list)
    )
    overdue_by_plan: defaultdict[int, list[_Row]] = field(default_factory=lambda: defaultdict(list))
    # Per plan whose återrapport is called for today: the day to update processläget by.
    report_deadlines: dict[int, date] = field(default_factory=dict)
    # Per plan whose återrapport's dates moved since owners were told: the day they were told.
    report_moved: dict[int, date] = field(default_factory=dict)
    # (action_id, timer_id, anchor) of every reminder that goes out.
    keys: list[tuple[int, str, date]] = field(default_factory=list)
    steps: list[escalations.Step] = field(default_factory=list)
    told: dict[tuple[int, str], date] = field(default_factory=dict)

    def recipient(self, person_id: int, name: str, email: str) -> _Recipient:
        rec = self.recipients.get(person_id)
        if rec is None:
            rec = self.recipients[person_id] = _Recipient(person_id, name, email)
        return rec

    def remind_owner(self, row: _Row, overdue: bool, dues: list[Due]) -> None:
        """The owner gets a digest for the reminders due; their overdue actions are noted
        whether or not, to be listed in any digest they get."""
        assert row.owner_id is not None
        if overdue:
            self.overdue_by_owner[row.owner_id].append(row)
        if dues:
            rec = self.recipient(row.owner_id, row.owner_name or "", row.owner_email or "")
            rec.own[row.id] = (row, {section_of(d) for d in dues})
            self.keys.extend((row.id, d.timer_id, d.anchor) for d in dues)

    def escalate(self, row: _Row, dues: list[Due], heads: list[Person]) -> None:
        for chef in heads:
            assert chef.id is not None
            rec = self.recipient(chef.id, chef.name, chef.email)
            for d in dues:
                rec.escalated.setdefault(d.label, []).append(row)
        # With no one to tell, the escalation is not recorded as sent: it goes out once a
        # chef is there.
        if heads:
            self.keys.extend((row.id, d.timer_id, d.anchor) for d in dues)
        else:
            log.warning("åtgärd %s: ingen chef att eskalera till", row.id)

    def remind_unowned(self, row: _Row, dues: list[Due], heads: list[Person]) -> None:
        """Reminders due for an action nobody owns go to the chefs it would escalate to, so
        that they give it an owner now rather than hear of it at its escalation."""
        for chef in heads:
            assert chef.id is not None
            rec = self.recipient(chef.id, chef.name, chef.email)
            rec.unowned[row.id] = (row, {section_of(d) for d in dues})
        # As an escalation: with no one to tell, not recorded as sent, so that it goes out
        # once a chef is there.
        if heads:
            self.keys.extend((row.id, d.timer_id, d.anchor) for d in dues)
        else:
            log.warning("åtgärd %s: ingen ansvarig och ingen chef att påminna", row.id)

    def answerable(self, row: _Row, step: escalations.Step, *, listed: bool) -> None:
        """A step of an escalation that waits for an answer: its recipients get the åtgärd
        with a link to acknowledge it (`listed`: escalate() has listed it already)."""
        self.steps.append(step)
        for person in step.recipients:
            assert person.id is not None
            rec = self.recipient(person.id, person.name, person.email)
            if not listed:
                rec.escalated.setdefault(step.title, []).append(row)
            rec.escalation_intros[step.title] = step.intro
            rec.acknowledge[row.id] = person

    def mark_chef_plans(self, chefs: _ChefIndex) -> None:
        """A chef's digest also lists the other overdue actions in the plans they lead."""
        for rec in self.recipients.values():
            if rec.escalated:
                rec.chef_plans = {
                    pid
                    for pid, rows in self.overdue_by_plan.items()
                    if rows and rec.person_id in {c.id for c in chefs.of(rows[0])}
                }


def _by_due(rows: Iterable[_Row]) -> list[_Row]:
    return sorted(rows, key=lambda r: (r.due_on or date.max, r.id))


def _own_listed(
    rec: _Recipient, overdue_by_owner: dict[int, list[_Row]]
) -> dict[int, tuple[_Row, set[Section]]]:
    """The recipient's actions with a reminder due and, when there are any, every overdue
    one of theirs besides."""
    own = dict(rec.own)
    if own:
        for row in overdue_by_owner.get(rec.person_id, []):
            own.setdefault(row.id, (row, set()))
    return own


def _where(occasion: Occasion) -> str:
    if occasion.from_calendar:
        return f"till {occasion.board} den {long_date(occasion.meeting_on)}"
    return f"den {long_date(occasion.meeting_on)}"


def _report_text(plan_title: str, occasion: Occasion, today: date, kinds: str) -> str:
    """`kinds`: what the owner's items in the plan are called ("kontroller")."""
    deadline = max(occasion.update_by, today)
    return (
        f"Uppdatera inför återrapporten om {plan_title} {_where(occasion)} senast "
        f"{long_date(deadline)}: skriv processläget för dina öppna {kinds} i planen, så att "
        "återrapporten visar hur arbetet går."
    )


def _missed_text(plan_title: str, occasion: Occasion, kinds: str) -> str:
    return (
        f"Processläget för dina {kinds} nedan uppdaterades inte inför återrapporten om "
        f"{plan_title} {_where(occasion)}: sista dag var {long_date(occasion.update_by)}. "
        f"Skriv det nu; utkastet görs {long_date(occasion.draft_on)} och ska godkännas senast "
        f"{long_date(occasion.approve_by)}."
    )


def _moved_text(plan_title: str, occasion: Occasion, was: date) -> str:
    why = (
        f"sammanträdet den {long_date(occasion.cancelled_on)} är inställt och återrapporten "
        f"går till sammanträdet den {long_date(occasion.meeting_on)}"
        if occasion.cancelled_on is not None
        else f"nämndens sammanträde är nu den {long_date(occasion.meeting_on)}"
    )
    return (
        f"Nya datum för återrapporten om {plan_title}: {why}. Sista dag att uppdatera "
        f"processläget är {long_date(occasion.update_by)} (tidigare {long_date(was)}); "
        f"utkastet görs {long_date(occasion.draft_on)} och ska godkännas senast "
        f"{long_date(occasion.approve_by)}."
    )


def _report_notices(
    registry: WorkflowRegistry,
    own: dict[int, tuple[_Row, set[Section]]],
    found: _Gathered,
    occasions: dict[int, Occasion],
    today: date,
) -> tuple[str, ...]:
    """One paragraph per plan whose återrapport the recipient is called on to update for,
    or whose dates moved; the recipient's items in it named by their workflows' nouns."""
    notices = []
    called = {Section.report_call, Section.report_missed}
    for plan_id in sorted({r.plan_id for r, s in own.values() if s & called}):
        plan_row = next(r for r, s in own.values() if r.plan_id == plan_id)
        occasion = occasions[plan_id]
        was = found.report_moved.get(plan_id)
        missed = any(Section.report_missed in s for r, s in own.values() if r.plan_id == plan_id)
        kinds = nouns.plural(
            registry, (r.workflow for r, _ in own.values() if r.plan_id == plan_id)
        )
        if was is not None:
            notices.append(_moved_text(plan_row.plan_title, occasion, was))
        elif missed:
            notices.append(_missed_text(plan_row.plan_title, occasion, kinds))
        else:
            notices.append(_report_text(plan_row.plan_title, occasion, today, kinds))
    return tuple(notices)


def _subject(
    registry: WorkflowRegistry,
    own: Sequence[_Row],
    late: Sequence[_Row],
    escalated: Sequence[_Row],
    labels: Iterable[str],
    unowned: Sequence[_Row] = (),
) -> str:
    """ "Påminnelse: 2 åtgärder och 1 kontroll att uppdatera, varav 1 försenad", each kind
    named by its workflow's noun (tracker.domain.nouns says why not one neutral word)."""
    parts = []
    if own:
        subject = f"Påminnelse: {nouns.counted(registry, (r.workflow for r in own))} att uppdatera"
        if late:
            subject += f", varav {len(late)} {nouns.late(registry, (r.workflow for r in late))}"
        parts.append(subject)
    if escalated:
        # The timers' labels name a state of one åtgärd ("Försenad mer än 30 dagar"), so
        # they head the count instead of following a plural noun.
        listed = ", ".join(labels)
        parts.append(
            f"Eskalering – {listed}: {nouns.counted(registry, (r.workflow for r in escalated))}"
        )
    if unowned:
        parts.append(f"{UNOWNED_TITLE}: {nouns.counted(registry, (r.workflow for r in unowned))}")
    return " · ".join(parts)


def _sole_forvaltning(
    own: dict[int, tuple[_Row, set[Section]]], escalated: dict[str, list[_Row]]
) -> str:
    """The förvaltning all the digest's actions belong to, or "" when they are of several."""
    whose = {r.forvaltning for r, _ in own.values()}
    whose.update(r.forvaltning for rows in escalated.values() for r in rows)
    return whose.pop() if len(whose) == 1 else ""


class _Planner:
    def __init__(
        self,
        session: Session,
        registry: WorkflowRegistry,
        settings: Settings,
        cal: WorkCalendar,
        now: datetime,
    ) -> None:
        self.session = session
        self.registry = registry
        self.settings = settings
        self.cal = cal
        self.now = now
        self.tz = _zone(settings)
        self.today = local_date(now, self.tz)
        self._state_cache: dict[tuple[str, str], tuple[str, bool]] = {}
        self._timer_cache: dict[tuple[str, str], list[TimerDef]] = {}
        self._report_timer_cache: dict[tuple[str, str], list[TimerDef]] = {}
        self.called_from: dict[int, datetime] = {}
        # Who stands in for a chef away today; read by plan().
        self.deputies = absences.NO_DEPUTIES

    def state(self, row: _Row) -> tuple[str, bool]:
        """(label, done) of the row's state."""
        key = (row.workflow, row.state)
        found = self._state_cache.get(key)
        if found is None:
            st = self.registry.get(row.workflow).definition.state(row.state)
            found = self._state_cache[key] = (st.label, st.done)
        return found

    def report_timers(self, row: _Row) -> list[TimerDef]:
        """The row's timers that count from its plan's återrapport (report_update_by)."""
        key = (row.workflow, row.state)
        found = self._report_timer_cache.get(key)
        if found is None:
            found = [t for t in self.timers(row) if t.date == "report_update_by"]
            self._report_timer_cache[key] = found
        return found

    def timers(self, row: _Row) -> list[TimerDef]:
        """The timers of the row's workflow that apply in its state."""
        key = (row.workflow, row.state)
        found = self._timer_cache.get(key)
        if found is None:
            wf = self.registry.get(row.workflow).definition
            found = self._timer_cache[key] = [t for t in wf.timers if row.state in t.states]
        return found

    def plan(self) -> SweepResult:
        """Today's digests and the keys of the reminders they carry; none on a closed day."""
        today = self.today
        result = SweepResult(today=today, working_day=self.cal.is_working(today))
        if not result.working_day:
            return result
        look = lookahead_days(self.cal, today)
        self.reporting = self._reporting()
        rows = self._rows(look)
        keys = [o.key for o in self.reporting.values()]
        sent = _sent(self.session, self.registry, today, look, keys)
        self.deputies = absences.deputies_on(self.session, today)
        chefs = _ChefIndex(
            directory.chef_candidates(
                self.session, (r.chef_id for r in rows if r.chef_id is not None)
            ),
            self.deputies,
        )
        found = _Gathered()
        for row in rows:
            self._gather(row, sent.get(row.id, {}), chefs, found)
        self._climb(rows, found)
        found.mark_chef_plans(chefs)
        self._tell_chefs_of_moves(rows, chefs, found)
        people = _persons(self.session, [p for p, r in found.recipients.items() if r.own])
        result.digests = [
            self._digest(found.recipients[pid], people, found, chefs)
            for pid in sorted(found.recipients)
        ]
        result.reminders = found.keys
        result.steps = found.steps
        result.told = found.told
        summaries = self._summaries()
        result.digests.extend(summaries)
        result.summaries = [d.person_id for d in summaries]
        return result

    def _rows(self, look: int) -> list[_Row]:
        """The candidate actions, less those of a workflow no longer defined."""
        known = set(self.registry.names())
        candidates = _candidates(self.session, self.registry, self.today, look, set(self.reporting))
        return [r for r in candidates if r.workflow in known]

    def _gather(
        self, row: _Row, row_sent: dict[str, Sent], chefs: _ChefIndex, found: _Gathered
    ) -> None:
        """What is due today for one action, to its owner and, escalated, to its chefs."""
        _, done = self.state(row)
        dues = self._timers_due(row, row_sent)
        if not done and row.plan_id in self.reporting:
            dues.extend(self._report_dues(row, row_sent, found))
        overdue = is_overdue(done=done, due_on=row.due_on, today=self.today)
        if overdue:
            found.overdue_by_plan[row.plan_id].append(row)
        owner_dues = [d for d in dues if d.recipient == "owner"]
        if row.owner_id is not None:
            found.remind_owner(row, overdue, owner_dues)
        elif owner_dues:
            found.remind_unowned(row, owner_dues, chefs.of(row))
        chef_dues = [d for d in dues if d.recipient == "chef"]
        if chef_dues:
            heads = chefs.of(row)
            found.escalate(row, chef_dues, heads)
            for d in chef_dues:
                timer = escalations.timer_def(self.registry, row.workflow, d.timer_id)
                if timer is None:
                    continue
                noun = self.registry.get(row.workflow).definition.noun
                for step in escalations.first_steps(
                    timer, row, d.anchor, heads, self.deputies, noun
                ):
                    found.answerable(row, step, listed=True)

    def _climb(self, rows: list[_Row], found: _Gathered) -> None:
        """Escalations nobody acknowledged in time go one level up (services.escalations)."""
        by_id = {r.id: r for r in rows}
        for step in escalations.climbs(
            self.session,
            self.registry,
            by_id,
            today=self.today,
            cal=self.cal,
            deputies=self.deputies,
        ):
            found.answerable(by_id[step.action_id], step, listed=False)

    def _timers_due(self, row: _Row, row_sent: dict[str, Sent]) -> list[Due]:
        return due_timers(
            self.timers(row),
            state=row.state,
            dates={
                "due_on": row.due_on,
                "evaluate_on": row.evaluate_on,
                "next_report_on": row.next_report_on,
            },
            today=self.today,
            cal=self.cal,
            sent=row_sent,
        )

    def _reporting(self) -> dict[int, Occasion]:
        """Per plan whose återrapport is being prepared today, that occasion: from the call
        to update until the approval day, or earlier when its owners were told other dates
        (the meeting moved later) and must hear of the new ones."""
        plans = list(self.session.scalars(select(Plan)))
        self.calendar = report_calendar(
            self.session, self.registry, self.cal, self.settings.report_draft_days_before, plans
        )
        coming: dict[int, Occasion] = {}
        for plan in plans:
            assert plan.id is not None
            found = upcoming_approval(self.calendar.occasions(plan, self.today), self.today)
            if found is not None:
                coming[plan.id] = found
        self.told = _told(self.session, [o.key for o in coming.values()])
        told_keys = {key for _, key in self.told}
        reporting = {
            plan_id: o
            for plan_id, o in coming.items()
            if self.calendar.call_on(o) <= self.today or o.key in told_keys
        }
        self.called_from = {
            plan_id: start_of_day(self.calendar.call_on(o), self.tz)
            for plan_id, o in reporting.items()
        }
        return reporting

    def _report_dues(self, row: _Row, row_sent: dict[str, Sent], found: _Gathered) -> list[Due]:
        """The reminders before the plan's återrapport due today for one open action: the
        call to update, the reminder when not updated, or the notice that its dates moved."""
        occasion = self.reporting[row.plan_id]
        # The instant the call's day began, so a processläge is compared without converting
        # its time for every row: the first-day sweep of bench/reminders.py reads 100,000.
        called = self.called_from[row.plan_id]
        updated = row.progress_at is not None and row.progress_at >= called
        dues = [
            Due(t.id, t.kind, t.date, occasion.key, t.recipient, t.label)
            for t in self.report_timers(row)
            if report_timer_due(
                t,
                update_by=occasion.update_by,
                approve_by=occasion.approve_by,
                today=self.today,
                cal=self.cal,
                sent=occasion.key in row_sent.get(t.id, NOTHING_SENT).anchors,
                updated=updated,
            )
        ]
        was = self.told.get((row.id, occasion.key))
        if not dues and was is not None and was != occasion.update_by and row.owner_id:
            dues.append(
                Due(
                    timer_id=DATES_MOVED,
                    kind="before",
                    date_field="report_update_by",
                    anchor=occasion.key,
                    recipient="owner",
                    label=DATES_MOVED_LABEL,
                )
            )
            found.report_moved[row.plan_id] = was
        for d in dues:
            found.told[(row.id, d.timer_id)] = occasion.update_by
        if dues:
            found.report_deadlines.setdefault(row.plan_id, occasion.update_by)
        return dues

    def _tell_chefs_of_moves(self, rows: list[_Row], chefs: _ChefIndex, found: _Gathered) -> None:
        """The chefs of a plan whose återrapport dates moved hear it with its owners."""
        for plan_id, was in sorted(found.report_moved.items()):
            row = next(r for r in rows if r.plan_id == plan_id)
            for chef in chefs.of(row):
                assert chef.id is not None
                rec = found.recipient(chef.id, chef.name, chef.email)
                rec.notices.append(_moved_text(row.plan_title, self.reporting[plan_id], was))

    def _item(self, row: _Row, section: Section, deadline: date | None, owner: bool) -> DigestItem:
        label, _ = self.state(row)
        return DigestItem(
            number=row.id,
            text=row.text,
            plan=row.plan_title,
            area=row.area_title,
            state=label,
            reason=_days_reason(row, section, self.today, deadline),
            due_on=row.due_on,
            tidsplan=row.tidsplan,
            evaluate_on=row.evaluate_on,
            progress_note=row.progress_note,
            progress_on=row.progress_at.astimezone(self.tz).date() if row.progress_at else None,
            owner=(
                f"{row.owner_name} <{row.owner_email}>"
                if owner and row.owner_email
                else ("ingen ansvarig" if owner else "")
            ),
        )

    def _digest(
        self, rec: _Recipient, people: dict[int, Person], found: _Gathered, chefs: _ChefIndex
    ) -> PlannedDigest:
        own = _own_listed(rec, found.overdue_by_owner)
        placed = self._place(own)
        escalated_ids = {r.id for rows in rec.escalated.values() for r in rows}
        # One escalated to them the same day is listed once, under its escalation.
        unowned = {i: v for i, v in rec.unowned.items() if i not in escalated_ids}
        sections = self._sections(rec, placed, unowned, escalated_ids, found)
        own_rows = [row for rows in placed.values() for row in rows]
        escalated = list({r.id: r for rows in rec.escalated.values() for r in rows}.values())
        digest = replace(
            self._own_link(rec, people, own, chefs),
            subject=_subject(
                self.registry,
                own_rows,
                placed.get(Section.overdue, []),
                escalated,
                rec.escalated,
                [row for row, _ in unowned.values()],
            )
            or DATES_MOVED_LABEL,
            kinds=nouns.plural(self.registry, (r.workflow for r in own_rows)),
            sections=tuple(sections),
            notices=(
                *_report_notices(self.registry, own, found, self.reporting, self.today),
                *rec.notices,
            ),
        )
        only_for_others = bool(escalated_ids or unowned) and not own_rows
        return PlannedDigest(
            person_id=rec.person_id,
            to=rec.email,
            name=rec.name,
            kind=KIND_ESCALATION if only_for_others else KIND_REMINDER,
            message=render_digest(digest),
            listed=tuple((s.title, tuple(i.number for i in s.items)) for s in sections),
            forvaltning=_sole_forvaltning({**own, **unowned}, rec.escalated),
        )

    def _sections(
        self,
        rec: _Recipient,
        placed: dict[Section, list[_Row]],
        unowned: dict[int, tuple[_Row, set[Section]]],
        escalated_ids: set[int],
        found: _Gathered,
    ) -> list[DigestSection]:
        """In the order read: the recipient's own items, those nobody owns, the escalated
        ones, and the other late ones in their plans."""
        return [
            *self._own_sections(placed, found.report_deadlines),
            *self._unowned_section(unowned),
            *self._escalation_sections(rec),
            *self._other_overdue_sections(
                rec, escalated_ids | set(rec.unowned), found.overdue_by_plan
            ),
        ]

    def _own_link(
        self,
        rec: _Recipient,
        people: dict[int, Person],
        own: dict[int, tuple[_Row, set[Section]]],
        chefs: _ChefIndex,
    ) -> Digest:
        """The digest's addressee, and for someone with items of their own the link to them,
        how long it holds, and their chef as the reply address; the rest is filled in after."""
        digest = Digest(
            to=rec.email,
            name=rec.name,
            subject="",
            sections=(),
            site_url=self.settings.public_base_url,
        )
        if not own:
            return digest
        return replace(
            digest,
            link=owner_url(self.settings, people[rec.person_id], now=self.now),
            link_valid_until=self.today + timedelta(days=self.settings.link_max_age_days),
            reply_to=chefs.reply_address(row for row, _ in own.values()),
        )

    def _place(self, own: dict[int, tuple[_Row, set[Section]]]) -> dict[Section, list[_Row]]:
        """Each own action in its most urgent section; an overdue one always under
        försenade, whatever reminder brought it."""
        placed: dict[Section, list[_Row]] = defaultdict(list)
        for row, secs in own.values():
            overdue = is_overdue(done=self.state(row)[1], due_on=row.due_on, today=self.today)
            placed[Section.overdue if overdue else min(secs)].append(row)
        return placed

    def _own_sections(
        self, placed: dict[Section, list[_Row]], deadlines: dict[int, date]
    ) -> list[DigestSection]:
        """A section per Section, in order; within one, the items of a workflow with a
        heading of its own (kontroll.toml's [digest]) under that heading, after the rest."""
        sections = []
        for section in sorted(placed):
            by_heading: dict[str, list[_Row]] = defaultdict(list)
            for row in _by_due(placed[section]):
                by_heading[self._heading(row.workflow, section)].append(row)
            own = SECTION_TITLES[section]
            for title in sorted(by_heading, key=lambda t: t != own):
                sections.append(
                    DigestSection(
                        title=title,
                        items=tuple(
                            self._item(r, section, deadlines.get(r.plan_id), owner=False)
                            for r in by_heading[title]
                        ),
                        urgent=section is Section.overdue,
                    )
                )
        return sections

    def _heading(self, workflow: str, section: Section) -> str:
        heading = self.registry.get(workflow).definition.digest_heading(section.name)
        return heading or SECTION_TITLES[section]

    def _unowned_section(
        self, unowned: dict[int, tuple[_Row, set[Section]]]
    ) -> list[DigestSection]:
        """For a chef: the actions nobody owns whose reminders fell due, each with a link to
        the form on its page that gives it an owner."""
        if not unowned:
            return []
        placed = self._place(unowned)
        rows = _by_due(row for rows in placed.values() for row in rows)
        section_by_id = {row.id: section for section, rows in placed.items() for row in rows}
        kinds = nouns.plural(self.registry, (r.workflow for r in rows), definite=True)
        return [
            DigestSection(
                title=UNOWNED_TITLE,
                items=tuple(
                    replace(
                        self._item(r, section_by_id[r.id], None, owner=False),
                        action_link=assign_url(self.settings, r.id),
                        action_link_label=(
                            f"Ge {self.registry.get(r.workflow).definition.noun.the_one} "
                            "en ansvarig"
                        ),
                    )
                    for r in rows
                ),
                intro=(
                    f"Påminnelserna om {kinds} nedan kunde inte skickas, eftersom ingen är "
                    "ansvarig för dem."
                ),
                urgent=Section.overdue in section_by_id.values(),
            )
        ]

    def _escalation_sections(self, rec: _Recipient) -> list[DigestSection]:
        sections = [
            self._chef_section(
                label,
                _by_due(rows),
                intro=rec.escalation_intros.get(label) or self._escalation_intro(rows),
                urgent=True,
            )
            for label, rows in rec.escalated.items()
        ]
        if not rec.acknowledge:
            return sections
        return [
            replace(section, items=tuple(self._with_link(rec, i) for i in section.items))
            for section in sections
        ]

    def _with_link(self, rec: _Recipient, item: DigestItem) -> DigestItem:
        person = rec.acknowledge.get(item.number)
        if person is None:
            return item
        url = acknowledge_url(self.settings, person, item.number, now=self.now)
        return replace(item, action_link=url, action_link_label="Kvittera eskaleringen")

    def _other_overdue_sections(
        self, rec: _Recipient, escalated_ids: set[int], overdue_by_plan: dict[int, list[_Row]]
    ) -> list[DigestSection]:
        """The overdue actions of the chef's plans not already listed as escalated."""
        if not rec.escalated:
            return []
        others = _by_due(
            r
            for pid in rec.chef_plans
            for r in overdue_by_plan.get(pid, [])
            if r.id not in escalated_ids
        )
        if not others:
            return []
        kinds = nouns.plural(self.registry, (r.workflow for r in others))
        return [self._chef_section(f"Övriga försenade {kinds} i dina planer", others)]

    def _escalation_intro(self, rows: Iterable[_Row]) -> str:
        kinds = nouns.plural(self.registry, (r.workflow for r in rows), definite=True)
        return (
            f"{kinds[:1].upper()}{kinds[1:]} nedan har passerat en gräns för eskalering till "
            "dig som chef."
        )

    def _chef_section(
        self, title: str, rows: list[_Row], *, intro: str = "", urgent: bool = False
    ) -> DigestSection:
        shown = rows[:CHEF_LIST_LIMIT]
        return DigestSection(
            title=title,
            items=tuple(self._item(r, Section.overdue, None, owner=True) for r in shown),
            more=len(rows) - len(shown),
            intro=intro,
            urgent=urgent,
        )

    # --- the chef's daily summary of owners' reports ---------------------------------------

    def _summaries(self) -> list[PlannedDigest]:
        """One summary per chef who chose it and has something reported in a plan they lead,
        unless one went out to them today already."""
        subscribers = {p.id: p for p in _subscribers(self.session, self.today)}
        if not subscribers:
            return []
        since = self.cal.on_or_before(self.today - timedelta(days=1))
        # Whole local days, from the previous working day up to today: the windows of
        # successive working days meet without a gap or an overlap whatever hour the sweep
        # runs at, so each report is summarised once, a weekend's with Monday's.
        reports = _reports(
            self.session, start_of_day(since, self.tz), start_of_day(self.today, self.tz)
        )
        if not reports:
            return []
        chefs = _ChefIndex(
            directory.chef_candidates(self.session, (r.chef_id for r in reports if r.chef_id)),
            self.deputies,
        )
        by_chef: dict[int, list[_Report]] = defaultdict(list)
        for report in reports:
            for chef in chefs.of(report):
                if chef.id is not None and chef.id in subscribers:
                    by_chef[chef.id].append(report)
        return [
            self._summary(subscribers[pid], rows, since) for pid, rows in sorted(by_chef.items())
        ]

    def _summary(self, chef: Person, reports: list[_Report], since: date) -> PlannedDigest:
        assert chef.id is not None
        by_plan: dict[int, list[_Report]] = defaultdict(list)
        for report in reports:
            by_plan[report.plan_id].append(report)
        sections = tuple(
            SummarySection(plan=rows[0].plan_title, entries=tuple(self._entry(r) for r in rows))
            for rows in by_plan.values()
        )
        items = {r.action_id: r.workflow for r in reports}
        last = self.today - timedelta(days=1)
        when = (
            f"under {weekday_date(since)}"
            if since == last
            else f"från och med {weekday_date(since)} till och med {weekday_date(last)}"
        )
        summary = Summary(
            to=chef.email,
            name=chef.name,
            subject=(
                f"Dagssammanfattning: {count(len(reports), 'rapport', 'rapporter')} om "
                f"{nouns.counted(self.registry, items.values())}"
            ),
            intro=f"Det här rapporterade de ansvariga i planerna du leder {when}.",
            sections=sections,
            site_url=self.settings.public_base_url,
        )
        whose = {r.forvaltning for r in reports}
        return PlannedDigest(
            person_id=chef.id,
            to=chef.email,
            name=chef.name,
            kind=KIND_SUMMARY,
            message=render_summary(summary),
            listed=tuple(
                (rows[0].plan_title, tuple(dict.fromkeys(r.action_id for r in rows)))
                for rows in by_plan.values()
            ),
            forvaltning=whose.pop() if len(whose) == 1 else "",
        )

    def _entry(self, report: _Report) -> SummaryEntry:
        local = report.at.astimezone(self.tz)
        if report.trigger != PROGRESS and report.from_state != report.to_state:
            what = f"Läget ändrat till {self._state_label(report.workflow, report.to_state)}"
            if report.from_state:
                what += f" (från {self._state_label(report.workflow, report.from_state)})"
        else:
            what = "Nytt processläge"
        return SummaryEntry(
            number=report.action_id,
            action=report.action_text,
            owner=f"{report.owner_name} <{report.owner_email}>",
            at=f"{weekday_date(local.date())} kl. {local:%H.%M}",
            what=what,
            text=report.text,
            link=action_url(self.settings, report.action_id),
            link_label=f"Öppna {self._noun(report.workflow).the_one}",
        )

    def _noun(self, workflow: str) -> NounDef:
        if workflow not in self.registry.names():
            return DEFAULT_NOUN
        return self.registry.get(workflow).definition.noun

    def _state_label(self, workflow: str, state: str | None) -> str:
        """The state's Swedish label; its id when its workflow no longer defines it."""
        if state is None:
            return "–"
        if workflow not in self.registry.names():
            return state
        try:
            return self.registry.get(workflow).definition.state(state).label
        except KeyError:
            return state


@dataclass(frozen=True)
class _Report:
    """Something an owner reported on an åtgärd (one event), with what the summary shows."""

    action_id: int
    at: datetime
    trigger: str
    from_state: str | None
    to_state: str | None
    text: str
    action_text: str
    workflow: str
    plan_id: int
    plan_title: str
    forvaltning: str
    chef_id: int | None
    owner_name: str
    owner_email: str


def _subscribers(session: Session, today: date) -> list[Person]:
    """Those who chose the daily summary, may get it, and have not had today's."""
    sent_today = select(_SS.c.person_id).where(_SS.c.local_date == today)
    query = select(Person).where(
        col(Person.daily_summary).is_(True), col(Person.id).not_in(sent_today)
    )
    return [p for p in session.scalars(query) if may_get_daily_summary(p)]


def _reports(session: Session, start: datetime, end: datetime) -> list[_Report]:
    """What owners reported in [start, end): a new processläge, or a change of state, made by
    the åtgärd's owner (a chef's own changes are not news to the chef). By plan, oldest
    first."""
    query = (
        select(
            _E.c.action_id,
            _E.c.at,
            _E.c.trigger,
            _E.c.from_state,
            _E.c.to_state,
            _E.c.text,
            _A.c.text,
            _A.c.workflow,
            _P.c.id,
            _P.c.title,
            _P.c.forvaltning,
            _P.c.chef_id,
            _O.c.name,
            _O.c.email,
        )
        .select_from(
            _E.join(_A, _A.c.id == _E.c.action_id)
            .join(_P, _P.c.id == _A.c.plan_id)
            .join(_O, _O.c.id == _E.c.actor_id)
        )
        .where(
            _E.c.at >= start,
            _E.c.at < end,
            _E.c.actor_id == _A.c.owner_id,
            or_(_E.c.trigger == PROGRESS, _E.c.from_state != _E.c.to_state),
        )
        .order_by(_P.c.id, _E.c.at, _E.c.id)
    )
    return [_Report(*r) for r in session.connection().execute(query)]  # type: ignore[call-arg]


def _zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def mail_domain(settings: Settings) -> str:
    return settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "localhost"


def sweep(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    *,
    now: datetime,
    dry_run: bool = False,
    calendar: WorkCalendar | None = None,
) -> SweepResult:
    """Open the controls due (tracker.services.control_occurrences), plan today's reminders
    and, unless a dry run, write them in the caller's transaction. A dry run lists the
    controls it would open and opens none."""
    cal = calendar or WorkCalendar()
    today = local_date(now, _zone(settings))
    controls: list[control_occurrences.DueControl] = []
    if cal.is_working(today):
        find = control_occurrences.due_controls
        if dry_run:
            controls = find(session, registry, today=today, cal=cal)
        else:
            controls = control_occurrences.open_due_controls(
                session, registry, now=now, today=today, cal=cal
            )
    result = _Planner(session, registry, settings, cal, now).plan()
    result.controls = controls
    if dry_run or not result.digests:
        return result
    # The keys first: a concurrent sweep that got here first makes this fail before any
    # outbox row is written (on PostgreSQL it waits for that sweep's commit, then fails).
    # An empty list would be taken as one row of defaults, so each insert needs rows.
    if result.reminders:
        session.connection().execute(
            insert(_S),
            [
                {
                    "action_id": action_id,
                    "timer_id": timer_id,
                    "local_date": result.today,
                    "anchor": anchor,
                    "told_on": result.told.get((action_id, timer_id)),
                    "created_at": now,
                }
                for action_id, timer_id, anchor in result.reminders
            ],
        )
    escalations.record_steps(session, result.steps, now=now, today=result.today)
    if result.summaries:
        session.connection().execute(
            insert(_SS),
            [
                {"person_id": person_id, "local_date": result.today, "created_at": now}
                for person_id in result.summaries
            ],
        )
    enqueue_many(
        session,
        [(d.message, d.kind, d.forvaltning) for d in result.digests],
        now=now,
        domain=mail_domain(settings),
    )
    result.written = True
    return result


def send_reminders(
    app: App, *, now: datetime, dry_run: bool = False, attempts: int = 3
) -> SweepResult:
    """The sweep in its own transaction, retried when another sweep wrote the same keys."""
    for attempt in range(1, attempts + 1):
        try:
            with app.transaction() as session:
                return sweep(session, app.registry, app.settings, now=now, dry_run=dry_run)
        except IntegrityError:
            if attempt == attempts:
                raise
            log.info("en annan påminnelsekörning hann före; planerar om (försök %d)", attempt)
    raise AssertionError("unreachable")


def recorded(session: Session, *, since: date | None = None) -> Sequence[Any]:
    """(local_date, action_id, timer_id, anchor) of sent reminders, oldest first."""
    query = select(_S.c.local_date, _S.c.action_id, _S.c.timer_id, _S.c.anchor).order_by(
        _S.c.local_date, _S.c.action_id, _S.c.timer_id
    )
    if since is not None:
        query = query.where(_S.c.local_date >= since)
    return list(session.connection().execute(query))
