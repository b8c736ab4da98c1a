"""The owner's pages, reached only by a signed link: no account, no password.

GET shows and never changes anything (mail scanners open links); POST, with the link's CSRF
token and the version the form was made from, changes one åtgärd through the workflow engine.
Whatever ids are put in a URL or a form, a link reaches only its own person's åtgärder (and,
for a link sent for one åtgärd, only that one).

These are the pages most people open (every reminder carries a link), often many at once, so
they do less per request than the other pages (bench/web.py measures them):
- their requests are taken before FastAPI's routing (tracker.web.owner_http), which calls
  `show` and `update` here in its event loop; the page is rendered afterwards, once the
  transaction is over;
- the GET reads on a plain connection, without a session or a transaction (tracker.db.reads);
  the POST's receipt is made from what it read and wrote, not read again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection
from sqlmodel import Session

from tracker.db import reads
from tracker.errors import Conflict, Refused, TrackerError
from tracker.links import LinkInvalid, LinkPurpose
from tracker.logs import log_event
from tracker.models import Person
from tracker.services import actions as action_service
from tracker.services import people
from tracker.services.access import LinkHolder, link_holder, verify_link
from tracker.web.deps import (
    CsrfChecked,
    NowDep,
    SessionDep,
    Web,
    WebDep,
    refusal_status,
    undo,
)
from tracker.web.mail import link_mail_allowed, queue_owner_link
from tracker.web.owner_data import OwnedAction, owner_view
from tracker.web.security import owner_csrf, owner_csrf_ok
from tracker.web.views import action_view, draft_key, event_views

router = APIRouter()
_log = logging.getLogger(__name__)

OWNER_ROLES = frozenset({"owner"})
NOT_YOURS = "Den åtgärden finns inte bland dina åtgärder. Ingenting ändrades."
BAD_EMAIL = "Skriv en giltig e-postadress, till exempel namn@kommun.se."


@dataclass(frozen=True)
class Page:
    """A page to render once the request's transaction has ended."""

    template: str
    context: dict[str, Any]
    status_code: int = 200
    # Whether the page has a form with the session's CSRF token (asking for a new link).
    session_form: bool = False

    def render(self, request: Request, web: Web) -> HTMLResponse:
        return web.render(request, self.template, self.context, status_code=self.status_code)

    def html(self, web: Web, csrf_token: Callable[[], str]) -> str:
        """The page without a Request: nobody is logged in on an owner page; `csrf_token` is
        the session's token, for the one form that needs it (asking for a new link)."""
        template = web.templates.get_template(self.template)
        return template.render({**self.context, "user": None, "csrf_token": csrf_token})


def _bad_link(reason: str, purpose: LinkPurpose = LinkPurpose.owner) -> Page:
    return Page(
        "owner/link_invalid.html",
        {
            "reason": reason,
            "request_url": "/lank/ny" if purpose is LinkPurpose.owner else "/logga-in",
            "login": purpose is LinkPurpose.login,
        },
        status_code=403,
        session_form=True,
    )


def bad_link(
    request: Request, web: Web, reason: str, *, purpose: LinkPurpose = LinkPurpose.owner
) -> HTMLResponse:
    """The one page for a tampered, expired or revoked link: ask for a new one by e-mail."""
    return _bad_link(reason, purpose).render(request, web)


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


def _page(
    web: Web,
    holder: LinkHolder,
    actions: list[OwnedAction],
    token: str,
    now: datetime,
    *,
    status_code: int = 200,
    error: str | None = None,
    error_action: int | None = None,
    drafts: dict[str, str] | None = None,
) -> Page:
    today = web.today(now)
    items = [
        action_view(
            web.app.registry,
            row,
            holder.person,
            today,
            roles=OWNER_ROLES,
            area_title=row.area_title,
            plan_title=row.plan_title,
        )
        for row in actions
    ]
    return Page(
        "owner/page.html",
        {
            "person": holder.person,
            "items": items,
            "single": holder.claim.action_id is not None,
            "token": token,
            "form_csrf": owner_csrf(web.owner_csrf_key, token),
            "error": error,
            "error_action": error_action,
            "drafts": drafts or {},
        },
        status_code=status_code,
    )


def _holder(
    conn: Connection, web: Web, token: str, now: datetime, action_id: int | None
) -> tuple[LinkHolder, list[OwnedAction]]:
    """The link's holder and their åtgärder (only `action_id`, when given), or LinkInvalid.
    A link made for one åtgärd reaches only that one, whatever id is asked for."""
    claim = verify_link(web.signer, LinkPurpose.owner, token, now=now)
    scope = claim.action_id
    wanted = scope if action_id is None else action_id
    person, actions = owner_view(conn, claim.person_id, wanted)
    holder = link_holder(web.signer, LinkPurpose.owner, claim, person)
    if scope is not None and wanted != scope:
        actions = []
    return holder, actions


