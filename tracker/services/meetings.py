"""A nämnd's sammanträdesplan: importing it from a file and listing it with the secretary's
deadlines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from tracker.domain.meetings import (
    BOARD_FIELD,
    CANCELLED,
    DATE_FIELD,
    DEFAULT_LEAD_DAYS,
    PLACE_FIELD,
    PLANNED,
    STATUS_LABELS,
    TITLE_FIELD,
    MeetingRefused,
    MeetingRow,
    check_board_name,
    check_lead_days,
    check_meeting_date,
    check_meeting_text,
    is_ics,
    paper_deadline,
    read_ics,
    read_meetings_csv,
)
from tracker.domain.problems import FileRefused, Problem
from tracker.domain.reading import ReadLimits
from tracker.domain.workdays import WorkCalendar
from tracker.errors import NotFound, Refused
from tracker.models.meeting import Meeting

# A sammanträdesplan holds a few dozen meetings a year; these bounds are far above any real
# one and keep a mistaken file (a whole exported mailbox calendar) from being read whole.
MEETING_FILE_LIMITS = ReadLimits(
    file_bytes=10 * 1024 * 1024,
    rows=50_000,
    cells=500_000,
    xlsx_part_bytes=0,
    xlsx_unpacked_bytes=0,
    xml_elements=0,
)


@dataclass(frozen=True)
class MeetingImport:
    created: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class MeetingView:
    id: int
    board: str
    held_on: date
    title: str
    place: str
    status: str
    status_label: str
    lead_days: int
    deadline: date
    # The date it was first planned for: held_on unless the meeting has moved.
    planned_on: date

    @property
    def moved_from(self) -> date | None:
        """The date it was first planned for, when it is held on another."""
        return self.planned_on if self.planned_on != self.held_on else None

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED


def read_meeting_file(path: Path, board: str | None, tz: ZoneInfo) -> list[MeetingRow]:
    """The meetings of an .ics file (all of `board`) or of a CSV (Datum;Nämnd)."""
    with path.open("rb") as fh:
        # One byte more than allowed: a larger file is refused by its size, never read whole.
        data = fh.read(MEETING_FILE_LIMITS.file_bytes + 1)
    if is_ics(path.name, data) and not board:
        raise Refused("Ange nämnden med --namnd: en iCalendar-fil säger inte vilken nämnd.")
    return read_meeting_data(data, path.name, board, tz)


def read_meeting_data(
    data: bytes, filename: str, board: str | None, tz: ZoneInfo
) -> list[MeetingRow]:
    """The meetings of an uploaded file's bytes: .ics (all of `board`) or CSV (Datum;Nämnd,
    an empty Nämnd taking `board`)."""
    if len(data) > MEETING_FILE_LIMITS.file_bytes:
        limit = MEETING_FILE_LIMITS.file_bytes // (1024 * 1024)
        raise FileRefused(filename, [Problem(f"filen är större än {limit} MB.")])
    if board is not None:
        board = check_board_name(board)
    if is_ics(filename, data):
        if not board:
            raise MeetingRefused(
                "Ange nämnden: en iCalendar-fil säger inte vilken nämnd den gäller.", BOARD_FIELD
            )
        return read_ics(data, filename, board, tz)
    return read_meetings_csv(data, filename, MEETING_FILE_LIMITS, board or None)


def import_meetings(
    session: Session, rows: Sequence[MeetingRow], *, lead_days: int | None, now: datetime
) -> MeetingImport:
    """Store the file's meetings. A meeting already stored is found by nämnd and UID, or by
    nämnd and date when the file gives no UID, so the same file again changes nothing; one
    found on another date is moved (change_meeting), keeping the date it was first planned for.

    `lead_days` applies to every meeting of the file; None gives a new meeting its nämnd's
    usual lead time and leaves a stored one's as it is. Two planned meetings of a nämnd on
    one day are refused once the whole file is in, so a file that swaps two dates is fine."""
    lead = check_lead_days(lead_days) if lead_days is not None else None
    boards = {r.board for r in rows}
    stored = session.exec(select(Meeting).where(col(Meeting.board).in_(boards))).all()
    by_uid = {(m.board, m.uid): m for m in stored if m.uid}
    by_date = {(m.board, m.held_on): m for m in stored if not m.uid}
    usual = {b: lead if lead is not None else default_lead_days(session, b) for b in boards}
    touched: list[Meeting] = []
    created = changed = unchanged = 0
    for row in rows:
        meeting = (
            by_uid.get((row.board, row.uid)) if row.uid else by_date.get((row.board, row.held_on))
        )
        if meeting is None:
            meeting = add_meeting(
                session,
                board=row.board,
                held_on=row.held_on,
                lead_days=usual[row.board],
                title=row.title,
                place=row.place,
                cancelled=row.cancelled,
                uid=row.uid,
                now=now,
                batch=True,
            )
            # A file that lists the same meeting twice stores it once.
            if row.uid:
                by_uid[(row.board, row.uid)] = meeting
            else:
                by_date[(row.board, row.held_on)] = meeting
            touched.append(meeting)
            created += 1
            continue
        changes = change_meeting(
            session,
            meeting,
            held_on=row.held_on,
            lead_days=lead,
            title=row.title,
            place=row.place,
            cancelled=row.cancelled,
            batch=True,
        )
        touched.append(meeting)
        if changes:
            changed += 1
        else:
            unchanged += 1
    session.flush()
    _refuse_double_booking(session, touched)
    return MeetingImport(created=created, changed=changed, unchanged=unchanged)


def default_lead_days(session: Session, board: str) -> int:
    """The nämnd's usual lead time: that of its meeting stored last, else DEFAULT_LEAD_DAYS."""
    query = (
        select(Meeting.lead_days)
        .where(Meeting.board == board)
        .order_by(col(Meeting.created_at).desc(), col(Meeting.id).desc())
        .limit(1)
    )
    found = session.exec(query).first()
    return found if found is not None else DEFAULT_LEAD_DAYS


