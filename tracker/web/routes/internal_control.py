"""Internkontroll: the nämnders internkontrollplaner, importing one from a file, and a page
per plan with its risk matrix (a picture and the same facts as a table), the numbered risks
and, per process, each risk's kontrollmoment with the next date it is due.

Who may: tracker.domain.roles.may_read_control_plan / may_edit_control_plan, asked before
anything else. The import goes through tracker.services.internal_control, as the
`tracker internkontroll` commands do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from notifications.swedish import count
from tracker.domain.numbers import plain_int
from tracker.domain.problems import FileRefused
from tracker.domain.reading import WEB_LIMITS
from tracker.domain.risk_matrix import (
    RISK_ROW_HEADERS,
    PlacedRisk,
    matrix_svg,
    matrix_table,
    risk_rows,
)
from tracker.domain.roles import (
    forvaltning_scope,
    is_editor,
    may_edit_control_plan,
    may_read_control_plan,
)
from tracker.domain.tables import UnreadableFile
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Forbidden, NotFound, Refused, TrackerError
from tracker.models import ControlPlan, Person
from tracker.services import control_occurrences, control_report, internal_control, people, reports
from tracker.services.link_mail import queue_assignments
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
    undo,
)
from tracker.web.forms import TEXT_LIMIT, FormError, field_of, parse_date
from tracker.web.routes import PathId

router = APIRouter()

NameField = Annotated[str, Form(max_length=internal_control.NAME_LIMIT)]
YearField = Annotated[str, Form(max_length=20)]


# --- the list and the import ---------------------------------------------------------------


@router.get("/internkontroll", response_class=HTMLResponse)
def control_plan_list(
    request: Request, web: WebDep, session: SessionDep, user: UserDep
) -> HTMLResponse:
    return _render_list(request, web, session, user)


def _render_list(
    request: Request,
    web: Web,
    session: Session,
    user: Person,
    *,
    values: dict[str, str] | None = None,
    error: FormError | None = None,
    problems: list[str] | None = None,
    filename: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    rows = [
        p
        for p in internal_control.list_control_plans(session)
        if may_read_control_plan(user, p.forvaltning)
    ]
    return web.render(
        request,
        "internkontroll/list.html",
        {
            "rows": rows,
            "may_edit": is_editor(user),
            "values": values or {"forvaltning": user.forvaltning},
            "error": error,
            "problems": problems or [],
            "filename": filename,
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


def _year(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise Refused(f"Året ska vara ett årtal, till exempel 2025, inte '{text}'.") from None


def _field_of(message: str) -> str:
    """The form field a refusal is about, by how it starts."""
    starts = {
        "Ange nämnden": "namnd",
        "Nämndens och förvaltningens": "namnd",
        "Året": "year",
        "Du kan bara": "forvaltning",
    }
    return next((f for s, f in starts.items() if message.startswith(s)), "file")


@router.post("/internkontroll", dependencies=[CsrfChecked], response_model=None)
def control_plan_import(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    fil: Annotated[UploadFile | None, File()] = None,
    namnd: NameField = "",
    ar: YearField = "",
    forvaltning: NameField = "",
) -> Response:
    filename = Path(fil.filename).name if fil is not None and fil.filename else ""
    where = " ".join(forvaltning.split()) or (forvaltning_scope(user) or "")
    values = {"namnd": namnd, "year": ar, "forvaltning": forvaltning}
    try:
        if not may_edit_control_plan(user, where):
            raise Refused(f"Du kan bara läsa in internkontrollplaner för {user.forvaltning}.")
        year = _year(ar)
        if fil is None or not filename:
            raise Refused("Välj en CSV- eller XLSX-fil att läsa in.")
        # One byte more than allowed: a larger file is refused by its size, never read whole.
        data = fil.file.read(WEB_LIMITS.file_bytes + 1)
        result = internal_control.import_control_plan(
            session,
            web.app.registry,
            data,
            filename,
            namnd=namnd,
            year=year,
            forvaltning=where,
            now=now,
            limits=WEB_LIMITS,
            scale=web.app.risk_scale,
        )
    except (FileRefused, Refused, UnreadableFile) as exc:
        undo(session)
        problems = [str(p) for p in exc.problems] if isinstance(exc, FileRefused) else []
        return _render_list(
            request,
            web,
            session,
            user,
            values=values,
            error=None if problems else FormError(exc.message, "import", _field_of(exc.message)),
            problems=problems,
            filename=filename,
            status_code=422,
        )
    message = (
        f"{filename} är inläst som {result.title}: {count(result.risks, 'risk', 'risker')} i "
        f"{count(result.processes, 'process', 'processer')} med {result.controls} "
        "kontrollmoment."
    )
    if result.actions_decided:
        message += (
            f" {count(result.actions_decided, 'risk besvaras', 'risker besvaras')} med en "
            "åtgärd direkt; de finns i "
            "åtgärdsplanens Åtgärder från internkontroll."
        )
    if result.warnings:
        message += " Observera: " + " ".join(result.warnings)
    flash(request, message)
    return RedirectResponse(f"/internkontroll/{result.plan_id}", status_code=303)


# --- one plan -------------------------------------------------------------------------------


@router.get("/internkontroll/{plan_id}", response_class=HTMLResponse)
def control_plan_page(
    request: Request, plan_id: PathId, web: WebDep, session: SessionDep, now: NowDep, user: UserDep
) -> HTMLResponse:
    return _render_plan(request, web, session, plan_id, now, user)


@dataclass(frozen=True)
class FollowUp:
    """A follow-up report of the plan, as its page lists it."""

    id: int
    title: str
    state_label: str


def _follow_ups(web: Web, session: Session, plan: ControlPlan, user: Person) -> list[FollowUp]:
    if plan.plan_id is None:
        return []
    editor = may_edit_control_plan(user, plan.forvaltning)
    shown = [
        report
        for report, _ in reports.list_reports(session, plan.plan_id)
        if report.id is not None and (reports.is_issued(report) or editor)
    ]
    sent = reports.sendings(session, web.app.registry, shown)
    out = []
    for report in shown:
        assert report.id is not None
        label = sent[report.id].state_label
        out.append(FollowUp(report.id, reports.report_title(report), label))
    out.reverse()
    return out


def _render_plan(
    request: Request,
    web: Web,
    session: Session,
    plan_id: int,
    now: datetime,
    user: Person,
    *,
    error: str | None = None,
    as_of: str | None = None,
    add_error: FormError | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The plan's page; `add_error` and `typed`: a refused form of the page (a new risk, a
    new kontrollmoment, a changed one) with what was typed in it."""
    plan = internal_control.get_control_plan(session, plan_id)
    if not may_read_control_plan(user, plan.forvaltning):
        raise Forbidden(
            f"Internkontrollplanen hör till {plan.forvaltning or 'en annan förvaltning'}."
        )
    view = internal_control.control_plan_view(
        session, plan_id, today=web.today(now), cal=WorkCalendar(), registry=web.app.registry
    )
    scale = internal_control.scale_of(plan)
    placed = [PlacedRisk(r.number, r.name, r.likelihood, r.consequence) for r in view.risks]
    processes: dict[str, list[internal_control.RiskView]] = {}
    for risk in view.risks:
        processes.setdefault(risk.process, []).append(risk)
    return web.render(
        request,
        "internkontroll/show.html",
        {
            "view": view,
            # Built from escaped text only, with no script and no style attribute: safe inline.
            "svg": Markup(matrix_svg(scale, placed, id_prefix="riskmatris")),
            "table": matrix_table(scale, placed),
            "headers": RISK_ROW_HEADERS,
            "legend": risk_rows(scale, placed),
            "processes": processes,
            "follow_ups": _follow_ups(web, session, plan, user),
            "may_draft": may_edit_control_plan(user, plan.forvaltning),
            "as_of": as_of if as_of is not None else web.today(now).isoformat(),
            "error": error,
            "likelihood": list(enumerate(scale.likelihood, start=1)),
            "consequence": list(enumerate(scale.consequence, start=1)),
            "add_error": add_error,
            "typed": typed or {},
            # The plan's changes by hand, to whoever may make them, as on the settings page.
            "history": (
                internal_control.history(session, plan_id)
                if may_edit_control_plan(user, plan.forvaltning)
                else []
            ),
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


@router.post(
    "/internkontroll/{plan_id}/uppfoljning", dependencies=[CsrfChecked], response_model=None
)
def control_follow_up_draft(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    as_of: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Draft the follow-up to the nämnd: the report's own page takes it from there (the chef's
    assessment, approval, sending)."""
    plan = internal_control.get_control_plan(session, plan_id)
    if not may_edit_control_plan(user, plan.forvaltning):
        raise Forbidden(f"Du kan bara göra uppföljningar för {user.forvaltning}.")
    try:
        when = parse_date(as_of, "Läget per") or web.today(now)
        report = control_report.draft_control_report(
            session,
            web.app.registry,
            plan_id,
            as_of=when,
            now=now,
            tz=web.app.tz,
            draft_days=web.app.settings.report_draft_days_before,
            created_by=f"{user.name} <{user.email}>",
        )
    except TrackerError as exc:
        undo(session)
        return _render_plan(
            request,
            web,
            session,
            plan_id,
            now,
            user,
            error=exc.message,
            as_of=as_of,
            status_code=refusal_status(exc),
        )
    flash(
        request,
        f"Utkastet till uppföljning per {when.isoformat()} är sparat. Skriv din samlade "
        "bedömning, granska dokumenten och godkänn det när det stämmer.",
    )
    return RedirectResponse(f"/aterrapporter/{report.id}", status_code=303)


# --- next year's plan, and re-assessing the risks ---------------------------------------------


def _editable_plan(session: Session, plan_id: int, user: Person) -> ControlPlan:
    plan = internal_control.get_control_plan(session, plan_id)
    if not may_edit_control_plan(user, plan.forvaltning):
        raise Forbidden(f"Du kan bara ändra internkontrollplaner för {user.forvaltning}.")
    return plan


@router.post("/internkontroll/{plan_id}/nasta-ar", dependencies=[CsrfChecked], response_model=None)
def control_plan_copy(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
) -> Response:
    """Next year's plan from this one; its risks are then re-assessed on their own page."""
    plan = _editable_plan(session, plan_id, user)
    try:
        copied = internal_control.copy_to_year(session, plan_id, year=plan.year + 1, now=now)
    except TrackerError as exc:
        undo(session)
        flash(request, exc.message)
        return RedirectResponse(f"/internkontroll/{plan_id}", status_code=303)
    flash(
        request,
        f"{copied.title} är gjord med {count(copied.risks, 'risk', 'risker')} och "
        f"{copied.controls} "
        "kontrollmoment. Bedöm riskerna för det nya året.",
    )
    return RedirectResponse(f"/internkontroll/{copied.plan_id}/risker", status_code=303)


@router.get("/internkontroll/{plan_id}/risker", response_class=HTMLResponse)
def control_risks_page(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
) -> HTMLResponse:
    _editable_plan(session, plan_id, user)
    return _render_risks(request, web, session, plan_id, now)


def _render_risks(
    request: Request,
    web: Web,
    session: Session,
    plan_id: int,
    now: datetime,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    plan = internal_control.get_control_plan(session, plan_id)
    view = internal_control.control_plan_view(
        session, plan_id, today=web.today(now), cal=WorkCalendar()
    )
    scale = internal_control.scale_of(plan)
    return web.render(
        request,
        "internkontroll/risks.html",
        {
            "view": view,
            "likelihood": list(enumerate(scale.likelihood, start=1)),
            "consequence": list(enumerate(scale.consequence, start=1)),
            "error": error,
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


async def _risk_form(request: Request) -> dict[str, object]:
    """The risk form's fields ("s_<nr>", "k_<nr>"), one for each risk of the plan: read here,
    in the event loop, so that the route itself is a plain function run in a worker thread,
    where its wait for the database holds up no other request."""
    return dict((await request.form()).items())


@router.post("/internkontroll/{plan_id}/risker", dependencies=[CsrfChecked], response_model=None)
def control_risks_save(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    form: Annotated[dict[str, object], Depends(_risk_form)],
) -> Response:
    """Every risk's sannolikhet and konsekvens from the form, saved together or not at all."""
    _editable_plan(session, plan_id, user)
    try:
        assessments = _assessments(form)
        changed = internal_control.reassess(session, plan_id, assessments, now=now, actor=user)
    except TrackerError as exc:
        undo(session)
        return _render_risks(
            request, web, session, plan_id, now, error=exc.message, status_code=422
        )
    flash(
        request,
        f"Bedömningen är sparad: {count(len(changed), 'risk har', 'risker har')} ny bedömning."
        if changed
        else "Bedömningen är oförändrad.",
    )
    return RedirectResponse(f"/internkontroll/{plan_id}", status_code=303)


def _assessments(form: dict[str, object]) -> dict[int, tuple[int, int]]:
    found: dict[int, tuple[int, int]] = {}
    for key, value in form.items():
        if not key.startswith("s_"):
            continue
        number = plain_int(key.removeprefix("s_"), 9)
        other = form.get(f"k_{key.removeprefix('s_')}")
        if number is None or not isinstance(value, str) or not isinstance(other, str):
            raise Refused("Formuläret är ofullständigt; ladda om sidan och försök igen.")
        likelihood, consequence = plain_int(value, 3), plain_int(other, 3)
        if likelihood is None or consequence is None:
            raise Refused(f"Risk {number}: välj sannolikhet och konsekvens i listorna.")
        found[number] = (likelihood, consequence)
    return found


# --- a risk or a kontrollmoment by hand -------------------------------------------------------

# Bounded by the body's limit, not the service's: a text too long is refused beside its box
# with the rest kept, not on the generic page for an overlong form.
TypedField = Annotated[str, Form(max_length=TEXT_LIMIT)]
EmailField = Annotated[str, Form(max_length=320)]
OwnerNameField = Annotated[str, Form(max_length=200)]


def _refused(
    request: Request,
    web: Web,
    session: Session,
    plan_id: int,
    now: datetime,
    user: Person,
    exc: TrackerError,
    form: str,
    typed: dict[str, str],
) -> HTMLResponse:
    """The plan's page again after one of its forms was refused: the reason beside the box
    it is about, and what was typed in the form. Not found is no refused form: the address
    names a risk or kontrollmoment this plan does not have, a page that is not there (404)."""
    undo(session)
    if isinstance(exc, NotFound):
        raise exc
    field = next(iter(exc.fields), "") if isinstance(exc, Refused) else ""
    return _render_plan(
        request,
        web,
        session,
        plan_id,
        now,
        user,
        add_error=FormError(exc.message, form, field or field_of(exc.message)),
        typed={"form": form, **typed},
        status_code=refusal_status(exc),
    )


def _level(typed: str, label: str) -> int:
    level = plain_int(typed.strip(), 3)
    if level is None:
        raise Refused(f"{label}: välj en nivå i listan.")
    return level


@router.post("/internkontroll/{plan_id}/ny-risk", dependencies=[CsrfChecked], response_model=None)
def control_risk_add(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    process: TypedField = "",
    risk: TypedField = "",
    likelihood: Annotated[str, Form(max_length=20)] = "",
    consequence: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A risk added to the plan by hand; a refusal shows the page again with the reason
    beside its box and what was typed kept."""
    _editable_plan(session, plan_id, user)
    try:
        added = internal_control.add_risk(
            session,
            plan_id,
            process=process,
            name=risk,
            likelihood=_level(likelihood, "Sannolikhet"),
            consequence=_level(consequence, "Konsekvens"),
            now=now,
            actor=user,
        )
    except TrackerError as exc:
        typed = {
            "process": process,
            "risk": risk,
            "likelihood": likelihood,
            "consequence": consequence,
        }
        return _refused(request, web, session, plan_id, now, user, exc, NEW_RISK_FORM, typed)
    flash(request, f"Risken '{added.name}' är tillagd under {added.process}.")
    return RedirectResponse(f"/internkontroll/{plan_id}#risk-{added.id}", status_code=303)


NEW_RISK_FORM = "ny-risk"


def new_point_form(risk_id: int) -> str:
    return f"nytt-kontrollmoment-{risk_id}"


def point_form(point_id: int) -> str:
    return f"kontrollmoment-{point_id}"


def handling_form(risk_id: int) -> str:
    return f"hantering-{risk_id}"


@router.post(
    "/internkontroll/{plan_id}/risker/{risk_id}/hantering",
    dependencies=[CsrfChecked],
    response_model=None,
)
def control_risk_handling_owner(
    request: Request,
    plan_id: PathId,
    risk_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    owner_email: EmailField = "",
    owner_name: OwnerNameField = "",
) -> Response:
    """Who answers for the handling of a risk; the e-mail box left empty leaves it to
    nobody. A refusal shows the page again with the reason beside its box and what was
    typed kept."""
    plan = _editable_plan(session, plan_id, user)
    try:
        owner = internal_control.typed_owner(session, plan, owner_email, owner_name, now=now)
        changed = internal_control.change_risk_handling_owner(
            session, plan_id, risk_id, owner=owner, now=now, actor=user
        )
    except TrackerError as exc:
        typed = {"owner_email": owner_email, "owner_name": owner_name}
        form = handling_form(risk_id)
        return _refused(request, web, session, plan_id, now, user, exc, form, typed)
    if not changed:
        message = "Inget var ändrat."
    elif owner is None:
        message = "Riskens hantering har ingen ansvarig nu."
    else:
        message = f"{owner.name} är ansvarig för riskens hantering."
    flash(request, message)
    return RedirectResponse(f"/internkontroll/{plan_id}#risk-{risk_id}", status_code=303)


@router.post(
    "/internkontroll/{plan_id}/risker/{risk_id}/kontrollmoment",
    dependencies=[CsrfChecked],
    response_model=None,
)
def control_point_add(
    request: Request,
    plan_id: PathId,
    risk_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    text: TypedField = "",
    method: TypedField = "",
    frequency: TypedField = "",
    owner_email: EmailField = "",
    owner_name: OwnerNameField = "",
) -> Response:
    """A kontrollmoment added to a risk by hand: the reminder sweep opens its controls as it
    opens an imported one's. A refusal shows the page again with the reason beside its box
    and what was typed kept."""
    plan = _editable_plan(session, plan_id, user)
    try:
        owner = internal_control.typed_owner(session, plan, owner_email, owner_name, now=now)
        point = internal_control.add_control_point(
            session,
            plan_id,
            risk_id,
            text=text,
            method=method,
            frequency_text=frequency,
            owner=owner,
            now=now,
            actor=user,
        )
    except TrackerError as exc:
        typed = {
            "text": text,
            "method": method,
            "frequency": frequency,
            "owner_email": owner_email,
            "owner_name": owner_name,
        }
        form = new_point_form(risk_id)
        return _refused(request, web, session, plan_id, now, user, exc, form, typed)
    message = f"Kontrollmomentet '{point.text}' är tillagt."
    if owner is not None:
        message += " " + people.new_owner_text(owner, owner_name)
    else:
        message += " " + internal_control.NO_OWNER_NOTICE
    flash(request, message)
    return RedirectResponse(f"/internkontroll/{plan_id}#risk-{risk_id}", status_code=303)


@router.post(
    "/internkontroll/{plan_id}/kontrollmoment/{point_id}",
    dependencies=[CsrfChecked],
    response_model=None,
)
def control_point_change(
    request: Request,
    plan_id: PathId,
    point_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    method: TypedField = "",
    frequency: TypedField = "",
    owner_email: EmailField = "",
    owner_name: OwnerNameField = "",
) -> Response:
    """A kontrollmoment's method, frequency and owner changed; a new owner is told of the
    controls already opened that are now theirs, and the owner's box left empty leaves it
    without owner. A refusal shows the page again with the reason beside its box and what
    was typed kept."""
    plan = _editable_plan(session, plan_id, user)
    try:
        owner = internal_control.typed_owner(session, plan, owner_email, owner_name, now=now)
        done = internal_control.change_control_point(
            session,
            web.app.registry,
            web.app.settings,
            plan_id,
            point_id,
            method=method,
            frequency_text=frequency,
            owner=owner,
            now=now,
            actor=user,
        )
    except TrackerError as exc:
        typed = {
            "method": method,
            "frequency": frequency,
            "owner_email": owner_email,
            "owner_name": owner_name,
        }
        form = point_form(point_id)
        return _refused(request, web, session, plan_id, now, user, exc, form, typed)
    message = "Kontrollmomentet är ändrat." if done.changed else "Inget var ändrat."
    if done.owner_removed:
        message += f" {internal_control.NO_OWNER_NOTICE} {internal_control.KEPT_CONTROLS_NOTICE}"
    if done.reassigned and owner is not None:
        actions_plan = control_occurrences.ensure_action_plan(session, plan, now=now)
        queue_assignments(
            session,
            web.app.registry,
            web.app.settings,
            owner,
            actions_plan,
            done.reassigned,
            now=now,
            assigned_by=user,
        )
        message += (
            f" {len(done.reassigned)} öppna kontroller går nu till {owner.name}; ett "
            "e-postmeddelande med länk ligger i utkorgen."
        )
    flash(request, message)
    return RedirectResponse(f"/internkontroll/{plan_id}#risk-{done.risk_id}", status_code=303)
