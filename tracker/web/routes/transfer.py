"""Upload a plan file (CSV or XLSX) and see its error list; download a plan as XLSX or CSV.

The file is checked as a whole by tracker.services.importing's reader and applied in this
request's one transaction: either everything is imported or nothing.

An import is not cancelled when its client goes away, and shutdown waits for it: instead it
is bounded. tracker.domain.reading refuses, before the work, any file beyond its web limits
(WEB_LIMITS: 10 MB, 20 000 rows, a cell budget, and for XLSX the unpacked size and XML element
count), and
within them, where it was measured, the slowest file took some 3 s to read and the whole
import of a plan of 20 000 rows (reading, checking, saving) some 3 s. So a request ends
within a few seconds.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from tracker.domain.clock import start_of_day
from tracker.domain.import_rows import read_plan_file
from tracker.domain.plan_meta import PlanMeta
from tracker.domain.problems import FileRefused
from tracker.domain.reading import WEB_LIMITS
from tracker.domain.roles import forvaltning_scope
from tracker.domain.tables import UnreadableFile
from tracker.errors import Refused
from tracker.services import exporting, importing, people
from tracker.services import plans as plan_service
from tracker.web.deps import (
    CsrfChecked,
    EditorDep,
    NowDep,
    SessionDep,
    UserDep,
    Web,
    WebDep,
    require_edit,
    require_read,
    undo,
)
from tracker.web.downloads import content_disposition
from tracker.web.forms import parse_date
from tracker.web.routes import PathId
from workflows.registry import DEFAULT_ACTION_WORKFLOW

router = APIRouter()

MAX_UPLOAD = WEB_LIMITS.file_bytes
KINDS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _read_upload(upload: UploadFile | None, label: str) -> tuple[str, bytes] | None:
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Refused(f"{label} är större än {MAX_UPLOAD // 2**20} MB.")
    return Path(upload.filename).name, data


@router.get("/planer/import", response_class=HTMLResponse)
def import_form(request: Request, web: WebDep, user: EditorDep) -> HTMLResponse:
    return web.render(
        request, "plans/import.html", {"result": None, "problems": None, "values": {}}
    )


@router.post(
    "/planer/import",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def import_upload(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    file: Annotated[UploadFile | None, File()] = None,
    sidecar: Annotated[UploadFile | None, File()] = None,
    title: Annotated[str, Form(max_length=500)] = "",
    namnd: Annotated[str, Form(max_length=500)] = "",
    dnr: Annotated[str, Form(max_length=500)] = "",
    as_of: Annotated[str, Form(max_length=40)] = "",
    dry_run: Annotated[str, Form()] = "",
) -> HTMLResponse:
    problems: list[str] = []
    result = None
    filename = ""
    try:
        upload = _read_upload(file, "Filen")
        if upload is None:
            raise Refused("Välj en CSV- eller XLSX-fil att importera.")
        filename, data = upload
        side = _read_upload(sidecar, "Planfilen")
        recorded = _as_of(as_of, web)
        # A chef imports into their own förvaltning; only an admin takes the file's word.
        forced = forvaltning_scope(user)
        plan_file = read_plan_file(
            data,
            filename,
            workflows={n: web.app.registry.get(n).definition for n in web.app.registry.names()},
            default_workflow=DEFAULT_ACTION_WORKFLOW,
            valid_email=people.valid_email,
            limits=WEB_LIMITS,
            sidecar=(side[0], side[1].decode("utf-8-sig")) if side else None,
            overrides=PlanMeta(
                title=title.strip() or None,
                forvaltning=forced,
                namnd=namnd.strip() or None,
                dnr=dnr.strip() or None,
            ),
            title_hint="skriv den i fältet Planens namn",
        )
        result = importing.apply_plan_file(
            session, web.app.registry, web.app.settings, plan_file, now=now, as_of=recorded
        )
        require_edit(user, plan_service.get_plan(session, result.plan_id))
        if dry_run:
            undo(session)
    except FileRefused as exc:
        undo(session)
        problems = [str(p) for p in exc.problems]
    except (UnreadableFile, Refused) as exc:
        undo(session)
        problems = [exc.message]
    except UnicodeDecodeError:
        undo(session)
        problems = ["Planfilen (.plan.toml) är inte UTF-8-text."]
    return web.render(
        request,
        "plans/import.html",
        {
            "result": result,
            "summary": list(importing.describe(result)) if result else [],
            "problems": problems or None,
            "filename": filename,
            "dry_run": bool(dry_run),
            "values": {"title": title, "namnd": namnd, "dnr": dnr, "as_of": as_of},
        },
        status_code=422 if problems else 200,
    )


def _as_of(typed: str, web: Web) -> datetime | None:
    """The "läget per" date of the form as the instant its day begins, or None (now)."""
    day = parse_date(typed, "Läget per")
    return start_of_day(day, web.app.tz) if day is not None else None


@router.get("/planer/{plan_id}/export.{kind}")
def export_download(
    plan_id: PathId, kind: str, web: WebDep, session: SessionDep, user: UserDep
) -> Response:
    if kind not in KINDS:
        raise Refused("Välj export som xlsx eller csv.")
    plan = plan_service.get_plan(session, plan_id)
    require_read(user, plan)
    name = f"atgardsplan-{plan_id}.{kind}"
    with tempfile.TemporaryDirectory(prefix="tracker-export-") as tmp:
        _, written = exporting.export_plan(session, web.app.registry, plan_id, Path(tmp) / name)
        data = written[0].read_bytes()
    pretty = f"{plan.title}.{kind}"
    return Response(
        data,
        media_type=KINDS[kind],
        headers={"Content-Disposition": content_disposition(pretty, fallback=name)},
    )
