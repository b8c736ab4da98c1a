"""The read API under /api/v1, for the kommun's other systems: an app of its own, mounted in
the web app, so that everything under the prefix answers in JSON (errors, unknown addresses)
and its OpenAPI schema describes only the API.

Access is by API token only (tracker.web.api.auth); the schema, /api/v1/openapi.json, is
public: it describes the endpoints and holds no data. There is no documentation page (it
would load its scripts from the internet). Every call is logged, without the token.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import State
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker.db import is_lock_timeout
from tracker.errors import Conflict, Forbidden, NotFound, Refused, TrackerError
from tracker.logs import log_event
from tracker.services.api_tokens import TokenReader
from tracker.web.api.auth import STATE_KEY, Unauthorized
from tracker.web.api.routes import MAX_LIMIT, PREFIX, own_path, router

__all__ = ["PREFIX", "create_api"]

log = logging.getLogger(__name__)

# Forbidden too is 404: what a token may not read is answered as if it were not there.
STATUS_OF = {NotFound: 404, Forbidden: 404, Conflict: 409, Refused: 422}


class CallLog:
    """One log line per call: the token's id and name (never the token), method, path (never
    the query, which may hold an address), status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            reader = scope.get("state", {}).get(STATE_KEY)
            token = reader if isinstance(reader, TokenReader) else None
            log_event(
                log,
                "api.call",
                token_id=token.token_id if token else None,
                token_name=token.name if token else None,
                method=scope["method"],
                path=PREFIX + own_path(scope),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )


async def refuse_nul(request: Request) -> None:
    """A NUL character in a parameter reaches no query (PostgreSQL refuses it in a string)."""
    if any("\x00" in k or "\x00" in v for k, v in request.query_params.multi_items()):
        raise Refused("En parameter innehåller ett otillåtet tecken (NUL).")


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


_TYPE_MESSAGES = {
    "missing": "saknas",
    "int_parsing": "ska vara ett heltal",
    "int_from_float": "ska vara ett heltal",
    "bool_parsing": "ska vara true eller false",
    "greater_than_equal": "är för litet",
    "less_than_equal": "är för stort",
    "string_too_long": "är för långt",
}


def _validation_message(errors: Any) -> str:
    parts = []
    for error in errors:
        loc = [str(x) for x in error.get("loc", ())]
        name = loc[-1] if loc else "?"
        what = _TYPE_MESSAGES.get(error.get("type", ""), "har fel värde")
        if name == "limit" and error.get("type") == "less_than_equal":
            what = f"får vara högst {MAX_LIMIT}"
        parts.append(f"Parametern {name} {what}.")
    return " ".join(parts) or "En parameter har fel värde."


def _install_errors(api: FastAPI) -> None:
    async def unauthorized(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Unauthorized)
        return problem(401, exc.message, {"WWW-Authenticate": "Bearer"})

    async def tracker_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TrackerError)
        status = next((s for cls, s in STATUS_OF.items() if isinstance(exc, cls)), 400)
        return problem(status, exc.message)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors()):
            # An id out of range names nothing, as on the web.
            return problem(404, "Det finns inget på den adressen.")
        return problem(422, _validation_message(exc.errors()))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return problem(404, "Det finns inget på den adressen i API:t.")
        if exc.status_code == 405:
            return problem(405, "API:t går bara att läsa, med GET.", {"Allow": "GET"})
        return problem(exc.status_code, "Begäran kunde inte tas emot.")

    async def database_error(request: Request, exc: Exception) -> Response:
        if not is_lock_timeout(exc):
            raise exc
        log_event(log, "db.lock_timeout", method=request.method)
        return problem(503, "Databasen är upptagen just nu. Försök igen om en stund.")

    async def pool_exhausted(request: Request, exc: Exception) -> Response:
        # As on the web (tracker.web.main): overload, nothing changed.
        log_event(log, "db.pool_timeout", method=request.method)
        return problem(
            503, "API:t har fler anrop än det hinner med just nu. Försök igen om en stund."
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("Oväntat fel i API:t vid %s", request.method, exc_info=exc)
        return problem(
            500,
            "Ett oväntat fel uppstod. Försök igen om en stund; händer det igen, kontakta den "
            "som sköter systemet (felet finns i loggen).",
        )

    api.add_exception_handler(Unauthorized, unauthorized)
    api.add_exception_handler(TrackerError, tracker_error)
    api.add_exception_handler(RequestValidationError, invalid)
    api.add_exception_handler(StarletteHTTPException, http_error)
    api.add_exception_handler(DBAPIError, database_error)
    api.add_exception_handler(PoolTimeout, pool_exhausted)
    # Any other exception is a bug: JSON like every other answer, the traceback in the log.
    api.add_exception_handler(Exception, unexpected)


def create_api(state: State) -> FastAPI:
    """The API app, to be mounted at PREFIX in the web app (tracker.web.main), reading the
    web app's `state` (its Web)."""
    api = FastAPI(
        title="Åtgärdsplaner – läs-API",
        version="1",
        description=(
            "Läs planer, åtgärder, historik, återrapporter och kommunens översikt. "
            "Varje anrop kräver en API-nyckel: `Authorization: Bearer atp_…`."
        ),
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        dependencies=[Depends(refuse_nul)],
    )
    api.state = state
    api.include_router(router)
    api.add_middleware(CallLog)
    _install_errors(api)
    return api