def usual_lead_days(session: Session) -> dict[str, int]:
    """Each nämnd's usual lead time (default_lead_days), for a form's hint."""
    return {board: default_lead_days(session, board) for board in meeting_boards(session)}


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"Det finns inget sammanträde nummer {meeting_id}.")
    return meeting


def add_meeting(
    session: Session,
    *,
    board: str,
    held_on: date,
    now: datetime,
    lead_days: int | None = None,
    title: str = "",
    place: str = "",
    cancelled: bool = False,
    uid: str = "",
    batch: bool = False,
) -> Meeting:
    """A new meeting of `board` on `held_on`, first planned for that day; without `lead_days`
    it takes the nämnd's usual lead time. MeetingRefused for an empty or broken name, a date
    out of range, a lead time outside 0–MAX_LEAD_DAYS, or a second planned meeting of the
    nämnd that day. In a `batch` (an import) that last check and the flush are the caller's,
    done once for the whole file."""
    name = check_board_name(board)
    day = check_meeting_date(held_on)
    lead = default_lead_days(session, name) if lead_days is None else check_lead_days(lead_days)
    meeting = Meeting(
        board=name,
        held_on=day,
        planned_on=day,
        title=check_meeting_text(title, TITLE_FIELD),
        place=check_meeting_text(place, PLACE_FIELD),
        status=CANCELLED if cancelled else PLANNED,
        lead_days=lead,
        uid=uid,
        created_at=now,
    )
    if not batch:
        _refuse_second_meeting(session, name, day, meeting.status, None)
    session.add(meeting)
    if not batch:
        session.flush()
    return meeting


def change_meeting(
    session: Session,
    meeting: Meeting,
    *,
    held_on: date | None = None,
    lead_days: int | None = None,
    title: str | None = None,
    place: str | None = None,
    cancelled: bool | None = None,
    batch: bool = False,
) -> list[str]:
    """Change what is given (None: keep): move the meeting to `held_on`, its lead time, title
    or place, cancel it (True) or restore it (False). The date it was first planned for never
    changes. Returns what changed, in Swedish, empty when nothing did. MeetingRefused as
    add_meeting, and nothing is changed then."""
    wanted: dict[str, object] = {}
    if held_on is not None:
        wanted["held_on"] = check_meeting_date(held_on)
    if lead_days is not None:
        wanted["lead_days"] = check_lead_days(lead_days)
    if title is not None:
        wanted["title"] = check_meeting_text(title, TITLE_FIELD)
    if place is not None:
        wanted["place"] = check_meeting_text(place, PLACE_FIELD)
    if cancelled is not None:
        wanted["status"] = CANCELLED if cancelled else PLANNED
    differs = {k: v for k, v in wanted.items() if getattr(meeting, k) != v}
    if not differs:
        return []
    changes = [_describe(meeting, key, value) for key, value in differs.items()]
    if meeting.planned_on is None:
        # Stored before the first date was kept: the date it has until now is that date.
        meeting.planned_on = meeting.held_on
    if not batch and differs.keys() & {"held_on", "status"}:
        day = wanted.get("held_on", meeting.held_on)
        status = wanted.get("status", meeting.status)
        assert isinstance(day, date) and isinstance(status, str)
        _refuse_second_meeting(session, meeting.board, day, status, meeting.id)
    for key, value in differs.items():
        setattr(meeting, key, value)
    session.add(meeting)
    if not batch:
        session.flush()
    return changes


