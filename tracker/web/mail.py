"""E-mails the web app queues: an owner's link (on assignment or on request) and a log-in link.

Each has a plain-text and an HTML body, rendered from templates/mail/, and goes into the
outbox in the caller's transaction: it is sent only if the change that caused it commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import jinja2
from sqlmodel import Session, col, select

from config import Settings
from notifications import OutgoingMessage
from notifications.swedish import count, either, greeting
from tracker.domain.protokoll import source_line
from tracker.domain.roles import OWNER
from tracker.models import Action, OutboxMessage, Person, Plan, Protokoll
from tracker.services.actions import assign
from tracker.services.audits import answered_by_actions
from tracker.services.outbox import (
    PENDING,
    about,
    count_recent,
    enqueue,
    rewrite_pending,
    unsent_about,
    withdraw,
)
from tracker.services.people import find_person
from tracker.services.plans import assigned_since, plans_owned_by, reply_address
from tracker.web.links import login_url, owner_url
from workflows import WorkflowRegistry

KIND_ASSIGNED = "tilldelning"
KIND_OWNER_LINK = "lank"
KIND_LOGIN = "inloggning"


def mail_environment(directory: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["greeting"] = greeting
    return env


def _message(
    env: jinja2.Environment,
    template: str,
    to: str,
    subject: str,
    context: dict[str, Any],
    reply_to: str = "",
) -> OutgoingMessage:
    ctx = {**context, "subject": subject}
    return OutgoingMessage(
        to=to,
        subject=subject,
        text=env.get_template(f"{template}.txt").render(ctx),
        html=env.get_template(f"{template}.html").render(ctx),
        reply_to=reply_to,
    )


def _owner_reply_to(session: Session, person: Person, plan: Plan | None) -> str:
    """An owner's mail answers to the chef of the plan, or of all their åtgärder."""
    if plan is not None and plan.id is not None:
        return reply_address(session, [plan.id])
    assert person.id is not None
    return reply_address(session, plans_owned_by(session, person.id))


def _domain(settings: Settings) -> str:
    return settings.mail_from.rsplit("@", 1)[-1] or "localhost"


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


def _about_actions(
    session: Session, registry: WorkflowRegistry, actions: Sequence[Action]
) -> dict[str, Any]:
    """What an owner's mail says of its åtgärder besides their text: where each came from,
    and the owner's buttons on them as examples ('”Återrapportera”'; "" for none)."""
    return {
        "sources": _sources(session, actions),
        "examples": either(_owner_buttons(registry, actions)),
    }


def queue_owner_link(
    session: Session,
    env: jinja2.Environment,
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
        session, env, registry, settings, person, now=now, action=action, plan=plan
    )
    # A link to a plan's åtgärd is the plan's förvaltning's; a link the owner asked for, the
    # owner's.
    forvaltning = plan.forvaltning if plan is not None else person.forvaltning
    return enqueue(
        session,
        message,
        kind=KIND_OWNER_LINK,
        forvaltning=forvaltning,
        now=now,
        domain=_domain(settings),
    )


