"""Reading a plan file within limits: each hostile file is refused whole, with a Swedish message
that says what is wrong and where, before reading it costs more than a moment.

The files are built here, as small as each point allows: a zip bomb needs only a few kilobytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from xml.sax.saxutils import escape

import openpyxl
import pytest
from fastapi.testclient import TestClient
from openpyxl.utils import get_column_letter
from sqlalchemy import func
from sqlmodel import Session, select

from tests.web.helpers import MovableClock, form_to, log_in, text_of
from tracker.app import App
from tracker.domain.problems import FileRefused
from tracker.domain.reading import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    WEB_LIMITS,
    read_csv,
    read_xlsx,
)
from tracker.domain.tables import Row, UnreadableFile
from tracker.models import Person, Plan
from tracker.web.main import create_app

HEADER = ["Utvecklingsområde", "Åtgärd", "Ansvarig", "E-post", "Tidsplan", "Status", "Processläge"]
ROW = ["Ledarskap", "Plan för ledarskap", "Anna Berg", "anna.berg@pitea.example", "juni 2018",
       "Pågår", "Påbörjad."]  # fmt: skip
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"
MIB = 1024 * 1024
NOT_XLSX = (
    "Filen 'plan.xlsx' kunde inte läsas som XLSX: den är skadad eller inte en "
    "Excel-arbetsbok. Spara den på nytt som Excel-arbetsbok (.xlsx) eller som CSV."
)


MAX_ROWS = WEB_LIMITS.rows


def csv_rows(data: bytes) -> list[Row]:
    return list(read_csv(data, "plan.csv", WEB_LIMITS).rows)


def xlsx_rows(data: bytes) -> list[list[Row]]:
    """Each sheet's rows: a sheet is read as its rows are used."""
    return [list(sheet.rows) for sheet in read_xlsx(data, "plan.xlsx", WEB_LIMITS)]


def refused(read: Callable[[], object]) -> list[str]:
    """The problems a reader refused the file with, as the user reads them."""
    with pytest.raises(FileRefused) as info:
        read()
    return [str(p) for p in info.value.problems]


# --- building files ------------------------------------------------------------------------


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return "".join(f"{line}\r\n" for line in lines).encode(encoding)


def good_csv_lines() -> list[str]:
    return [";".join(HEADER), ";".join(ROW)]


def workbook() -> bytes:
    """A good plan as XLSX: the header and one åtgärd on the sheet Åtgärder."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Åtgärder"
    ws.append(HEADER)
    ws.append(ROW)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


Chunks = Iterator[bytes] | bytes


def with_part(
    xlsx: bytes, name: str, chunks: Chunks, compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    """The workbook with one part replaced (or added), written a chunk at a time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info))
        _write(dst, name, chunks, compression)
    return out.getvalue()


