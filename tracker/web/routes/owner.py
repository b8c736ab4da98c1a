"""The owner's pages, reached only by a signed link: no account, no password.

GET shows and never changes anything (mail scanners open links); POST, with the link's CSRF
token and the version the form was made from, changes one åtgärd through the workflow engine.
Whatever ids are put in a URL or a form, a link reaches only its own person's åtgärder (and,
for a link sent for one åtgärd, only that one).

These are the pages most people open (every reminder carries a link), often many at once, so
they do less per request than the other pages (bench/web.py measures them):
- their requests are taken before FastAPI's routing (tracker.web.owner_http), and those that
  arrive together are answered together (tracker.web.owner_batch), by `show_many` and
  `update_many` here, in the event loop; the pages are rendered afterwards, once the
  transaction is over;
- the GET reads on a plain connection, without a session or a transaction (tracker.db.reads);
  the POST's receipt is made from what it read and wrote, not read again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection
from sqlmodel import Session

from tracker.db import reads
from tracker.errors import Conflict, Refused, TrackerError
from tracker.links import LinkClaim, LinkInvalid, LinkPurpose
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
from tracker.web.owner_data import OwnedAction, owner_views
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


def show_many(web: Web, tokens: Sequence[str], now: datetime) -> list[Page]:
    """GET /ansvarig/{token}, for each token: the person's åtgärder with their forms.

    Only reads: a plain connection (tracker.db.reads), no session and no transaction. The
    requests of a burst are read together (tracker.web.owner_batch): on PostgreSQL that is one
    round trip for all of them."""
    with reads(web.app.engine) as conn:
        found = _holders(conn, web, tokens, now)
    return [
        item if isinstance(item, Page) else _page(web, item[0], item[1], token, now)
        for token, item in zip(tokens, found, strict=True)
    ]


Holder = tuple[LinkHolder, list[OwnedAction]]


def _holders(
    conn: Connection,
    web: Web,
    tokens: Sequence[str],
    now: datetime,
    action_ids: Sequence[int] | None = None,
) -> list[Holder | Page]:
    """For each link: its holder and their åtgärder (only action_ids[i], when given), or the
    bad-link page (tampered, expired, revoked). A link made for one åtgärd reaches only that
    one: asked for another, the list is empty."""
    found: list[Holder | Page | None] = [None] * len(tokens)
    claims: list[tuple[int, LinkClaim]] = []
    for i, token in enumerate(tokens):
        try:
            claims.append((i, verify_link(web.signer, LinkPurpose.owner, token, now=now)))
        except LinkInvalid as exc:
            found[i] = _bad_link(exc.reason)
    wanted = [
        (claim.person_id, claim.action_id if action_ids is None else action_ids[i])
        for i, claim in claims
    ]
    views = owner_views(conn, wanted)
    for (i, claim), (_, asked), (person, actions) in zip(claims, wanted, views, strict=True):
        try:
            holder = link_holder(web.signer, LinkPurpose.owner, claim, person)
        except LinkInvalid as exc:
            found[i] = _bad_link(exc.reason)
            continue
        scope = claim.action_id
        found[i] = (holder, [] if scope is not None and asked != scope else actions)
    done = [item for item in found if item is not None]
    assert len(done) == len(found)
    return done


@dataclass(frozen=True)
class Posted:
    """What an owner's update form sent."""

    token: str
    action_id: int
    version: int
    csrf: str
    trigger: str
    text: str


@dataclass(frozen=True)
class _Done:
    holder: LinkHolder
    action: OwnedAction  # as read, before the change
    change: action_service.Change
    token: str


@dataclass(frozen=True)
class _Again:
    """The link's page read again after the unit, with an error on it."""

    holder: LinkHolder
    token: str
    status_code: int
    error: str
    error_action: int | None = None
    drafts: dict[str, str] | None = None


STALE = (
    "Åtgärden har ändrats sedan du öppnade sidan. Ingenting sparades. "
    "Se hur den ser ut nu och försök igen; din text finns kvar i rutan."
)
UNCHECKED = "Formuläret kunde inte kontrolleras. Ingenting ändrades; försök igen."


