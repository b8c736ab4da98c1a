"""The app factory: `create_app(app, clock=...)` wires routes, templates, sessions and errors."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config import Settings
from notifications.swedish import count
from tracker.app import App
from tracker.db import is_lock_timeout
from tracker.devmail import DevMailReceiver
from tracker.domain.report import short_text
from tracker.domain.roles import LOGIN_ROLES
from tracker.errors import Conflict, Forbidden, NotFound, Refused, TrackerError
from tracker.logs import log_event
from tracker.models import Person
from tracker.reports.typst_compile import RenderError
from tracker.services.access import live_session
from tracker.web.api import PREFIX as API_PREFIX
from tracker.web.api import create_api
from tracker.web.deps import Clock, CsrfFailed, LoginRequired, Web, session_limits, web_of
from tracker.web.forms import (
    INCOMPLETE_MESSAGE,
    INCOMPLETE_TITLE,
    PART_LIMIT,
    TOO_LARGE,
    TOO_LONG_TITLE,
    FormLimits,
    FormRefused,
    Kept,
    page_of_form,
    refuse_nul,
    too_long,
)
from tracker.web.links import signer_for
from tracker.web.routes import (
    absences,
    actions,
    api_tokens,
    audits,
    auth,
    devmail,
    escalations,
    health,
    indicators,
    internal_control,
    kommun,
    meetings,
    outbox,
    owner,
    people,
    plan_settings,
    plans,
    protokoll,
    public,
    reminders,
    reports,
    sso,
    start,
    transfer,
)
from tracker.web.security import (
    HTML_CACHE_CONTROL,
    derived_key,
    security_headers,
    session_csrf,
    session_options,
    session_token,
)

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def utc_now() -> datetime:
    return datetime.now(UTC)


class _SecurityHeaders:
    """security.security_headers on every response: the one place they are set."""

    def __init__(self, app: ASGIApp, public_base_url: str) -> None:
        self.app = app
        self.headers = security_headers(public_base_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault(*HTML_CACHE_CONTROL)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _date(value: date | None) -> str:
    return value.isoformat() if value else "–"


# One of each per process, whatever the number of apps bound: Jinja compiles a template at
# its first use in an environment, and the tests bind hundreds of apps.
@functools.cache
def _templates(tz: ZoneInfo) -> Jinja2Templates:
    def context(request: Request) -> dict[str, Any]:
        return {
            "user": getattr(request.state, "user", None),
            # A callable, so pages without session forms (owner pages) set no cookie.
            "csrf_token": lambda: session_csrf(request),
        }

    templates = Jinja2Templates(directory=str(TEMPLATES), context_processors=[context])
    env = templates.env
    env.undefined = jinja2.StrictUndefined
    env.auto_reload = False  # templates ship with the code: no stat() per page
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters["datum"] = _date
    # {{ n|antal('åtgärd', 'åtgärder') }}: the number with the word that agrees with it.
    env.filters["antal"] = count
    # {{ text|kort(90) }}: shortened at a space between words with "…", only when too long.
    env.filters["kort"] = short_text

    def local_time(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "–"

    env.filters["tid"] = local_time
    return templates


@dataclass(frozen=True)
class AppShape:
    """What the app's routes, middleware and error pages are built from: the settings they
    read when the app is made. All else a request reads comes from the Web bound to it."""

    secret_key: str
    public_base_url: str
    dev_mail_routes: bool  # /dev/mail, only where the built-in receiver may run at all
    run_receiver: bool  # start that receiver with the app

    @classmethod
    def of(cls, settings: Settings, dev_mail_receiver: bool | None = None) -> AppShape:
        run = settings.dev_mail_receiver if dev_mail_receiver is None else dev_mail_receiver
        return cls(
            secret_key=settings.secret_key,
            public_base_url=settings.public_base_url,
            dev_mail_routes=settings.dev_mail_receiver,
            run_receiver=run,
        )


def create_app(
    app: App, *, clock: Clock = utc_now, dev_mail_receiver: bool | None = None
) -> FastAPI:
    """The web app on a bootstrapped App. `clock` gives the current time (tests pass their own);
    `dev_mail_receiver` overrides settings.dev_mail_receiver for starting the local SMTP
    receiver with the app."""
    fastapi_app = build_app(AppShape.of(app.settings, dev_mail_receiver))
    bind(fastapi_app, app, clock=clock)
    return fastapi_app


def bind(fastapi_app: FastAPI, app: App, *, clock: Clock = utc_now) -> None:
    """Give an app from build_app the App its requests use (database, settings, workflows) and
    its clock: the one Web every request and error page reads, and the API's too."""
    settings = app.settings
    fastapi_app.state.web = Web(
        app=app,
        clock=clock,
        signer=signer_for(settings),
        templates=_templates(app.tz),
        owner_csrf_key=derived_key(settings.secret_key, "csrf-agare"),
    )