def with_parts(xlsx: bytes, parts: dict[str, Chunks]) -> bytes:
    """The workbook with parts added, each packed once."""
    out = io.BytesIO(xlsx)
    with zipfile.ZipFile(out, "a") as dst:
        for name, chunks in parts.items():
            _write(dst, name, chunks, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _write(dst: zipfile.ZipFile, name: str, chunks: Chunks, compression: int) -> None:
    part = zipfile.ZipInfo(name)
    part.compress_type = compression
    with dst.open(part, "w") as fh:
        for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
            fh.write(chunk)


def repeated(chunk: bytes, times: int) -> Iterator[bytes]:
    for _ in range(times):
        yield chunk


def sheet_xml(rows: str, before: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{before}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def row_xml(number: int, texts: list[str]) -> str:
    cells = "".join(
        f'<c r="{get_column_letter(i + 1)}{number}" t="inlineStr"><is><t>{escape(t)}</t></is></c>'
        for i, t in enumerate(texts)
    )
    return f'<row r="{number}">{cells}</row>'


def with_sheet(rows: str, before: str = "") -> bytes:
    """The workbook with its sheet Åtgärder written by hand: the header row, then `rows`."""
    return with_part(workbook(), SHEET, sheet_xml(row_xml(1, HEADER) + rows, before))


# --- XLSX: the archive ---------------------------------------------------------------------


def test_a_file_that_is_not_a_workbook_is_refused_in_swedish() -> None:
    with pytest.raises(UnreadableFile) as info:
        read_xlsx(csv_bytes(*good_csv_lines()), "plan.xlsx", WEB_LIMITS)
    assert info.value.message == NOT_XLSX


def test_a_sheet_that_breaks_off_is_refused_in_swedish() -> None:
    broken = with_part(workbook(), SHEET, sheet_xml(row_xml(1, HEADER))[:-40])
    with pytest.raises(UnreadableFile) as info:
        xlsx_rows(broken)
    assert info.value.message == NOT_XLSX


def test_a_part_that_unpacks_beyond_the_part_limit_is_refused_before_it_is_unpacked() -> None:
    # 33 MB of one letter packs to some 30 kB: the 200 MB cell of a real attack, in small.
    xlsx = with_part(workbook(), SHEET, _sheet_with_cell_of(33 * MIB))
    assert len(xlsx) < 100_000

    assert refused(lambda: xlsx_rows(xlsx)) == [
        "En del av arbetsboken packas upp till 33 MB; högst 32 MB per del läses"
    ]


def _sheet_with_cell_of(size: int) -> Iterator[bytes]:
    head = sheet_xml(row_xml(1, HEADER) + '<row r="2"><c r="B2" t="inlineStr"><is><t>')
    head = head[: head.index(b"</sheetData>")]
    yield head
    yield from repeated(b"x" * MIB, size // MIB)
    yield b"</t></is></c></row></sheetData></worksheet>"


def test_a_zip_bomb_part_is_refused_for_how_tightly_it_is_packed() -> None:
    xlsx = _bomb()
    assert len(xlsx) < 20_000
    ratio = _ratio(xlsx, "xl/media/image1.png")
    assert ratio > 1_000

    shown = f"{ratio:,}".replace(",", " ")
    assert refused(lambda: xlsx_rows(xlsx)) == [
        f"En del av arbetsboken packas upp till {shown} gånger sin packade storlek; en "
        "arbetsbok från Excel packas långt mindre tätt (högst 100 gånger läses)"
    ]


def _bomb() -> bytes:
    """Two megabytes of zeros, packed to two kilobytes."""
    return with_parts(workbook(), {"xl/media/image1.png": bytes(2 * MIB)})


def _ratio(xlsx: bytes, name: str) -> int:
    info = zipfile.ZipFile(io.BytesIO(xlsx)).getinfo(name)
    return info.file_size // info.compress_size


def test_parts_that_together_unpack_beyond_the_total_limit_are_refused() -> None:
    # Parts of up to a megabyte are not checked for packing: 65 of them, zeros, make 65 MB.
    xlsx = with_parts(workbook(), {f"xl/media/image{n}.png": bytes(MIB) for n in range(65)})
    assert len(xlsx) < 200_000

    assert refused(lambda: xlsx_rows(xlsx)) == [
        "Arbetsboken packas upp till 65 MB; högst 64 MB läses"
    ]


def test_an_archive_of_too_many_parts_is_refused() -> None:
    out = io.BytesIO(workbook())
    with zipfile.ZipFile(out, "a") as zf:
        parts = len(zf.infolist())
        for n in range(1_001 - parts):
            zf.writestr(f"customXml/item{n}.xml", b"<a/>")

    assert refused(lambda: xlsx_rows(out.getvalue())) == [
        "Arbetsboken består av 1 001 delar; högst 1 000 läses"
    ]


def test_a_part_packed_in_a_way_excel_never_uses_is_refused() -> None:
    # bzip2 unpacks a whole block at a time, whatever was asked for.
    xlsx = with_part(workbook(), "xl/media/image1.png", b"x" * 100, zipfile.ZIP_BZIP2)
    assert refused(lambda: xlsx_rows(xlsx)) == [
        "Arbetsboken är packad på ett sätt som Excel inte använder"
    ]


# --- XLSX: what the parts hold -------------------------------------------------------------


@pytest.mark.parametrize(
    "rows",
    [
        # One row numbered past the limit: openpyxl would fill in every row before it.
        f'<row r="{MAX_ROWS + 1}"><c r="A{MAX_ROWS + 1}"><v>1</v></c></row>',
        # After the header, as many rows as the limit, all numbered 2: one too many.
        '<row r="2"/>' * MAX_ROWS,
    ],
    ids=["numbered", "counted"],
)
def test_a_sheet_with_more_rows_than_the_limit_is_refused_naming_the_row(rows: str) -> None:
    xlsx = with_sheet(rows)
    assert refused(lambda: xlsx_rows(xlsx)) == [
        "Rad 20001: tabellen har fler än 20 000 rader, det mesta som läses; en åtgärdsplan "
        "har långt färre. Ta bort tomma rader under tabellen"
    ]


def test_a_sheet_with_as_many_rows_as_the_limit_is_read() -> None:
    xlsx = with_sheet(f'<row r="{MAX_ROWS}"><c r="A{MAX_ROWS}"><v>1</v></c></row>')
    [rows] = xlsx_rows(xlsx)
    assert len(rows) == MAX_ROWS
    assert rows[-1].cells == ("1",)


def test_a_row_wider_than_excel_allows_is_refused_before_it_is_built() -> None:
    # Cells without a reference each take the next column: 16 385 of them fit in 70 kB.
    xlsx = with_sheet('<row r="2">' + "<c/>" * (MAX_COLUMNS + 1) + "</row>")
    assert refused(lambda: xlsx_rows(xlsx)) == [
        "Rad 2, kolumn XFE: raden har fler än 16 384 kolumner, det mesta som läses"
    ]


def test_a_workbook_past_the_cell_limit_is_refused_naming_the_row() -> None:
    # A value in the last column makes a row 16 384 cells wide: with the header's 7, 62 such
    # rows are one too many.
    rows = "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(2, 70))
    assert refused(lambda: xlsx_rows(with_sheet(rows))) == [
        "Rad 63: filen har fler än 1 000 000 celler (räknat till sista cellen på varje rad), "
        "det mesta som läses; en åtgärdsplan har långt färre"
    ]


def test_a_workbook_of_too_many_xml_elements_is_refused() -> None:
    # A part of up to a megabyte is not checked for packing; this one holds 151 501 elements,
    # in rows as a sheet's cells are.
    row = b"<row>" + b"<c/>" * 100 + b"</row>"
    part = f'<a xmlns="{MAIN}">'.encode() + row * 1_500 + b"</a>"
    assert len(part) <= MIB
    xlsx = with_parts(workbook(), {"customXml/item1.xml": part})
    assert len(xlsx) < 20_000

    assert refused(lambda: xlsx_rows(xlsx)) == [
        "Arbetsboken har fler än 150 000 XML-element, det mesta som läses; en åtgärdsplan "
        "har långt färre. Spara planen som CSV, eller kopiera bladet med åtgärderna till en "
        "ny arbetsbok"
    ]


def test_a_workbook_of_too_many_styles_is_refused() -> None:
    # Styles, names and lists cost openpyxl some three times what cells do.
    styles = f'<styleSheet xmlns="{MAIN}"><cellXfs>'.encode() + b"<xf/>" * 30_000
    xlsx = with_part(workbook(), "xl/styles.xml", styles + b"</cellXfs></styleSheet>")
    assert refused(lambda: xlsx_rows(xlsx)) == [
        "Arbetsboken har fler än 30 000 XML-element utanför cellerna (format, namn och annat), "
        "det mesta som läses; en åtgärdsplan har långt färre. Kopiera bladet med åtgärderna "
        "till en ny arbetsbok"
    ]


def test_a_part_with_a_doctype_is_refused() -> None:
    # Entities defined in a DOCTYPE can expand a few bytes to anything.
    laughs = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY l "lol">]><a>&l;&l;</a>'
    xlsx = with_part(workbook(), "docProps/custom.xml", laughs)
    assert refused(lambda: xlsx_rows(xlsx)) == [
        "Arbetsboken har en dokumenttypdeklaration (<!DOCTYPE>), som Excel aldrig skriver"
    ]


def test_a_part_that_starts_as_xml_and_is_not_is_refused() -> None:
    # expat cannot read UTF-32; lxml, which openpyxl uses for some parts, can.
    styles = '<?xml version="1.0" encoding="UTF-32"?><styleSheet/>'.encode("utf-32")
    xlsx = with_part(workbook(), "xl/styles.xml", styles)
    with pytest.raises(UnreadableFile) as info:
        xlsx_rows(xlsx)
    assert info.value.message == NOT_XLSX


def test_a_cell_longer_than_the_limit_is_refused_naming_sheet_row_and_column() -> None:
    within = with_sheet(row_xml(2, ["Ledarskap", "x" * MAX_CELL_CHARS]))
    [rows] = xlsx_rows(within)
    assert len(rows[1].cells[1]) == MAX_CELL_CHARS

    beyond = with_sheet(row_xml(2, ["Ledarskap", "x" * (MAX_CELL_CHARS + 1)]))
    assert refused(lambda: xlsx_rows(beyond)) == [
        "Bladet Åtgärder: Rad 2, kolumn Åtgärd: cellen har 131 073 tecken; en cell får ha "
        "högst 131 072"
    ]


def test_the_size_a_sheet_declares_does_not_widen_its_rows() -> None:
    xlsx = with_sheet(row_xml(2, ROW), before='<dimension ref="A1:XFD100"/>')
    [rows] = xlsx_rows(xlsx)
    assert [len(row.cells) for row in rows] == [7, 7]


# --- CSV -----------------------------------------------------------------------------------


def test_an_unclosed_quote_is_refused_naming_the_row_where_it_opened() -> None:
    lines = good_csv_lines()
    lines.append('Ledarskap;"Introduktion för nya rektorer;Anna Berg;anna.berg@pitea.example')
    lines += [";".join(ROW)] * 3
    assert refused(lambda: csv_rows(csv_bytes(*lines))) == [
        'Rad 3, kolumn Åtgärd: cellen börjar med ett citattecken (") som inte avslutas där '
        'cellen slutar, så att raderna efter flyter ihop med den. Avsluta cellen med " eller '
        'ta bort citattecknet (ett citattecken i texten skrivs "")'
    ]


def test_a_quote_that_closes_rows_later_is_refused_naming_the_row_where_it_opened() -> None:
    lines = good_csv_lines()
    lines.append('Ledarskap;"Introduktion;Anna Berg;anna.berg@pitea.example;;;')
    lines.append(";".join(ROW))
    lines.append('Ledarskap;Skärmar 24" och mer;Anna Berg;anna.berg@pitea.example;;;')
    assert refused(lambda: csv_rows(csv_bytes(*lines))) == [
        'Rad 3, kolumn Åtgärd: cellen börjar med ett citattecken (") som inte avslutas där '
        'cellen slutar, så att raderna efter flyter ihop med den. Avsluta cellen med " eller '
        'ta bort citattecknet (ett citattecken i texten skrivs "")'
    ]


def test_cells_in_quotes_with_line_breaks_and_quotes_are_read_as_before() -> None:
    text = ";".join(HEADER) + '\r\nLedarskap;"Två rader:\r\n""citat"" här";A;a@b.example;;;\r\n'
    rows = csv_rows(text.encode())
    assert rows[1].cells[1] == 'Två rader:\n"citat" här'


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["utf-8", "utf-8 with BOM"])
def test_a_windows_1252_row_in_a_utf8_file_is_refused_naming_the_row(bom: bytes) -> None:
    pasted = ";".join(["Ledarskap", "Ny åtgärd", "Sofia Öberg", "sofia@pitea.example"])
    data = bom + csv_bytes(*good_csv_lines()) + csv_bytes(pasted, encoding="cp1252")
    assert refused(lambda: csv_rows(data)) == [
        "Rad 3, kolumn Åtgärd: texten 'Ny åtgärd' är inte kodad som UTF-8 som resten av filen "
        "(troligen Windows-1252, till exempel inklistrad från ett annat program). Skriv om "
        "tecknen med å, ä och ö i cellen och spara filen som UTF-8"
    ]


def test_a_file_all_in_windows_1252_is_still_read() -> None:
    rows = csv_rows(csv_bytes(*good_csv_lines(), encoding="cp1252"))
    assert rows[0].cells[:2] == ("Utvecklingsområde", "Åtgärd")


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "in quotes"])
def test_a_cell_over_the_field_limit_is_refused_in_swedish_naming_row_and_column(
    quoted: bool,
) -> None:
    def file_with(length: int) -> bytes:
        text = "x" * length
        # In quotes, a line break and a quote count as the characters they are written with.
        cell = '"' + text[:10] + '\r\n""' + text[13:] + '"' if quoted else text
        return csv_bytes(*good_csv_lines(), ";".join([*ROW[:6], cell]))

    [*_, last] = csv_rows(file_with(MAX_CELL_CHARS))
    assert len(last.cells[6]) == MAX_CELL_CHARS - (1 if quoted else 0)  # \r\n is read as \n
    assert refused(lambda: csv_rows(file_with(MAX_CELL_CHARS + 1))) == [
        "Rad 3, kolumn Processläge: cellen har 131 073 tecken; en cell får ha högst 131 072"
    ]


