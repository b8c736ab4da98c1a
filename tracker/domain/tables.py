"""Spreadsheets as plain rows: CSV and XLSX bytes in, numbered rows out, and back.

Rows are numbered as Excel shows them (the first row is 1), so a message can say "Rad 7" and
the user finds it. CSV is read the way Excel writes it: comma or semicolon, UTF-8 with or
without BOM, or Windows-1252; cells may hold line breaks.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
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


def clean_text(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def decode(data: bytes, filename: str) -> str:
    """BOM -> as it says; else UTF-8 if it decodes; else Windows-1252 (what Excel writes)."""
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"Filen '{filename}' har en teckenkodning som inte känns igen "
            "(varken UTF-8 eller Windows-1252). Spara den som 'CSV UTF-8' i Excel."
        ) from exc


def sniff_delimiter(text: str) -> str:
    """The separator Excel used, judged from the header line: ';', ',' or tab."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes, filename: str) -> Sheet:
    text = decode(data, filename)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        rows = tuple(
            Row(number=i, cells=tuple(clean_text(c) for c in record))
            for i, record in enumerate(reader, start=1)
        )
    except csv.Error as exc:
        raise UnreadableFile(f"Filen '{filename}' kunde inte läsas som CSV: {exc}.") from exc
    return Sheet(name=PurePath(filename).stem, rows=rows)


def _xlsx_cell(value: Any) -> Cell:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return clean_text(str(value))


def read_xlsx(data: bytes, filename: str) -> list[Sheet]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise UnreadableFile(f"Filen '{filename}' kunde inte läsas som XLSX: {exc}.") from exc
    try:
        sheets = []
        for ws in wb.worksheets:
            rows = tuple(
                Row(number=i, cells=tuple(_xlsx_cell(v) for v in values))
                for i, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)
            )
            sheets.append(Sheet(name=str(ws.title), rows=rows))
        return sheets
    finally:
        wb.close()


# --- writing -----------------------------------------------------------------------------


def _csv_value(value: OutCell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(rows: Sequence[Sequence[OutCell]]) -> bytes:
    """Semicolon-separated UTF-8 with BOM: what Swedish Excel opens with å, ä, ö intact."""
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
                cell = WriteOnlyCell(ws, value=value)
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
