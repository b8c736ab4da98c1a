"""The nämnder's sammanträdesplan for a year, with the day papers must be with the secretary,
and a page per meeting. Everyone who logs in reads them; those who may edit the calendar
(tracker.domain.roles.may_edit_calendar) add meetings, upload a plan (.ics or CSV), and move,
change, cancel or restore a meeting, each through tracker.services.meetings as the
`tracker calendar` commands do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from tracker.domain.meetings import (
    BOARD_LIMIT,
    DEFAULT_LEAD_DAYS,
    MAX_LEAD_DAYS,
    TEXT_LIMIT,
    MeetingRefused,
    parse_lead_days,
    parse_meeting_date,
)
from tracker.domain.numbers import plain_int
from tracker.domain.problems import FileRefused
from tracker.domain.roles import is_editor, may_edit_calendar
from tracker.domain.tables import UnreadableFile
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Forbidden, Refused, TrackerError
from tracker.models import Person
from tracker.services import meetings, overview
from tracker.services.meeting_reports import MeetingReport, reports_at_meetings
from tracker.services.meetings import MEETING_FILE_LIMITS, MeetingView
from tracker.web.deps import (
    CsrfChecked,
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
from tracker.web.routes import PathId

router = APIRouter()

BoardField = Annotated[str, Form(max_length=BOARD_LIMIT)]
DateField = Annotated[str, Form(max_length=40)]
LeadField = Annotated[str, Form(max_length=20)]
TextField = Annotated[str, Form(max_length=TEXT_LIMIT)]
# The year and nämnd the list showed when a form on it was sent: a refused form shows the
# same list again, not this year's.
YearField = Annotated[str, Form(max_length=8)]


@dataclass(frozen=True)
class FormError:
    """A refusal shown in a form: the message, and the field (a *_FIELD name of
    tracker.domain.meetings) it is tied to with aria-describedby, if any."""

    message: str
    field: str | None = None


def _error(exc: TrackerError) -> FormError:
    return FormError(exc.message, exc.field if isinstance(exc, MeetingRefused) else None)


def require_calendar_editor(user: Person) -> None:
    if not may_edit_calendar(user):
        raise Forbidden("Du kan läsa sammanträdesplanen men inte ändra den.")


def _due_reports(
    web: Web, session: Session, user: Person, shown: list[MeetingView]
) -> dict[int, list[MeetingReport]]:
    """The återrapporter due at each meeting shown, of the plans the user may read."""
    return reports_at_meetings(
        session,
        web.app.registry,
        overview.readable_plans(session, user),
        shown,
        reader=user,
        cal=WorkCalendar(),
        fallback_draft_days=web.app.settings.report_draft_days_before,
    )


def _shown_year(web: Web, now: datetime, ar: str) -> int:
    year = plain_int(ar.strip(), 4) or 0
    return year if 1900 <= year <= 9999 else web.today(now).year


def _list_url(year: int, board: str = "") -> str:
    query = {"ar": str(year)} | ({"namnd": board} if board else {})
    return f"/sammantraden?{urlencode(query)}"


# --- the list, adding a meeting and uploading a plan ---------------------------------------


@router.get("/sammantraden", response_class=HTMLResponse)
def meeting_list(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    ar: Annotated[int | None, Query(ge=1900, le=9999)] = None,
    namnd: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    year = ar if ar is not None else web.today(now).year
    return _render_list(request, web, session, user, year, namnd)


def _render_list(
    request: Request,
    web: Web,
    session: Session,
    user: Person,
    year: int,
    board: str,
    *,
    values: dict[str, str] | None = None,
    add_error: FormError | None = None,
    upload_error: FormError | None = None,
    upload_problems: list[str] | None = None,
    filename: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    usual = meetings.usual_lead_days(session)
    if values is None:
        # A nämnd chosen in the filter is the one a new meeting is most likely for.
        values = {
            "board": board,
            "lead_days": str(usual[board]) if board in usual else "",
        }
    rows = meetings.list_meetings(session, board=board or None, year=year)
    return web.render(
        request,
        "meetings/list.html",
        {
            "rows": rows,
            "due": _due_reports(web, session, user, rows),
            "year": year,
            "board": board,
            "boards": meetings.meeting_boards(session),
            "may_edit": may_edit_calendar(user),
            "usual": usual,
            "default_lead_days": DEFAULT_LEAD_DAYS,
            "max_lead_days": MAX_LEAD_DAYS,
            "values": values,
            "add_error": add_error,
            "upload_error": upload_error,
            "upload_problems": upload_problems or [],
            "filename": filename,
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


@router.post("/sammantraden", dependencies=[CsrfChecked], response_model=None)
def meeting_add(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    namnd: BoardField = "",
    datum: DateField = "",
    ledtid: LeadField = "",
    titel: TextField = "",
    plats: TextField = "",
    ar: YearField = "",
    visa_namnd: BoardField = "",
) -> Response:
    require_calendar_editor(user)
    values = {"board": namnd, "held_on": datum, "lead_days": ledtid, "title": titel, "place": plats}
    try:
        meeting = meetings.add_meeting(
            session,
            board=namnd,
            held_on=parse_meeting_date(datum),
            lead_days=parse_lead_days(ledtid),
            title=titel,
            place=plats,
            now=now,
        )
    except Refused as exc:
        undo(session)
        return _render_list(
            request,
            web,
            session,
            user,
            _shown_year(web, now, ar),
            visa_namnd,
            values=values,
            add_error=_error(exc),
            status_code=refusal_status(exc),
        )
    view = meetings.meeting_view(session, meeting.id or 0)
    flash(
        request,
        f"Sammanträdet för {view.board} {view.held_on.isoformat()} är tillagt, med ledtid "
        f"{view.lead_days} dagar: handlingarna ska vara hos sekreteraren senast "
        f"{view.deadline.isoformat()}.",
    )
    return RedirectResponse(_list_url(view.held_on.year, view.board), status_code=303)


@router.post("/sammantraden/import", dependencies=[CsrfChecked], response_model=None)
def meeting_upload(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: UserDep,
    fil: Annotated[UploadFile | None, File()] = None,
    namnd: BoardField = "",
    ledtid: LeadField = "",
    ar: YearField = "",
    visa_namnd: BoardField = "",
) -> Response:
    require_calendar_editor(user)
    filename = Path(fil.filename).name if fil is not None and fil.filename else ""
    try:
        if fil is None or not filename:
            raise Refused("Välj en iCalendar-fil (.ics) eller en CSV-fil att läsa in.")
        # One byte more than allowed: a larger file is refused by its size, never read whole.
        data = fil.file.read(MEETING_FILE_LIMITS.file_bytes + 1)
        lead_days = parse_lead_days(ledtid)
        rows = meetings.read_meeting_data(data, filename, namnd.strip() or None, web.app.tz)
        result = meetings.import_meetings(session, rows, lead_days=lead_days, now=now)
    except (FileRefused, Refused, UnreadableFile) as exc:
        undo(session)
        return _render_list(
            request,
            web,
            session,
            user,
            _shown_year(web, now, ar),
            visa_namnd,
            values={"upload_board": namnd, "upload_lead_days": ledtid},
            **_upload_refusal(exc),
            filename=filename,
            status_code=422,
        )
    flash(
        request,
        f"{filename}: {result.created} nya, {result.changed} ändrade och "
        f"{result.unchanged} oförändrade sammanträden.",
    )
    boards = sorted({r.board for r in rows})
    first = min(r.held_on for r in rows) if rows else web.today(now)
    return RedirectResponse(
        _list_url(first.year, boards[0] if len(boards) == 1 else ""), status_code=303
    )


def _upload_refusal(exc: TrackerError) -> dict[str, Any]:
    """A file's problems listed above the form, or one refusal at its field."""
    problems = [str(p) for p in exc.problems] if isinstance(exc, FileRefused) else []
    return {"upload_error": None if problems else _error(exc), "upload_problems": problems}


