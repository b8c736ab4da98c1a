"""Reading a plan file within limits: CSV and XLSX bytes in, numbered rows out.

Rows are numbered as Excel shows them (the first row is 1), so a message can say "Rad 7" and
the user finds it. CSV is read the way Excel writes it: comma or semicolon, UTF-8 with or
without BOM, or Windows-1252; cells may hold line breaks.

A file comes from whoever may import a plan, and a small file can be built to unpack to
gigabytes or to make a parser build millions of objects. So every size that costs time or
memory is checked before the work it bounds is done, against a limit far beyond any real plan
(a few hundred rows, some ten columns, cells of a few hundred characters). What is refused is
refused whole, with a Swedish message that names the row and column when there is one.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Any
from xml.parsers import expat

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from tracker.domain.problems import FileRefused, Problem
from tracker.domain.tables import (
    HEADER_SEARCH_ROWS,
    Cell,
    Row,
    Sheet,
    UnreadableFile,
    clean_csv_text,
    clean_text,
    column_letter,
    kind_of,
)

# --- limits ------------------------------------------------------------------------------

# Excel's own limit on columns (A to XFD); it also bounds what one row can cost.
MAX_COLUMNS = 16_384
# Characters in a cell: the csv module's default field limit, which it enforces itself; the
# XLSX reader checks the same. Excel holds at most 32 767.
MAX_CELL_CHARS = 131_072
# An XLSX file is a zip archive of XML parts. The archive's directory says how many parts
# there are and what each unpacks to; it is checked before anything is unpacked, and zipfile
# stops each part at the size the directory gives, so the sizes hold while reading too.
# Excel writes some ten parts, plus a few per sheet, image or comment.
MAX_XLSX_PARTS = 1_000
# Unpacked size over packed size, for a part of more than a megabyte: XML packs some 5 to 20
# times; a zip bomb some 1 000 times.
MAX_XLSX_RATIO = 100
_RATIO_FROM_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How much of a file is read at most: each size that costs time or memory."""

    # The file itself.
    file_bytes: int
    # Rows of one table (a CSV file or one sheet).
    rows: int
    # Cells of a whole file, each row counted to its last cell as Excel shows it: an XLSX
    # row is read as wide as its last cell, empty or not.
    cells: int
    # One XLSX part unpacked, and all of them.
    xlsx_part_bytes: int
    xlsx_unpacked_bytes: int
    # openpyxl builds objects for the XML elements it reads, so their number bounds its
    # time: those of cells and shared strings cost up to some 15 µs each here, the others
    # (styles, names, the package's lists) up to some 45 µs.
    xml_elements: int
    xml_elements_outside_cells: int = 30_000


# An upload in the web: what a request may cost, so that it ends within a few seconds
# (tracker/web/routes/transfer.py). A plan of a few hundred rows is some ten kilobytes as
# CSV and some tens as XLSX, with some ten thousand XML elements. Within these limits the
# slowest file measured took some 3 s to read, and the import of 20 000 CSV rows (reading,
# checking, saving) some 3 s; an XLSX of 4 000 rows and 12 columns exported by this program
# has some 148 000 elements.
WEB_LIMITS = ReadLimits(
    file_bytes=10 * 1024 * 1024,
    rows=20_000,
    cells=1_000_000,
    xlsx_part_bytes=32 * 1024 * 1024,
    xlsx_unpacked_bytes=64 * 1024 * 1024,
    xml_elements=150_000,
)
# A file imported on the command line, by whoever runs the server: moving a whole kommun's
# follow-up into the product at once. bench/core.py imports 200,000 rows within them (some
# 14 s from CSV) and exports them again.
COMMAND_LINE_LIMITS = ReadLimits(
    file_bytes=200 * 1024 * 1024,
    rows=250_000,
    cells=5_000_000,
    xlsx_part_bytes=1024 * 1024 * 1024,
    xlsx_unpacked_bytes=1024 * 1024 * 1024,
    xml_elements=20_000_000,
)

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# As expat names them with namespace_separator=" ".
_ROW_TAG = f"{_MAIN_NS} row"
_STRING_TAG = f"{_MAIN_NS} si"
_CHUNK = 64 * 1024
_DIGIT = re.compile("[0-9]")


def _n(number: int) -> str:
    """A count as Swedish writes it: 131 072."""
    return f"{number:,}".replace(",", " ")


