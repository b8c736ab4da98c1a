"""The e-mails that carry a person's link: an owner's (on assignment, or asked for again) and a
log-in link; and taking back an assignment's mail that stopped being true before it went.

Each goes into the outbox in the caller's transaction, so it is sent only if the change that
caused it commits. notifications renders them from plain data; this module says what they
tell of, to whom and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from config import Settings
from notifications import OutgoingMessage
from notifications.render import (
    LoginMail,
    OwnerItem,
    OwnerMail,
    render_login_mail,
    render_owner_mail,
)
from notifications.swedish import either
from tracker.domain import nouns
from tracker.domain.protokoll import source_line
from tracker.domain.roles import OWNER
from tracker.models import (
    Action,
    ActionEvent,
    ControlPlan,
    ControlPoint,
    ControlRisk,
    OutboxMessage,
    Person,
    Plan,
    Protokoll,
)
from tracker.services.actions import ASSIGNED, owned_actions
from tracker.services.audits import answered_by_actions
from tracker.services.outbox import (
    PENDING,
    about,
    about_points,
    count_recent,
    enqueue,
    rewrite_pending,
    unsent_about,
    withdraw,
)
from tracker.services.people import find_person
from tracker.services.plans import assigned_since, plans_owned_by, reply_address
from tracker.web.links import login_url, owner_url
from workflows import DEFAULT_NOUN, NounDef, WorkflowRegistry

KIND_ASSIGNED = "tilldelning"
KIND_OWNER_LINK = "lank"
KIND_LOGIN = "inloggning"


@dataclass(frozen=True)
class TakenBack:
    """A former owner's assignment mail that was still waiting: withdrawn (`kept` and
    `points` 0), or written anew for the `kept` åtgärder and the `points` kontrollmoment
    that are still theirs."""

    to: str
    # The addressee's name, "" when they are no longer known.
    name: str
    kept: int
    points: int = 0

    @property
    def withdrawn(self) -> bool:
        return self.kept == 0 and self.points == 0


def _owner_reply_to(session: Session, person: Person, plan: Plan | None) -> str:
    """An owner's mail answers to the chef of the plan, or of all their åtgärder."""
    if plan is not None and plan.id is not None:
        return reply_address(session, [plan.id])
    assert person.id is not None
    return reply_address(session, plans_owned_by(session, person.id))


def _queue(
    session: Session,
    settings: Settings,
    message: OutgoingMessage,
    *,
    kind: str,
    forvaltning: str,
    now: datetime,
    send_at: datetime | None = None,
    about: Sequence[int] = (),
    points: Sequence[int] = (),
) -> OutboxMessage:
    """outbox.enqueue, with a Message-ID in the domain of the address the mail is from."""
    domain = settings.mail_from.rsplit("@", 1)[-1] or "localhost"
    return enqueue(
        session,
        message,
        kind=kind,
        forvaltning=forvaltning,
        now=now,
        domain=domain,
        send_at=send_at,
        about=about,
        points=points,
    )


def _ids(actions: Sequence[Action]) -> list[int]:
    return [a.id for a in actions if a.id is not None]


def _sources(session: Session, actions: Sequence[Action]) -> dict[int, list[str]]:
    """Where each åtgärd came from, when it records it: the protokoll and punkt it was
    decided in, the granskning's rekommendationer it answers."""
    out = answered_by_actions(session, _ids(actions))
    for a in actions:
        found = session.get(Protokoll, a.protokoll_id) if a.protokoll_id is not None else None
        if found is not None and a.id is not None:
            line = source_line(found.body, found.meeting_on, a.protokoll_item)
            out[a.id] = [line, *out.get(a.id, [])]
    return out


def _owner_buttons(registry: WorkflowRegistry, actions: Sequence[Action]) -> list[str]:
    """The buttons the owner finds on these åtgärder as they stand, each once: the mail's
    examples of moving them on, true to each åtgärd's own workflow."""
    labels: dict[str, None] = {}
    for a in actions:
        for t in registry.get(a.workflow).available(a.state, {OWNER}):
            labels.setdefault(t.label)
    return list(labels)


