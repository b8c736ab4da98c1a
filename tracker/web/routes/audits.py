"""Granskningar: the list, a page per granskning with its rekommendationer, the nämnd's
yttranden and the åtgärder answering each (linked from the förvaltning's plans or created in
one), importing a granskning from a file, and the follow-up to the revisorer ("Uppföljning av
granskning") downloaded as HTML, PDF or DOCX, or issued: archived with SHA-256, never changed.

Who may: tracker.domain.roles.may_read_audit / may_edit_audit, asked before anything else.
Every change goes through tracker.services.audits, as the `tracker granskning` commands do.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from tracker.domain import nouns
from tracker.domain.audit import read_audit_file
from tracker.domain.problems import FileRefused
from tracker.domain.reading import WEB_LIMITS
from tracker.domain.report import short_text
from tracker.domain.roles import forvaltning_scope, is_editor, may_edit_audit, may_read_audit
from tracker.domain.tables import UnreadableFile
from tracker.errors import Forbidden, Refused, TrackerError
from tracker.models import Audit, Person, Recommendation
from tracker.services import audits
from tracker.services import plans as plan_service
from tracker.services.assigning import assign_with_link
from tracker.services.outbox import delivered_at
from tracker.services.people import ensure_person, valid_email
from tracker.services.reports import mail_domain
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
from tracker.web.downloads import document_response
from tracker.web.forms import FormError, checked_dates, field_of, parse_date
from tracker.web.routes import FormId, PathId

router = APIRouter()

TitleField = Annotated[str, Form(max_length=audits.TITLE_LIMIT)]
ShortField = Annotated[str, Form(max_length=audits.SHORT_LIMIT)]
DnrField = Annotated[str, Form(max_length=audits.DNR_LIMIT)]
EmailField = Annotated[str, Form(max_length=audits.EMAIL_LIMIT)]
DateField = Annotated[str, Form(max_length=40)]
TextField = Annotated[str, Form(max_length=audits.TEXT_LIMIT)]
FORMAT_LABELS = {"html": "HTML", "pdf": "PDF", "docx": "Word (DOCX)"}


def require_read_audit(user: Person, audit: Audit) -> None:
    if not may_read_audit(user, audit.forvaltning):
        raise Forbidden(f"Granskningen hör till {audit.forvaltning or 'en annan förvaltning'}.")


def require_edit_audit(user: Person, audit: Audit) -> None:
    require_read_audit(user, audit)
    if not may_edit_audit(user, audit.forvaltning):
        raise Forbidden("Du kan läsa granskningen men inte ändra den.")


def _recommendation_to_edit(
    session: Session, user: Person, audit_id: int, recommendation_id: int
) -> Recommendation:
    """The rekommendation a form changes, once the user may edit its granskning."""
    audit = audits.get_audit(session, audit_id)
    require_edit_audit(user, audit)
    return audits.get_recommendation(session, audit, recommendation_id)


def _audit_fields(
    auditor: str,
    datum: str,
    dnr: str,
    epost: str,
    namnd: str,
    ort: str,
    undertecknare: str,
    titel: str,
) -> dict[str, object]:
    return {
        "auditor": auditor,
        "report_on": parse_date(datum, "Datum"),
        "dnr": dnr,
        "recipient_email": epost,
        "namnd": namnd,
        "ort": ort,
        "signatory_name": undertecknare,
        "signatory_title": titel,
    }


# --- the list, a new granskning, an import ------------------------------------------------


@router.get("/granskningar", response_class=HTMLResponse)
def audit_list(request: Request, web: WebDep, session: SessionDep, user: UserDep) -> HTMLResponse:
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
    summary: list[str] | None = None,
    filename: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return web.render(
        request,
        "audits/list.html",
        {
            "rows": audits.list_audits(session, user),
            "may_edit": is_editor(user),
            "values": values or {"forvaltning": user.forvaltning},
            "error": error,
            "problems": problems or [],
            # A dry run's summary: what the file would do, nothing of it saved.
            "summary": summary or [],
            "filename": filename,
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


@router.post("/granskningar", dependencies=[CsrfChecked], response_model=None)
def audit_create(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    namn: TitleField = "",
    revisor: ShortField = "",
    datum: DateField = "",
    dnr: DnrField = "",
    epost: EmailField = "",
    forvaltning: ShortField = "",
    namnd: ShortField = "",
) -> Response:
    values = {
        "title": namn,
        "auditor": revisor,
        "report_on": datum,
        "dnr": dnr,
        "recipient_email": epost,
        "forvaltning": forvaltning,
        "namnd": namnd,
    }
    where = forvaltning.strip() or (forvaltning_scope(user) or "")
    try:
        if not may_edit_audit(user, where):
            raise Refused(f"Du kan bara lägga till granskningar för {user.forvaltning}.")
        fields = _audit_fields(revisor, datum, dnr, epost, namnd, "", "", "")
        audit = audits.create_audit(session, now=now, title=namn, forvaltning=where, **fields)
    except Refused as exc:
        undo(session)
        field = field_of(exc.message)
        return _render_list(
            request,
            web,
            session,
            user,
            values=values,
            error=FormError(exc.message, "ny", field),
            status_code=refusal_status(exc),
        )
    flash(request, f"Granskningen '{audit.title}' är tillagd. Lägg till rekommendationerna.")
    return RedirectResponse(f"/granskningar/{audit.id}", status_code=303)


@router.post("/granskningar/import", dependencies=[CsrfChecked], response_model=None)
def audit_import(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    fil: Annotated[UploadFile | None, File()] = None,
    forvaltning: ShortField = "",
    dry_run: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    filename = Path(fil.filename).name if fil is not None and fil.filename else ""
    where = forvaltning.strip() or (forvaltning_scope(user) or "")
    try:
        if fil is None or not filename:
            raise Refused("Välj en CSV- eller XLSX-fil att läsa in.")
        # One byte more than allowed: a larger file is refused by its size, never read whole.
        data = fil.file.read(WEB_LIMITS.file_bytes + 1)
        read = read_audit_file(data, filename, WEB_LIMITS, valid_email)
        for item in read:
            if not may_edit_audit(user, item.forvaltning or where):
                raise Refused(
                    f"Rad {item.row}: du kan bara läsa in granskningar för {user.forvaltning}."
                )
        result = audits.import_audits(session, filename, read, now=now, forvaltning=where)
    except (FileRefused, Refused, UnreadableFile) as exc:
        undo(session)
        problems = [str(p) for p in exc.problems] if isinstance(exc, FileRefused) else []
        return _render_list(
            request,
            web,
            session,
            user,
            values={"import_forvaltning": forvaltning},
            error=None if problems else FormError(exc.message, "import", "file"),
            problems=problems,
            filename=filename,
            status_code=422,
        )
    summary = audits.describe_import(result)
    if dry_run:
        undo(session)
        return _render_list(
            request,
            web,
            session,
            user,
            values={"import_forvaltning": forvaltning},
            summary=summary,
            filename=filename,
        )
    flash(request, f"{filename} är inläst. " + " ".join(line.strip() for line in summary))
    if len(result.outcomes) == 1:
        return RedirectResponse(f"/granskningar/{result.outcomes[0].audit_id}", status_code=303)
    return RedirectResponse("/granskningar", status_code=303)


# --- one granskning -------------------------------------------------------------------------


@router.get("/granskningar/{audit_id}", response_class=HTMLResponse)
def audit_page(
    request: Request, audit_id: PathId, web: WebDep, session: SessionDep, now: NowDep, user: UserDep
) -> HTMLResponse:
    audit = audits.get_audit(session, audit_id)
    require_read_audit(user, audit)
    return _render_audit(request, web, session, now, user, audit)


def _render_audit(
    request: Request,
    web: Web,
    session: Session,
    now: datetime,
    user: Person,
    audit: Audit,
    *,
    error: FormError | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    assert audit.id is not None
    view = audits.audit_view(session, web.app.registry, audit.id, web.today(now))
    editable = may_edit_audit(user, audit.forvaltning)
    plans = audits.candidate_plans(session, audit, user) if editable else []
    choices = []
    for plan in plans:
        assert plan.id is not None
        areas = plan_service.plan_areas(session, plan.id)
        choices.append((plan, areas))
    issued = audits.issued_documents(session, audit.id)
    deliveries = audits.deliveries(session, audit.id)
    shown = {
        "title": audit.title,
        "auditor": audit.auditor,
        "report_on": audit.report_on.isoformat() if audit.report_on else "",
        "dnr": audit.dnr,
        "recipient_email": audit.recipient_email,
        "namnd": audit.namnd,
        "ort": audit.ort,
        "signatory_name": audit.signatory_name,
        "signatory_title": audit.signatory_title,
    }
    return web.render(
        request,
        "audits/show.html",
        {
            "audit": audit,
            "view": view,
            # Per rekommendation, what answers it by its nouns: ("beslut", "Beslut") for a
            # protokoll's decision, ("åtgärder", "Åtgärd") as the follow-up names them.
            "answered": {
                r.number: (
                    nouns.plural(web.app.registry, (a.action.workflow for a in r.actions)),
                    nouns.heading(web.app.registry, (a.action.workflow for a in r.actions)),
                )
                for r in view.recommendations
            },
            "may_edit": editable,
            "choices": choices,
            "issued": issued,
            "deliveries": deliveries,
            "sent_at": {
                d.number: delivered_at(deliveries.get(d.number), d.issued_at) for d in issued
            },
            "may_see_outbox": is_editor(user),
            "formats": FORMAT_LABELS,
            "values": shown | (values or {}),
            "error": error,
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


def _page(audit_id: int, anchor: str = "") -> str:
    return f"/granskningar/{audit_id}" + (f"#{anchor}" if anchor else "")


def _refused(
    request: Request,
    web: Web,
    session: Session,
    now: datetime,
    user: Person,
    audit_id: int,
    exc: TrackerError,
    form: str,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    undo(session)
    audit = audits.get_audit(session, audit_id)
    return _render_audit(
        request,
        web,
        session,
        now,
        user,
        audit,
        error=FormError(exc.message, form, field_of(exc.message)),
        values=values,
        status_code=refusal_status(exc),
    )


@router.post("/granskningar/{audit_id}", dependencies=[CsrfChecked], response_model=None)
def audit_edit(
    request: Request,
    audit_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    namn: TitleField = "",
    revisor: ShortField = "",
    datum: DateField = "",
    dnr: DnrField = "",
    epost: EmailField = "",
    namnd: ShortField = "",
    ort: ShortField = "",
    undertecknare: ShortField = "",
    titel: ShortField = "",
) -> Response:
    audit = audits.get_audit(session, audit_id)
    require_edit_audit(user, audit)
    values = {
        "title": namn,
        "auditor": revisor,
        "report_on": datum,
        "dnr": dnr,
        "recipient_email": epost,
        "namnd": namnd,
        "ort": ort,
        "signatory_name": undertecknare,
        "signatory_title": titel,
    }
    try:
        fields = _audit_fields(revisor, datum, dnr, epost, namnd, ort, undertecknare, titel)
        changed = audits.edit_audit(session, audit, title=namn, **fields)
    except Refused as exc:
        return _refused(request, web, session, now, user, audit_id, exc, "uppgifter", values)
    flash(request, "Sparat: " + ", ".join(changed) + "." if changed else "Inget ändrades.")
    return RedirectResponse(_page(audit_id), status_code=303)


@router.post(
    "/granskningar/{audit_id}/rekommendationer", dependencies=[CsrfChecked], response_model=None
)
def recommendation_add(
    request: Request,
    audit_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    text: TextField = "",
    yttrande: TextField = "",
) -> Response:
    audit = audits.get_audit(session, audit_id)
    require_edit_audit(user, audit)
    try:
        rec = audits.add_recommendation(session, audit, text, yttrande)
    except Refused as exc:
        values = {"new_text": text, "new_response": yttrande}
        return _refused(
            request, web, session, now, user, audit_id, exc, "ny-rekommendation", values
        )
    flash(request, "Rekommendationen är tillagd.")
    return RedirectResponse(_page(audit_id, f"rekommendation-{rec.id}"), status_code=303)


@router.post(
    "/granskningar/{audit_id}/rekommendationer/{recommendation_id}",
    dependencies=[CsrfChecked],
    response_model=None,
)
def recommendation_edit(
    request: Request,
    audit_id: PathId,
    recommendation_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    text: TextField = "",
) -> Response:
    rec = _recommendation_to_edit(session, user, audit_id, recommendation_id)
    try:
        changed = audits.edit_recommendation(session, rec, text)
    except Refused as exc:
        form = f"text-{recommendation_id}"
        return _refused(request, web, session, now, user, audit_id, exc, form)
    flash(request, "Rekommendationen är ändrad." if changed else "Inget ändrades.")
    return RedirectResponse(_page(audit_id, f"rekommendation-{recommendation_id}"), status_code=303)


@router.post(
    "/granskningar/{audit_id}/rekommendationer/{recommendation_id}/yttrande",
    dependencies=[CsrfChecked],
    response_model=None,
)
def response_edit(
    request: Request,
    audit_id: PathId,
    recommendation_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    yttrande: TextField = "",
) -> Response:
    rec = _recommendation_to_edit(session, user, audit_id, recommendation_id)
    try:
        changed = audits.set_response(session, rec, yttrande)
    except Refused as exc:
        form = f"yttrande-{recommendation_id}"
        return _refused(request, web, session, now, user, audit_id, exc, form)
    flash(request, "Yttrandet är sparat." if changed else "Inget ändrades.")
    return RedirectResponse(_page(audit_id, f"rekommendation-{recommendation_id}"), status_code=303)


@router.post(
    "/granskningar/{audit_id}/rekommendationer/{recommendation_id}/koppla",
    dependencies=[CsrfChecked],
    response_model=None,
)
def action_link(
    request: Request,
    audit_id: PathId,
    recommendation_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    action_id: FormId = 0,
) -> Response:
    rec = _recommendation_to_edit(session, user, audit_id, recommendation_id)
    try:
        action = audits.link_action(session, rec, action_id, user=user)
    except Refused as exc:
        form = f"koppla-{recommendation_id}"
        return _refused(request, web, session, now, user, audit_id, exc, form)
    flash(request, f"Åtgärden '{short_text(action.text, 80)}' är kopplad till rekommendationen.")
    return RedirectResponse(_page(audit_id, f"rekommendation-{recommendation_id}"), status_code=303)


@router.post(
    "/granskningar/{audit_id}/rekommendationer/{recommendation_id}/koppla-bort",
    dependencies=[CsrfChecked],
    response_model=None,
)
def action_unlink(
    request: Request,
    audit_id: PathId,
    recommendation_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    action_id: FormId = 0,
) -> Response:
    rec = _recommendation_to_edit(session, user, audit_id, recommendation_id)
    try:
        audits.unlink_action(session, rec, action_id)
    except Refused as exc:
        form = f"koppla-{recommendation_id}"
        return _refused(request, web, session, now, user, audit_id, exc, form)
    flash(request, "Åtgärden är inte längre kopplad till rekommendationen.")
    return RedirectResponse(_page(audit_id, f"rekommendation-{recommendation_id}"), status_code=303)


@router.post(
    "/granskningar/{audit_id}/rekommendationer/{recommendation_id}/ny-atgard",
    dependencies=[CsrfChecked],
    response_model=None,
)
def action_create(
    request: Request,
    audit_id: PathId,
    recommendation_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    area_id: FormId = 0,
    text: TextField = "",
    tidsplan: Annotated[str, Form(max_length=2000)] = "",
    due_on: DateField = "",
    evaluate_on: DateField = "",
    owner_email: EmailField = "",
    owner_name: ShortField = "",
) -> Response:
    rec = _recommendation_to_edit(session, user, audit_id, recommendation_id)
    try:
        action, plan = audits.add_action_for(
            session,
            web.app.registry,
            rec,
            area_id,
            user=user,
            now=now,
            text=text,
            tidsplan=tidsplan.strip(),
            due_on=parse_date(due_on, "Klart till"),
            evaluate_on=parse_date(evaluate_on, "Utvärderas"),
        )
        message = checked_dates(
            f"Åtgärden är tillagd i {plan.title} och kopplad till rekommendationen.",
            action.tidsplan,
            action.due_on,
            action.evaluate_on,
        )
        if owner_email.strip():
            owner = ensure_person(
                session, owner_email, now=now, name=owner_name, forvaltning=plan.forvaltning
            )
            message += " " + assign_with_link(
                session,
                web.app.registry,
                web.app.settings,
                action,
                plan,
                owner,
                now=now,
                assigned_by=user,
                typed_name=owner_name,
            )
    except Refused as exc:
        values = {
            "atgard_area": str(area_id),
            "atgard_text": text,
            "atgard_tidsplan": tidsplan,
            "atgard_due": due_on,
            "atgard_eval": evaluate_on,
            "atgard_epost": owner_email,
            "atgard_namn": owner_name,
        }
        form = f"ny-atgard-{recommendation_id}"
        return _refused(request, web, session, now, user, audit_id, exc, form, values)
    flash(request, message)
    return RedirectResponse(_page(audit_id, f"rekommendation-{recommendation_id}"), status_code=303)


# --- the follow-up document ---------------------------------------------------------------


@router.get("/granskningar/{audit_id}/uppfoljning.{fmt}")
def document_download(
    audit_id: PathId, fmt: str, web: WebDep, session: SessionDep, now: NowDep, user: UserDep
) -> Response:
    if fmt not in audits.FORMATS:
        raise Refused("Välj dokumentet som html, pdf eller docx.")
    audit = audits.get_audit(session, audit_id)
    require_read_audit(user, audit)
    assert audit.id is not None
    view = audits.audit_view(session, web.app.registry, audit.id, web.today(now))
    doc = audits.document(web.app.registry, view, now=now, tz=web.app.tz)
    data = audits.render(doc, fmt)
    return document_response(data, audits.filename(audit, fmt), audits.CONTENT_TYPES[fmt], fmt)


@router.post("/granskningar/{audit_id}/utfarda", dependencies=[CsrfChecked], response_model=None)
def document_issue(
    request: Request,
    audit_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    skicka: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    audit = audits.get_audit(session, audit_id)
    require_edit_audit(user, audit)
    try:
        rows = audits.issue(
            session,
            web.app.registry,
            audit,
            now=now,
            tz=web.app.tz,
            actor=user,
            send=bool(skicka),
            domain=mail_domain(web.app.settings),
        )
    except Refused as exc:
        return _refused(request, web, session, now, user, audit_id, exc, "utfarda")
    sent = f" Den skickas till {rows[0].sent_to} med PDF och Word." if rows[0].sent_to else ""
    flash(
        request,
        f"Uppföljningen är utfärdad som version {rows[0].number} och arkiverad. "
        f"Filerna och deras SHA-256 ändras aldrig.{sent}",
    )
    return RedirectResponse(_page(audit_id, "utfardade"), status_code=303)


@router.get("/granskningar/{audit_id}/utfardade/{document_id}")
def issued_download(
    audit_id: PathId, document_id: PathId, session: SessionDep, user: UserDep
) -> Response:
    audit = audits.get_audit(session, audit_id)
    require_read_audit(user, audit)
    found = audits.get_issued(session, audit, document_id)
    return document_response(found.data, found.filename, found.content_type, found.format)
