"""Log-in for chefs, admins and board readers: a signed link by e-mail, then a session cookie.

Like the owner links, GET on a log-in link only shows a page with a button; the POST logs in.
Asking for a link gets the same answer whether the address is known or not. Log-out ends the
log-in in the database (tracker.services.access), not only in this browser's cookie; "Logga ut
överallt" ends every log-in of the person. Single sign-on (tracker.web.routes.sso) starts the
same log-in; with Settings.login_link_enabled off, only it does, and every link is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from tracker.domain.roles import LOGIN_ROLES
from tracker.errors import Forbidden
from tracker.links import LinkInvalid, LinkPurpose
from tracker.models import Person
from tracker.services.access import (
    end_session,
    end_sessions,
    live_session,
    resolve_link,
    start_login_session,
    use_login_link,
)
from tracker.services.link_mail import queue_login_link, queue_owner_link
from tracker.web.deps import (
    CsrfChecked,
    NowDep,
    SessionDep,
    Web,
    WebDep,
    flash,
    pop_flash,
    session_limits,
)
from tracker.web.links import LOGIN_PREFIX
from tracker.web.routes.owner import bad_link, link_request
from tracker.web.security import safe_next, session_token, start_session

router = APIRouter()

LOGGED_OUT = "Du är utloggad."
LOGGED_OUT_EVERYWHERE = "Du är utloggad i alla webbläsare och på alla enheter."


# Where a log-in lands when no other page was asked for: what to follow up this week.
START = "/start"


@router.get("/", response_class=RedirectResponse)
def home(request: Request) -> RedirectResponse:
    # The cookie's word is enough to choose where to go: /start checks the log-in itself.
    target = START if session_token(request) else LOGIN_PREFIX
    return RedirectResponse(target, status_code=303)


# When the e-mailed log-in link is switched off (Settings.login_link_enabled).
LINK_OFF = "Inloggning med länk i e-post är avstängd här. Logga in med kommunens konto."


def _login_page(
    request: Request, web: Web, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    settings = web.app.settings
    context = {
        "error": error,
        "email": "",
        "flash": pop_flash(request),
        # The single sign-on button's label, or None when single sign-on is off.
        "sso_label": settings.oidc_button_label if settings.oidc_issuer else None,
        "link_enabled": settings.login_link_enabled,
    }
    return web.render(request, "auth/login.html", context, status_code=status_code)


def _link_off(web: Web) -> None:
    if not web.app.settings.login_link_enabled:
        raise Forbidden(LINK_OFF)


@router.get(LOGIN_PREFIX, response_class=HTMLResponse)
def login_form(request: Request, web: WebDep) -> HTMLResponse:
    return _login_page(request, web)


@router.post(LOGIN_PREFIX, response_class=HTMLResponse, dependencies=[CsrfChecked])
def login_request(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=320)] = "",
) -> HTMLResponse:
    if not web.app.settings.login_link_enabled:
        return _login_page(request, web, error=LINK_OFF, status_code=403)

    def send(person: Person) -> None:
        if person.role in LOGIN_ROLES:
            queue_login_link(session, web.app.settings, person, now=now)
        else:
            # An owner has no log-in; what they want is the link to their åtgärder.
            queue_owner_link(session, web.app.registry, web.app.settings, person, now=now)

    return link_request(
        request, web, session, email, now, form="auth/login.html", sent="auth/sent.html", send=send
    )


@router.get(LOGIN_PREFIX + "/{token}", response_class=HTMLResponse)
def login_confirm(
    request: Request, token: str, web: WebDep, session: SessionDep, now: NowDep
) -> HTMLResponse:
    _link_off(web)
    try:
        holder = resolve_link(session, web.signer, LinkPurpose.login, token, now=now)
    except LinkInvalid as exc:
        return bad_link(request, web, exc.reason, purpose=LinkPurpose.login)
    return web.render(
        request, "auth/confirm.html", {"person": holder.person, "token": token, "error": None}
    )


@router.post(LOGIN_PREFIX + "/{token}", dependencies=[CsrfChecked])
def login(request: Request, token: str, web: WebDep, session: SessionDep, now: NowDep) -> Response:
    _link_off(web)
    try:
        holder = resolve_link(session, web.signer, LinkPurpose.login, token, now=now)
    except LinkInvalid as exc:
        return bad_link(request, web, exc.reason, purpose=LinkPurpose.login)
    person = holder.person
    if person.role not in LOGIN_ROLES:
        return web.render(
            request,
            "auth/confirm.html",
            {
                "person": person,
                "token": token,
                "error": "Ditt konto har ingen inloggning. Ansvariga når sina åtgärder "
                "via länken i e-posten.",
            },
            status_code=403,
        )
    assert person.id is not None
    try:
        use_login_link(session, holder)
    except LinkInvalid as exc:
        return bad_link(request, web, exc.reason, purpose=LinkPurpose.login)
    target = safe_next(request.session.get("next"), START)
    limits = session_limits(web.app.settings)
    start_session(request, start_login_session(session, person, now=now, limits=limits))
    return RedirectResponse(target, status_code=303)


@router.post("/logga-ut", dependencies=[CsrfChecked])
def logout(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    overallt: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    """Ends this browser's log-in or, with `overallt`, every log-in of the person. Either way
    this browser is logged out, even if its log-in had already ended."""
    token = session_token(request)
    message = LOGGED_OUT
    if token is not None:
        if overallt:
            message = _log_out_everywhere(web, session, token, now) or message
        else:
            end_session(session, token, now=now)
    request.session.clear()
    flash(request, message)
    return RedirectResponse(LOGIN_PREFIX, status_code=303)


def _log_out_everywhere(web: Web, session: Session, token: str, now: datetime) -> str | None:
    # Only a live log-in speaks for the person: an old copy of a cookie must not end theirs.
    live = live_session(session, token, now=now, limits=session_limits(web.app.settings))
    if live is None:
        return None
    end_sessions(session, live.person, now=now)
    return LOGGED_OUT_EVERYWHERE
