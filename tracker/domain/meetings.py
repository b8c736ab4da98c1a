"""A nämnd's sammanträdesplan: when papers must be with the secretary, and reading the plan
from an iCalendar file or a CSV table. Pure: bytes and dates in, rows and dates out."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tracker.domain.problems import FileRefused, Problem
from tracker.domain.reading import ReadLimits, decode, read_csv
from tracker.domain.tables import Row
from tracker.domain.tidsplan import FIRST_YEAR, LAST_YEAR
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Refused

PLANNED = "planerad"
CANCELLED = "installt"
STATUS_LABELS = {PLANNED: "Planerad", CANCELLED: "Inställt"}

# What a nämnd usually asks for when the import names no lead time: two weeks.
DEFAULT_LEAD_DAYS = 14
# Four months: more is a typing error (a date typed as days), never a real lead time.
MAX_LEAD_DAYS = 120
# The longest nämnd name, and the longest title or place, a form or command takes.
BOARD_LIMIT = 200
TEXT_LIMIT = 500

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
        try:
            rows.append(_meeting_of(event, board, tz))
        except _EventRefused as exc:
            uid = event.get("UID")
            named = f" ({str(uid).strip()})" if uid and not isinstance(uid, list) else ""
            problems.append(Problem(f"händelse {number}{named}{exc.message}"))
    if problems:
        raise FileRefused(filename, problems)
    if not rows:
        raise FileRefused(filename, [Problem("filen innehåller inga sammanträden (VEVENT).")])
    return rows


class _EventRefused(Exception):
    """What is wrong with one VEVENT, said after "händelse N (uid)"."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# The properties a meeting is read from; RFC 5545 allows each at most once in an event.
_ONCE = ("UID", "DTSTART", "SUMMARY", "LOCATION", "STATUS")