def _refused(
    filename: str, message: str, row: int | None = None, column: str | None = None
) -> FileRefused:
    return FileRefused(filename, [Problem(message, row=row, column=column)])


def _column_name(index: int, header: Sequence[Any]) -> str:
    """The column as the header row names it, or as Excel does (a letter) when it has no
    short readable name."""
    name = header[index] if index < len(header) else None
    if isinstance(name, str):
        name = clean_text(name)
        if 0 < len(name) <= 40 and not _ESCAPED_BYTE.search(name):
            return name
    return column_letter(index)


def _check_size(data: bytes, filename: str, limits: ReadLimits) -> None:
    if len(data) > limits.file_bytes:
        size = f"{len(data) / 2**20:.1f}".replace(".", ",")
        raise _refused(
            filename,
            f"filen är {size} MB; högst {_mb(limits.file_bytes)} MB läses",
        )


@dataclass
class _Budget:
    """What has been read of one file so far, against the limits: refuses as soon as one is
    passed, before the rows are built."""

    filename: str
    limits: ReadLimits
    cells: int = 0
    elements: int = 0
    outside_cells: int = 0

    def row_number(self, number: int, seen: int) -> None:
        """`number` is the row's number, `seen` how many rows came before it and itself: an
        XLSX sheet may number its rows in any order."""
        most = self.limits.rows
        if number > most or seen > most:
            raise _refused(
                self.filename,
                f"tabellen har fler än {_n(most)} rader, det mesta som läses; en "
                "åtgärdsplan har långt färre. Ta bort tomma rader under tabellen",
                row=max(number, seen),
            )

    def columns(self, number: int, count: int, last: int) -> None:
        if count > MAX_COLUMNS or last > MAX_COLUMNS:
            raise _refused(
                self.filename,
                f"raden har fler än {_n(MAX_COLUMNS)} kolumner, det mesta som läses",
                row=number,
                column=column_letter(MAX_COLUMNS),
            )

    def row(self, number: int, width: int) -> None:
        self.cells += width
        if self.cells > self.limits.cells:
            raise _refused(
                self.filename,
                f"filen har fler än {_n(self.limits.cells)} celler (räknat till sista cellen på "
                "varje rad), det mesta som läses; en åtgärdsplan har långt färre",
                row=number,
            )

    def element(self, in_cell: bool) -> None:
        self.elements += 1
        if self.elements > self.limits.xml_elements:
            raise _refused(
                self.filename,
                f"arbetsboken har fler än {_n(self.limits.xml_elements)} XML-element, det "
                "mesta som läses; en åtgärdsplan har långt färre. Spara planen som CSV, eller "
                "kopiera bladet med åtgärderna till en ny arbetsbok",
            )
        if not in_cell:
            self.outside_cells += 1
        if self.outside_cells > self.limits.xml_elements_outside_cells:
            raise _refused(
                self.filename,
                f"arbetsboken har fler än {_n(self.limits.xml_elements_outside_cells)} XML-element "
                "utanför cellerna (format, namn och annat), det mesta som läses; en "
                "åtgärdsplan har långt färre. Kopiera bladet med åtgärderna till en ny "
                "arbetsbok",
            )


# --- CSV ---------------------------------------------------------------------------------

# A byte that is not UTF-8, as decode(..., "surrogateescape") keeps it.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# A character UTF-8 decoded from more than one byte: the file is UTF-8 where it decodes.
_UTF8_LETTER = re.compile("[^\x00-\x7f\udc80-\udcff]")


def decode(data: bytes, filename: str) -> str:
    """The file's text, read as encoding_of says."""
    return data.decode(encoding_of(data, filename))


