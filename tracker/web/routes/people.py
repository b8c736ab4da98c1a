"""A person as the chef sees them: role, their åtgärder, and revoking their links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import col, select

from tracker.domain.roles import may_read, may_revoke_links, may_see_person
from tracker.errors import Forbidden, NotFound
from tracker.models import Action, Person, Plan, Role
from tracker.models.person import ROLE_LABELS
from tracker.services.access import revoke_links
from tracker.web.deps import (
    CsrfChecked,
    EditorDep,
    NowDep,
    SessionDep,
    WebDep,
    flash,
    pop_flash,
)
from tracker.web.routes import PathId
from tracker.web.security import safe_next
from tracker.web.views import action_view

router = APIRouter()


def _person(session: SessionDep, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"Ingen person med nummer {person_id}.")
    return person


def _owned(session: SessionDep, person: Person) -> list[tuple[Action, Plan]]:
    """The person's åtgärder with their plans."""
    return list(
        session.exec(
            select(Action, Plan)
            .join(Plan, col(Plan.id) == Action.plan_id)
            .where(Action.owner_id == person.id)
            .order_by(col(Plan.id), col(Action.area_id), col(Action.position))
        ).all()
    )


@router.get("/personer/{person_id}", response_class=HTMLResponse)
def person_page(
    request: Request,
    person_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
) -> HTMLResponse:
    person = _person(session, person_id)
    rows = _owned(session, person)
    plans = [plan for _, plan in rows]
    if not may_see_person(user, person, plans):
        raise Forbidden("Personen hör till en annan förvaltning.")
    today = web.today(now)
    items = [
        action_view(web.app.registry, a, person, today, plan=p)
        for a, p in rows
        if may_read(user, p)
    ]
    return web.render(
        request,
        "people/show.html",
        {
            "person": person,
            "role_label": ROLE_LABELS.get(Role(person.role), person.role),
            "items": items,
            "may_revoke": may_revoke_links(user, person, plans),
            "flash": pop_flash(request),
        },
    )


@router.post("/personer/{person_id}/aterkalla-lankar", dependencies=[CsrfChecked])
def person_revoke_links(
    request: Request,
    person_id: PathId,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    tillbaka: Annotated[str, Form()] = "",
) -> RedirectResponse:
    person = _person(session, person_id)
    if not may_revoke_links(user, person, [plan for _, plan in _owned(session, person)]):
        raise Forbidden(
            "Du kan återkalla länkar för ansvariga i din förvaltning; en chefs eller läsares "
            "länkar återkallar en administratör."
        )
    revoke_links(session, person, now=now)
    flash(
        request,
        f"Alla länkar som skickats till {person.email} hittills fungerar inte längre. "
        "En ny länk kan skickas när som helst.",
    )
    return RedirectResponse(safe_next(tillbaka, f"/personer/{person_id}"), status_code=303)