def _meeting_of(event: Any, board: str, tz: ZoneInfo) -> MeetingRow:
    """One VEVENT as a meeting. icalendar reads a file whatever its values: a property given
    twice comes back as a list, and an unreadable date raises only when it is used."""
    repeated = [name for name in _ONCE if isinstance(event.get(name), list)]
    if repeated:
        raise _EventRefused(f": {repeated[0]} står flera gånger.")
    start = event.get("DTSTART")
    try:
        value = start.dt if start is not None else None
    except ValueError:  # icalendar's BrokenCalendarProperty, for a value it could not read
        raise _EventRefused(
            f": DTSTART '{start.to_ical().decode()[:40]}' är inget datum."
        ) from None
    if isinstance(value, datetime | date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
        # Checked before a time is moved to Stockholm's day: 9999-12-31 23:59 UTC has none.
        day = value.date() if isinstance(value, datetime) else value
        raise _EventRefused(f": {day.isoformat()} ligger utanför åren {FIRST_YEAR}–{LAST_YEAR}.")
    if isinstance(value, datetime):
        # A start in UTC late in the evening is the next day in Stockholm.
        value = value.astimezone(tz).date() if value.tzinfo else value.date()
    if not isinstance(value, date):
        raise _EventRefused(" saknar startdatum (DTSTART).")
    return MeetingRow(
        board=board,
        held_on=value,
        cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
        title=str(event.get("SUMMARY", "")).strip(),
        place=str(event.get("LOCATION", "")).strip(),
        uid=str(event.get("UID", "")).strip(),
    )


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


# --- what a person types for one meeting --------------------------------------------------

# The field a refusal is about, so that a form can show the message beside it.
BOARD_FIELD = "board"
DATE_FIELD = "held_on"
LEAD_FIELD = "lead_days"
TITLE_FIELD = "title"
PLACE_FIELD = "place"

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class MeetingRefused(Refused):
    """A meeting the rules refuse, naming the field (one of the *_FIELD names) it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse_meeting_date(text: str) -> date:
    """A date typed as ÅÅÅÅ-MM-DD (what <input type="date"> sends), a real day in range.
    Only that form: Python would also read "20180614" and "2018-W24-4"."""
    typed = text.strip()
    if not typed:
        raise MeetingRefused("Skriv sammanträdets datum.", DATE_FIELD)
    try:
        if not _ISO_DATE.fullmatch(typed):
            raise ValueError(typed)
        day = date.fromisoformat(typed)
    except ValueError:
        raise MeetingRefused(
            f"'{typed[:40]}' är inget datum: skriv det som ÅÅÅÅ-MM-DD, till exempel 2018-06-14.",
            DATE_FIELD,
        ) from None
    return check_meeting_date(day)


def check_meeting_date(day: date) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise MeetingRefused(
            f"Datumet {day.isoformat()} ligger utanför åren {FIRST_YEAR}–{LAST_YEAR}.",
            DATE_FIELD,
        )
    return day


def parse_lead_days(text: str) -> int | None:
    """A lead time typed in days; None for an empty field (the nämnd's usual one)."""
    typed = text.strip()
    if not typed:
        return None
    if not typed.isascii() or not typed.lstrip("-").isdigit() or len(typed) > 6:
        raise MeetingRefused(
            f"Ledtiden är ett antal dagar, 0–{MAX_LEAD_DAYS}, inte '{typed[:20]}'.", LEAD_FIELD
        )
    return check_lead_days(int(typed))


def check_lead_days(days: int) -> int:
    if days < 0:
        raise MeetingRefused("Ledtiden kan inte vara negativ.", LEAD_FIELD)
    if days > MAX_LEAD_DAYS:
        raise MeetingRefused(f"Ledtiden kan vara högst {MAX_LEAD_DAYS} dagar.", LEAD_FIELD)
    return days


def check_board_name(text: str) -> str:
    """The nämnd's name on one line: not empty, no control characters (a line break would start
    a line of its own in a mail or a calendar file), at most BOARD_LIMIT characters."""
    name = _one_line(text, "Nämndens namn", BOARD_FIELD)
    if not name:
        raise MeetingRefused("Skriv nämndens namn.", BOARD_FIELD)
    if len(name) > BOARD_LIMIT:
        raise MeetingRefused(
            f"Nämndens namn är för långt: högst {BOARD_LIMIT} tecken.", BOARD_FIELD
        )
    return name


def check_meeting_text(text: str, field: str) -> str:
    """A title or a place: may be empty, otherwise one line of at most TEXT_LIMIT characters."""
    label = "Rubriken" if field == TITLE_FIELD else "Platsen"
    value = _one_line(text, label, field)
    if len(value) > TEXT_LIMIT:
        raise MeetingRefused(f"{label} är för lång: högst {TEXT_LIMIT} tecken.", field)
    return value


def _one_line(text: str, label: str, field: str) -> str:
    value = text.strip()
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise MeetingRefused(
            f"{label} innehåller ett styrtecken (till exempel en radbrytning eller tabb); "
            "skriv texten på en rad.",
            field,
        )
    return value


# The organ nouns, in their definite form, a nämnd's name can end in: such a name takes the
# genitive with an s ("Barn- och utbildningsnämndens"). A name ending in anything else
# ("Nämnden för teknik och service", "BUN", "Kommunstyrelsen i Piteå") has no genitive that
# can be made reliably by rule.
_ORGAN_ENDINGS = (
    "nämnden",
    "styrelsen",
    "utskottet",
    "fullmäktige",
    "beredningen",
    "direktionen",
    "rådet",
)


def board_meeting(board: str) -> str:
    """'Barn- och utbildningsnämndens sammanträde', or 'sammanträdet i Nämnden för teknik
    och service' where the name's genitive cannot be made by rule."""
    board = " ".join(board.split())
    words = board.split(" ")
    if words[-1].lower().endswith(_ORGAN_ENDINGS):
        return f"{board}s sammanträde"
    return f"sammanträdet i {board}"
