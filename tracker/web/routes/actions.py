"""One åtgärd for the chef and the board: its facts, its history as a timeline, and (for the
chef) moving it on in its workflow (withdrawing it too), writing processläge, editing dates,
moving it to another utvecklingsområde and (re)assigning the owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from tracker.domain.protokoll import source_line
from tracker.domain.roles import (
    action_roles,
    may_draft_from_minutes,
    may_edit,
    may_read_audit,
    may_revoke_links,
)
from tracker.errors import Conflict, Refused, TrackerError
from tracker.models import Action, Area, Person, Plan, Protokoll
from tracker.services import actions as action_service
from tracker.services import audits, people
from tracker.services import indicators as indicator_service
from tracker.services import plans as plan_service
from tracker.services.assigning import assign_with_link
from tracker.services.link_mail import queue_owner_link
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
    refusal_status,
    require_edit,
    require_read,
    undo,
)
from tracker.web.forms import VERSION_LIMIT, checked_dates, form_answers, parse_date, required
from tracker.web.routes import FormId, PathId
from tracker.web.views import action_view, drafts_of, event_views, refusals_by_box, typed_in

router = APIRouter()


def _load(session: Session, action_id: int) -> tuple[Action, Plan, Area | None, Person | None]:
    action = action_service.get_action(session, action_id)
    plan = plan_service.get_plan(session, action.plan_id)
    area = session.get(Area, action.area_id)
    owner = session.get(Person, action.owner_id) if action.owner_id is not None else None
    return action, plan, area, owner


def _render(
    request: Request,
    web: Web,
    session: Session,
    action_id: int,
    user: Person,
    now: datetime,
    *,
    error: str | None = None,
    drafts: dict[str, str] | None = None,
    refused: dict[str, str] | None = None,
    status_code: int = 200,
    indicator_form: dict[str, str] | None = None,
) -> HTMLResponse:
    """The åtgärd's page; `refused`: the parts of a refused transition's reason about single
    boxes, said beside them (views.refusals_by_box); `indicator_form`: what a refused
    indicator form carried, to show again in its boxes (keyed "<form>:<field>",
    tracker.web.routes.indicators)."""
    action, plan, area, owner = _load(session, action_id)
    require_read(user, plan)
    editable = may_edit(user, plan)
    roles = action_roles(user, plan, action.owner_id) if editable else frozenset()
    view = action_view(
        web.app.registry, action, owner, web.today(now), roles=roles, area=area, plan=plan
    )
    events = event_views(web.app.registry, action, action_service.history(session, action_id))
    return web.render(
        request,
        "actions/show.html",
        {
            "item": view,
            "plan": plan,
            "events": list(reversed(events)),
            "may_edit": editable,
            "may_revoke": owner is not None and may_revoke_links(user, owner, [plan]),
            "source": _source(session, action, user),
            "answers": _answers(session, action, user),
            "areas": _areas(session, plan) if editable else [],
            "error": error,
            "drafts": drafts or {},
            "refused": refused or {},
            "indicators": indicator_service.indicators_of(session, [action_id]).get(action_id, []),
            "indicator_form": indicator_form or {},
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


@dataclass(frozen=True)
class Source:
    """Where an åtgärd was decided: "Från protokoll Ledningsgruppen 2021-02-09, punkt 3", the
    decision's words, and the protokoll's page for whoever may open it."""

    line: str
    quote: str
    url: str | None


def _source(session: Session, action: Action, user: Person) -> Source | None:
    if action.protokoll_id is None:
        return None
    found = session.get(Protokoll, action.protokoll_id)
    if found is None:
        return None
    line = source_line(found.body, found.meeting_on, action.protokoll_item)
    url = f"/protokoll/{found.id}" if may_draft_from_minutes(user, found.forvaltning) else None
    return Source(line, action.protokoll_quote or "", url)


def _answers(session: Session, action: Action, user: Person) -> list[Source]:
    """The granskningar's rekommendationer the åtgärd answers, each with the way back to its
    rekommendation for whoever may read the granskning."""
    assert action.id is not None
    return [
        Source(
            a.line,
            "",
            f"/granskningar/{a.audit_id}#rekommendation-{a.recommendation_id}"
            if may_read_audit(user, a.forvaltning)
            else None,
        )
        for a in audits.answering(session, [action.id]).get(action.id, [])
    ]


def _areas(session: Session, plan: Plan) -> list[Area]:
    """The plan's utvecklingsområden, in order: where the åtgärd may be moved."""
    return list(
        session.exec(select(Area).where(Area.plan_id == plan.id).order_by(col(Area.position)))
    )


@router.get("/atgarder/{action_id}", response_class=HTMLResponse)
def action_page(
    request: Request,
    action_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
) -> HTMLResponse:
    return _render(request, web, session, action_id, user, now)


def _editable(session: Session, action_id: int, user: Person) -> tuple[Action, Plan]:
    action, plan, _, _ = _load(session, action_id)
    require_edit(user, plan)
    return action, plan


