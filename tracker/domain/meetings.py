"""A nämnd's sammanträdesplan: when papers must be with the secretary, and reading the plan
from an iCalendar file or a CSV table. Pure: bytes and dates in, rows and dates out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tracker.domain.problems import FileRefused, Problem
from tracker.domain.reading import ReadLimits, decode, read_csv
from tracker.domain.tables import Row
from tracker.domain.workdays import WorkCalendar

PLANNED = "planerad"
CANCELLED = "installt"
STATUS_LABELS = {PLANNED: "Planerad", CANCELLED: "Inställt"}

# What a nämnd usually asks for when the import names no lead time: two weeks.
DEFAULT_LEAD_DAYS = 14

DATE_COLUMN = "Datum"
BOARD_COLUMN = "Nämnd"


def paper_deadline(held_on: date, lead_days: int, calendar: WorkCalendar) -> date:
    """The last day papers for the meeting on `held_on` reach the secretary in time:
    `lead_days` calendar days before it, moved back to the working day before when that day
    is a weekend, holiday or eve (the secretary is not there to receive them)."""
    return calendar.on_or_before(held_on - timedelta(days=lead_days))


@dataclass(frozen=True)
class MeetingRow:
    """One meeting as a file gives it."""

    board: str
    held_on: date
    cancelled: bool = False
    title: str = ""
    place: str = ""
    uid: str = ""


def read_ics(data: bytes, filename: str, board: str, tz: ZoneInfo) -> list[MeetingRow]:
    """Each VEVENT of an iCalendar file as a meeting of `board`; FileRefused if the file is
    not iCalendar or an event has no usable start."""
    text = decode(data, filename)
    # Checked before parsing: icalendar reads a str that is not calendar data as a file path.
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise _not_ics(filename)
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as exc:
        raise _not_ics(filename) from exc
    rows: list[MeetingRow] = []
    problems: list[Problem] = []
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        uid = str(event.get("UID", "")).strip()
        start = event.get("DTSTART")
        value = start.dt if start is not None else None
        if isinstance(value, datetime):
            # A start in UTC late in the evening is the next day in Stockholm.
            value = value.astimezone(tz).date() if value.tzinfo else value.date()
        if not isinstance(value, date):
            named = f" ({uid})" if uid else ""
            problems.append(Problem(f"händelse {number}{named} saknar startdatum (DTSTART)."))
            continue
        rows.append(
            MeetingRow(
                board=board,
                held_on=value,
                cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
                title=str(event.get("SUMMARY", "")).strip(),
                place=str(event.get("LOCATION", "")).strip(),
                uid=uid,
            )
        )
    if problems:
        raise FileRefused(filename, problems)
    if not rows:
        raise FileRefused(filename, [Problem("filen innehåller inga sammanträden (VEVENT).")])
    return rows


def _not_ics(filename: str) -> FileRefused:
    return FileRefused(
        filename,
        [Problem("filen är ingen iCalendar-fil (.ics): den ska börja med BEGIN:VCALENDAR.")],
    )


def read_meetings_csv(
    data: bytes, filename: str, limits: ReadLimits, board: str | None = None
) -> list[MeetingRow]:
    """Rows of a CSV with the columns Datum and Nämnd (semicolon or comma). An empty Nämnd
    cell takes `board`. FileRefused, naming row and column, if any row is wrong."""
    sheet = read_csv(data, filename, limits)
    rows = iter(sheet.rows)
    header = next(rows, None)
    if header is None:
        raise FileRefused(filename, [Problem("filen är tom.")])
    columns = {_header_key(str(c)): i for i, c in enumerate(header.cells)}
    missing = [n for n in (DATE_COLUMN, BOARD_COLUMN) if _header_key(n) not in columns]
    if missing:
        _refuse_missing(filename, header, missing)
    date_at, board_at = columns[_header_key(DATE_COLUMN)], columns[_header_key(BOARD_COLUMN)]
    out: list[MeetingRow] = []
    problems: list[Problem] = []
    for row in rows:
        if row.is_empty():
            continue
        raw_date = _cell(row, date_at)
        named = _cell(row, board_at) or (board or "")
        try:
            held_on = date.fromisoformat(raw_date)
        except ValueError:
            shown = f"'{raw_date}' är inget datum" if raw_date else "datum saknas"
            problems.append(Problem(f"{shown} (ÅÅÅÅ-MM-DD).", row.number, DATE_COLUMN))
            held_on = None
        if not named:
            problems.append(Problem("nämnd saknas.", row.number, BOARD_COLUMN))
        if held_on is not None and named:
            out.append(MeetingRow(board=named, held_on=held_on))
    if problems:
        raise FileRefused(filename, problems)
    return out


def _cell(row: Row, index: int) -> str:
    return str(row.cells[index]).strip() if index < len(row.cells) else ""


def _header_key(text: str) -> str:
    # Excel users write "datum" or "DATUM" as often as "Datum".
    return " ".join(text.replace("\ufeff", "").split()).casefold()


def _refuse_missing(filename: str, header: Row, missing: list[str]) -> NoReturn:
    names = " och ".join(missing)
    raise FileRefused(filename, [Problem(f"kolumnen {names} saknas i rubrikraden.", header.number)])


def is_ics(filename: str, data: bytes) -> bool:
    """An .ics file by name, or calendar data under another name."""
    return filename.lower().endswith((".ics", ".ical")) or data.lstrip(
        b"\xef\xbb\xbf \r\n"
    ).upper().startswith(b"BEGIN:VCALENDAR")
