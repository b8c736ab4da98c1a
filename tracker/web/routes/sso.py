"""Single sign-on with OpenID Connect: /logga-in/sso sends the browser to the kommun's
identity provider, /logga-in/sso/svar takes it back and logs in.

What the answer must match (state, nonce, the PKCE verifier, where to go afterwards) waits in
the browser's signed session cookie, keyed by state, and is removed when the answer comes:
a state is used once, and an answer this browser did not ask for is refused. (A copy of an
old cookie replayed with an old answer still fails: the provider accepts a code once.) On
success the log-in is the same server-side session the e-mailed log-in link starts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracker.logs import log_event
from tracker.oidc import CALLBACK_PATH, OidcClient, Pending, ProviderUnavailable, SsoFailed
from tracker.services import sso as sso_service
from tracker.web.deps import NowDep, SessionDep, Web, WebDep, session_limits, undo
from tracker.web.links import LOGIN_PREFIX
from tracker.web.security import safe_next, start_session

router = APIRouter()
_log = logging.getLogger(__name__)

SSO_START = LOGIN_PREFIX + "/sso"
START = "/start"
_PENDING_KEY = "sso"
# Log-ins begun in other tabs that may still come back; older ones give way.
_MAX_PENDING = 3
# Time to get through the provider's log-in; an answer later than this is refused.
PENDING_MAX_AGE = timedelta(minutes=15)

_TITLE = "Inloggningen gick inte"
_START_AGAIN = "Börja om från inloggningssidan."


def _client(request: Request, web: Web) -> OidcClient | None:
    """The app's one relying-party client (it keeps the provider's keys), made at first use."""
    if not web.app.settings.oidc_issuer:
        return None
    if web.oidc is None:
        web.oidc = OidcClient(web.app.settings)
    return web.oidc


def _page(
    request: Request, web: Web, message: str, *, status_code: int, details: str = ""
) -> HTMLResponse:
    return web.render(
        request,
        "auth/sso_error.html",
        {"title": _TITLE, "message": message, "details": details},
        status_code=status_code,
    )


def _off(request: Request, web: Web) -> HTMLResponse:
    return web.render(
        request,
        "auth/sso_error.html",
        {
            "title": "Sidan finns inte",
            "message": "Inloggning med kommunens konto är inte påslagen här.",
            "details": "",
        },
        status_code=404,
    )


@router.get(SSO_START, response_class=HTMLResponse)
def sso_start(request: Request, web: WebDep, now: NowDep) -> Response:
    client = _client(request, web)
    if client is None:
        return _off(request, web)
    next_path = safe_next(request.session.get("next"), START)
    try:
        url, pending = client.begin(next_path=next_path, now=now)
    except SsoFailed as exc:
        return _page(request, web, exc.reason, status_code=502)
    _remember(request, pending)
    return RedirectResponse(url, status_code=303)


@router.get(CALLBACK_PATH, response_class=HTMLResponse)
def sso_callback(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    state: Annotated[str, Query(max_length=500)] = "",
    code: Annotated[str, Query(max_length=8000)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
    error_description: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    client = _client(request, web)
    if client is None:
        return _off(request, web)
    pending = _take(request, state)
    if pending is None:
        log_event(_log, "sso.refused", reason="state")
        return _page(
            request,
            web,
            "Svaret från inloggningstjänsten hör inte till någon inloggning som pågår i den "
            f"här webbläsaren, eller så har det redan använts. {_START_AGAIN}",
            status_code=400,
        )
    if error:
        return _provider_error(request, web, error, error_description)
    if now - _started(pending) > PENDING_MAX_AGE:
        log_event(_log, "sso.refused", reason="slow")
        return _page(
            request, web, f"Inloggningen tog för lång tid. {_START_AGAIN}", status_code=400
        )
    if not code:
        return _page(
            request,
            web,
            f"Svaret från inloggningstjänsten saknade inloggningskod. {_START_AGAIN}",
            status_code=400,
        )
    try:
        claims = client.finish(pending, code, now=now)
    except ProviderUnavailable as exc:
        return _page(request, web, exc.reason, status_code=502)
    except SsoFailed as exc:
        return _page(request, web, f"{exc.reason} {_START_AGAIN}", status_code=400)
    try:
        token = sso_service.log_in(
            session,
            web.app.settings,
            claims,
            now=now,
            limits=session_limits(web.app.settings),
        )
    except sso_service.SsoPersonRefused as exc:
        undo(session)
        log_event(_log, "sso.refused", reason=exc.code)
        return web.render(
            request,
            "auth/sso_error.html",
            {"title": "Du kan inte logga in här", "message": exc.message, "details": ""},
            status_code=403,
        )
    start_session(request, token)
    return RedirectResponse(safe_next(pending.next, START), status_code=303)


def _provider_error(request: Request, web: Web, error: str, description: str) -> HTMLResponse:
    log_event(_log, "sso.refused", reason="provider_error", error=error)
    if error == "access_denied":
        message = (
            "Inloggningen avbröts hos kommunens inloggningstjänst, eller så gav tjänsten dig "
            "inte tillgång till Åtgärdsplaner. Försök igen, eller kontakta kommunens "
            "it-support om det fortsätter."
        )
    else:
        message = (
            f"Kommunens inloggningstjänst svarade med ett fel ({error}). Försök igen, eller "
            "kontakta kommunens it-support och berätta vad som står här."
        )
    return _page(request, web, message, status_code=403, details=description[:500])


def _remember(request: Request, pending: Pending) -> None:
    waiting = _waiting(request)
    waiting[pending.state] = pending.as_dict()
    while len(waiting) > _MAX_PENDING:
        del waiting[min(waiting, key=lambda s: _age_key(waiting[s]))]
    request.session[_PENDING_KEY] = waiting


def _age_key(data: dict[str, object]) -> float:
    pending = Pending.from_dict(data)
    return pending.started_at if pending else 0.0


def _take(request: Request, state: str) -> Pending | None:
    """The log-in this browser began with `state`, removed from the session: once only."""
    waiting = _waiting(request)
    found = waiting.pop(state, None) if state else None
    if waiting:
        request.session[_PENDING_KEY] = waiting
    else:
        request.session.pop(_PENDING_KEY, None)
    return Pending.from_dict(found)


def _waiting(request: Request) -> dict[str, dict[str, object]]:
    value = request.session.get(_PENDING_KEY)
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, dict)}


def _started(pending: Pending) -> datetime:
    return datetime.fromtimestamp(pending.started_at, UTC)
