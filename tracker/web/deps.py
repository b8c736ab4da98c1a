"""What handlers depend on: the wired App, the clock, a database session, who is logged in.

Handlers are the edge: they read the clock here (the injected one, so tests move it) and pass
`now` down to the services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from tracker.app import App
from tracker.domain.clock import local_date
from tracker.domain.roles import LOGIN_ROLES, is_editor, may_edit, may_read
from tracker.errors import Conflict, Forbidden, TrackerError
from tracker.links import LinkSigner
from tracker.logs import drop_deferred
from tracker.models import Person, Plan
from tracker.services.access import session_valid
from tracker.web.security import (
    SESSION_MAX_AGE,
    session_csrf_ok,
    session_login,
)

Clock = Callable[[], datetime]


@dataclass
class Web:
    """Everything the web layer needs, built once by create_app."""

    app: App
    clock: Clock
    signer: LinkSigner
    templates: Jinja2Templates
    mail: jinja2.Environment
    owner_csrf_key: bytes

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


def get_session(web: WebDep) -> Iterator[Session]:
    """One transaction per request (App.transaction), committed when the handler returns and
    before the response goes out, so a receipt is never shown for a change that did not
    commit. Like the handlers, it runs in a worker thread: a request that waits for a lock
    holds up only itself."""
    with web.app.transaction() as session:
        yield session


def undo(session: Session) -> None:
    """Roll back what this request wrote so far (a refused change), and its pending logs."""
    session.rollback()
    drop_deferred(session.info)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def current_user(request: Request, session: SessionDep, now: NowDep) -> Person:
    login = session_login(request)
    if login is None:
        raise LoginRequired()
    uid, logged_in_at = login
    person = session.get(Person, uid)
    if (
        person is None
        or person.role not in LOGIN_ROLES
        or not session_valid(person, logged_in_at)
        or now - logged_in_at > SESSION_MAX_AGE
    ):
        request.session.pop("uid", None)
        request.session.pop("at", None)
        raise LoginRequired()
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
