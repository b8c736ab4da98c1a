"""The chef's and board's plan pages: all plans, one plan as the återrapport table, and
creating plans, areas and åtgärder."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, select

from tracker.domain.roles import forvaltning_scope, is_editor, may_edit, may_read
from tracker.errors import Refused
from tracker.models import Area, Person, Plan
from tracker.services import people
from tracker.services import plans as plan_service
from tracker.web.deps import (
    CsrfChecked,
    EditorDep,
    NowDep,
    SessionDep,
    UserDep,
    Web,
    WebDep,
    flash,
    pop_flash,
    require_edit,
    require_read,
)
from tracker.web.forms import optional_int, parse_date, required
from tracker.web.mail import assign_with_link
from tracker.web.routes import FormId, PathId
from tracker.web.views import ActionView, action_view

router = APIRouter()


@router.get("/planer", response_class=HTMLResponse)
def plan_list(
    request: Request, web: WebDep, session: SessionDep, now: NowDep, user: UserDep
) -> HTMLResponse:
    summaries = [
        s
        for s in plan_service.summarise_plans(session, web.app.registry, web.today(now))
        if may_read(user, s.plan)
    ]
    states = web.app.registry.get("atgard").definition.states
    return web.render(
        request,
        "plans/list.html",
        {
            "summaries": summaries,
            "states": states,
            "may_create": is_editor(user),
            "flash": pop_flash(request),
        },
    )


@router.get("/planer/ny", response_class=HTMLResponse)
def plan_new_form(request: Request, web: WebDep, user: EditorDep) -> HTMLResponse:
    return web.render(request, "plans/new.html", {"error": None, "values": {}})


@router.post("/planer/ny", dependencies=[CsrfChecked], response_model=None)
def plan_create(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    title: Annotated[str, Form(max_length=500)] = "",
    forvaltning: Annotated[str, Form(max_length=200)] = "",
    namnd: Annotated[str, Form(max_length=200)] = "",
    dnr: Annotated[str, Form(max_length=100)] = "",
    background: Annotated[str, Form(max_length=20_000)] = "",
) -> HTMLResponse | RedirectResponse:
    values = {
        "title": title,
        "forvaltning": forvaltning,
        "namnd": namnd,
        "dnr": dnr,
        "background": background,
    }
    # A chef creates plans in their own förvaltning; only an admin chooses another.
    forvaltning = forvaltning_scope(user) or forvaltning
    try:
        clean_title = required(title, "Planens namn")
        exists = session.exec(
            select(Plan).where(Plan.title == clean_title, Plan.forvaltning == forvaltning.strip())
        ).first()
        if exists is not None:
            raise Refused(f"Det finns redan en plan som heter '{clean_title}' i förvaltningen.")
    except Refused as exc:
        return web.render(
            request, "plans/new.html", {"error": exc.message, "values": values}, status_code=422
        )
    plan = plan_service.create_plan(
        session,
        now=now,
        title=clean_title,
        forvaltning=forvaltning.strip(),
        namnd=namnd.strip(),
        dnr=dnr.strip(),
        background=background.strip(),
        chef_id=user.id,
    )
    flash(request, f"Planen '{plan.title}' är skapad. Lägg till utvecklingsområden och åtgärder.")
    return RedirectResponse(f"/planer/{plan.id}", status_code=303)


def plan_links(plan: Plan, user: Person) -> list[tuple[str, str]]:
    """Downloads and uploads offered on the plan page."""
    links = [
        ("Ladda ned som Excel (XLSX)", f"/planer/{plan.id}/export.xlsx"),
        ("Ladda ned som CSV", f"/planer/{plan.id}/export.csv"),
    ]
    if may_edit(user, plan):
        links.append(("Importera en fil", "/planer/import"))
    return links


def _owners(rows: list[ActionView]) -> list[Person]:
    seen: dict[int, Person] = {}
    for r in rows:
        if r.owner is not None and r.owner.id is not None:
            seen[r.owner.id] = r.owner
    return sorted(seen.values(), key=lambda p: p.name.casefold())


@router.get("/planer/{plan_id}", response_class=HTMLResponse)
def plan_page(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    lage: str = "",
    ansvarig: str = "",
    forsenad: str = "",
) -> HTMLResponse:
    plan = plan_service.get_plan(session, plan_id)
    require_read(user, plan)
    return _render_plan(request, web, session, plan, user, now, lage, ansvarig, forsenad)


def _render_plan(
    request: Request,
    web: Web,
    session: Session,
    plan: Plan,
    user: Person,
    now: datetime,
    lage: str,
    ansvarig: str,
    forsenad: str,
) -> HTMLResponse:
    assert plan.id is not None
    today = web.today(now)
    owner_id = optional_int(ansvarig)
    areas = []
    all_rows: list[ActionView] = []
    for area, rows in plan_service.plan_areas(session, plan.id):
        views = [action_view(web.app.registry, a, p, today, area=area) for a, p in rows]
        all_rows.extend(views)
        shown = [
            v
            for v in views
            if (not lage or v.action.state == lage)
            and (owner_id is None or v.action.owner_id == owner_id)
            and (not forsenad or v.overdue)
        ]
        areas.append((area, shown))
    filtered = bool(lage or owner_id is not None or forsenad)
    states = web.app.registry.get("atgard").definition.states
    persons = (
        list(session.exec(select(Person).order_by(Person.name))) if may_edit(user, plan) else []
    )
    return web.render(
        request,
        "plans/show.html",
        {
            "plan": plan,
            "areas": areas,
            "filtered": filtered,
            "shown": sum(len(rows) for _, rows in areas),
            "total": len(all_rows),
            "overdue": sum(1 for v in all_rows if v.overdue),
            "states": states,
            "owners": _owners(all_rows),
            "f_lage": lage,
            "f_ansvarig": owner_id,
            "f_forsenad": bool(forsenad),
            "may_edit": may_edit(user, plan),
            "persons": persons,
            "plan_links": plan_links(plan, user),
            "flash": pop_flash(request),
        },
    )


@router.post("/planer/{plan_id}/omraden", dependencies=[CsrfChecked])
def area_add(
    request: Request,
    plan_id: PathId,
    session: SessionDep,
    user: EditorDep,
    title: Annotated[str, Form(max_length=2000)] = "",
    section: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    clean = required(title, "Utvecklingsområdets namn")
    known = session.exec(select(Area).where(Area.plan_id == plan.id, Area.title == clean)).first()
    area = plan_service.ensure_area(session, plan, clean, section=section)
    if known is None:
        flash(request, f"Utvecklingsområdet '{area.title}' är tillagt.")
    else:
        flash(request, f"Utvecklingsområdet '{area.title}' fanns redan.")
    return RedirectResponse(f"/planer/{plan_id}#omrade-{area.id}", status_code=303)


@router.post("/planer/{plan_id}/atgarder", dependencies=[CsrfChecked])
def action_add(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    area_id: FormId,
    text: Annotated[str, Form(max_length=20_000)] = "",
    tidsplan: Annotated[str, Form(max_length=2000)] = "",
    due_on: Annotated[str, Form()] = "",
    evaluate_on: Annotated[str, Form()] = "",
    owner_email: Annotated[str, Form(max_length=320)] = "",
    owner_name: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    area = session.get(Area, area_id)
    if area is None or area.plan_id != plan.id:
        raise Refused("Välj ett utvecklingsområde i den här planen.")
    clean_text = required(text, "Åtgärden")
    due = parse_date(due_on, "Klart till")
    evaluate = parse_date(evaluate_on, "Utvärderas")
    owner = None
    if owner_email.strip():
        owner = people.ensure_person(
            session, owner_email, now=now, name=owner_name, forvaltning=plan.forvaltning
        )
    action = plan_service.add_action(
        session,
        web.app.registry,
        area,
        now=now,
        text=clean_text,
        actor=user,
        tidsplan=tidsplan.strip(),
        due_on=due,
        evaluate_on=evaluate,
    )
    assert action.id is not None
    message = "Åtgärden är tillagd."
    if owner is not None:
        assign_with_link(
            session, web.mail, web.app.settings, action, plan, owner, now=now, assigned_by=user
        )
        message += f" Ett e-postmeddelande med länk till {owner.email} ligger i utkorgen."
    flash(request, message)
    return RedirectResponse(f"/atgarder/{action.id}", status_code=303)
