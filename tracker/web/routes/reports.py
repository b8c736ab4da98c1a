"""Återrapporter on the web: the list per plan (and for all plans), one report with its
documents, drafting, approving and sending to the nämnd, and downloading the files.

The chef (or an admin) of the plan's förvaltning sees drafts and issues them; a board reader
sees only issued reports (godkänd, skickad): a draft is not yet a public record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from tracker.domain.control_report import ASSESSMENT_LIMIT, ControlSnapshot
from tracker.domain.roles import is_editor, may_edit, may_read
from tracker.errors import Forbidden, Refused, TrackerError
from tracker.logs import emit_deferred
from tracker.models import Person, Plan, Report
from tracker.models.report import DRAFT_STATE, ReportFile
from tracker.reports import archive
from tracker.services import audits, control_report, plan_settings, report_schedule, reports
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
    refusal_status,
    require_edit,
    require_read,
    undo,
)
from tracker.web.downloads import content_disposition, document_response
from tracker.web.forms import VERSION_LIMIT, parse_date
from tracker.web.routes import PathId

router = APIRouter()

FORMAT_LABELS = {"html": "HTML", "pdf": "PDF", "docx": "Word (DOCX)"}
APPROVED_STATE = "godkand"


@dataclass(frozen=True)
class FileLink:
    fmt: str
    label: str
    url: str
    # Only an issued report has archived files with a stored SHA-256.
    sha256: str | None
    filename: str = ""


@dataclass(frozen=True)
class ReportRow:
    report: Report
    plan: Plan
    state_label: str
    files: list[FileLink]


def _state_label(web: Web, report: Report) -> str:
    labels = {s.id: s.label for s in web.app.registry.get(report.workflow).definition.states}
    return labels.get(report.state, report.state)


def _visible(user: Person, report: Report, plan: Plan) -> bool:
    return may_read(user, plan) and (reports.is_issued(report) or may_edit(user, plan))


def _hashes(session: Session, report_ids: list[int]) -> dict[int, dict[str, tuple[str, str]]]:
    """(SHA-256, filename) of each archived file, without reading the files themselves."""
    found: dict[int, dict[str, tuple[str, str]]] = {}
    if not report_ids:
        return found
    rows = session.exec(
        select(ReportFile.report_id, ReportFile.format, ReportFile.sha256, ReportFile.filename)
        .where(col(ReportFile.report_id).in_(report_ids))
        .order_by(col(ReportFile.id))
    ).all()
    for report_id, fmt, sha, filename in rows:
        found.setdefault(report_id, {})[fmt] = (sha, filename)
    return found


def _file_links(report_id: int, archived: dict[str, tuple[str, str]]) -> list[FileLink]:
    links = []
    for fmt in reports.FORMATS:
        sha, filename = archived.get(fmt, (None, ""))
        links.append(
            FileLink(
                fmt=fmt,
                label=FORMAT_LABELS[fmt],
                url=f"/aterrapporter/{report_id}/dokument.{fmt}",
                sha256=sha,
                filename=filename,
            )
        )
    return links


def _rows(
    web: Web, session: Session, user: Person, found: list[tuple[Report, Plan]]
) -> list[ReportRow]:
    shown = [(r, p) for r, p in found if _visible(user, r, p)]
    hashes = _hashes(session, [r.id for r, _ in shown if r.id is not None])
    rows = []
    for report, plan in shown:
        assert report.id is not None
        rows.append(
            ReportRow(
                report=report,
                plan=plan,
                state_label=_state_label(web, report),
                files=_file_links(report.id, hashes.get(report.id, {})),
            )
        )
    # Newest first: the one the reader most likely came for is at the top.
    rows.reverse()
    return rows


# --- lists --------------------------------------------------------------------------------


@router.get("/aterrapporter", response_class=HTMLResponse)
def report_overview(
    request: Request, web: WebDep, session: SessionDep, user: UserDep
) -> HTMLResponse:
    rows = _rows(web, session, user, reports.list_reports(session))
    return web.render(
        request,
        "reports/overview.html",
        {"rows": rows, "may_edit": is_editor(user), "flash": pop_flash(request)},
    )


def _render_plan_reports(
    request: Request,
    web: Web,
    session: Session,
    plan: Plan,
    user: Person,
    now: datetime,
    *,
    error: str | None = None,
    as_of: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    assert plan.id is not None
    rows = _rows(web, session, user, reports.list_reports(session, plan.id))
    answers = audits.answered_by_plan(session, web.app.registry, plan.id, web.today(now), user)
    return web.render(
        request,
        "reports/plan.html",
        {
            "plan": plan,
            "rows": rows,
            "answers": answers,
            "may_edit": may_edit(user, plan),
            "as_of": as_of if as_of is not None else web.today(now).isoformat(),
            "error": error,
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


@router.get("/planer/{plan_id}/aterrapporter", response_class=HTMLResponse)
def plan_reports(
    request: Request, plan_id: PathId, web: WebDep, session: SessionDep, now: NowDep, user: UserDep
) -> HTMLResponse:
    plan = plan_service.get_plan(session, plan_id)
    require_read(user, plan)
    return _render_plan_reports(request, web, session, plan, user, now)


@router.post("/planer/{plan_id}/aterrapporter", dependencies=[CsrfChecked], response_model=None)
def report_draft(
    request: Request,
    plan_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    as_of: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    plan = plan_service.get_plan(session, plan_id)
    require_edit(user, plan)
    try:
        when = parse_date(as_of, "Läget per") or web.today(now)
        report = reports.draft_report(
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
        return _render_plan_reports(
            request,
            web,
            session,
            plan_service.get_plan(session, plan_id),
            user,
            now,
            error=exc.message,
            as_of=as_of,
            status_code=refusal_status(exc),
        )
    flash(
        request,
        f"Utkastet per {when.isoformat()} är sparat. Granska dokumenten och godkänn det när "
        "det stämmer.",
    )
    return RedirectResponse(f"/aterrapporter/{report.id}", status_code=303)


# --- one report ---------------------------------------------------------------------------


def _readable(session: Session, report_id: int, user: Person) -> tuple[Report, Plan]:
    report = reports.get_report(session, report_id)
    plan = plan_service.get_plan(session, report.plan_id)
    require_read(user, plan)
    if not reports.is_issued(report) and not may_edit(user, plan):
        raise Forbidden(
            "Återrapporten är ett utkast som inte är godkänt ännu. Den syns här när chefen "
            "har godkänt den."
        )
    return report, plan


def _render_report(
    request: Request,
    web: Web,
    session: Session,
    report_id: int,
    user: Person,
    *,
    error: str | None = None,
    status_code: int = 200,
    assessment_draft: str | None = None,
) -> HTMLResponse:
    report, plan = _readable(session, report_id, user)
    archived = _hashes(session, [report_id]).get(report_id, {})
    files = _file_links(report_id, archived)
    document = reports.document_snapshot(report)
    if not reports.is_issued(report):
        # A draft's documents are made when fetched; their names come from the snapshot.
        snapshot = document
        files = [
            FileLink(f.fmt, f.label, f.url, None, reports.filename_for(snapshot, f.fmt))
            for f in files
        ]
    editable = may_edit(user, plan)
    updates = None
    control = None
    if isinstance(document, ControlSnapshot):
        # The follow-up of an internkontrollplan: the chef's overall assessment, written in
        # the draft and frozen on approval.
        control = {
            "period": document.period_name,
            "start": document.period_start,
            "assessment": document.assessment,
            "assessment_by": document.assessment_by,
            "text": document.assessment if assessment_draft is None else assessment_draft,
            "limit": ASSESSMENT_LIMIT,
            "control_plan_id": document.control_plan.id,
        }
    elif report.state == DRAFT_STATE:
        updates = report_schedule.draft_updates(
            session,
            web.app.registry,
            plan,
            document,
            web.app.settings.report_draft_days_before,
        )
    return web.render(
        request,
        "reports/show.html",
        {
            "report": report,
            "plan": plan,
            "title": reports.report_title(report),
            "state_label": _state_label(web, report),
            "files": files,
            "may_approve": editable and report.state == DRAFT_STATE,
            "may_send": editable and report.state == APPROVED_STATE,
            "recipients": plan_settings.split_addresses(plan.board_recipients),
            "updates": updates,
            "control": control,
            "error": error,
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


# /reports/{id} is the address in the review mail the scheduled job sends the chef
# (tracker.reports.jobs.review_url); /aterrapporter/{id} is the one the pages link to.
@router.get("/reports/{report_id}", response_class=HTMLResponse)
@router.get("/aterrapporter/{report_id}", response_class=HTMLResponse)
def report_page(
    request: Request, report_id: PathId, web: WebDep, session: SessionDep, user: UserDep
) -> HTMLResponse:
    return _render_report(request, web, session, report_id, user)


@router.get("/aterrapporter/{report_id}/dokument.{fmt}")
def report_download(report_id: PathId, fmt: str, session: SessionDep, user: UserDep) -> Response:
    if fmt not in reports.FORMATS:
        raise Refused("Välj dokumentet som html, pdf eller docx.")
    _readable(session, report_id, user)
    # An issued report's archived bytes, exactly as stored; a draft rendered now.
    doc = reports.report_document(session, report_id, fmt)
    return document_response(doc.data, doc.filename, doc.content_type, fmt)


@router.get("/aterrapporter/{report_id}/arkivpaket.tar")
def report_archive_package(
    report_id: PathId, web: WebDep, session: SessionDep, now: NowDep, user: UserDep
) -> Response:
    """The issued report as an archive package (E-ARK SIP) for the e-arkiv, in one tar file:
    for everyone who may read the report."""
    _readable(session, report_id, user)
    package = archive.archive_package(
        session, report_id, now=now, tz=web.app.tz, package_id=uuid.uuid4()
    )
    headers = {
        "Content-Disposition": content_disposition(f"{package.name}.tar"),
        "Cache-Control": "no-store",
    }
    return Response(package.tar(), media_type="application/x-tar", headers=headers)


def _commit(session: Session) -> None:
    """Make what is done so far stay done, whatever happens in the rest of the request."""
    session.commit()
    emit_deferred(session.info)


def _send(web: Web, session: Session, report: Report, now: datetime) -> str:
    """Queue an issued report to the nämnd; what to tell the chef either way."""
    assert report.id is not None
    title = reports.report_title(report)
    try:
        queued = reports.send_report(
            session, web.app.registry, report.id, now=now, settings=web.app.settings
        )
    except TrackerError as exc:
        undo(session)
        return f"{title} är godkänd och arkiverad men skickades inte till nämnden: {exc.message}"
    return (
        f"{title} är godkänd och arkiverad, och ligger i utkorgen till nämnden: "
        f"{', '.join(m.to_addr for m in queued)}."
    )


def _editable(session: Session, report_id: int, user: Person) -> Report:
    report = reports.get_report(session, report_id)
    require_edit(user, plan_service.get_plan(session, report.plan_id))
    return report


@router.post("/aterrapporter/{report_id}/godkann", dependencies=[CsrfChecked], response_model=None)
def report_approve(
    request: Request,
    report_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    version: Annotated[int, Form(ge=0, lt=VERSION_LIMIT)],
) -> Response:
    report = _editable(session, report_id, user)
    try:
        if reports.is_issued(report):
            raise Refused(
                f"{reports.report_title(report)} är redan godkänd och kan inte godkännas igen."
            )
        report = reports.approve_report(
            session,
            web.app.registry,
            report_id,
            user,
            now=now,
            tz=web.app.tz,
            expected_version=version,
        )
    except TrackerError as exc:
        undo(session)
        return _render_report(
            request,
            web,
            session,
            report_id,
            user,
            error=f"{exc.message} Ingenting ändrades.",
            status_code=refusal_status(exc),
        )
    # As the CLI does: an issued report stays issued even if it cannot be sent yet.
    _commit(session)
    flash(request, _send(web, session, report, now))
    return RedirectResponse(f"/aterrapporter/{report_id}", status_code=303)


@router.post("/aterrapporter/{report_id}/skicka", dependencies=[CsrfChecked], response_model=None)
def report_send(
    request: Request,
    report_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
) -> Response:
    report = _editable(session, report_id, user)
    title = reports.report_title(report)
    try:
        queued = reports.send_report(
            session, web.app.registry, report_id, now=now, settings=web.app.settings
        )
    except TrackerError as exc:
        undo(session)
        return _render_report(
            request,
            web,
            session,
            report_id,
            user,
            error=f"{exc.message} Ingenting ändrades.",
            status_code=refusal_status(exc),
        )
    flash(
        request,
        f"{title} ligger i utkorgen till nämnden: {', '.join(m.to_addr for m in queued)}.",
    )
    return RedirectResponse(f"/aterrapporter/{report_id}", status_code=303)


@router.post(
    "/aterrapporter/{report_id}/bedomning", dependencies=[CsrfChecked], response_model=None
)
def report_assessment(
    request: Request,
    report_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    version: Annotated[int, Form(ge=0, lt=VERSION_LIMIT)],
    # A little over the limit, so that a too long text is refused with its length, kept in
    # the form, rather than by the framework.
    text: Annotated[str, Form(max_length=ASSESSMENT_LIMIT * 2)] = "",
) -> Response:
    """The chef's overall assessment of an internkontroll follow-up, in its draft."""
    _editable(session, report_id, user)
    try:
        control_report.write_assessment(
            session, report_id, user, text, now=now, expected_version=version
        )
    except TrackerError as exc:
        undo(session)
        return _render_report(
            request,
            web,
            session,
            report_id,
            user,
            error=f"{exc.message} Ingenting ändrades.",
            status_code=refusal_status(exc),
            assessment_draft=text,
        )
    flash(request, "Den samlade bedömningen är sparad i utkastet.")
    return RedirectResponse(f"/aterrapporter/{report_id}#bedomning", status_code=303)
