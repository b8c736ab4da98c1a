"""The owner's pages, reached only by a signed link: no account, no password.

GET shows and never changes anything (mail scanners open links); POST, with the link's CSRF
token and the version the form was made from, changes one åtgärd through the same service
function as the chef's pages (tracker.services.actions), in the request's one transaction.
Whatever ids are put in a URL or a form, a link reaches only its own person's åtgärder (and,
for a link sent for one åtgärd, only that one); and only as their owner, even for a person
who is also a chef (a link is a weaker credential than a log-in).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.exceptions import HTTPException

from tracker.domain import nouns
from tracker.domain.numbers import plain_int
from tracker.domain.roles import OWNER
from tracker.errors import Conflict, Refused, TrackerError
from tracker.links import LinkInvalid, LinkPurpose
from tracker.logs import log_event
from tracker.models import Action, Person
from tracker.services import actions as action_service
from tracker.services import indicators as indicator_service
from tracker.services import people
from tracker.services.access import LinkHolder, resolve_link
from tracker.services.link_mail import link_mail_allowed, queue_owner_link
from tracker.web.deps import (
    CsrfChecked,
    NowDep,
    SessionDep,
    Web,
    WebDep,
    refusal_status,
    undo,
)
from tracker.web.forms import TEXT_LIMIT, VERSION_LIMIT, form_answers
from tracker.web.links import OWNER_PREFIX
from tracker.web.security import owner_csrf, owner_csrf_ok
from tracker.web.views import action_view, drafts_of, event_views, refusals_by_box, typed_texts

router = APIRouter()
_log = logging.getLogger(__name__)

OWNER_ROLES = frozenset({OWNER})
NOT_YOURS = "Den åtgärden finns inte bland dina åtgärder. Ingenting ändrades."
# Who has it now is not said: the link is a weaker credential than a log-in (a forwarded
# e-mail opens it), and the chef who reassigned it is the one to tell the new owner's name.
REASSIGNED = (
    "Åtgärden har fått en annan ansvarig, så det du skrev sparades inte. "
    "Hör med den som ansvarar för planen om texten ska komma med."
)
BAD_EMAIL = "Skriv en giltig e-postadress, till exempel namn@kommun.se."
STALE = (
    "Åtgärden har ändrats sedan du öppnade sidan. Ingenting sparades. "
    "Se hur den ser ut nu och försök igen; din text finns kvar i rutan."
)
UNCHECKED = (
    "Formuläret kunde inte kontrolleras. Ingenting sparades; det du skrev finns kvar i rutan, "
    "så skicka det igen."
)


def bad_link(
    request: Request,
    web: Web,
    reason: str,
    *,
    purpose: LinkPurpose = LinkPurpose.owner,
    unsaved: list[str] | None = None,
) -> HTMLResponse:
    """The one page for a tampered, expired or revoked link: ask for a new one by e-mail;
    `unsaved`: what a POST through the link carried, shown to copy, never saved."""
    return web.render(
        request,
        "owner/link_invalid.html",
        {
            "reason": reason,
            "unsaved": unsaved or [],
            "request_url": "/lank/ny" if purpose is LinkPurpose.owner else "/logga-in",
            "login": purpose is LinkPurpose.login,
        },
        status_code=403,
    )


def link_request(
    request: Request,
    web: Web,
    session: Session,
    email: str,
    now: datetime,
    *,
    form: str,
    sent: str,
    send: Callable[[Person], None],
) -> HTMLResponse:
    """Someone asks for a link by e-mail (a new owner link, or a log-in link): the same answer
    whether the address is known or not, and whether or not the hourly limit of link e-mails
    to it is reached; for a known one under the limit, `send` queues the link."""
    if not people.valid_email(email):
        return web.render(request, form, {"error": BAD_EMAIL, "email": email}, status_code=422)
    person = people.find_person(session, email)
    if person is not None:
        if link_mail_allowed(session, web.app.settings, person, now):
            send(person)
        else:
            log_event(_log, "link.throttled")
    return web.render(request, sent, {"email": email.strip()})


def _owner_page(
    request: Request,
    web: Web,
    session: Session,
    holder: LinkHolder,
    token: str,
    now: datetime,
    *,
    status_code: int = 200,
    error: str | None = None,
    error_action: int | None = None,
    drafts: dict[str, str] | None = None,
    refused: dict[str, str] | None = None,
    unsaved: list[str] | None = None,
) -> HTMLResponse:
    """The link's åtgärder with their forms, as they are now; `refused`: the parts of the
    refusal about single boxes, said beside them (views.refusals_by_box); `unsaved`: what was
    typed for an åtgärd no longer among them, shown to copy."""
    person, today = holder.person, web.today(now)
    assert person.id is not None
    owned = action_service.owned_actions(session, person.id, holder.claim.action_id)
    measured = [action.id or 0 for action, _, _, has_indicators in owned if has_indicators]
    items = [
        action_view(
            web.app.registry,
            action,
            person,
            today,
            roles=OWNER_ROLES,
            area_title=area_title,
            plan_title=plan_title,
        )
        for action, area_title, plan_title, _ in owned
    ]
    return web.render(
        request,
        "owner/page.html",
        {
            "person": person,
            "items": items,
            "kinds": nouns.plural(web.app.registry, (i.action.workflow for i in items)),
            # Read-only, in the återrapport's words: the chef's åtgärd page changes them.
            "indicators": indicator_service.indicators_of(session, measured),
            "single": holder.claim.action_id is not None,
            "token": token,
            "form_csrf": owner_csrf(web.owner_csrf_key, token),
            "error": error,
            "error_action": error_action,
            "drafts": drafts or {},
            "refused": refused or {},
            "unsaved": unsaved or [],
        },
        status_code=status_code,
    )


@router.api_route(OWNER_PREFIX + "/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def owner_page(
    request: Request, token: str, web: WebDep, session: SessionDep, now: NowDep
) -> HTMLResponse:
    """The person's åtgärder (or the one the link was sent for), each with its forms."""
    try:
        holder = resolve_link(session, web.signer, LinkPurpose.owner, token, now=now)
    except LinkInvalid as exc:
        return bad_link(request, web, exc.reason)
    return _owner_page(request, web, session, holder, token, now)


