"""What handlers depend on: the wired App, the clock, a database session, who is logged in.

Handlers are the edge: they read the clock here (the injected one, so tests move it) and pass
`now` down to the services.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from config import Settings
from tracker.app import App
from tracker.domain.clock import local_date
from tracker.domain.roles import LOGIN_ROLES, is_editor, may_edit, may_read
from tracker.errors import Conflict, Forbidden, TrackerError
from tracker.links import LinkSigner
from tracker.logs import drop_deferred, emit_deferred
from tracker.models import Person, Plan
from tracker.oidc import OidcClient
from tracker.services.access import SessionLimits, live_session, touch_session
from tracker.web.security import (
    SESSION_MAX_AGE,
    forget_session,
    session_csrf_ok,
    session_token,
)

Clock = Callable[[], datetime]


@dataclass
class Web:
    """Everything the web layer needs, bound to the app by tracker.web.main.bind."""

    app: App
    clock: Clock
    signer: LinkSigner
    templates: Jinja2Templates
    owner_csrf_key: bytes
    # The relying-party client for single sign-on (it keeps the provider's keys), made at
    # its first use.
    oidc: OidcClient | None = None

    def today(self, now: datetime) -> date:
        return local_date(now, self.app.tz)

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        return self.templates.TemplateResponse(
            request, name, context or {}, status_code=status_code, headers=headers
        )


class LoginRequired(Exception):
    """No valid log-in session: the handler for it redirects to the log-in page."""


class CsrfFailed(Exception):
    """A POST without the form's CSRF token: nothing is done."""


def web_of(request: Request) -> Web:
    web = request.app.state.web
    assert isinstance(web, Web)
    return web


def now_of(web: Web) -> datetime:
    now = web.clock()
    if now.tzinfo is None:
        raise ValueError("the web clock must return timezone-aware datetimes")
    return now


async def get_web(request: Request) -> Web:
    return web_of(request)


WebDep = Annotated[Web, Depends(get_web)]


async def get_now(web: WebDep) -> datetime:
    return now_of(web)


NowDep = Annotated[datetime, Depends(get_now)]


async def get_session(web: WebDep) -> AsyncIterator[Session]:
    """One transaction per request (App.transaction), committed when the handler returns and
    before the response goes out, so a receipt is never shown for a change that did not
    commit.

    Opening a session does no I/O, so it is opened here; ending it does (the commit, or a
    wait for a lock), so that goes to a worker thread, as the handlers do, and a request that
    waits holds up only itself. One thread hop fewer than a generator run in the thread pool:
    each costs ~0.4 ms of CPU here (bench/web.py, server CPU per request)."""
    unit = web.app.transaction()
    session = unit.__enter__()
    # The end has a limiter of its own, as FastAPI gives a dependency's exit: it returns the
    # session's connection to the pool, so it must never wait for a thread that a handler
    # waiting for a connection holds (a deadlock under a burst, seen in bench/web.py).
    own_thread = CapacityLimiter(1)
    try:
        yield session
    except BaseException as exc:
        await to_thread.run_sync(
            unit.__exit__, type(exc), exc, exc.__traceback__, limiter=own_thread
        )
        raise
    await to_thread.run_sync(_finish, unit, session, limiter=own_thread)


def _finish(unit: AbstractContextManager[Session], session: Session) -> None:
    try:
        _touch_login(session)
    except BaseException as exc:
        unit.__exit__(type(exc), exc, exc.__traceback__)
        raise
    unit.__exit__(None, None, None)


# Where current_user leaves a due "last seen" for get_session to write: (key, now).
_TOUCH_DUE = "tracker.web.touch_login"


def _touch_login(session: Session) -> None:
    # Last, just before the commit: on SQLite a write takes the database's one write lock
    # until the commit, and a page (a report rendered as PDF) may take seconds.
    due = session.info.pop(_TOUCH_DUE, None)
    if due is not None:
        key, now = due
        touch_session(session, key, now=now)


def undo(session: Session) -> None:
    """Roll back what this request wrote so far (a refused change), and its pending logs."""
    session.rollback()
    drop_deferred(session.info)


def commit_so_far(session: Session) -> None:
    """Make what the request did so far stay done, whatever happens in the rest of it (a
    later undo() rolls back only what comes after)."""
    session.commit()
    emit_deferred(session.info)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def session_limits(settings: Settings) -> SessionLimits:
    return SessionLimits(
        idle=timedelta(minutes=settings.session_idle_minutes), lifetime=SESSION_MAX_AGE
    )


# On the log-in page after a log-in ended by itself or by someone else.
SESSION_ENDED = "Din inloggning har upphört. Logga in igen."


def current_user(request: Request, web: WebDep, session: SessionDep, now: NowDep) -> Person:
    token = session_token(request)
    if token is None:
        raise LoginRequired()
    live = live_session(session, token, now=now, limits=session_limits(web.app.settings))
    if live is None or live.person.role not in LOGIN_ROLES:
        forget_session(request)
        flash(request, SESSION_ENDED)
        raise LoginRequired()
    if live.touch_due:
        session.info[_TOUCH_DUE] = (live.key, now)
    person = live.person
    # Detached, so that a rollback later in the request (a refused change, an error page)
    # cannot expire what the page still shows about who is logged in.
    session.expunge(person)
    request.state.user = person
    return person


UserDep = Annotated[Person, Depends(current_user)]


async def current_editor(user: UserDep) -> Person:
    if not is_editor(user):
        raise Forbidden("Du kan läsa planer och rapporter men inte ändra dem.")
    return user


EditorDep = Annotated[Person, Depends(current_editor)]


async def require_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    if not session_csrf_ok(request, csrf):
        raise CsrfFailed()


CsrfChecked = Depends(require_csrf)


def require_read(person: Person, plan: Plan) -> None:
    if not may_read(person, plan):
        raise Forbidden(f"Planen hör till {plan.forvaltning or 'en annan förvaltning'}.")


def require_edit(person: Person, plan: Plan) -> None:
    require_read(person, plan)
    if not may_edit(person, plan):
        raise Forbidden("Du kan läsa planen men inte ändra den.")


def flash(request: Request, message: str) -> None:
    """A message for the next page this browser loads (after a redirect)."""
    request.session["flash"] = message


def pop_flash(request: Request) -> str | None:
    message = request.session.pop("flash", None)
    return message if isinstance(message, str) else None


def refusal_status(exc: TrackerError) -> int:
    """409 when someone else changed the record first (reload and retry), 422 for a change
    the rules refuse (fix the form)."""
    return 409 if isinstance(exc, Conflict) else 422