def update_many(
    web: Web, now: datetime, posts: Sequence[Posted], *, lock_patience_s: float
) -> list[Page | Exception]:
    """POST /ansvarig/{token}/atgard/{id}, for each form: one change each, each written only
    if its åtgärd is still as the form saw it (else a conflict, and nothing of it written).
    The forms of a burst are read and written together (tracker.web.owner_batch): on
    PostgreSQL one round trip to read and one to write, for all of them. At most one form per
    åtgärd (ValueError): the second is decided on what the first changes.

    One unit (tracker.db.single_write), which waits at most `lock_patience_s` for SQLite's
    write lock, else WriteLocked. The unit ends with its one write: if it raises, nothing of
    it was written (but for a connection lost while the write ran). The receipts, and the
    pages read again for the forms refused, are made after it; a request whose page then
    fails gets its error in the list, alone, as its change (if any) is saved."""
    ids = [posted.action_id for posted in posts]
    if len(set(ids)) != len(ids):
        raise ValueError("two forms for the same åtgärd in one update_many()")
    outcomes: list[Page | _Done | _Again | Exception | None] = []
    decided: list[tuple[int, LinkHolder, OwnedAction, action_service.Pending]] = []
    with web.app.single_write(lock_patience_s=lock_patience_s) as conn:
        tokens = [posted.token for posted in posts]
        for i, item in enumerate(_holders(conn, web, tokens, now, ids)):
            if isinstance(item, Page):
                outcomes.append(item)
                continue
            holder, found = item
            decision = _decide(web, now, posts[i], holder, found)
            if isinstance(decision, _Again):
                outcomes.append(decision)
                continue
            decided.append((i, holder, found[0], decision))
            outcomes.append(None)  # written below
        # Last in the unit: on PostgreSQL it is committed as it runs, and whatever failed
        # after it inside the unit would drop the log lines of changes that are saved.
        changes = action_service.write_owner_changes(conn, [d[3] for d in decided])
    for (i, holder, action, _), change in zip(decided, changes, strict=True):
        posted = posts[i]
        if change is not None:
            outcomes[i] = _Done(holder, action, change, posted.token)
            continue
        try:  # changed by someone else between the read and the write
            drafts = _drafts(web, action, posted)
            outcomes[i] = _Again(holder, posted.token, 409, STALE, posted.action_id, drafts)
        except Exception as exc:
            outcomes[i] = exc
    return _pages(web, now, outcomes)


def _decide(
    web: Web, now: datetime, posted: Posted, holder: LinkHolder, found: list[OwnedAction]
) -> action_service.Pending | _Again:
    """The change the form asks for, decided on the åtgärd as read, or why not."""
    token = posted.token
    if not owner_csrf_ok(web.owner_csrf_key, token, posted.csrf):
        return _Again(holder, token, 403, UNCHECKED)
    if not found:
        return _Again(holder, token, 404, NOT_YOURS)
    action = found[0]
    try:
        if posted.version != action.version:
            raise Conflict(STALE)
        if posted.trigger:
            return action_service.decide_move(
                web.app.registry,
                action,
                posted.trigger,
                holder.person,
                now=now,
                text=posted.text,
                expected_version=posted.version,
                only_roles=OWNER_ROLES,  # even for a person who is also a chef
            )
        return action_service.decide_note(
            action, holder.person, posted.text, now=now, expected_version=posted.version
        )
    except (Conflict, Refused) as exc:
        return _Again(
            holder,
            token,
            refusal_status(exc),
            exc.message,
            posted.action_id,
            _drafts(web, action, posted),
        )


def _drafts(web: Web, action: OwnedAction, posted: Posted) -> dict[str, str]:
    # The text stays in the box it was written in, to send again.
    return {draft_key(web.app.registry, action, posted.trigger): posted.text}


def _pages(
    web: Web, now: datetime, outcomes: list[Page | _Done | _Again | Exception | None]
) -> list[Page | Exception]:
    """The pages once the unit is over: receipts, and the refused forms' pages read again
    (in one read). An error making one page is that request's alone."""
    pages: list[Page | Exception | None] = [None] * len(outcomes)
    again = [(i, o) for i, o in enumerate(outcomes) if isinstance(o, _Again)]
    if again:
        wanted = [(o.holder.claim.person_id, o.holder.claim.action_id) for _, o in again]
        try:
            with reads(web.app.engine) as conn:
                views = owner_views(conn, wanted)
        except Exception as exc:
            for i, _ in again:
                pages[i] = exc
        else:
            for (i, o), (_, actions) in zip(again, views, strict=True):
                pages[i] = _page_again(web, now, o, actions)
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, _Done):
            try:
                pages[i] = _receipt(web, now, outcome)
            except Exception as exc:
                pages[i] = exc
        elif isinstance(outcome, Page | Exception):
            pages[i] = outcome
    done = [page for page in pages if page is not None]
    assert len(done) == len(pages)
    return done


def _page_again(
    web: Web, now: datetime, again: _Again, actions: list[OwnedAction]
) -> Page | Exception:
    try:
        return _page(
            web,
            again.holder,
            actions,
            again.token,
            now,
            status_code=again.status_code,
            error=again.error,
            error_action=again.error_action,
            drafts=again.drafts,
        )
    except Exception as exc:
        return exc


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
