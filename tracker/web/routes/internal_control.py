"""Internkontroll: the nämnders internkontrollplaner, importing one from a file, and a page
per plan with its risk matrix (a picture and the same facts as a table), the numbered risks
and, per process, each risk's kontrollmoment with the next date it is due.

Who may: tracker.domain.roles.may_read_control_plan / may_edit_control_plan, asked before
anything else. The import goes through tracker.services.internal_control, as the
`tracker internkontroll` commands do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from tracker.domain.problems import FileRefused
from tracker.domain.reading import WEB_LIMITS
from tracker.domain.risk import DEFAULT_SCALE
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
from tracker.errors import Forbidden, Refused
from tracker.models import Person
from tracker.services import internal_control
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
    undo,
)
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
            data,
            filename,
            namnd=namnd,
            year=year,
            forvaltning=where,
            now=now,
            limits=WEB_LIMITS,
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
    if result.warnings:
        message += " Observera: " + " ".join(result.warnings)
    flash(request, message)
    return RedirectResponse(f"/internkontroll/{result.plan_id}", status_code=303)


# --- one plan -------------------------------------------------------------------------------


@router.get("/internkontroll/{plan_id}", response_class=HTMLResponse)
def control_plan_page(
    request: Request, plan_id: PathId, web: WebDep, session: SessionDep, now: NowDep, user: UserDep
) -> HTMLResponse:
    plan = internal_control.get_control_plan(session, plan_id)
    if not may_read_control_plan(user, plan.forvaltning):
        raise Forbidden(
            f"Internkontrollplanen hör till {plan.forvaltning or 'en annan förvaltning'}."
        )
    view = internal_control.control_plan_view(
        session, plan_id, today=web.today(now), cal=WorkCalendar(), scale=DEFAULT_SCALE
    )
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
            "svg": Markup(matrix_svg(DEFAULT_SCALE, placed, id_prefix="riskmatris")),
            "table": matrix_table(DEFAULT_SCALE, placed),
            "headers": RISK_ROW_HEADERS,
            "legend": risk_rows(DEFAULT_SCALE, placed),
            "processes": processes,
            "flash": pop_flash(request),
        },
    )