@router.post("/atgarder/{action_id}/uppdatera", dependencies=[CsrfChecked], response_model=None)
def action_update(
    request: Request,
    action_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    version: Annotated[int, Form(ge=0, lt=VERSION_LIMIT)],
    trigger: Annotated[str, Form()] = "",
    text: Annotated[str, Form(max_length=20_000)] = "",
    answers: Annotated[dict[str, str], Depends(form_answers)] = {},  # noqa: B006
) -> Response:
    action, _ = _editable(session, action_id, user)
    drafts = drafts_of(web.app.registry, action, trigger, text, answers)
    try:
        event = action_service.report_progress(
            session,
            web.app.registry,
            action_id,
            user,
            trigger=trigger,
            text=text,
            answers=answers,
            now=now,
            expected_version=version,
        )
    except (Conflict, Refused) as exc:
        undo(session)
        return _render(
            request,
            web,
            session,
            action_id,
            user,
            now,
            error=exc.message,
            drafts=drafts,
            refused=refusals_by_box(web.app.registry, action, trigger, exc),
            status_code=refusal_status(exc),
        )
    if event.from_state != event.to_state:
        wf = web.app.registry.get(action_service.get_action(session, action_id).workflow)
        flash(
            request,
            f"Sparat: {wf.definition.label_of(event.from_state or '')} → "
            f"{wf.definition.label_of(event.to_state or '')}.",
        )
    else:
        flash(request, "Processläget är sparat.")
    return RedirectResponse(f"/atgarder/{action_id}", status_code=303)


@router.post("/atgarder/{action_id}/andra", dependencies=[CsrfChecked], response_model=None)
def action_edit(
    request: Request,
    action_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    version: Annotated[int, Form(ge=0, lt=VERSION_LIMIT)],
    text: Annotated[str, Form(max_length=20_000)] = "",
    tidsplan: Annotated[str, Form(max_length=2000)] = "",
    due_on: Annotated[str, Form()] = "",
    evaluate_on: Annotated[str, Form()] = "",
) -> Response:
    _editable(session, action_id, user)
    typed = {"text": text, "tidsplan": tidsplan, "due_on": due_on, "evaluate_on": evaluate_on}
    try:
        plan_text = tidsplan.strip()
        due = parse_date(due_on, "Klart till")
        evaluate = parse_date(evaluate_on, "Utvärderas")
        event = action_service.edit(
            session,
            action_id,
            now=now,
            actor=user,
            expected_version=version,
            text=required(text, "Åtgärden"),
            tidsplan=plan_text,
            due_on=due,
            evaluate_on=evaluate,
        )
    except (Conflict, Refused) as exc:
        undo(session)
        return _render(
            request,
            web,
            session,
            action_id,
            user,
            now,
            error=exc.message,
            drafts=typed_in("andra", typed),
            status_code=refusal_status(exc),
        )
    if event is None:
        flash(request, "Inget var ändrat.")
    else:
        flash(request, checked_dates("Ändringarna är sparade.", plan_text, due, evaluate))
    return RedirectResponse(f"/atgarder/{action_id}", status_code=303)


@router.post("/atgarder/{action_id}/omrade", dependencies=[CsrfChecked], response_model=None)
def action_move_area(
    request: Request,
    action_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    version: Annotated[int, Form(ge=0, lt=VERSION_LIMIT)],
    area_id: FormId,
) -> Response:
    _editable(session, action_id, user)
    try:
        change = action_service.move_to_area(
            session, action_id, area_id, now=now, actor=user, expected_version=version
        )
    except (Conflict, Refused) as exc:
        undo(session)
        return _render(
            request,
            web,
            session,
            action_id,
            user,
            now,
            error=exc.message,
            drafts=typed_in("omrade", {"area_id": str(area_id)}),
            status_code=refusal_status(exc),
        )
    flash(request, f"Flyttad. {change.text}.")
    return RedirectResponse(f"/atgarder/{action_id}", status_code=303)


@router.post("/atgarder/{action_id}/ansvarig", dependencies=[CsrfChecked], response_model=None)
def action_assign(
    request: Request,
    action_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    version: Annotated[int, Form(ge=0, lt=VERSION_LIMIT)],
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    action, plan = _editable(session, action_id, user)
    try:
        owner = people.ensure_person(
            session, email, now=now, name=name, forvaltning=plan.forvaltning
        )
        if owner.id == action.owner_id:
            raise Refused(f"{owner.name} är redan ansvarig för åtgärden.")
        said = assign_with_link(
            session,
            web.app.registry,
            web.app.settings,
            action,
            plan,
            owner,
            now=now,
            assigned_by=user,
            typed_name=name,
            expected_version=version,
        )
    except TrackerError as exc:
        undo(session)
        return _render(
            request,
            web,
            session,
            action_id,
            user,
            now,
            error=exc.message,
            drafts=typed_in("ansvarig", {"email": email, "name": name}),
            status_code=refusal_status(exc),
        )
    flash(request, said)
    return RedirectResponse(f"/atgarder/{action_id}", status_code=303)


@router.post("/atgarder/{action_id}/skicka-lank", dependencies=[CsrfChecked])
def action_send_link(
    request: Request,
    action_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
) -> RedirectResponse:
    action, plan, _, owner = _load(session, action_id)
    require_edit(user, plan)
    if owner is None:
        raise Refused("Åtgärden har ingen ansvarig att skicka en länk till.")
    queue_owner_link(
        session,
        web.app.registry,
        web.app.settings,
        owner,
        now=now,
        action=action,
        plan=plan,
    )
    flash(request, f"En ny länk till {owner.email} ligger i utkorgen.")
    return RedirectResponse(f"/atgarder/{action_id}", status_code=303)