def _whole_page(
    conn: Connection,
    web: Web,
    holder: LinkHolder,
    token: str,
    now: datetime,
    **kw: Any,
) -> Page:
    """The page for the link, read again, with an error on it."""
    _, actions = owner_view(conn, holder.claim.person_id, holder.claim.action_id)
    return _page(web, holder, actions, token, now, **kw)


def show(web: Web, token: str, now: datetime) -> Page:
    """GET /ansvarig/{token}: the person's åtgärder with their forms."""
    # Only reads: a plain connection (tracker.db.reads), no session and no transaction.
    with reads(web.app.engine) as conn:
        try:
            holder, actions = _holder(conn, web, token, now, None)
        except LinkInvalid as exc:
            return _bad_link(exc.reason)
        return _page(web, holder, actions, token, now)


@dataclass(frozen=True)
class Posted:
    """What an owner's update form sent."""

    token: str
    action_id: int
    version: int
    csrf: str
    trigger: str
    text: str


def update(web: Web, now: datetime, posted: Posted, *, lock_patience_s: float) -> Page:
    """POST /ansvarig/{token}/atgard/{id}: one change (tracker.db.single_write). It waits at
    most `lock_patience_s` for SQLite's write lock, else WriteLocked and nothing is done.

    The receipt is made after the unit has ended: on PostgreSQL the change is committed as its
    statement runs, so nothing after it may fail inside the unit (a rollback there would undo
    nothing, and the change's log line would be dropped)."""
    with web.app.single_write(lock_patience_s=lock_patience_s) as conn:
        done = _change(conn, web, now, posted)
    return done if isinstance(done, Page) else _receipt(web, now, done)


@dataclass(frozen=True)
class _Done:
    holder: LinkHolder
    action: OwnedAction  # as read, before the change
    change: action_service.Change
    token: str


def _change(conn: Connection, web: Web, now: datetime, posted: Posted) -> Page | _Done:
    token, action_id, version = posted.token, posted.action_id, posted.version
    trigger, text = posted.trigger, posted.text
    try:
        holder, found = _holder(conn, web, token, now, action_id)
    except LinkInvalid as exc:
        return _bad_link(exc.reason)
    if not owner_csrf_ok(web.owner_csrf_key, token, posted.csrf):
        return _whole_page(
            conn,
            web,
            holder,
            token,
            now,
            status_code=403,
            error="Formuläret kunde inte kontrolleras. Ingenting ändrades; försök igen.",
        )
    if not found:
        return _whole_page(conn, web, holder, token, now, status_code=404, error=NOT_YOURS)
    action = found[0]
    drafts = {draft_key(web.app.registry, action, trigger): text}
    try:
        if version != action.version:
            raise Conflict(
                "Åtgärden har ändrats sedan du öppnade sidan. Ingenting sparades. "
                "Se hur den ser ut nu och försök igen; din text finns kvar i rutan."
            )
        if trigger:
            change = action_service.move(
                conn,
                web.app.registry,
                action,
                trigger,
                holder.person,
                now=now,
                text=text,
                expected_version=version,
                only_roles=OWNER_ROLES,  # even for a person who is also a chef
            )
        else:
            change = action_service.note_progress(
                conn, action, holder.person, text, now=now, expected_version=version
            )
    except (Conflict, Refused) as exc:
        undo(conn)
        return _whole_page(
            conn,
            web,
            holder,
            token,
            now,
            status_code=refusal_status(exc),
            error=exc.message,
            error_action=action_id,
            drafts=drafts,
        )
    return _Done(holder, action, change, token)


def _receipt(web: Web, now: datetime, done: _Done) -> Page:
    action, change = done.action, done.change
    # The åtgärd as this change left it, without reading it again: the change was made on
    # exactly the version read (else Conflict), and only the service's write differs. The
    # text of a change is also the new processläge (services.actions).
    after = replace(
        action,
        state=change.to_state or action.state,
        version=change.version,
        progress_note=change.text or action.progress_note,
        progress_at=change.at if change.text else action.progress_at,
    )
    item = action_view(
        web.app.registry,
        after,
        done.holder.person,
        web.today(now),
        area_title=after.area_title,
        plan_title=after.plan_title,
    )
    return Page(
        "owner/receipt.html",
        {
            "person": done.holder.person,
            "item": item,
            "event": event_views(web.app.registry, after, [change])[0],
            "token": done.token,
            "single": done.holder.claim.action_id is not None,
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
            queue_owner_link(session, web.mail, web.app.settings, person, now=now)
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