def test_more_rows_than_the_limit_are_refused() -> None:
    within = csv_bytes(*good_csv_lines(), *[""] * (MAX_ROWS - 2))
    assert len(csv_rows(within)) == MAX_ROWS
    beyond = csv_bytes(*good_csv_lines(), *[""] * (MAX_ROWS - 1))
    assert refused(lambda: csv_rows(beyond)) == [
        "Rad 20001: tabellen har fler än 20 000 rader, det mesta som läses; en åtgärdsplan "
        "har långt färre. Ta bort tomma rader under tabellen"
    ]


def test_a_row_wider_than_the_limit_is_refused() -> None:
    data = csv_bytes(*good_csv_lines(), ";" * MAX_COLUMNS)
    assert refused(lambda: csv_rows(data)) == [
        "Rad 3, kolumn XFE: raden har fler än 16 384 kolumner, det mesta som läses"
    ]


def test_a_file_past_the_cell_limit_is_refused_naming_the_row() -> None:
    data = csv_bytes(*[";" * (MAX_COLUMNS - 1)] * 70)
    assert refused(lambda: csv_rows(data)) == [
        "Rad 62: filen har fler än 1 000 000 celler (räknat till sista cellen på varje rad), "
        "det mesta som läses; en åtgärdsplan har långt färre"
    ]


