"""Spreadsheets as plain rows: the rows and cells read from a file, and writing them back.

Rows are numbered as Excel shows them (the first row is 1), so a message can say "Rad 7" and
the user finds it. Reading files, within limits, is tracker.domain.reading.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path, PurePath

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from tracker.domain.problems import Problem
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
    # Read once, in order: a CSV's rows are made as they are read, so a large file is never
    # held whole as cells.
    rows: Iterable[Row]


# A sheet made in Excel often has a title, and a blank row, above its table: the header row is
# looked for among this many non-empty rows at the top.
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class Table:
    """A sheet's rows split at its header row."""

    header: Row | None
    # Non-empty rows above the header: a title, never data.
    above: tuple[Row, ...]
    rows: Iterator[Row]

    def above_warnings(self) -> list[Problem]:
        """What the reader is told of the rows above the header that were not read."""
        if self.header is None:
            return []
        return [
            Problem(
                f"ligger ovanför rubrikraden (rad {self.header.number}) och lästes inte", r.number
            )
            for r in self.above
        ]


def find_header(rows: Iterable[Row], names_column: Callable[[Cell], bool]) -> Table:
    """The first of the top non-empty rows with two cells or more that `names_column` knows
    (a title above names none, or one): the table's header. Without one, the first non-empty
    row, so that its problems are named as before. The rows after the header are left to be
    read as they come."""
    rest = iter(rows)
    seen: list[Row] = []
    for row in rest:
        if row.is_empty():
            continue
        if sum(1 for c in row.cells if names_column(c)) >= 2:
            return Table(row, tuple(seen), rest)
        seen.append(row)
        if len(seen) == HEADER_SEARCH_ROWS:
            break
    if not seen:
        return Table(None, (), rest)
    return Table(seen[0], (), itertools.chain(seen[1:], rest))


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
    text = value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value
    stripped = text.strip()
    if stripped[:1] not in FORMULA_START:
        return stripped
    lead = text[: len(text) - len(text.lstrip())]
    if "\t" in lead or "\n" in lead:
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


def write_csv(rows: Iterable[Sequence[OutCell]], out: Path) -> None:
    """Semicolon-separated UTF-8 with BOM: what Swedish Excel opens with å, ä, ö intact.
    A text a spreadsheet would run as a formula gets a leading "'" (read_csv takes it off).
    The rows are written as they come."""
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])


@dataclass(frozen=True)
class SheetOut:
    name: str
    # The header row first; read once, as they are written.
    rows: Iterable[Sequence[OutCell]]
    # Column widths in characters; columns listed in `wrap` wrap their text.
    widths: Sequence[int] = ()
    wrap: frozenset[int] = frozenset()


# Excel's limit on the characters of a cell; a longer text would be cut.
XLSX_CELL_CHARS = 32_767


class TooLongForXlsx(TrackerError):
    """A text that a workbook cannot hold whole."""


def write_xlsx(sheets: Sequence[SheetOut], out: Path) -> None:
    """A workbook with a bold, frozen header row on each sheet; dates as real date cells.

    XlsxWriter in its constant-memory mode writes each row as it comes: openpyxl's
    write-only mode spent some 15 µs a cell on styles, 80 s for 200,000 rows
    (bench/core.py). Text is always written as text, never as a formula or a link.
    """
    wb = xlsxwriter.Workbook(
        str(out),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    try:
        for spec in sheets:
            _write_sheet(wb, spec)
    finally:
        wb.close()


def _write_sheet(wb: xlsxwriter.Workbook, spec: SheetOut) -> None:
    ws = wb.add_worksheet(spec.name)
    ws.freeze_panes(1, 0)
    for i, width in enumerate(spec.widths):
        ws.set_column(i, i, width)
    bold = wb.add_format({"bold": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    top = wb.add_format({"valign": "top"})
    day = wb.add_format({"valign": "top", "num_format": "yyyy-mm-dd"})
    rows = iter(spec.rows)
    header = next(rows, ())
    # A text's format by its column: bold in the header row, wrapping where the spec says.
    header_formats = [bold] * len(header)
    body_formats = [wrap if c in spec.wrap else top for c in range(len(header))]
    for r, row in enumerate(itertools.chain([header], rows)):
        formats = body_formats if r else header_formats
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                text = _xlsx_text(value)
                if len(text) > XLSX_CELL_CHARS:
                    raise _too_long(len(text), r + 1, header[c] if c < len(header) else None, c)
                ws.write_string(r, c, text, formats[c] if c < len(formats) else top)
            elif isinstance(value, date):
                _write_day(ws, r, c, value, day)
            else:
                ws.write_number(r, c, value, top)


# Excel's day 0 as its serial numbers count, from 1900-03-01 on (Excel's phantom 29 February
# 1900 shifts the days before it, which XlsxWriter's write_datetime knows).
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_SHIFT = date(1900, 3, 1)


def _write_day(ws: Worksheet, r: int, c: int, value: date, fmt: Format) -> None:
    """A date cell. Counted here for a plain date: XlsxWriter's general conversion took a
    tenth of a 200,000-row export (bench/core.py)."""
    if isinstance(value, datetime) or value < _EXCEL_SHIFT:
        ws.write_datetime(r, c, datetime.combine(value, time()), fmt)
    else:
        ws.write_number(r, c, (value - _EXCEL_EPOCH).days, fmt)


def _too_long(length: int, row: int, name: OutCell, column: int) -> TooLongForXlsx:
    where = name if isinstance(name, str) and name else column_letter(column)
    length_sv, most_sv = (f"{n:,}".replace(",", " ") for n in (length, XLSX_CELL_CHARS))
    return TooLongForXlsx(
        f"Rad {row}, kolumn {where}: texten har {length_sv} tecken, fler än en cell i Excel "
        f"rymmer ({most_sv}). Exportera planen som CSV i stället."
    )


def _xlsx_text(value: str) -> str:
    # Control characters come with text pasted from other programs; XML cannot carry them,
    # and they show as nothing in a spreadsheet. As the report documents do, leave them out.
    if value.isprintable():
        # Most cells: no control character, no line break; the checks below would change nothing.
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    # A cell's line break is "\n" in Excel; a "\r" left in the XML is read as one by any XML
    # parser, so it is written as what it will be read as (the import does the same).
    return text.replace("\r\n", "\n").replace("\r", "\n")