def build_app(shape: AppShape) -> FastAPI:
    """The routes, middleware and error pages, to be bound to an App (bind). FastAPI analyses
    every route's signature for each app it builds, paid on the first requests (some 0.3 s
    for these routes): the tests build one app for each shape and bind each test's App to it
    (tests/web/conftest.py)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        web = fastapi_app.state.web
        async with _dev_mail(web.app, web.app.settings, web.clock, shape.run_receiver):
            yield

    fastapi_app = FastAPI(
        title="Åtgärdsplaner",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(refuse_nul)],
        form_limits={"max_part_size": PART_LIMIT},
    )
    sessions = session_options(shape.secret_key, shape.public_base_url)
    fastapi_app.add_middleware(SessionMiddleware, **sessions)
    fastapi_app.add_middleware(FormLimits)
    fastapi_app.add_middleware(_SecurityHeaders, public_base_url=shape.public_base_url)
    fastapi_app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    fastapi_app.include_router(owner.router)
    fastapi_app.include_router(public.router)
    fastapi_app.include_router(health.router)
    # Before auth: "/logga-in/sso" must not be taken for a log-in link's token.
    fastapi_app.include_router(sso.router)
    fastapi_app.include_router(auth.router)
    # Before plans: "/planer/import" must not be taken for a plan number.
    fastapi_app.include_router(transfer.router)
    fastapi_app.include_router(plans.router)
    fastapi_app.include_router(plan_settings.router)
    fastapi_app.include_router(actions.router)
    fastapi_app.include_router(indicators.router)
    fastapi_app.include_router(people.router)
    fastapi_app.include_router(start.router)
    fastapi_app.include_router(escalations.router)
    fastapi_app.include_router(absences.router)
    fastapi_app.include_router(reminders.router)
    fastapi_app.include_router(reports.router)
    fastapi_app.include_router(meetings.router)
    fastapi_app.include_router(audits.router)
    fastapi_app.include_router(internal_control.router)
    fastapi_app.include_router(protokoll.router)
    fastapi_app.include_router(kommun.router)
    fastapi_app.include_router(outbox.router)
    fastapi_app.include_router(api_tokens.router)
    # An app of its own (JSON errors and its own OpenAPI schema under the prefix) that reads
    # the same state, so that bind gives it the same Web.
    fastapi_app.mount(API_PREFIX, create_api(fastapi_app.state))
    if shape.dev_mail_routes:
        fastapi_app.include_router(devmail.router)

    _install_error_pages(fastapi_app)
    return fastapi_app


DEV_MAIL_EVERY_SECONDS = 3


@asynccontextmanager
async def _dev_mail(app: App, settings: Settings, clock: Clock, run: bool) -> AsyncIterator[None]:
    """Demo and development: a local SMTP receiver, and the outbox sent to it now and then,
    so a link asked for on a page shows up at /dev/mail without a separate scheduler."""
    if not run:
        yield
        return
    receiver = DevMailReceiver(settings.dev_mail_dir, settings.smtp_host, settings.smtp_port)
    receiver.start()
    log.info(
        "Utvecklingspost tas emot på %s:%s och sparas i %s",
        settings.smtp_host,
        settings.smtp_port,
        settings.dev_mail_dir,
    )
    await _send_dev_mail(app, clock)  # what was queued while the app was down, at once
    sender = asyncio.create_task(_dev_mail_loop(app, clock))
    try:
        yield
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        receiver.stop()


async def _send_dev_mail(app: App, clock: Clock) -> None:
    # Imported here: only demo and development use it.
    from tracker.services.dispatch import send_outbox

    try:
        await run_in_threadpool(send_outbox, app, now=clock())
    except Exception:  # a development aid must not stop the app; say why and go on
        log.exception("Utkorgen kunde inte skickas till utvecklingsmottagaren")


async def _dev_mail_loop(app: App, clock: Clock) -> None:
    while True:
        await asyncio.sleep(DEV_MAIL_EVERY_SECONDS)
        await _send_dev_mail(app, clock)


STATUS_OF = {NotFound: 404, Forbidden: 403, Conflict: 409, Refused: 422}
BUSY_TITLE = "Det är fullt just nu"
BUSY_MESSAGE = (
    "Din ändring kunde inte sparas eftersom någon annan ändrar samma uppgifter just nu "
    "(till exempel en import). Ingenting ändrades. Försök igen om en stund."
)
CROWDED_MESSAGE = (
    "Tjänsten tar emot fler förfrågningar än den hinner med just nu, så ingenting ändrades. "
    "Försök igen om en stund."
)
UNEXPECTED_TITLE = "Något gick fel"
UNEXPECTED_MESSAGE = (
    "Ett oväntat fel uppstod, så ingenting ändrades. Försök igen om en stund. Händer det "
    "igen, kontakta den som sköter systemet: felet finns i loggen."
)
# Said without a template, should the page itself be what failed.
UNEXPECTED_FALLBACK = (
    '<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Något gick fel</title>'
    f"</head><body><h1>Något gick fel</h1><p>{UNEXPECTED_MESSAGE}</p></body></html>"
)
RENDER_FAILED_TITLE = "Dokumentet kunde inte skapas"
RENDER_FAILED_MESSAGE = (
    "PDF-filen kunde inte skapas, så ingenting ändrades och ingenting skickades. Försök igen "
    "om en stund. Händer det igen, kontakta den som sköter systemet: felet finns i loggen."
)


async def _recognise_user(request: Request, web: Web) -> None:
    """A path no route answers has not looked up who is logged in: look it up here, so that a
    logged-in chef keeps the menu on the "not found" page."""
    token = session_token(request)
    if getattr(request.state, "user", None) is not None or token is None:
        return
    request.state.user = await run_in_threadpool(_logged_in, web, token)


def _logged_in(web: Web, token: str) -> Person | None:
    limits = session_limits(web.app.settings)
    with web.app.transaction() as session:
        live = live_session(session, token, now=web.clock(), limits=limits)
        if live is None or live.person.role not in LOGIN_ROLES:
            return None
        # Detached, as current_user does: the page reads it after the session has ended.
        session.expunge(live.person)
        return live.person


def _install_error_pages(fastapi_app: FastAPI) -> None:
    def page(
        request: Request,
        status: int,
        title: str,
        message: str,
        kept: list[Kept] | None = None,
        back: str | None = None,
    ) -> Response:
        context = {"title": title, "message": message, "kept": kept or [], "back": back}
        return web_of(request).render(request, "error.html", context, status_code=status)

    async def tracker_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TrackerError)
        status = next((s for cls, s in STATUS_OF.items() if isinstance(exc, cls)), 400)
        return page(request, status, "Det gick inte", exc.message)

    async def login_required(request: Request, exc: Exception) -> Response:
        if request.method == "GET":
            request.session["next"] = request.url.path + (
                f"?{request.url.query}" if request.url.query else ""
            )
        return RedirectResponse("/logga-in", status_code=303)

    async def csrf_failed(request: Request, exc: Exception) -> Response:
        return page(
            request,
            403,
            "Formuläret kunde inte kontrolleras",
            "Formuläret har gått ut eller kom från en annan sida. Ingenting ändrades. "
            "Ladda om sidan och försök igen.",
        )

    async def invalid_form(request: Request, exc: Exception) -> Response:
        if isinstance(exc, RequestValidationError) and any(
            tuple(error.get("loc", ()))[:1] == ("path",) for error in exc.errors()
        ):
            # A path segment that is no id in range (routes.PathId) names no page.
            return await not_found(request)
        if isinstance(exc, RequestValidationError) and (found := too_long(exc.errors())):
            # The text typed is shown with the message, so that shortening it is not
            # writing it again.
            back = page_of_form(request.url.path, fastapi_app.routes)
            return page(request, 400, TOO_LONG_TITLE, found.message, found.kept, back)
        return page(request, 400, INCOMPLETE_TITLE, INCOMPLETE_MESSAGE)

    async def not_found(request: Request) -> Response:
        await _recognise_user(request, web_of(request))
        return page(request, 404, "Sidan finns inte", "Det finns ingen sida på den adressen.")

    async def database_error(request: Request, exc: Exception) -> Response:
        if not is_lock_timeout(exc):
            raise exc
        # Not the path: an owner page's carries the person's link.
        log_event(log, "db.lock_timeout", method=request.method)
        return page(request, 503, BUSY_TITLE, BUSY_MESSAGE)

    async def pool_exhausted(request: Request, exc: Exception) -> Response:
        # Every database connection stayed busy for the pool's whole wait: overload (or a
        # database that has stopped answering), not a fault in the request, and nothing was
        # changed. Said as such, like a lock wait, not as an unexpected error.
        log_event(log, "db.pool_timeout", method=request.method)
        return page(request, 503, BUSY_TITLE, CROWDED_MESSAGE)

    async def render_failed(request: Request, exc: Exception) -> Response:
        # A bug or a broken install, not the user's doing: the traceback goes to the log. The
        # session dependency has already rolled the request's transaction back, so a report
        # being approved is still the draft it was, and nothing is in the outbox.
        log.error("Ett dokument kunde inte skapas", exc_info=exc)
        return page(request, 500, RENDER_FAILED_TITLE, RENDER_FAILED_MESSAGE)

    async def unexpected(request: Request, exc: Exception) -> Response:
        # In the product's own log, with the method only: an owner page's path carries the
        # person's link.
        log.error("Oväntat fel vid %s", request.method, exc_info=exc)
        try:
            return page(request, 500, UNEXPECTED_TITLE, UNEXPECTED_MESSAGE)
        except Exception:  # the page could not be drawn either: the same words, plainly
            return HTMLResponse(UNEXPECTED_FALLBACK, status_code=500)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400:  # a body that could not be read as a form
            return page(request, 400, INCOMPLETE_TITLE, INCOMPLETE_MESSAGE)
        if exc.status_code == 413:
            return page(request, 413, INCOMPLETE_TITLE, TOO_LARGE)
        if exc.status_code == 404:
            return await not_found(request)
        if exc.status_code == 405:
            return page(request, 405, "Fel metod", "Sidan går inte att använda på det sättet.")
        return page(request, exc.status_code, "Fel", str(exc.detail))

    fastapi_app.add_exception_handler(TrackerError, tracker_error)
    fastapi_app.add_exception_handler(LoginRequired, login_required)
    fastapi_app.add_exception_handler(CsrfFailed, csrf_failed)
    fastapi_app.add_exception_handler(RequestValidationError, invalid_form)
    fastapi_app.add_exception_handler(FormRefused, invalid_form)
    fastapi_app.add_exception_handler(DBAPIError, database_error)
    fastapi_app.add_exception_handler(PoolTimeout, pool_exhausted)
    fastapi_app.add_exception_handler(RenderError, render_failed)
    fastapi_app.add_exception_handler(StarletteHTTPException, http_error)
    # Any other exception is a bug. Starlette answers it with this page (and then raises it
    # again to the server); the session dependency has already rolled the request's
    # transaction back.
    fastapi_app.add_exception_handler(Exception, unexpected)