@pytest.mark.parametrize("name", ["plan.csv", "plan.xlsx"])
def test_a_file_larger_than_the_limit_is_refused_unread(name: str) -> None:
    data = b"x" * (WEB_LIMITS.file_bytes + 100_000)
    read = read_csv if name.endswith(".csv") else read_xlsx
    assert refused(lambda: read(data, name, WEB_LIMITS)) == ["Filen är 10,1 MB; högst 10 MB läses"]


# --- the web upload ------------------------------------------------------------------------


def _open_quote() -> bytes:
    return csv_bytes(*good_csv_lines(), 'Ledarskap;"Utan slut;A;a@pitea.example', ";".join(ROW))


@pytest.mark.parametrize(
    ("name", "build", "message"),
    [
        ("plan.xlsx", lambda: b"PK\x03\x04 inte en zip", "den är skadad eller inte en Excel"),
        ("plan.xlsx", _bomb, "En del av arbetsboken packas upp till 1 0"),
        ("plan.csv", _open_quote, 'Rad 3, kolumn Åtgärd: cellen börjar med ett citattecken (")'),
    ],
    ids=["not a zip", "zip bomb", "open quote"],
)
def test_a_hostile_upload_is_refused_with_its_message_and_nothing_is_saved(
    app: App, chef: Person, now: datetime, name: str, build: Callable[[], bytes], message: str
) -> None:
    with TestClient(create_app(app, clock=MovableClock(now))) as client:
        log_in(client, app, chef, now)
        form = form_to(client.get("/planer/import").text, "/planer/import")
        page = client.post(
            form.action,
            data=form.data(title="Fientlig plan"),
            files={"file": (name, build(), "application/octet-stream")},
        )
    assert page.status_code == 422
    words = text_of(page.text)
    assert f"{name} importerades inte." in words
    assert message in words
    with Session(app.engine) as s:
        assert s.exec(select(func.count()).select_from(Plan)).one() == 0
