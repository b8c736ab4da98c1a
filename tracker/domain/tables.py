"""Spreadsheets as plain rows: the rows and cells read from a file, and writing them back.

Rows are numbered as Excel shows them (the first row is 1), so a message can say "Rad 7" and
the user finds it. Reading files, within limits, is tracker.domain.reading.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from tracker.errors import TrackerError

# A cell as read: text (stripped, line breaks as \n), or a date from an XLSX date cell.
Cell = str | date
# A cell to write: also None (empty) and whole numbers.
OutCell = str | date | int | None


class UnreadableFile(TrackerError):
    """The file is not a spreadsheet we can read at all."""


@dataclass(frozen=True)
class Row:
    number: int
    cells: tuple[Cell, ...]

    def is_empty(self) -> bool:
        return all(c == "" for c in self.cells)


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: tuple[Row, ...]


def column_letter(index: int) -> str:
    """0-based column index -> 'A', 'B', ... as Excel names it."""
    return get_column_letter(index + 1)


def kind_of(filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    raise UnreadableFile(
        f"Filen '{filename}' är varken CSV eller XLSX (filnamnet ska sluta på .csv eller .xlsx)."
    )


# --- reading -----------------------------------------------------------------------------


# What makes a spreadsheet program take a cell for a formula (OWASP "CSV injection"): one of
# these first, or after a tab or line break. Some programs also drop leading whitespace when
# they open a CSV, so a space before one counts too.
FORMULA_START = frozenset("=+-@")
_FORMULA_LEAD = frozenset("\t\r")
# Written before such a text in a CSV: a spreadsheet then shows it as text (OWASP's advice).
FORMULA_QUOTE = "'"


def needs_formula_quote(text: str) -> bool:
    """Would a spreadsheet opening a CSV run this text as a formula? Also True for a text that
    already starts with the quote before one, so that the quote it has survives a round trip."""
    core = text.lstrip(FORMULA_QUOTE)
    return core[:1] in _FORMULA_LEAD or core.lstrip()[:1] in FORMULA_START


def unquote_formula(text: str) -> str:
    """A CSV cell as write_csv wrote it -> the text: "'=SUMMA(A1)" -> "=SUMMA(A1)"."""
    if text.startswith(FORMULA_QUOTE) and needs_formula_quote(text[1:]):
        return text[1:]
    return text


def clean_text(value: str) -> str:
    """Line breaks as \n, surrounding whitespace removed. A tab or line break before = + - @
    is kept: without it the text would start like a formula."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    stripped = text.strip()
    lead = text[: len(text) - len(text.lstrip())]
    if stripped[:1] in FORMULA_START and ("\t" in lead or "\n" in lead):
        return text.lstrip(" ").rstrip()
    return stripped


def clean_csv_text(value: str) -> str:
    """A CSV cell: cleaned as any cell, then without the quote write_csv put before a formula."""
    return unquote_formula(clean_text(value))


# --- writing -----------------------------------------------------------------------------


def _csv_value(value: OutCell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and needs_formula_quote(value):
        return FORMULA_QUOTE + value
    return str(value)


def write_csv(rows: Sequence[Sequence[OutCell]]) -> bytes:
    """Semicolon-separated UTF-8 with BOM: what Swedish Excel opens with å, ä, ö intact.
    A text a spreadsheet would run as a formula gets a leading "'" (read_csv takes it off)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


@dataclass(frozen=True)
class SheetOut:
    name: str
    rows: Sequence[Sequence[OutCell]]
    # Column widths in characters; columns listed in `wrap` wrap their text.
    widths: Sequence[int] = ()
    wrap: frozenset[int] = frozenset()


def write_xlsx(sheets: Sequence[SheetOut]) -> bytes:
    """A workbook with a bold, frozen header row on each sheet; dates as real date cells."""
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for spec in sheets:
        ws = wb.create_sheet(spec.name)
        ws.freeze_panes = "A2"
        for i, width in enumerate(spec.widths):
            ws.column_dimensions[column_letter(i)].width = width
        for r, row in enumerate(spec.rows):
            out = []
            for c, value in enumerate(row):
                if isinstance(value, date) and not isinstance(value, datetime):
                    value = datetime.combine(value, time())
                if isinstance(value, str):
                    # Control characters come with text pasted from other programs; XML
                    # cannot carry them (openpyxl refuses the whole file), and they show as
                    # nothing in a spreadsheet. As the report documents do, leave them out.
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, str):
                    # openpyxl writes a text starting with "=" as a formula: as an inline
                    # string it is never run and reads back as the exact text.
                    cell.data_type = "s"
                if r == 0:
                    cell.font = bold
                else:
                    cell.alignment = wrap if c in spec.wrap else top
                if isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
