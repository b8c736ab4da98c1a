"""A plan's settings page: its own data, the nämnd's recipients, publishing the plan openly,
and the plan's history.

Every change goes through tracker.services.plan_settings.change_plan, as `tracker plan set`
and an import do, so each is in the history with who made it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from tracker.domain.report_schedule import still_to_report
from tracker.domain.roles import forvaltning_scope
from tracker.errors import Refused
from tracker.models import Person, Plan
from tracker.services import plan_settings, reports
from tracker.services import plans as plan_service
from tracker.services.plan_settings import PlanChange
from tracker.services.report_schedule import issued_on
from tracker.web.deps import (
    CsrfChecked,
    EditorDep,
    NowDep,
    SessionDep,
    Web,
    WebDep,
    flash,
    pop_flash,
    require_edit,
    undo,
)
from tracker.web.forms import TEXT_LIMIT, FormError
from tracker.web.routes import PathId

router = APIRouter()

Short = Annotated[str, Form(max_length=500)]
# The plan's data is bounded by the body's limit, not the plan's: an overlong field is refused
# by plan_settings.read_settings beside its box with the rest kept, not on the generic page
# for an overlong form. The background's own limit is the body's.
Typed = Annotated[str, Form(max_length=TEXT_LIMIT)]
# The id of the form for the plan's data on the page, which its refusals point into.
SETTINGS_FORM = "uppgifter-form"


def _page(plan_id: int) -> str:
    return f"/planer/{plan_id}/installningar"


@router.get("/planer/{plan_id}/installningar", response_class=HTMLResponse)
def settings_page(
    request: Request, plan_id: PathId, web: WebDep, session: SessionDep, user: EditorDep
) -> HTMLResponse:
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    return _render(request, web, session, plan, user, plan_settings.current_settings(plan))


def _render(
    request: Request,
    web: Web,
    session: Session,
    plan: Plan,
    user: Person,
    values: dict[str, str],
    error: FormError | None = None,
) -> HTMLResponse:
    assert plan.id is not None
    today = web.today(web.clock())
    occasions = reports.plan_occasions(
        session, web.app.registry, plan, today, web.app.settings.report_draft_days_before
    )
    ahead = still_to_report(occasions, today, issued_on(session, [plan.id])[plan.id])
    return web.render(
        request,
        "plans/settings.html",
        {
            "plan": plan,
            # The återrapporter to come, with the dates worked back from each meeting.
            "occasions": ahead[:4],
            "today": today,
            "values": values,
            "recipients": plan_settings.split_addresses(plan.board_recipients),
            "may_move": forvaltning_scope(user) is None,
            "history": plan_settings.shown_history(session, plan.id),
            "error": error,
            "flash": pop_flash(request),
        },
        status_code=422 if error else 200,
    )


@router.post("/planer/{plan_id}/installningar", dependencies=[CsrfChecked], response_model=None)
def settings_save(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    title: Typed = "",
    forvaltning: Typed = "",
    namnd: Typed = "",
    dnr: Typed = "",
    decision_on: Typed = "",
    decision_paragraph: Typed = "",
    ort: Typed = "",
    signatory_name: Typed = "",
    signatory_title: Typed = "",
    report_months: Typed = "",
    next_report_on: Typed = "",
    background: Typed = "",
) -> HTMLResponse | RedirectResponse:
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    typed = {
        "title": title,
        "namnd": namnd,
        "dnr": dnr,
        "decision_on": decision_on,
        "decision_paragraph": decision_paragraph,
        "background": background,
        "ort": ort,
        "signatory_name": signatory_name,
        "signatory_title": signatory_title,
        "report_months": report_months,
        "next_report_on": next_report_on,
    }
    # A chef's plans stay in their förvaltning; only an admin moves a plan to another.
    if forvaltning_scope(user) is None:
        typed["forvaltning"] = forvaltning
    try:
        values = plan_settings.read_settings(typed)
        changes = plan_settings.change_plan(session, plan, values, now=now, actor=user)
    except Refused as exc:
        undo(session)
        shown = plan_settings.current_settings(plan_service.get_plan(session, plan_id))
        error = FormError.of(exc, SETTINGS_FORM)
        return _render(request, web, session, plan, user, shown | typed, error)
    flash(request, _saved(changes))
    return RedirectResponse(_page(plan_id), status_code=303)


def _saved(changes: list[PlanChange]) -> str:
    if not changes:
        return "Inget ändrades."
    return "Sparat: " + "; ".join(c.describe() for c in changes) + "."


@router.post("/planer/{plan_id}/publicering", dependencies=[CsrfChecked], response_model=None)
def publishing_save(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    publicera: Short = "",
) -> HTMLResponse | RedirectResponse:
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    try:
        published = plan_settings.publish_choice(publicera)
        changes = plan_settings.set_published(session, plan, published, now=now, actor=user)
    except Refused as exc:
        undo(session)
        plan = plan_service.get_plan(session, plan_id)
        shown = plan_settings.current_settings(plan)
        return _render(request, web, session, plan, user, shown, FormError(exc.message, ""))
    if not changes:
        flash(request, "Inget ändrades.")
    elif published:
        flash(request, "Planen är publicerad öppet: vem som helst kan läsa den utan inloggning.")
    else:
        flash(request, "Planen är inte längre publicerad öppet.")
    return RedirectResponse(_page(plan_id) + "#publicering", status_code=303)


@router.post("/planer/{plan_id}/mottagare", dependencies=[CsrfChecked], response_model=None)
def recipient_add(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    adress: Annotated[str, Form(max_length=2_000)] = "",
) -> HTMLResponse | RedirectResponse:
    addresses = plan_settings.split_addresses(adress.replace(";", ",").replace("\n", ","))
    return _recipients(request, plan_id, web, session, now, user, add=addresses, typed=adress)


@router.post("/planer/{plan_id}/mottagare/ta-bort", dependencies=[CsrfChecked], response_model=None)
def recipient_remove(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    adress: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse | RedirectResponse:
    return _recipients(request, plan_id, web, session, now, user, remove=[adress])


def _recipients(
    request: Request,
    plan_id: int,
    web: Web,
    session: Session,
    now: datetime,
    user: Person,
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    typed: str = "",
) -> HTMLResponse | RedirectResponse:
    """Add or remove recipients; refused, the page again with the addresses as typed
    (`typed`) in the box, to correct the one that was wrong."""
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    try:
        if not add and not remove:
            raise Refused("Skriv en e-postadress att lägga till.")
        values = plan_settings.with_recipients(plan, add=add or (), remove=remove or ())
        changes = plan_settings.change_plan(session, plan, values, now=now, actor=user)
    except Refused as exc:
        undo(session)
        plan = plan_service.get_plan(session, plan_id)
        # "adress" is the recipients box, not a plan setting: shown again, never saved.
        shown = plan_settings.current_settings(plan) | {"adress": typed}
        return _render(request, web, session, plan, user, shown, FormError(exc.message, ""))
    flash(request, _saved(changes))
    return RedirectResponse(_page(plan_id) + "#mottagare", status_code=303)