def _owner_mail(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    person: Person,
    actions: Sequence[Action],
    *,
    subject: str,
    url: str,
    plan: Plan | None,
    reply_to: str,
    assigned: bool = False,
    assigned_by: Person | None = None,
    points: Sequence[str] = (),
) -> OutgoingMessage:
    """An owner's mail about `actions` (none: about the link alone, named by all the owner
    has) and kontrollmoment given with them (`points`): each åtgärd with where it came from,
    and the owner's buttons on them as examples."""
    sources = _sources(session, actions)
    noun = _noun(registry, actions)
    workflows = _workflows(actions) or _owned_workflows(session, person)
    given = (
        nouns.counted(registry, _workflows(actions), points=len(points))
        if points
        else nouns.counted(registry, workflows)
    )
    return render_owner_mail(
        OwnerMail(
            to=person.email,
            name=person.name,
            subject=subject,
            url=url,
            days=settings.link_max_age_days,
            items=tuple(
                OwnerItem(a.text, a.tidsplan, tuple(sources.get(a.id, ())) if a.id else ())
                for a in actions
            ),
            plan=plan.title if plan is not None else "",
            assigned=assigned,
            assigned_by=assigned_by.name if assigned_by is not None else "",
            assigned_by_email=assigned_by.email if assigned_by is not None else "",
            examples=either(_owner_buttons(registry, actions)),
            reply_to=reply_to,
            item=noun.a,
            your_item=noun.your,
            the_item=noun.the_one,
            it=noun.it,
            counted=given,
            kinds=nouns.plural(registry, workflows),
            points=tuple(points),
        )
    )


def _noun(registry: WorkflowRegistry, actions: Sequence[Action]) -> NounDef:
    """What the one item of a mail about one is called; the åtgärd's word otherwise, which
    the mail about several does not use."""
    return registry.get(actions[0].workflow).definition.noun if len(actions) == 1 else DEFAULT_NOUN


def _workflows(actions: Sequence[Action]) -> list[str]:
    return [a.workflow for a in actions]


def _owned_workflows(session: Session, person: Person) -> list[str]:
    """The workflows of all the person's items: a link to them names them ("dina kontroller")."""
    if person.id is None:
        return []
    return [a.workflow for a, _, _, _ in owned_actions(session, person.id)]


def queue_owner_link(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    person: Person,
    *,
    now: datetime,
    action: Action | None = None,
    plan: Plan | None = None,
) -> OutboxMessage:
    """The owner's link, sent again: for one åtgärd, or, without `action`, for all of theirs.
    (An assignment's mail is queue_assignments'.)"""
    message = _owner_link_message(
        session, registry, settings, person, now=now, action=action, plan=plan
    )
    # A link to a plan's åtgärd is the plan's förvaltning's; a link the owner asked for, the
    # owner's.
    forvaltning = plan.forvaltning if plan is not None else person.forvaltning
    return _queue(
        session, settings, message, kind=KIND_OWNER_LINK, forvaltning=forvaltning, now=now
    )


def _owner_link_message(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    person: Person,
    *,
    now: datetime,
    action: Action | None = None,
    plan: Plan | None = None,
    assigned_by: Person | None = None,
    assigned: bool = False,
) -> OutgoingMessage:
    url = owner_url(settings, person, now=now, action_id=action.id if action else None)
    noun = _noun(registry, [action] if action is not None else [])
    if action is not None and assigned:
        subject = f"Du är ansvarig för {noun.a}"
        if plan is not None:
            subject += f" i {plan.title}"
    elif action is not None:
        subject = f"Länk till {noun.your}"
    else:
        kinds = nouns.plural(registry, _owned_workflows(session, person))
        subject = f"Din länk till dina {kinds}"
    return _owner_mail(
        session,
        registry,
        settings,
        person,
        [action] if action is not None else [],
        subject=subject,
        url=url,
        plan=plan,
        reply_to=_owner_reply_to(session, person, plan),
        assigned=assigned,
        assigned_by=assigned_by,
    )


def link_mail_allowed(session: Session, settings: Settings, person: Person, now: datetime) -> bool:
    """Whether one more link e-mail (log-in or new owner link) may go to the person now: at
    most settings.link_requests_per_hour in the last hour."""
    sent = count_recent(
        session, person.email, (KIND_LOGIN, KIND_OWNER_LINK), since=now - timedelta(hours=1)
    )
    return sent < settings.link_requests_per_hour


