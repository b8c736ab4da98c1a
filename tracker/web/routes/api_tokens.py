"""/api-nycklar: an admin makes API tokens (each shown once), sees them listed with when they
were last used, and revokes them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from tracker.domain.roles import may_manage_api_tokens
from tracker.errors import Forbidden, NotFound, TrackerError
from tracker.models import Person
from tracker.services import api_tokens, directory
from tracker.web.api import PREFIX as API_PREFIX
from tracker.web.deps import (
    CsrfChecked,
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
from tracker.web.routes import PathId

router = APIRouter()

PAGE = "/api-nycklar"
ALL = "alla"


async def current_admin(user: UserDep) -> Person:
    if not may_manage_api_tokens(user):
        raise Forbidden("Bara en administratör kan hantera API-nycklar.")
    return user


AdminDep = Annotated[Person, Depends(current_admin)]


def _render(
    request: Request,
    web: Web,
    session: Session,
    *,
    made: api_tokens.NewToken | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return web.render(
        request,
        "api_tokens/list.html",
        {
            "rows": api_tokens.list_tokens(session),
            "forvaltningar": directory.forvaltningar(session),
            "made": made,
            "error": error,
            "values": values or {},
            "flash": pop_flash(request),
            "api_base": web.app.settings.public_base_url.rstrip("/") + API_PREFIX,
            "all_value": ALL,
        },
        status_code=status_code,
    )


@router.get(PAGE, response_class=HTMLResponse)
def tokens_page(request: Request, web: WebDep, session: SessionDep, user: AdminDep) -> HTMLResponse:
    return _render(request, web, session)


@router.post(PAGE, dependencies=[CsrfChecked], response_class=HTMLResponse)
def token_create(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: AdminDep,
    namn: Annotated[str, Form(max_length=200)] = "",
    omfattning: Annotated[str, Form(max_length=20)] = "",
    forvaltning: Annotated[str, Form(max_length=300)] = "",
) -> HTMLResponse:
    values = {"namn": namn, "omfattning": omfattning, "forvaltning": forvaltning}
    read_all = omfattning == ALL
    try:
        made = api_tokens.create_token(
            session,
            name=namn,
            forvaltning="" if read_all else forvaltning,
            read_all=read_all,
            now=now,
            created_by=user,
        )
    except TrackerError as exc:
        undo(session)
        return _render(
            request,
            web,
            session,
            error=exc.message,
            values=values,
            status_code=refusal_status(exc),
        )
    # The token is in this page only, never in a redirect or the session: it is shown once.
    return _render(request, web, session, made=made, status_code=201)


@router.post(f"{PAGE}/{{token_id}}/aterkalla", dependencies=[CsrfChecked], response_model=None)
def token_revoke(
    request: Request,
    token_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: AdminDep,
) -> Response:
    try:
        token = api_tokens.revoke_token(session, token_id, now=now, by=user)
    except NotFound:
        raise
    except TrackerError as exc:
        undo(session)
        return _render(request, web, session, error=exc.message, status_code=refusal_status(exc))
    flash(request, f"API-nyckeln ”{token.name}” är återkallad och fungerar inte längre.")
    return RedirectResponse(PAGE, status_code=303)
