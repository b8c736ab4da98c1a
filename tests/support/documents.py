"""Reading rendered återrapporter back: the plan table's rows from HTML and DOCX, the text of
a PDF. Text is compared squashed (no whitespace, NFKC), because PDF extraction breaks lines
wherever the layout did, also after a hyphen or a slash."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

import lxml.html
from docx import Document
from pypdf import PdfReader


@dataclass(frozen=True)
class TableRow:
    kind: str  # "section", "action", "empty_area", "none"
    area: str
    action: str = ""
    tidsplan: str = ""
    processlage: str = ""


def squash(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(text.replace("•", " ").split())


def spaced(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def html_rows(html: str) -> list[TableRow]:
    doc = lxml.html.fromstring(html)
    rows: list[TableRow] = []
    area = ""
    for tr in doc.xpath("//table[@class='plan-table']/tbody/tr"):
        classes = (tr.get("class") or "").split()
        cells = [spaced(" ".join(c.itertext())) for c in tr.xpath("./th|./td")]
        if "section" in classes:
            rows.append(TableRow("section", cells[0]))
        elif "area-empty" in classes:
            rows.append(TableRow("empty_area", cells[0], cells[1]))
        elif "action" in classes:
            area = cells[0] or area
            rows.append(TableRow("action", area, *cells[1:4]))
        else:
            rows.append(TableRow("none", "", cells[0]))
    return rows


def docx_rows(data: bytes) -> list[TableRow]:
    table = Document(io.BytesIO(data)).tables[-1]
    rows: list[TableRow] = []
    area = ""
    for row in table.rows[1:]:
        cells = [spaced(c.text) for c in row.cells]
        if len(set(cells)) == 1 and cells[0]:
            kind = "none" if cells[0] == "Planen har inga åtgärder." else "section"
            rows.append(TableRow(kind, cells[0] if kind == "section" else "", cells[0]))
        elif cells[1] == cells[2] == cells[3] == "Inga åtgärder.":
            rows.append(TableRow("empty_area", cells[0], cells[1]))
        else:
            area = cells[0] or area
            rows.append(TableRow("action", area, *cells[1:4]))
    return rows


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def find_in_order(haystack: str, needles: list[str]) -> list[str]:
    """The needles not found in order (each after the previous match), squashed."""
    hay = squash(haystack)
    pos = 0
    missing = []
    for needle in needles:
        i = hay.find(squash(needle), pos)
        if i < 0:
            missing.append(needle)
        else:
            pos = i + len(squash(needle))
    return missing
