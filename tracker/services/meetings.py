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
    CANCELLED,
    PLANNED,
    STATUS_LABELS,
    MeetingRow,
    is_ics,
    paper_deadline,
    read_ics,
    read_meetings_csv,
)
from tracker.domain.problems import FileRefused, Problem
from tracker.domain.reading import ReadLimits
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Refused
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


def read_meeting_file(path: Path, board: str | None, tz: ZoneInfo) -> list[MeetingRow]:
    """The meetings of an .ics file (all of `board`) or of a CSV (Datum;Nämnd)."""
    with path.open("rb") as fh:
        # One byte more than allowed: a larger file is refused by its size, never read whole.
        data = fh.read(MEETING_FILE_LIMITS.file_bytes + 1)
    if is_ics(path.name, data):
        if len(data) > MEETING_FILE_LIMITS.file_bytes:
            limit = MEETING_FILE_LIMITS.file_bytes // (1024 * 1024)
            raise FileRefused(path.name, [Problem(f"filen är större än {limit} MB.")])
        if not board:
            raise Refused("Ange nämnden med --namnd: en iCalendar-fil säger inte vilken nämnd.")
        return read_ics(data, path.name, board, tz)
    return read_meetings_csv(data, path.name, MEETING_FILE_LIMITS, board)


def import_meetings(
    session: Session, rows: Sequence[MeetingRow], *, lead_days: int, now: datetime
) -> MeetingImport:
    """Store the file's meetings. A meeting already stored is found by nämnd and UID, or by
    nämnd and date when the file gives no UID, so the same file again changes nothing."""
    if lead_days < 0:
        raise Refused("Ledtiden kan inte vara negativ.")
    boards = {r.board for r in rows}
    stored = session.exec(select(Meeting).where(col(Meeting.board).in_(boards))).all()
    by_uid = {(m.board, m.uid): m for m in stored if m.uid}
    by_date = {(m.board, m.held_on): m for m in stored if not m.uid}
    created = changed = unchanged = 0
    for row in rows:
        status = CANCELLED if row.cancelled else PLANNED
        meeting = (
            by_uid.get((row.board, row.uid)) if row.uid else by_date.get((row.board, row.held_on))
        )
        if meeting is None:
            meeting = Meeting(
                board=row.board,
                held_on=row.held_on,
                planned_on=row.held_on,
                title=row.title,
                place=row.place,
                status=status,
                lead_days=lead_days,
                uid=row.uid,
                created_at=now,
            )
            session.add(meeting)
            # A file that lists the same meeting twice stores it once.
            if row.uid:
                by_uid[(row.board, row.uid)] = meeting
            else:
                by_date[(row.board, row.held_on)] = meeting
            created += 1
            continue
        wanted = {
            "held_on": row.held_on,
            "title": row.title,
            "place": row.place,
            "status": status,
            "lead_days": lead_days,
        }
        differs = {k: v for k, v in wanted.items() if getattr(meeting, k) != v}
        if differs:
            for key, value in differs.items():
                setattr(meeting, key, value)
            session.add(meeting)
            changed += 1
        else:
            unchanged += 1
    session.flush()
    return MeetingImport(created=created, changed=changed, unchanged=unchanged)


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
        )
        for m in session.exec(query).all()
    ]