def cancel_meeting(session: Session, meeting: Meeting) -> list[str]:
    """Cancel a planned meeting (change_meeting); refused if it already is."""
    if meeting.status == CANCELLED:
        raise MeetingRefused("Sammanträdet är redan inställt.")
    return change_meeting(session, meeting, cancelled=True)


def restore_meeting(session: Session, meeting: Meeting) -> list[str]:
    """Plan a cancelled meeting again (change_meeting); refused if it is not cancelled, or if
    the nämnd has another planned meeting that day."""
    if meeting.status != CANCELLED:
        raise MeetingRefused("Sammanträdet är inte inställt.")
    return change_meeting(session, meeting, cancelled=False)


def _describe(meeting: Meeting, key: str, value: object) -> str:
    if key == "held_on":
        assert isinstance(value, date)
        return f"flyttat från {meeting.held_on.isoformat()} till {value.isoformat()}"
    if key == "lead_days":
        return f"ledtid {value} dagar (var {meeting.lead_days})"
    if key == "status":
        return "inställt" if value == CANCELLED else "återställt"
    label = "rubrik" if key == "title" else "plats"
    return f"{label} ”{value}”" if value else f"{label} borttagen"


def _refuse_second_meeting(
    session: Session, board: str, day: date, status: str, meeting_id: int | None
) -> None:
    """Refuse a planned meeting on a day the nämnd already has another planned one."""
    if status != PLANNED:
        return
    query = select(Meeting).where(
        Meeting.board == board, Meeting.held_on == day, Meeting.status == PLANNED
    )
    if meeting_id is not None:
        query = query.where(Meeting.id != meeting_id)
    other = session.exec(query.limit(1)).first()
    if other is not None:
        raise MeetingRefused(_double_booked(board, day, other.id), DATE_FIELD)


def _refuse_double_booking(session: Session, touched: Sequence[Meeting]) -> None:
    """After an import: refuse if a nämnd has two planned meetings on a day the file touched."""
    days = {(m.board, m.held_on) for m in touched if m.status == PLANNED}
    if not days:
        return
    boards = {board for board, _ in days}
    planned = session.exec(
        select(Meeting).where(col(Meeting.board).in_(boards), Meeting.status == PLANNED)
    ).all()
    seen: dict[tuple[str, date], int] = {}
    for m in sorted(planned, key=lambda m: m.id or 0):
        key = (m.board, m.held_on)
        if key not in days:
            continue
        if key in seen:
            raise MeetingRefused(_double_booked(m.board, m.held_on, seen[key]), DATE_FIELD)
        seen[key] = m.id or 0


def _double_booked(board: str, day: date, other_id: int | None) -> str:
    number = f" (nummer {other_id})" if other_id else ""
    return (
        f"{board} har redan ett planerat sammanträde {day.isoformat()}{number}. "
        "Flytta eller ställ in det först, eller välj en annan dag."
    )


def meeting_boards(session: Session) -> list[str]:
    """The nämnder that have meetings, in alphabetical order."""
    query = select(Meeting.board).distinct().order_by(col(Meeting.board))
    return list(session.exec(query).all())


def list_meetings(
    session: Session,
    *,
    board: str | None = None,
    year: int | None = None,
    calendar: WorkCalendar | None = None,
) -> list[MeetingView]:
    """Meetings in date order, each with the day its papers must be with the secretary."""
    cal = calendar or WorkCalendar()
    query = select(Meeting)
    if board is not None:
        query = query.where(Meeting.board == board)
    if year is not None:
        query = query.where(
            col(Meeting.held_on) >= date(year, 1, 1), col(Meeting.held_on) <= date(year, 12, 31)
        )
    query = query.order_by(col(Meeting.held_on), col(Meeting.board), col(Meeting.id))
    return [
        MeetingView(
            id=m.id or 0,
            board=m.board,
            held_on=m.held_on,
            title=m.title,
            place=m.place,
            status=m.status,
            status_label=STATUS_LABELS.get(m.status, m.status),
            lead_days=m.lead_days,
            deadline=paper_deadline(m.held_on, m.lead_days, cal),
            planned_on=m.planned_on or m.held_on,
        )
        for m in session.exec(query).all()
    ]


def meeting_view(
    session: Session, meeting_id: int, calendar: WorkCalendar | None = None
) -> MeetingView:
    """One meeting as the list shows it; NotFound if there is none."""
    m = get_meeting(session, meeting_id)
    return MeetingView(
        id=m.id or 0,
        board=m.board,
        held_on=m.held_on,
        title=m.title,
        place=m.place,
        status=m.status,
        status_label=STATUS_LABELS.get(m.status, m.status),
        lead_days=m.lead_days,
        deadline=paper_deadline(m.held_on, m.lead_days, calendar or WorkCalendar()),
        planned_on=m.planned_on or m.held_on,
    )
