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
from tracker.errors import Forbidden, Refused, TrackerError
from tracker.models import ControlPlan, Person
from tracker.services import control_report, internal_control, reports
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
from tracker.web.forms import parse_date
from tracker.web.routes import PathId

router = APIRouter()

NameField = Annotated[str, Form(max_length=internal_control.NAME_LIMIT)]
YearField = Annotated[str, Form(max_length=20)]


@dataclass(frozen=True)
class FormError:
    """A refusal shown in the upload form, tied to the field it is about (`field`) with
    aria-describedby; `form` is the form's id on the page."""

    message: str
    form: str
    field: str = ""


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
        f"{filename} är inläst som {result.title}: {result.risks} risker i "
        f"{result.processes} processer med {result.controls} kontrollmoment."
    )
    if result.actions_decided:
        message += (
            f" {result.actions_decided} risker besvaras med en åtgärd direkt; de finns i "
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
    status_code: int = 200,
) -> HTMLResponse:
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
        f"{copied.title} är gjord med {copied.risks} risker och {copied.controls} "
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
        changed = internal_control.reassess(session, plan_id, assessments)
    except TrackerError as exc:
        undo(session)
        return _render_risks(
            request, web, session, plan_id, now, error=exc.message, status_code=422
        )
    flash(
        request,
        f"Bedömningen är sparad: {len(changed)} risker har ny bedömning."
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
