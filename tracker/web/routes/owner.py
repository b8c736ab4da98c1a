"""The owner's pages, reached only by a signed link: no account, no password.

GET shows and never changes anything (mail scanners open links); POST, with the link's CSRF
token and the version the form was made from, changes one åtgärd through the workflow engine.
Whatever ids are put in a URL or a form, a link reaches only its own person's åtgärder (and,
for a link sent for one åtgärd, only that one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from tracker.errors import Conflict, Refused, TrackerError
from tracker.links import LinkInvalid, LinkPurpose
from tracker.services import actions as action_service
from tracker.services import people
from tracker.services.access import LinkHolder, resolve_link
from tracker.web.deps import (
    CsrfChecked,
    NowDep,
    SessionDep,
    Web,
    WebDep,
    refusal_status,
    undo,
)
from tracker.web.links import OWNER_PREFIX
from tracker.web.mail import queue_owner_link
from tracker.web.owner_data import owned_actions
from tracker.web.security import owner_csrf, owner_csrf_ok
from tracker.web.views import ActionView, action_view, draft_key, event_views
from workflows import TransitionRefused

router = APIRouter()

OWNER_ROLES = frozenset({"owner"})
NOT_YOURS = "Den åtgärden finns inte bland dina åtgärder. Ingenting ändrades."


def bad_link(
    request: Request, web: Web, reason: str, *, purpose: LinkPurpose = LinkPurpose.owner
) -> HTMLResponse:
    """The one page for a tampered, expired or revoked link: ask for a new one by e-mail."""
    return web.render(
        request,
        "owner/link_invalid.html",
        {
            "reason": reason,
            "request_url": "/lank/ny" if purpose is LinkPurpose.owner else "/logga-in",
            "login": purpose is LinkPurpose.login,
        },
        status_code=403,
    )


def _owned(session: Session, web: Web, holder: LinkHolder, now: datetime) -> list[ActionView]:
    person = holder.person
    assert person.id is not None
    today = web.today(now)
    return [
        action_view(
            web.app.registry,
            row,
            person,
            today,
            roles=OWNER_ROLES,
            area_title=row.area_title,
            plan_title=row.plan_title,
        )
        for row in owned_actions(session, person.id, holder.claim.action_id)
    ]


def _page(
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
) -> HTMLResponse:
    return web.render(
        request,
        "owner/page.html",
        {
            "person": holder.person,
            "items": _owned(session, web, holder, now),
            "single": holder.claim.action_id is not None,
            "token": token,
            "form_csrf": owner_csrf(web.owner_csrf_key, token),
            "error": error,
            "error_action": error_action,
            "drafts": drafts or {},
        },
        status_code=status_code,
    )


# These two handlers run their one transaction themselves: all of a request's database work,
# and the commit, in one worker thread (each thread hop costs more than the work here).


@router.get(OWNER_PREFIX + "/{token}", response_class=HTMLResponse)
def owner_page(request: Request, token: str, web: WebDep, now: NowDep) -> HTMLResponse:
    with web.app.transaction() as session:
        try:
            holder = resolve_link(session, web.signer, LinkPurpose.owner, token, now=now)
        except LinkInvalid as exc:
            return bad_link(request, web, exc.reason)
        return _page(request, web, session, holder, token, now)


@router.post(OWNER_PREFIX + "/{token}/atgard/{action_id}", response_class=HTMLResponse)
def owner_update(
    request: Request,
    token: str,
    action_id: int,
    web: WebDep,
    now: NowDep,
    version: Annotated[int, Form()],
    csrf: Annotated[str, Form()] = "",
    trigger: Annotated[str, Form()] = "",
    text: Annotated[str, Form(max_length=20_000)] = "",
) -> HTMLResponse:
    with web.app.transaction() as session:
        return _update(request, web, session, now, token, action_id, version, csrf, trigger, text)


def _update(
    request: Request,
    web: Web,
    session: Session,
    now: datetime,
    token: str,
    action_id: int,
    version: int,
    csrf: str,
    trigger: str,
    text: str,
) -> HTMLResponse:
    try:
        holder = resolve_link(session, web.signer, LinkPurpose.owner, token, now=now)
    except LinkInvalid as exc:
        return bad_link(request, web, exc.reason)
    if not owner_csrf_ok(web.owner_csrf_key, token, csrf):
        return _page(
            request,
            web,
            session,
            holder,
            token,
            now,
            status_code=403,
            error="Formuläret kunde inte kontrolleras. Ingenting ändrades; försök igen.",
        )
    person_id = holder.person.id
    assert person_id is not None
    scope = holder.claim.action_id
    found = owned_actions(session, person_id, action_id)
    if not found or (scope is not None and scope != action_id):
        return _page(request, web, session, holder, token, now, status_code=404, error=NOT_YOURS)
    action = found[0]
    workflow = web.app.registry.get(action.workflow)
    drafts = {draft_key(web.app.registry, action, trigger): text}
    try:
        if version != action.version:
            raise Conflict(
                "Åtgärden har ändrats sedan du öppnade sidan. Ingenting sparades. "
                "Se hur den ser ut nu och försök igen; din text finns kvar i rutan."
            )
        if trigger:
            # Only the owner's transitions from an owner link, even for a person who is also
            # a chef: the link is the weaker credential.
            try:
                workflow.fire(action.state, trigger, roles=OWNER_ROLES, text=text)
            except TransitionRefused as exc:
                raise Refused(exc.reason) from exc
            change = action_service.move(
                session,
                web.app.registry,
                action_id,
                trigger,
                holder.person,
                now=now,
                text=text,
                expected_version=version,
            )
        else:
            change = action_service.note_progress(
                session, action_id, holder.person, text, now=now, expected_version=version
            )
    except (Conflict, Refused) as exc:
        undo(session)
        return _page(
            request,
            web,
            session,
            holder,
            token,
            now,
            status_code=refusal_status(exc),
            error=exc.message,
            error_action=action_id,
            drafts=drafts,
        )
    [after] = owned_actions(session, person_id, action_id)
    item = action_view(
        web.app.registry,
        after,
        holder.person,
        web.today(now),
        area_title=after.area_title,
        plan_title=after.plan_title,
    )
    return web.render(
        request,
        "owner/receipt.html",
        {
            "person": holder.person,
            "item": item,
            "event": event_views(web.app.registry, after, [change])[0],
            "token": token,
            "single": scope is not None,
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
    """The same answer whether the address is known or not; a known one gets a new link."""
    if not people.valid_email(email):
        return web.render(
            request,
            "owner/new_link.html",
            {"error": "Skriv en giltig e-postadress, till exempel namn@kommun.se.", "email": email},
            status_code=422,
        )
    person = people.find_person(session, email)
    if person is not None:
        try:
            queue_owner_link(session, web.mail, web.app.settings, person, now=now)
        except TrackerError:
            # Never let the answer differ for a known address.
            undo(session)
    return web.render(request, "owner/link_requested.html", {"email": email.strip()})
