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
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from tracker.domain import nouns
from tracker.domain.control_report import ASSESSMENT_LIMIT, ControlSnapshot, carried_note
from tracker.domain.roles import is_editor, may_edit, may_see_report
from tracker.errors import Conflict, Forbidden, Refused, TrackerError
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
    commit_so_far,
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
from tracker.web.routes.people import CONFIRMED

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
    # When the nämnd got it: its messages delivered, not merely queued.
    sent_at: datetime | None


def _visible(user: Person, report: Report, plan: Plan) -> bool:
    return may_see_report(user, plan, issued=reports.is_issued(report))


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


def report_rows(
    web: Web, session: Session, user: Person, found: list[tuple[Report, Plan]]
) -> list[ReportRow]:
    shown = [(r, p) for r, p in found if _visible(user, r, p)]
    ids = [r.id for r, _ in shown if r.id is not None]
    hashes = _hashes(session, ids)
    sent = reports.sendings(session, web.app.registry, [r for r, _ in shown])
    rows = []
    for report, plan in shown:
        assert report.id is not None
        rows.append(
            ReportRow(
                report=report,
                plan=plan,
                state_label=sent[report.id].state_label,
                files=_file_links(report.id, hashes.get(report.id, {})),
                sent_at=sent[report.id].delivered_at,
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
    rows = report_rows(web, session, user, reports.list_reports(session))
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
    rows = report_rows(web, session, user, reports.list_reports(session, plan.id))
    answers = audits.answered_by_plan(session, web.app.registry, plan.id, web.today(now), user)
    return web.render(
        request,
        "reports/plan.html",
        {
            "plan": plan,
            "rows": rows,
            "answers": answers,
            # What the plan's items that answer them are called: "åtgärder", "beslut".
            "answering_kinds": nouns.plural(
                web.app.registry, (w for a in answers for w in a.plan_workflows)
            ),
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
    now: datetime,
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
    sending = reports.sendings(session, web.app.registry, [report])[report_id]
    updates = None
    control = None
    if isinstance(document, ControlSnapshot):
        # The follow-up of an internkontrollplan: the chef's overall assessment, written in
        # the draft and frozen on approval.
        control = {
            "period": document.period_name,
            "start": document.period_start,
            "end": document.period_until,
            "assessment": document.assessment,
            "assessment_by": document.assessment_by,
            "text": document.assessment if assessment_draft is None else assessment_draft,
            "limit": ASSESSMENT_LIMIT,
            "control_plan_id": document.control_plan.id,
            "carried": carried_note(document),
        }
    elif report.state == DRAFT_STATE:
        updates = report_schedule.draft_updates(
            session,
            web.app.registry,
            plan,
            document,
            web.app.settings.report_draft_days_before,
        )
    # The open items of a draft by their nouns, from the workflows still known:
    # "öppna åtgärder och beslut" under the column "Åtgärd / beslut".
    known = set(web.app.registry.names())
    marked = [m.workflow for m in updates.marks if m.workflow in known] if updates else []
    return web.render(
        request,
        "reports/show.html",
        {
            "report": report,
            "plan": plan,
            "title": reports.report_title(report),
            "state_label": sending.state_label,
            "delivery": sending.delivery,
            "sent_at": sending.delivered_at,
            "may_see_outbox": is_editor(user),
            "files": files,
            "may_approve": editable and report.state == DRAFT_STATE,
            "may_send": editable and report.state == APPROVED_STATE,
            "recipients": plan_settings.split_addresses(plan.board_recipients),
            "updates": updates,
            "update_kinds": nouns.plural(web.app.registry, marked),
            "update_column": nouns.heading(web.app.registry, marked),
            "approval_late_days": (
                updates.occasion.days_past_approval(web.today(now)) if updates else 0
            ),
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
    request: Request,
    report_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
) -> HTMLResponse:
    return _render_report(request, web, session, report_id, user, now)


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


def _refusal(
    request: Request,
    web: Web,
    session: Session,
    report_id: int,
    user: Person,
    now: datetime,
    exc: TrackerError,
    outcome: str = "Ingenting ändrades.",
    assessment_draft: str | None = None,
) -> HTMLResponse:
    """The report's page again with why the request was refused and what came of it."""
    return _render_report(
        request,
        web,
        session,
        report_id,
        user,
        now,
        error=f"{exc.message} {outcome}",
        status_code=refusal_status(exc),
        assessment_draft=assessment_draft,
    )


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


APPROVE_PATH = "/aterrapporter/{report_id}/godkann"
SEND_PATH = "/aterrapporter/{report_id}/skicka"
# The addresses a confirmation page listed, carried back with its form.
RECIPIENTS_LIMIT = 20_000
STALE = (
    "Utkastet har ändrats av någon annan sedan du öppnade det, så det du granskade är inte "
    "längre det som skulle godkännas."
)
IRREVERSIBLE = (
    "Det går inte att ångra. En godkänd återrapport är en allmän handling: den kan inte "
    "ändras efteråt, och breven i utkorgen går till nämnden."
)


def _refuse_unapprovable(report: Report, version: int | None) -> None:
    """Refused for a report already issued, Conflict for a draft changed since `version`."""
    if reports.is_issued(report):
        raise Refused(
            f"{reports.report_title(report)} är redan godkänd och kan inte godkännas igen."
        )
    if version is not None and version != report.version:
        raise Conflict(STALE)


def _board(plan: Plan) -> tuple[list[str], str]:
    """The nämnd's addresses, and why the report cannot go to them ("" when it can)."""
    try:
        recipients = reports.board_recipients(plan)
    except Refused as exc:
        return [], exc.message
    if not recipients:
        return [], "Planen har inga mottagare i nämnden ännu."
    return recipients, ""


def _refuse_other_recipients(plan: Plan, shown: str) -> None:
    """Conflict when the nämnd's addresses changed since the confirmation page listed them:
    the mail would go elsewhere than the chef confirmed."""
    if ", ".join(_board(plan)[0]) != shown:
        raise Conflict(
            "Nämndens mottagare har ändrats sedan du bekräftade, så breven skulle inte gå dit "
            "sidan sa."
        )


def _attachment_facts(names: dict[str, str]) -> list[str]:
    return [f"{FORMAT_LABELS[fmt]}: {names[fmt]}" for fmt in reports.ATTACHED if fmt in names]


def _approve_texts(session: Session, report: Report, plan: Plan) -> dict[str, object]:
    """What approving the draft will do, spelled out for the confirmation page."""
    assert plan.id is not None
    number = reports.next_number(session, plan.id)
    becomes = reports.title_as(report, number)
    recipients, problem = _board(plan)
    snapshot = reports.document_snapshot(report)
    names = {f: reports.numbered_filename(snapshot, f, number) for f in reports.ATTACHED}
    facts: list[tuple[str, list[str]]] = [("Nummer", [str(number)])]
    if recipients:
        facts.append(("Mottagare", recipients))
        facts.append(("Bilagor", _attachment_facts(names)))
        what = (
            f"{reports.report_title(report)} blir {becomes}. Dokumenten arkiveras med sin "
            "SHA-256, och ett brev med PDF- och Word-dokumentet bifogade läggs i utkorgen till "
            "var och en av nämndens mottagare."
        )
    else:
        what = (
            f"{reports.report_title(report)} blir {becomes} och dokumenten arkiveras, men den "
            f"skickas inte till nämnden: {problem} Skicka den från dess sida när mottagarna är "
            "rätt."
        )
    return {
        "title": "Godkänn och skicka till nämnden" if recipients else "Godkänn utan att skicka",
        "what": what,
        "facts": facts,
        "consequence": IRREVERSIBLE,
        "button": "Godkänn och skicka" if recipients else "Godkänn",
    }


def _report_crumbs(plan: Plan, report: Report) -> list[tuple[str, str]]:
    return [
        ("Planer", "/planer"),
        (plan.title, f"/planer/{plan.id}"),
        ("Återrapporter", f"/planer/{plan.id}/aterrapporter"),
        (reports.report_title(report), f"/aterrapporter/{report.id}"),
    ]


@router.get(APPROVE_PATH, response_class=HTMLResponse)
def report_approve_confirm(
    request: Request,
    report_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    version: Annotated[int | None, Query(ge=0, lt=VERSION_LIMIT)] = None,
) -> HTMLResponse:
    """The page that says what approving will do, before anything is done: the version the
    chef reviewed goes on with the form, so a draft changed since is refused."""
    report = _editable(session, report_id, user)
    plan = plan_service.get_plan(session, report.plan_id)
    try:
        _refuse_unapprovable(report, version)
        reports.check_approval(session, web.app.registry, report, user, plan)
    except TrackerError as exc:
        return _refusal(request, web, session, report_id, user, now, exc, "Ingenting är godkänt.")
    return web.render(
        request,
        "confirm.html",
        {
            "crumbs": _report_crumbs(plan, report),
            "action": APPROVE_PATH.format(report_id=report_id),
            "fields": {
                "version": version if version is not None else report.version,
                "mottagare": ", ".join(_board(plan)[0]),
            },
            "back": f"/aterrapporter/{report_id}",
            **_approve_texts(session, report, plan),
        },
    )


@router.post(APPROVE_PATH, dependencies=[CsrfChecked], response_model=None)
def report_approve(
    request: Request,
    report_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    version: Annotated[int, Form(ge=0, lt=VERSION_LIMIT)],
    mottagare: Annotated[str, Form(max_length=RECIPIENTS_LIMIT)] = "",
    bekraftat: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    report = _editable(session, report_id, user)
    if bekraftat != CONFIRMED:
        query = urlencode({"version": version})
        return RedirectResponse(f"{APPROVE_PATH.format(report_id=report_id)}?{query}", 303)
    try:
        _refuse_unapprovable(report, version)
        _refuse_other_recipients(plan_service.get_plan(session, report.plan_id), mottagare)
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
        return _refusal(request, web, session, report_id, user, now, exc)
    # As the CLI does: an issued report stays issued even if it cannot be sent yet.
    commit_so_far(session)
    flash(request, _send(web, session, report, now))
    return RedirectResponse(f"/aterrapporter/{report_id}", status_code=303)


def _archived_names(session: Session, report_id: int) -> dict[str, str]:
    return {
        fmt: name for fmt, (_, name) in _hashes(session, [report_id]).get(report_id, {}).items()
    }


@router.get(SEND_PATH, response_class=HTMLResponse)
def report_send_confirm(
    request: Request,
    report_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
) -> HTMLResponse:
    """The page that lists where an issued report not yet sent will go, before it goes."""
    report = _editable(session, report_id, user)
    plan = plan_service.get_plan(session, report.plan_id)
    recipients, problem = _board(plan)
    if report.state != APPROVED_STATE:
        problem = f"{reports.report_title(report)} väntar inte på att skickas."
    if problem:
        return _render_report(
            request, web, session, report_id, user, now, error=problem, status_code=422
        )
    return web.render(
        request,
        "confirm.html",
        {
            "crumbs": _report_crumbs(plan, report),
            "title": "Skicka till nämnden",
            "what": (
                f"Ett brev med {reports.report_title(report)}, PDF- och Word-dokumentet "
                "bifogade, läggs i utkorgen till var och en av nämndens mottagare."
            ),
            "facts": [
                ("Mottagare", recipients),
                ("Bilagor", _attachment_facts(_archived_names(session, report_id))),
            ],
            "consequence": "Det går inte att ångra: breven i utkorgen går till nämnden.",
            "action": SEND_PATH.format(report_id=report_id),
            "fields": {"mottagare": ", ".join(recipients)},
            "button": "Skicka till nämnden",
            "back": f"/aterrapporter/{report_id}",
        },
    )


@router.post(SEND_PATH, dependencies=[CsrfChecked], response_model=None)
def report_send(
    request: Request,
    report_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    mottagare: Annotated[str, Form(max_length=RECIPIENTS_LIMIT)] = "",
    bekraftat: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    report = _editable(session, report_id, user)
    if bekraftat != CONFIRMED:
        return RedirectResponse(SEND_PATH.format(report_id=report_id), status_code=303)
    title = reports.report_title(report)
    try:
        _refuse_other_recipients(plan_service.get_plan(session, report.plan_id), mottagare)
        queued = reports.send_report(
            session, web.app.registry, report_id, now=now, settings=web.app.settings
        )
    except TrackerError as exc:
        undo(session)
        return _refusal(request, web, session, report_id, user, now, exc)
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
        return _refusal(request, web, session, report_id, user, now, exc, assessment_draft=text)
    flash(request, "Den samlade bedömningen är sparad i utkastet.")
    return RedirectResponse(f"/aterrapporter/{report_id}#bedomning", status_code=303)