def _action_number(segment: str) -> int:
    # A plain number within every database's integer column; anything else is no page.
    number = plain_int(segment, 9)
    if number is None:
        raise HTTPException(status_code=404)
    return number


def _owned(session: Session, holder: LinkHolder, action_id: int) -> Action | None:
    """The åtgärd, if this link reaches it: the person's own, and the link's one if scoped."""
    scope = holder.claim.action_id
    if scope is not None and scope != action_id:
        return None
    action = session.get(Action, action_id)
    if action is None or action.owner_id != holder.person.id:
        return None
    return action


def _was_theirs(session: Session, holder: LinkHolder, action_id: int) -> bool:
    """Whether an åtgärd the link no longer reaches was the person's once, and so may be
    said to have another owner now; of any other, not even that it exists is said."""
    scope = holder.claim.action_id
    if scope is not None and scope != action_id:
        return False
    if session.get(Action, action_id) is None:
        return False
    return action_service.was_owner(session, action_id, holder.person)


@router.post(OWNER_PREFIX + "/{token}/atgard/{segment}", response_class=HTMLResponse)
def owner_update(
    request: Request,
    token: str,
    segment: str,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    version: Annotated[int, Form(ge=0, lt=VERSION_LIMIT)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    trigger: Annotated[str, Form(max_length=100)] = "",
    text: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
    answers: Annotated[dict[str, str], Depends(form_answers)] = {},  # noqa: B006
) -> HTMLResponse:
    """One change of one åtgärd: a transition (with its text and the answers to its fields)
    or a new processläge. Refused changes show the page again with the reason, and what was
    typed kept in its boxes."""
    action_id = _action_number(segment)
    try:
        holder = resolve_link(session, web.signer, LinkPurpose.owner, token, now=now)
    except LinkInvalid as exc:
        # Nothing is saved through a link that no longer works; the text is shown to copy.
        return bad_link(request, web, exc.reason, unsaved=typed_texts(text, answers))

    def again(
        status_code: int,
        error: str,
        *,
        drafts: dict[str, str] | None = None,
        refused: dict[str, str] | None = None,
        unsaved: list[str] | None = None,
    ) -> HTMLResponse:
        return _owner_page(
            request,
            web,
            session,
            holder,
            token,
            now,
            status_code=status_code,
            error=error,
            error_action=action_id if drafts is not None else None,
            drafts=drafts,
            refused=refused,
            unsaved=unsaved,
        )

    action = _owned(session, holder, action_id)
    if action is None:
        reason = REASSIGNED if _was_theirs(session, holder, action_id) else NOT_YOURS
        return again(404, reason, unsaved=typed_texts(text, answers))
    # The text stays in the box it was written in, to send again.
    drafts = drafts_of(web.app.registry, action, trigger, text, answers)
    if not owner_csrf_ok(web.owner_csrf_key, token, csrf):
        return again(403, UNCHECKED, drafts=drafts)
    try:
        change = action_service.report_progress(
            session,
            web.app.registry,
            action_id,
            holder.person,
            trigger=trigger,
            text=text,
            answers=answers,
            now=now,
            expected_version=version,
            only_roles=OWNER_ROLES,  # even for a person who is also a chef
        )
    except (Conflict, Refused) as exc:
        undo(session)
        message = STALE if isinstance(exc, Conflict) else exc.message
        refused = refusals_by_box(web.app.registry, action, trigger, exc)
        return again(refusal_status(exc), message, drafts=drafts, refused=refused)
    return _receipt(request, web, session, holder, token, action, change, now)


def _receipt(
    request: Request,
    web: Web,
    session: Session,
    holder: LinkHolder,
    token: str,
    action: Action,
    change: action_service.Change,
    now: datetime,
) -> HTMLResponse:
    # `action` is the session's own row, which the change's UPDATE brought up to date.
    item = action_view(web.app.registry, action, holder.person, web.today(now))
    assert holder.person.id is not None
    owned = action_service.owned_actions(session, holder.person.id, holder.claim.action_id)
    return web.render(
        request,
        "owner/receipt.html",
        {
            "person": holder.person,
            "item": item,
            "event": event_views(web.app.registry, action, [change])[0],
            "token": token,
            "single": holder.claim.action_id is not None,
            "kinds": nouns.plural(web.app.registry, (a.workflow for a, _, _, _ in owned)),
            # The åtgärd the answers opened for the owner (a control's deviation), to say so.
            "opened": session.get(Action, change.opened_id) if change.opened_id else None,
        },
    )


@router.get("/lank/ny", response_class=HTMLResponse)
def new_link_form(request: Request, web: WebDep) -> HTMLResponse:
    return web.render(request, "owner/new_link.html", {"error": None, "email": ""})


@router.post("/lank/ny", response_class=HTMLResponse, dependencies=[CsrfChecked])
def new_link_request(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=320)] = "",
) -> HTMLResponse:
    def send(person: Person) -> None:
        try:
            queue_owner_link(session, web.app.registry, web.app.settings, person, now=now)
        except TrackerError:
            # Never let the answer differ for a known address.
            undo(session)

    return link_request(
        request,
        web,
        session,
        email,
        now,
        form="owner/new_link.html",
        sent="owner/link_requested.html",
        send=send,
    )