def _owner_link_message(
    session: Session,
    env: jinja2.Environment,
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
    if action is not None and assigned:
        subject = "Du är ansvarig för en åtgärd"
        if plan is not None:
            subject += f" i {plan.title}"
    elif action is not None:
        subject = "Länk till din åtgärd"
    else:
        subject = "Din länk till dina åtgärder"
    return _message(
        env,
        "owner_link",
        person.email,
        subject,
        {
            "person": person,
            "url": url,
            "action": action,
            "plan": plan,
            "assigned_by": assigned_by,
            "assigned": assigned,
            "days": settings.link_max_age_days,
            **_about_actions(session, registry, [action] if action is not None else []),
        },
        reply_to=_owner_reply_to(session, person, plan),
    )


def link_mail_allowed(session: Session, settings: Settings, person: Person, now: datetime) -> bool:
    """Whether one more link e-mail (log-in or new owner link) may go to the person now: at
    most settings.link_requests_per_hour in the last hour."""
    sent = count_recent(
        session, person.email, (KIND_LOGIN, KIND_OWNER_LINK), since=now - timedelta(hours=1)
    )
    return sent < settings.link_requests_per_hour


def queue_login_link(
    session: Session, env: jinja2.Environment, settings: Settings, person: Person, *, now: datetime
) -> OutboxMessage:
    message = _message(
        env,
        "login_link",
        person.email,
        "Din inloggningslänk till åtgärdsplanerna",
        {
            "person": person,
            "url": login_url(settings, person, now=now),
            "minutes": settings.login_link_max_age_minutes,
        },
    )
    return enqueue(
        session,
        message,
        kind=KIND_LOGIN,
        forvaltning=person.forvaltning,
        now=now,
        domain=_domain(settings),
    )


def assign_with_link(
    session: Session,
    env: jinja2.Environment,
    registry: WorkflowRegistry,
    settings: Settings,
    action: Action,
    plan: Plan,
    owner: Person,
    *,
    now: datetime,
    assigned_by: Person,
    expected_version: int | None = None,
) -> None:
    """Give the åtgärd to `owner` and queue the e-mail with their link, in one transaction:
    an assignment from the web always tells the new owner."""
    assert action.id is not None
    assign(session, action.id, owner, now=now, actor=assigned_by, expected_version=expected_version)
    queue_assignments(
        session, env, registry, settings, owner, plan, [action], now=now, assigned_by=assigned_by
    )


def queue_assignments(
    session: Session,
    env: jinja2.Environment,
    registry: WorkflowRegistry,
    settings: Settings,
    owner: Person,
    plan: Plan,
    actions: Sequence[Action],
    *,
    now: datetime,
    assigned_by: Person,
) -> OutboxMessage | None:
    """The e-mail that tells an owner about åtgärder just given to them: one mail for the
    assignments made within settings.assignment_mail_minutes, not one per åtgärd. It waits
    that long in the outbox; a later assignment in the meantime rewrites it to list all.
    Mail not yet sent that told a former owner of these åtgärder is taken back first."""
    if not actions:
        return None
    _take_back_from_former_owners(
        session, env, registry, settings, owner, actions, now, assigned_by
    )
    gathering = _gathering_mail(session, owner, now)
    if gathering is not None:
        assigned = assigned_since(session, owner, gathering.created_at)
        message = _assignment_message(
            session, env, registry, settings, owner, assigned, now, assigned_by
        )
        if rewrite_pending(session, gathering, message, now=now, about=_ids(assigned)):
            return gathering
    message = _assignment_message(
        session, env, registry, settings, owner, actions, now, assigned_by
    )
    return enqueue(
        session,
        message,
        kind=KIND_ASSIGNED,
        forvaltning=plan.forvaltning,
        now=now,
        domain=_domain(settings),
        send_at=now + timedelta(minutes=settings.assignment_mail_minutes),
        about=_ids(actions),
    )


def _ids(actions: Sequence[Action]) -> list[int]:
    return [a.id for a in actions if a.id is not None]


def _take_back_from_former_owners(
    session: Session,
    env: jinja2.Environment,
    registry: WorkflowRegistry,
    settings: Settings,
    owner: Person,
    actions: Sequence[Action],
    now: datetime,
    assigned_by: Person,
) -> None:
    """An assignment mail still waiting that tells someone else they own one of `actions`
    is no longer true: withdrawn when none of its åtgärder are theirs now, else written anew
    for those that are. Mail already sent (or being sent) is left as it is."""
    for row in unsent_about(session, _ids(actions), kind=KIND_ASSIGNED, not_to=owner.email):
        assert row.id is not None
        addressee = find_person(session, row.to_addr)
        told = about(session, row.id)
        still = [
            a
            for a in session.exec(select(Action).where(col(Action.id).in_(told)))
            if addressee is not None and a.owner_id == addressee.id
        ]
        if addressee is None or not still:
            withdraw(session, row)
            continue
        message = _assignment_message(
            session, env, registry, settings, addressee, still, now, assigned_by
        )
        _replace(session, settings, row, message, still, now)


def _replace(
    session: Session,
    settings: Settings,
    row: OutboxMessage,
    message: OutgoingMessage,
    still: Sequence[Action],
    now: datetime,
) -> None:
    """Put `message` in the place of `row`: rewritten while it waits, else (its time has
    come, or it failed) withdrawn and queued anew to go at once."""
    if rewrite_pending(session, row, message, now=now, about=_ids(still)):
        return
    if withdraw(session, row):
        enqueue(
            session,
            message,
            kind=KIND_ASSIGNED,
            forvaltning=row.forvaltning,
            now=now,
            domain=_domain(settings),
            about=_ids(still),
        )


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
    env: jinja2.Environment,
    registry: WorkflowRegistry,
    settings: Settings,
    owner: Person,
    actions: Sequence[Action],
    now: datetime,
    assigned_by: Person,
) -> OutgoingMessage:
    """One åtgärd: the mail with its own link; several: a list and the link to all."""
    plan_ids = {a.plan_id for a in actions}
    plan = session.get(Plan, plan_ids.pop()) if len(plan_ids) == 1 else None
    if len(actions) == 1:
        return _owner_link_message(
            session, env, registry, settings, owner, now=now, action=actions[0], plan=plan,
            assigned_by=assigned_by, assigned=True,
        )  # fmt: skip
    where = f" i {plan.title}" if plan is not None else ""
    return _message(
        env,
        "owner_assigned",
        owner.email,
        f"Du är ansvarig för {count(len(actions), 'åtgärd', 'åtgärder')}{where}",
        {
            "person": owner,
            "url": owner_url(settings, owner, now=now),
            "actions": actions,
            "plan": plan,
            "assigned_by": assigned_by,
            "days": settings.link_max_age_days,
            **_about_actions(session, registry, actions),
        },
        reply_to=reply_address(session, {a.plan_id for a in actions}),
    )
