"""Acknowledging an escalation: by the signed link in the escalation's e-mail, or logged in
from the start page; and who holds the levels of escalation above the plan's chef.

The link keeps the owner links' guarantees: GET only shows a page with a form (mail scanners
open links); only the POST, with the link's CSRF token, changes anything; a tampered, expired
or revoked link changes nothing. Who may acknowledge is tracker.domain.roles's rule, asked by
the service (tracker.services.escalations.acknowledge) that the start page's form calls too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from tracker.domain.roles import Role, may_set_escalation_levels
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Conflict, Forbidden, Refused, TrackerError
from tracker.links import LinkInvalid, LinkPurpose
from tracker.models import Person
from tracker.services import directory, escalations, people
from tracker.services.access import LinkHolder, resolve_link
from tracker.web.deps import (
    CsrfChecked,
    EditorDep,
    NowDep,
    SessionDep,
    UserDep,
    Web,
    WebDep,
    flash,
    pop_flash,
    refusal_status,
    undo,
)
from tracker.web.forms import TEXT_LIMIT, parse_date
from tracker.web.links import ACKNOWLEDGE_PREFIX
from tracker.web.routes import PathId
from tracker.web.routes.owner import UNCHECKED, bad_link
from tracker.web.routes.start import RefusedAcknowledgement, render_start
from tracker.web.security import owner_csrf, owner_csrf_ok

router = APIRouter()

NOT_FOR_YOU = "Eskaleringen skickades inte till dig. Ingenting ändrades."


def _page(
    request: Request,
    web: Web,
    session: Session,
    holder: LinkHolder,
    token: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    comment: str = "",
    new_date: str = "",
) -> HTMLResponse:
    """The escalation the link is for, with the form to acknowledge it, as it is now."""
    action_id = holder.claim.action_id
    found = (
        escalations.pending(session, web.app.registry, action_id, WorkCalendar())
        if action_id is not None
        else None
    )
    person = holder.person
    allowed = found is not None and (person.id in found.sent_to or person.role == Role.admin)
    if found is not None and not allowed and error is None:
        status_code, error = 403, NOT_FOR_YOU
    return web.render(
        request,
        "escalations/link.html",
        {
            "person": person,
            "pending": found,
            "allowed": allowed,
            "post_url": f"{ACKNOWLEDGE_PREFIX}/{token}",
            "form_csrf": owner_csrf(web.owner_csrf_key, token),
            "error": error,
            "comment": comment,
            "new_date": new_date,
        },
        status_code=status_code,
    )


@router.api_route(
    ACKNOWLEDGE_PREFIX + "/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse
)
def acknowledge_page(
    request: Request, token: str, web: WebDep, session: SessionDep, now: NowDep
) -> HTMLResponse:
    """The escalation and a form: opening the link changes nothing."""
    try:
        holder = resolve_link(session, web.signer, LinkPurpose.acknowledge, token, now=now)
    except LinkInvalid as exc:
        return bad_link(request, web, exc.reason, purpose=LinkPurpose.login)
    return _page(request, web, session, holder, token)


@router.post(ACKNOWLEDGE_PREFIX + "/{token}", response_class=HTMLResponse)
def acknowledge_by_link(
    request: Request,
    token: str,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    comment: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
    new_date: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    """The acknowledgement, with the link's CSRF token; refused ones show the page again with
    the reason and the comment typed."""
    try:
        holder = resolve_link(session, web.signer, LinkPurpose.acknowledge, token, now=now)
    except LinkInvalid as exc:
        return bad_link(request, web, exc.reason, purpose=LinkPurpose.login)

    def again(status_code: int, error: str) -> HTMLResponse:
        return _page(
            request,
            web,
            session,
            holder,
            token,
            status_code=status_code,
            error=error,
            comment=comment,
            new_date=new_date,
        )

    if not owner_csrf_ok(web.owner_csrf_key, token, csrf):
        return again(403, UNCHECKED)
    action_id = holder.claim.action_id
    if action_id is None:
        return bad_link(request, web, "Länken är ogiltig.", purpose=LinkPurpose.login)
    try:
        done = escalations.acknowledge(
            session,
            web.app.registry,
            action_id,
            holder.person,
            comment=comment,
            new_due_on=parse_date(new_date, "Nytt klart-datum"),
            now=now,
            today=web.today(now),
            logged_in=False,
        )
    except (Conflict, Refused, Forbidden) as exc:
        undo(session)
        status = 403 if isinstance(exc, Forbidden) else refusal_status(exc)
        return again(status, exc.message)
    return web.render(request, "escalations/receipt.html", {"person": holder.person, "done": done})


@router.post("/eskaleringar/{action_id}/kvittera", dependencies=[CsrfChecked], response_model=None)
def acknowledge_logged_in(
    request: Request,
    action_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    comment: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
    new_date: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse | RedirectResponse:
    """From the start page: the same acknowledgement, for whom the rule lets in logged in
    (the plan's chefs too). A refusal shows the start page again with its reason beside the
    form and the comment and date typed; one the person may not make is the error page."""
    try:
        escalations.acknowledge(
            session,
            web.app.registry,
            action_id,
            user,
            comment=comment,
            new_due_on=parse_date(new_date, "Nytt klart-datum"),
            now=now,
            today=web.today(now),
            logged_in=True,
        )
    except (Conflict, Refused) as exc:
        undo(session)
        refused = RefusedAcknowledgement(action_id, exc.message, comment, new_date)
        return render_start(
            request, web, session, now, user, refused=refused, status_code=refusal_status(exc)
        )
    except TrackerError:
        undo(session)
        raise
    flash(request, f"Eskaleringen för åtgärd {action_id} är kvitterad.")
    return RedirectResponse(f"/start#eskalering-{action_id}", status_code=303)


# --- Who holds the levels ------------------------------------------------------------------


LEVELS_PATH = "/eskaleringsnivaer"


@router.get(LEVELS_PATH, response_class=HTMLResponse)
def levels_page(
    request: Request, web: WebDep, session: SessionDep, user: EditorDep
) -> HTMLResponse:
    return _render_levels(request, web, session, user)


def _render_levels(
    request: Request,
    web: Web,
    session: Session,
    user: Person,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    may_set = may_set_escalation_levels(user)
    return web.render(
        request,
        "escalations/levels.html",
        {
            "levels": escalations.known_levels(web.app.registry),
            "holders": escalations.list_holders(session),
            "may_set": may_set,
            "forvaltningar": directory.forvaltningar(session) if may_set else [],
            "error": error,
            "values": values or {},
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


@router.post(LEVELS_PATH, dependencies=[CsrfChecked], response_model=None)
def set_level(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    level: Annotated[str, Form(max_length=100)] = "",
    forvaltning: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
) -> HTMLResponse | RedirectResponse:
    """An admin names who holds a level for a förvaltning (or the whole kommun); with no
    address, nobody holds it there any longer."""
    if not may_set_escalation_levels(user):
        raise Forbidden("Bara en administratör kan ange vem som har en eskaleringsnivå.")
    registry = web.app.registry
    where = forvaltning.strip() or "hela kommunen"
    try:
        if email.strip():
            person = people.find_person(session, email)
            if person is None:
                raise Refused(f"Ingen person med e-postadressen {email.strip()}.")
            escalations.set_holder(session, registry, level, forvaltning, person, now=now)
            label = escalations.level_label(registry, level)
            flash(request, f"{person.name} har nu nivån {label} för {where}.")
        else:
            escalations.remove_holder(session, registry, level, forvaltning)
            label = escalations.level_label(registry, level)
            flash(request, f"Ingen har längre nivån {label} för {where}.")
    except Refused as exc:
        undo(session)
        values = {"level": level, "forvaltning": forvaltning, "email": email}
        return _render_levels(
            request,
            web,
            session,
            user,
            error=exc.message,
            values=values,
            status_code=refusal_status(exc),
        )
    except TrackerError:
        undo(session)
        raise
    return RedirectResponse(LEVELS_PATH, status_code=303)