# --- one meeting ----------------------------------------------------------------------------


@router.get("/sammantraden/{meeting_id}", response_class=HTMLResponse)
def meeting_page(
    request: Request, meeting_id: PathId, web: WebDep, session: SessionDep, user: UserDep
) -> HTMLResponse:
    return _render_meeting(request, web, session, user, meeting_id)


def _render_meeting(
    request: Request,
    web: Web,
    session: Session,
    user: Person,
    meeting_id: int,
    *,
    values: dict[str, str] | None = None,
    error: FormError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = meetings.meeting_view(session, meeting_id)
    shown = {
        "held_on": view.held_on.isoformat(),
        "lead_days": str(view.lead_days),
        "title": view.title,
        "place": view.place,
    }
    return web.render(
        request,
        "meetings/show.html",
        {
            "m": view,
            "due": _due_reports(web, session, user, [view]).get(view.id, []),
            "may_see_outbox": is_editor(user),
            "may_edit": may_edit_calendar(user),
            "values": shown | (values or {}),
            "max_lead_days": MAX_LEAD_DAYS,
            "error": error,
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


def _page(meeting_id: int) -> str:
    return f"/sammantraden/{meeting_id}"


@router.post("/sammantraden/{meeting_id}", dependencies=[CsrfChecked], response_model=None)
def meeting_change(
    request: Request,
    meeting_id: PathId,
    web: WebDep,
    session: SessionDep,
    user: UserDep,
    datum: DateField = "",
    ledtid: LeadField = "",
    titel: TextField = "",
    plats: TextField = "",
) -> Response:
    require_calendar_editor(user)
    meeting = meetings.get_meeting(session, meeting_id)
    values = {"held_on": datum, "lead_days": ledtid, "title": titel, "place": plats}
    try:
        changes = meetings.change_meeting(
            session,
            meeting,
            held_on=parse_meeting_date(datum),
            lead_days=parse_lead_days(ledtid),
            title=titel,
            place=plats,
        )
    except Refused as exc:
        undo(session)
        return _render_meeting(
            request,
            web,
            session,
            user,
            meeting_id,
            values=values,
            error=_error(exc),
            status_code=refusal_status(exc),
        )
    flash(request, _saved(changes))
    return RedirectResponse(_page(meeting_id), status_code=303)


@router.post("/sammantraden/{meeting_id}/installa", dependencies=[CsrfChecked], response_model=None)
def meeting_cancel(
    request: Request, meeting_id: PathId, web: WebDep, session: SessionDep, user: UserDep
) -> Response:
    return _status_change(request, web, session, user, meeting_id, cancel=True)


@router.post(
    "/sammantraden/{meeting_id}/aterstall", dependencies=[CsrfChecked], response_model=None
)
def meeting_restore(
    request: Request, meeting_id: PathId, web: WebDep, session: SessionDep, user: UserDep
) -> Response:
    return _status_change(request, web, session, user, meeting_id, cancel=False)


def _status_change(
    request: Request, web: Web, session: Session, user: Person, meeting_id: int, *, cancel: bool
) -> Response:
    require_calendar_editor(user)
    meeting = meetings.get_meeting(session, meeting_id)
    try:
        if cancel:
            meetings.cancel_meeting(session, meeting)
        else:
            meetings.restore_meeting(session, meeting)
    except Refused as exc:
        undo(session)
        return _render_meeting(
            request,
            web,
            session,
            user,
            meeting_id,
            error=_error(exc),
            status_code=refusal_status(exc),
        )
    flash(request, "Sammanträdet är inställt." if cancel else "Sammanträdet är planerat igen.")
    return RedirectResponse(_page(meeting_id), status_code=303)


def _saved(changes: list[str]) -> str:
    if not changes:
        return "Inget ändrades."
    return "Sparat: " + "; ".join(changes) + "."