def encoding_of(data: bytes, filename: str) -> str:
    """The codec that reads `data`: BOM -> as it says; else UTF-8 if it decodes; else
    Windows-1252 (what Excel writes). Checked without building the text.

    A file that is UTF-8 in part (its å, ä, ö decode) and not elsewhere is not Windows-1252
    either: most likely a row pasted from another program. Read as Windows-1252 it would turn
    every å into "Ã¥" and its headers would not be found, so it is refused, naming the cell.
    """
    if data.startswith(codecs.BOM_UTF8):
        if not _decodes(data, "utf-8-sig"):
            raise _not_utf8(data[len(codecs.BOM_UTF8) :], filename)
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if not _decodes(data, "utf-16"):
            raise UnreadableFile(
                f"Filen '{filename}' börjar som UTF-16 men är det inte hela vägen. "
                "Spara den som 'CSV UTF-8' i Excel."
            )
        return "utf-16"
    if _decodes(data, "utf-8"):
        return "utf-8"
    if _UTF8_LETTER.search(data.decode("utf-8", "surrogateescape")):
        raise _not_utf8(data, filename)
    if _decodes(data, "cp1252"):
        return "cp1252"
    raise UnreadableFile(
        f"Filen '{filename}' har en teckenkodning som inte känns igen "
        "(varken UTF-8 eller Windows-1252). Spara den som 'CSV UTF-8' i Excel."
    )


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether `data` reads as `encoding`, a megabyte at a time: the text of a large file is
    never held whole (as a string it takes up to four bytes a character)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _DECODE_CHUNK):
            decoder.decode(view[start : start + _DECODE_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


_DECODE_CHUNK = 1024 * 1024


def _not_utf8(data: bytes, filename: str) -> FileRefused:
    """The refusal of a UTF-8 file with bytes that are not, naming the first cell with them."""
    text = data.decode("utf-8", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    header: list[str] = []
    try:
        for number, record in enumerate(reader, start=1):
            for index, cell in enumerate(record):
                if _ESCAPED_BYTE.search(cell):
                    column = _column_name(index, header)
                    return _refused(filename, _not_utf8_message(cell), number, column)
            header = header or record
    except csv.Error:
        pass  # the text line below is as near as it gets
    first = _ESCAPED_BYTE.search(text)
    at = first.start() if first else 0
    end = text.find("\n", at)
    line = text.count("\n", 0, at) + 1
    return _refused(filename, _not_utf8_message(text[at : end if end >= 0 else None]), line)


def _not_utf8_message(cell: str) -> str:
    # The bytes shown as Windows-1252, which they most likely are: the user sees "Kärnan"
    # where the file has it wrong.
    shown = _ESCAPED_BYTE.sub(
        lambda m: bytes([ord(m[0]) - 0xDC00]).decode("cp1252", "replace"), cell
    )
    shown = " ".join(shown.split())
    if len(shown) > 40:
        shown = shown[:40] + "…"
    return (
        f"texten '{shown}' är inte kodad som UTF-8 som resten av filen (troligen "
        "Windows-1252, till exempel inklistrad från ett annat program). Skriv om tecknen "
        "med å, ä och ö i cellen och spara filen som UTF-8"
    )


def sniff_delimiter(text: str) -> str:
    """The separator Excel used, judged from the header line: ';', ',' or tab."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes, filename: str, limits: ReadLimits) -> Sheet:
    _check_size(data, filename, limits)
    text = _text_lines(data, encoding_of(data, filename))
    top = _top_lines(text)
    delimiter = sniff_delimiter(top[-1] if top else "")
    lines = _Lines(itertools.chain(top, text))
    rows = (
        Row(number=number, cells=tuple(clean_csv_text(c) for c in record))
        for number, record in _csv_records(lines, delimiter, filename, limits)
    )
    return Sheet(name=PurePath(filename).stem, rows=rows)


def _top_lines(text: Iterator[str]) -> list[str]:
    """The lines up to the first with a separator in it, within the rows a header is looked
    for among: a title line above the header has none to judge the separator by."""
    top: list[str] = []
    for line in itertools.islice(text, HEADER_SEARCH_ROWS):
        top.append(line)
        if any(d in line for d in ";,\t"):
            break
    return top


def _text_lines(data: bytes, encoding: str) -> Iterator[str]:
    """The lines of the text, each with its ending (\r\n, \n or \r) as the csv module
    takes them, decoded as they are read: the bytes are not copied (BytesIO shares them)
    and the text of a large file is never held whole (bench/core.py, 200,000 rows)."""
    return iter(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))


class _Lines:
    """The lines as the csv module takes them, keeping those of the record being read: when
    the module refuses a record, they show which cell it was."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.record: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.record.append(line)
        return line


def _csv_records(
    lines: _Lines, delimiter: str, filename: str, limits: ReadLimits
) -> Iterator[tuple[int, list[str]]]:
    # strict: a quote left open, or text after a closing quote, is an error. Otherwise the
    # csv module runs the rows after it together into one cell without a word.
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    budget = _Budget(filename, limits)
    header: list[str] = []
    number = 0
    while True:
        number += 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raw = "".join(lines.record)
            raise _csv_refusal(filename, number, raw, delimiter, header) from exc
        lines.record.clear()
        budget.row_number(number, number)
        budget.columns(number, len(record), len(record))
        budget.row(number, len(record))
        header = header or record
        yield number, record


# A cell in quotes: "…", with "" for a quote inside, up to the closing quote.
_QUOTED = re.compile(r'"[^"]*(?:""[^"]*)*"')


@dataclass(frozen=True)
class _BadCell:
    index: int
    message: str


def _csv_refusal(
    filename: str, number: int, raw: str, delimiter: str, header: Sequence[str]
) -> FileRefused:
    """What the csv module refused in record `number` (its text so far in `raw`), said in
    Swedish with the cell it was in."""
    bad = _bad_cell(raw, delimiter)
    if bad is None:  # not a case the csv module is known to refuse
        return _refused(filename, "raden kunde inte läsas som CSV", number)
    return _refused(filename, bad.message, number, _column_name(bad.index, header))


def _bad_cell(raw: str, delimiter: str) -> _BadCell | None:
    """The first cell of a record's text that the csv module (strict) refuses: one longer
    than the limit, or one whose opening quote does not close where the cell ends."""
    unquoted = re.compile(f"[^{re.escape(delimiter)}\r\n]*")
    pos = index = 0
    while True:
        if raw.startswith('"', pos):
            quoted = _QUOTED.match(raw, pos)
            if quoted is None:
                return _BadCell(index, _open_quote_message(len(raw) - pos - 1))
            end = quoted.end()
            length = end - pos - 2 - quoted.group().count('""', 1, -1)
            if end < len(raw) and raw[end] not in (delimiter, "\r", "\n"):
                return _BadCell(index, _open_quote_message(length))
        else:
            found = unquoted.match(raw, pos)
            end = found.end() if found else pos
            length = end - pos
        if length > MAX_CELL_CHARS:
            return _BadCell(index, _too_long_message(length))
        if end >= len(raw) or raw[end] != delimiter:
            return None
        pos, index = end + 1, index + 1


def _open_quote_message(length: int) -> str:
    if length > MAX_CELL_CHARS:
        return (
            f'cellen börjar med ett citattecken (") och blir längre än {_n(MAX_CELL_CHARS)} '
            "tecken, det mesta en cell får ha: troligen saknas citattecknet som avslutar den, "
            "så att raderna efter flyter ihop med cellen"
        )
    return (
        'cellen börjar med ett citattecken (") som inte avslutas där cellen slutar, så att '
        'raderna efter flyter ihop med den. Avsluta cellen med " eller ta bort citattecknet '
        '(ett citattecken i texten skrivs "")'
    )


def _too_long_message(length: int) -> str:
    return f"cellen har {_n(length)} tecken; en cell får ha högst {_n(MAX_CELL_CHARS)}"


# --- XLSX --------------------------------------------------------------------------------


def _not_xlsx(filename: str) -> UnreadableFile:
    return UnreadableFile(
        f"Filen '{filename}' kunde inte läsas som XLSX: den är skadad eller inte en "
        "Excel-arbetsbok. Spara den på nytt som Excel-arbetsbok (.xlsx) eller som CSV."
    )


def read_xlsx(data: bytes, filename: str, limits: ReadLimits) -> list[Sheet]:
    _check_size(data, filename, limits)
    _check_workbook(data, filename, limits)
    try:
        # The workbook reads from memory and is left to the garbage collector: each sheet's
        # rows are read as they are used, after this returns.
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise _not_xlsx(filename) from exc
    return [Sheet(name=str(ws.title), rows=_sheet_rows(ws, filename)) for ws in wb.worksheets]


def read_sheet(
    data: bytes, filename: str, limits: ReadLimits, names: Sequence[str] = ()
) -> tuple[Sheet, list[Problem]]:
    """The one table of a CSV or XLSX file, with a warning when a workbook had more sheets
    than the one read: the sheet with one of `names` (case does not count), else the first.
    FileRefused for a workbook without sheets; UnreadableFile for any other kind of file."""
    if kind_of(filename) == "csv":
        return read_csv(data, filename, limits), []
    sheets = read_xlsx(data, filename, limits)
    if not sheets:
        raise FileRefused(filename, [Problem("arbetsboken har inget blad")])
    wanted = {n.casefold() for n in names}
    sheet = next((s for s in sheets if s.name.casefold() in wanted), sheets[0])
    if len(sheets) == 1:
        return sheet, []
    return sheet, [Problem(f"bara bladet '{sheet.name}' lästes", place="Arbetsboken")]


def _sheet_rows(ws: Any, filename: str) -> Iterator[Row]:
    # The size a sheet declares may be anything (A1:XFD1048576, and openpyxl would pad every
    # row to it): each row is read as wide as its last cell instead, which _check_workbook
    # has bounded.
    ws.reset_dimensions()
    title = str(ws.title)
    header: Sequence[Any] = ()
    for number, values in enumerate(_unbroken(ws.iter_rows(values_only=True), filename), 1):
        for index, value in enumerate(values):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                column = _column_name(index, header)
                problem = Problem(_too_long_message(len(value)), number, column, f"Bladet {title}")
                raise FileRefused(filename, [problem])
        if not header and any(v is not None for v in values):
            header = values
        yield Row(number=number, cells=tuple(_xlsx_cell(v) for v in values))


def _unbroken(rows: Iterator[Any], filename: str) -> Iterator[Any]:
    """openpyxl's rows, with what it raises for a broken sheet said as UnreadableFile."""
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # openpyxl raises many kinds for a broken sheet
            raise _not_xlsx(filename) from exc
        yield values


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


def _check_workbook(data: bytes, filename: str, limits: ReadLimits) -> None:
    """The archive's parts, then every XML part as a stream, against the limits, before
    openpyxl builds anything from them."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # zipfile raises many kinds for what is not a zip archive
        raise _not_xlsx(filename) from exc
    with archive:
        parts = archive.infolist()
        check_parts(parts, filename, limits)
        budget = _Budget(filename, limits)
        for info in parts:
            if not info.is_dir():
                _scan_part(archive, info, budget)


@dataclass(frozen=True)
class PackedKind:
    """How a refusal names a file that is a zip archive of parts: an Excel workbook here, a
    Word document for a protokoll (tracker.domain.minutes)."""

    the: str  # "arbetsboken"
    packed: str  # "packad", agreeing with it
    one_from: str  # "en arbetsbok från Excel"
    program: str  # "Excel"


WORKBOOK = PackedKind("arbetsboken", "packad", "en arbetsbok från Excel", "Excel")


def check_parts(
    parts: Sequence[zipfile.ZipInfo],
    filename: str,
    limits: ReadLimits,
    kind: PackedKind = WORKBOOK,
) -> None:
    """The archive's directory against the limits, before any part is unpacked: how many
    parts, how large each unpacks, how tightly each is packed (a zip bomb), and all of them."""
    if len(parts) > MAX_XLSX_PARTS:
        raise _refused(
            filename,
            f"{kind.the} består av {_n(len(parts))} delar; högst {_n(MAX_XLSX_PARTS)} läses",
        )
    total = 0
    for info in parts:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refused(
                filename,
                f"{kind.the} är {kind.packed} på ett sätt som {kind.program} inte använder",
            )
        if info.file_size > limits.xlsx_part_bytes:
            raise _refused(
                filename,
                f"en del av {kind.the} packas upp till {_mb(info.file_size)} MB; högst "
                f"{_mb(limits.xlsx_part_bytes)} MB per del läses",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FROM_BYTES and ratio > MAX_XLSX_RATIO:
            raise _refused(
                filename,
                f"en del av {kind.the} packas upp till {_n(int(ratio))} gånger sin packade "
                f"storlek; {kind.one_from} packas långt mindre tätt (högst "
                f"{MAX_XLSX_RATIO} gånger läses)",
            )
        total += info.file_size
    if total > limits.xlsx_unpacked_bytes:
        raise _refused(
            filename,
            f"{kind.the} packas upp till {_mb(total)} MB; högst "
            f"{_mb(limits.xlsx_unpacked_bytes)} MB läses",
        )


def _mb(size: int) -> str:
    return _n(round(size / 2**20))


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> None:
    """Stream one part through expat, counting as openpyxl would build. A part that is not
    XML (an image) is passed over: openpyxl does not parse it."""
    filename = budget.filename
    try:
        member = archive.open(info)
    except Exception as exc:  # zipfile raises many kinds for a broken archive
        raise _not_xlsx(filename) from exc
    with member:
        chunk = _read(member, filename)
        if not _looks_like_xml(chunk):
            return
        scan = _PartScan(budget)
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartElementHandler = scan.start
        parser.EndElementHandler = scan.end
        parser.StartDoctypeDeclHandler = scan.doctype
        try:
            while chunk:
                parser.Parse(chunk, False)
                chunk = _read(member, filename)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            # Excel's VML drawings need not be well-formed, and openpyxl never reads them.
            # Any other part that starts as XML is one openpyxl may read, with a parser that
            # could take what expat does not (another encoding): so it must read here.
            if not info.filename.lower().endswith(".vml"):
                raise _not_xlsx(filename) from exc


def _read(member: Any, filename: str) -> bytes:
    try:
        return bytes(member.read(_CHUNK))
    except Exception as exc:  # a broken part: bad compressed data, a wrong checksum
        raise _not_xlsx(filename) from exc


def _looks_like_xml(head: bytes) -> bool:
    """Starts with '<' after byte order marks, NULs (UTF-16 and -32) and whitespace."""
    return head.lstrip(b"\xef\xbb\xbf\xfe\xff\x00 \t\r\n")[:1] == b"<"


@dataclass
class _OpenRow:
    depth: int
    number: int
    count: int = 0
    last: int = 0  # the largest column seen
    column: int = 0  # the column of the latest cell: the next one without a reference follows


class _PartScan:
    """Counts one XML part as expat reads it: every element, and each sheet row with the
    cells openpyxl would build for it. openpyxl reads a whole row before it hands it over,
    and fills in missing rows and cells, so a row must be measured before openpyxl sees it."""

    def __init__(self, budget: _Budget) -> None:
        self.budget = budget
        self.depth = 0
        self.rows = 0
        self.number = 0
        self.open: list[_OpenRow] = []
        self.string_depth = 0  # of the shared string being read, 0 outside one

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if name == _STRING_TAG and not self.string_depth:
            self.string_depth = self.depth
        # openpyxl reads rows and shared strings with a parser of its own, cheaper than the
        # one for everything else, which never looks inside an element it does not know.
        self.budget.element(bool(self.open) or self.string_depth > 0 or name == _ROW_TAG)
        # openpyxl takes every child of a row for a cell, whatever its name.
        if self.open and self.open[-1].depth == self.depth - 1:
            self._cell(self.open[-1], attrs.get("r"))
        if name == _ROW_TAG:
            self.rows += 1
            self.number = _row_number(attrs.get("r"), self.number)
            self.budget.row_number(self.number, self.rows)
            self.open.append(_OpenRow(self.depth, self.number))

    def end(self, name: str) -> None:
        if self.open and self.open[-1].depth == self.depth:
            row = self.open.pop()
            self.budget.row(row.number, max(row.count, row.last))
        if self.string_depth == self.depth:
            self.string_depth = 0
        self.depth -= 1

    def _cell(self, row: _OpenRow, reference: str | None) -> None:
        row.count += 1
        row.column = _column_number(reference, row.column)
        row.last = max(row.last, row.column)
        self.budget.columns(row.number, row.count, row.last)

    def doctype(self, *_: Any) -> None:
        # Excel never writes one; with it come entities that expand to anything.
        raise _refused(
            self.budget.filename,
            "arbetsboken har en dokumenttypdeklaration (<!DOCTYPE>), som Excel aldrig skriver",
        )


def _row_number(reference: str | None, previous: int) -> int:
    """A row's number as openpyxl reads its r attribute: "7", or "7.0"; else the next one.
    (A reference openpyxl cannot read makes it refuse the sheet.)"""
    if reference is not None:
        try:
            return int(reference)
        except ValueError:
            pass
        try:
            number = float(reference)
        except ValueError:
            return previous + 1
        if number.is_integer():
            return int(number)
    return previous + 1


def _column_number(reference: str | None, previous: int) -> int:
    """A cell's column as openpyxl reads its r attribute ("C7" -> 3: what comes before the
    first digit); else the next one."""
    if reference:
        letters = _DIGIT.split(reference, maxsplit=1)[0]
        try:
            return column_index_from_string(letters)
        except ValueError:
            pass
    return previous + 1