def queue_login_link(
    session: Session, settings: Settings, person: Person, *, now: datetime
) -> OutboxMessage:
    message = render_login_mail(
        LoginMail(
            to=person.email,
            name=person.name,
            subject="Din inloggningslänk till åtgärdsplanerna",
            url=login_url(settings, person, now=now),
            minutes=settings.login_link_max_age_minutes,
        )
    )
    return _queue(
        session, settings, message, kind=KIND_LOGIN, forvaltning=person.forvaltning, now=now
    )


def queue_assignments(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    owner: Person,
    plan: Plan | None,
    actions: Sequence[Action],
    *,
    now: datetime,
    assigned_by: Person | None,
    points: Sequence[int] = (),
) -> OutboxMessage | None:
    """The e-mail that tells an owner about åtgärder just given to them: one mail for the
    assignments made within settings.assignment_mail_minutes, not one per åtgärd. It waits
    that long in the outbox; a later assignment in the meantime rewrites it to list all,
    with the kontrollmoment it listed that are still theirs. (Mail that told a former owner
    of these åtgärder was taken back when they were assigned:
    tracker.services.assigning.assign.) `plan` None: the åtgärder are of several plans (a
    hand-over), and the mail is of their förvaltning, or the owner's when they are of
    several. `assigned_by` None: given from the command line, by nobody the mail names.
    `points`: the ids of kontrollmoment given with them (a hand-over), listed too."""
    if not actions and not points:
        return None
    if plan is None:
        plan_ids = list({a.plan_id for a in actions})
        found = session.exec(select(Plan.forvaltning).where(col(Plan.id).in_(plan_ids)))
        places = set(found)
        forvaltning = places.pop() if len(places) == 1 else owner.forvaltning
    else:
        forvaltning = plan.forvaltning
    gathering = _gathering_mail(session, owner, now)
    if gathering is not None:
        assert gathering.id is not None
        assigned = assigned_since(session, owner, gathering.created_at)
        listed = list({a.id: a for a in [*assigned, *actions]}.values())
        kept = _points_of(session, owner, [*about_points(session, gathering.id), *points])
        message = _assignment_message(
            session,
            registry,
            settings,
            owner,
            listed,
            now,
            assigned_by,
            _point_lines(session, kept),
        )
        if rewrite_pending(session, gathering, message, now=now, about=_ids(listed), points=kept):
            return gathering
    message = _assignment_message(
        session, registry, settings, owner, actions, now, assigned_by, _point_lines(session, points)
    )
    return _queue(
        session,
        settings,
        message,
        kind=KIND_ASSIGNED,
        forvaltning=forvaltning,
        now=now,
        send_at=now + timedelta(minutes=settings.assignment_mail_minutes),
        about=_ids(actions),
        points=points,
    )


def _points_of(session: Session, person: Person, point_ids: Sequence[int]) -> list[int]:
    """Those of the kontrollmoment that are the person's now, each once, in the order
    given."""
    if not point_ids:
        return []
    theirs = set(
        session.exec(
            select(ControlPoint.id).where(
                col(ControlPoint.id).in_(point_ids), ControlPoint.owner_id == person.id
            )
        )
    )
    return [p for p in dict.fromkeys(point_ids) if p in theirs]


def _point_lines(session: Session, point_ids: Sequence[int]) -> list[str]:
    """The kontrollmoment as an owner's mail lists them, in the order of their plans:
    "Attestkontroll (mars och oktober), Internkontrollplan 2018 – Socialnämnden"."""
    if not point_ids:
        return []
    rows = session.exec(
        select(ControlPoint, ControlPlan.title)
        .join(ControlRisk, col(ControlRisk.id) == ControlPoint.risk_id)
        .join(ControlPlan, col(ControlPlan.id) == ControlRisk.plan_id)
        .where(col(ControlPoint.id).in_(list(point_ids)))
        .order_by(col(ControlPlan.id), col(ControlRisk.position), col(ControlPoint.position))
    )
    return [f"{p.text} ({p.frequency_text}), {title}" for p, title in rows]


