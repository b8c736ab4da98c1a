"""A chef's absence and deputy: the page that lists them, and its forms.

What an absence changes is the reminder sweep's (tracker.services.absences); who may
register one is tracker.domain.roles.may_register_absence, asked by the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from tracker.domain.roles import Role, may_register_absence
from tracker.errors import Refused, TrackerError
from tracker.models import Person
from tracker.services import absences
from tracker.web.deps import (
    CsrfChecked,
    EditorDep,
    NowDep,
    SessionDep,
    WebDep,
    flash,
    pop_flash,
    refusal_status,
    undo,
)
from tracker.web.forms import parse_date
from tracker.web.routes import FormId, PathId

router = APIRouter()

ABSENCES_PATH = "/franvaro"


@dataclass(frozen=True)
class _Typed:
    """What the form held, shown again beside a refusal."""

    person: str = ""
    deputy: str = ""
    starts_on: str = ""
    ends_on: str = ""


def _page(
    request: Request,
    web: WebDep,
    session: Session,
    user: Person,
    today: date,
    *,
    typed: _Typed | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    listed = absences.list_absences(session, today=today)
    for_anyone = user.role == Role.admin
    candidates = absences.who_may_stand_in(session)
    return web.render(
        request,
        "absences.html",
        {
            "absences": [(v, may_register_absence(user, v.person)) for v in listed],
            "candidates": candidates,
            # A chef chooses for themselves: anyone but them.
            "deputies": candidates if for_anyone else [p for p in candidates if p.id != user.id],
            "for_anyone": for_anyone,
            "typed": typed or _Typed(person=str(user.id)),
            "today": today,
            "error": error,
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


@router.get(ABSENCES_PATH, response_class=HTMLResponse)
def absences_page(
    request: Request, web: WebDep, session: SessionDep, now: NowDep, user: EditorDep
) -> HTMLResponse:
    return _page(request, web, session, user, web.today(now))


def _person(session: Session, person_id: int, label: str) -> Person:
    """The person a select named; 0 is its empty choice."""
    person = session.get(Person, person_id) if person_id else None
    if person is None:
        raise Refused(f"Välj {label}.")
    return person


@router.post(ABSENCES_PATH, dependencies=[CsrfChecked], response_model=None)
def add_absence(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    person: FormId = 0,
    deputy: FormId = 0,
    starts_on: Annotated[str, Form(max_length=20)] = "",
    ends_on: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse | RedirectResponse:
    """A chef's own absence, or an admin's for anyone; refused, the page again with the
    reason and what was typed."""
    today = web.today(now)
    away_id = person or user.id or 0
    typed = _Typed(str(away_id), str(deputy) if deputy else "", starts_on, ends_on)
    try:
        away = _person(session, away_id, "vem som är borta")
        stand_in = _person(session, deputy, "en ersättare")
        first = parse_date(starts_on, "Första dagen")
        last = parse_date(ends_on, "Sista dagen")
        if first is None or last is None:
            raise Refused("Ange första och sista dagen av frånvaron.")
        absences.add_absence(
            session, user, away, stand_in, starts_on=first, ends_on=last, now=now, today=today
        )
    except TrackerError as exc:
        undo(session)
        return _page(
            request,
            web,
            session,
            user,
            today,
            typed=typed,
            error=str(exc),
            status_code=refusal_status(exc) if isinstance(exc, Refused) else 403,
        )
    flash(
        request,
        f"{away.name} är borta {first.isoformat()}–{last.isoformat()}; {stand_in.name} "
        "är ersättare.",
    )
    return RedirectResponse(ABSENCES_PATH, status_code=303)


@router.post(
    ABSENCES_PATH + "/{absence_id}/ta-bort", dependencies=[CsrfChecked], response_model=None
)
def remove_absence(
    request: Request,
    session: SessionDep,
    user: EditorDep,
    absence_id: PathId,
) -> RedirectResponse:
    try:
        removed = absences.remove_absence(session, user, absence_id)
    except TrackerError:
        undo(session)
        raise
    flash(
        request,
        f"Frånvaron för {removed.person.name} ({removed.absence.starts_on.isoformat()}–"
        f"{removed.absence.ends_on.isoformat()}) är borttagen.",
    )
    return RedirectResponse(ABSENCES_PATH, status_code=303)