def take_back(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    action_ids: Sequence[int],
    owner: Person | None,
    *,
    now: datetime,
    points: Sequence[int] = (),
) -> list[TakenBack]:
    """An assignment mail not yet sent that tells someone other than `owner`, who now has
    `action_ids` and the kontrollmoment `points` (None: nobody has the kontrollmoment
    now), that one of them is theirs is no longer true: withdrawn when none of its
    åtgärder and kontrollmoment are theirs now, else written anew, all of it, for those
    that are. Mail already sent (or being sent) is left as it is. Says what it took back."""
    taken: list[TakenBack] = []
    not_to = owner.email if owner is not None else ""
    rows = unsent_about(session, action_ids, kind=KIND_ASSIGNED, not_to=not_to, points=points)
    for row in rows:
        assert row.id is not None
        addressee = find_person(session, row.to_addr)
        told = about(session, row.id)
        still = [
            a
            for a in session.exec(select(Action).where(col(Action.id).in_(told)))
            if addressee is not None and a.owner_id == addressee.id
        ]
        kept = (
            _points_of(session, addressee, about_points(session, row.id))
            if addressee is not None
            else []
        )
        name = addressee.name if addressee is not None else ""
        if addressee is None or not (still or kept):
            if withdraw(session, row):
                taken.append(TakenBack(row.to_addr, name, 0))
            continue
        message = _assignment_message(
            session,
            registry,
            settings,
            addressee,
            still,
            now,
            _given_by(session, still),
            _point_lines(session, kept),
        )
        if _replace(session, settings, row, message, still, kept, now):
            taken.append(TakenBack(row.to_addr, name, len(still), len(kept)))
    return taken


def _given_by(session: Session, actions: Sequence[Action]) -> Person | None:
    """Who gave these åtgärder to their owner, as a mail written anew names them: whoever made
    the latest of those assignments (not whoever took one of them away)."""
    event = session.exec(
        select(ActionEvent)
        .where(col(ActionEvent.action_id).in_(_ids(actions)), ActionEvent.trigger == ASSIGNED)
        .order_by(col(ActionEvent.at).desc(), col(ActionEvent.id).desc())
    ).first()
    if event is None or event.actor_id is None:
        return None
    return session.get(Person, event.actor_id)


def _replace(
    session: Session,
    settings: Settings,
    row: OutboxMessage,
    message: OutgoingMessage,
    still: Sequence[Action],
    kept: Sequence[int],
    now: datetime,
) -> bool:
    """Put `message` in the place of `row`: rewritten while it waits, else (its time has
    come, or it failed) withdrawn and queued anew to go at once. False if a dispatcher took
    it meanwhile: then it goes out as it was."""
    if rewrite_pending(session, row, message, now=now, about=_ids(still), points=kept):
        return True
    if not withdraw(session, row):
        return False
    _queue(
        session,
        settings,
        message,
        kind=KIND_ASSIGNED,
        forvaltning=row.forvaltning,
        now=now,
        about=_ids(still),
        points=kept,
    )
    return True


def _gathering_mail(session: Session, owner: Person, now: datetime) -> OutboxMessage | None:
    """The owner's assignment mail still waiting for more, if there is one."""
    return session.exec(
        select(OutboxMessage).where(
            OutboxMessage.to_addr == owner.email,
            OutboxMessage.kind == KIND_ASSIGNED,
            OutboxMessage.status == PENDING,
            OutboxMessage.attempts == 0,
            col(OutboxMessage.next_attempt_at) > now,
        )
    ).first()


def _assignment_message(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    owner: Person,
    actions: Sequence[Action],
    now: datetime,
    assigned_by: Person | None,
    points: Sequence[str] = (),
) -> OutgoingMessage:
    """One åtgärd: the mail with its own link; several, or kontrollmoment (`points`) too: a
    list and the link to all."""
    plan_ids = {a.plan_id for a in actions}
    # Kontrollmoment are of an internkontrollplan, not of the åtgärder's plan.
    plan = session.get(Plan, plan_ids.pop()) if len(plan_ids) == 1 and not points else None
    if len(actions) == 1 and not points:
        return _owner_link_message(
            session, registry, settings, owner, now=now, action=actions[0], plan=plan,
            assigned_by=assigned_by, assigned=True,
        )  # fmt: skip
    where = f" i {plan.title}" if plan is not None else ""
    return _owner_mail(
        session,
        registry,
        settings,
        owner,
        actions,
        subject=(
            f"Du är ansvarig för "
            f"{nouns.counted(registry, _workflows(actions), points=len(points))}{where}"
        ),
        url=owner_url(settings, owner, now=now),
        plan=plan,
        reply_to=reply_address(session, {a.plan_id for a in actions}),
        assigned=True,
        assigned_by=assigned_by,
        points=points,
    )
