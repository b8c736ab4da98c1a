"""Reading rendered återrapporter back: the plan table's rows from HTML and DOCX, the text of
a PDF and where its lines and strokes lie on a page. Text is compared squashed (no
whitespace, NFKC), because PDF extraction breaks lines wherever the layout did, also after a
hyphen or a slash."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

import lxml.etree
import lxml.html
from docx import Document
from docx.table import _Cell
from pypdf import PdfReader

from tracker.reports.docx import FACTS_STYLE, NOTE_LINE_STYLE


@dataclass(frozen=True)
class TableRow:
    kind: str  # "section", "action", "empty_area", "none"
    area: str
    action: str = ""
    tidsplan: str = ""
    # The whole processläge cell, and its three parts: the writer's text, the line saying
    # when it was written, and the tracker's own facts.
    processlage: str = ""
    note: str = ""
    note_line: str = ""
    facts: str = ""


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
            rows.append(TableRow("action", area, *cells[1:4], **_html_parts(tr)))
        else:
            rows.append(TableRow("none", "", cells[0]))
    return rows


def _text_of(elements: list[Any]) -> str:
    return spaced(" ".join(" ".join(e.itertext()) for e in elements))


def _html_parts(tr: Any) -> dict[str, str]:
    cell = tr.xpath("./td[@class='processlage']")[0]
    return {
        "note": _text_of(cell.xpath("./div[@class='note']")),
        "note_line": _text_of(cell.xpath("./p[@class='note-line']")),
        "facts": _text_of(cell.xpath("./p[contains(concat(' ', @class, ' '), ' facts ')]")),
    }


def _docx_parts(cell: _Cell) -> dict[str, str]:
    parts: dict[str, list[str]] = {"note": [], "note_line": [], "facts": []}
    styles = {NOTE_LINE_STYLE: "note_line", FACTS_STYLE: "facts"}
    for paragraph in cell.paragraphs:
        name = paragraph.style.name if paragraph.style is not None else ""
        parts[styles.get(name, "note")].append(paragraph.text)
    return {key: spaced(" ".join(texts)) for key, texts in parts.items()}


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
            rows.append(TableRow("action", area, *cells[1:4], **_docx_parts(row.cells[3])))
    return rows


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def docx_language(data: bytes) -> str:
    """The language Word checks the document's text in: the run defaults in styles.xml."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = lxml.etree.fromstring(z.read("word/styles.xml"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    [lang] = styles.findall(f"{w}docDefaults/{w}rPrDefault/{w}rPr/{w}lang")
    return str(lang.get(f"{w}val"))


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


# --- positions on a PDF page ---------------------------------------------------------------

# Liberation Sans (the report's only font), in em: how far glyphs reach above and below the
# baseline.
ASCENT = 0.905
DESCENT = 0.212


@dataclass(frozen=True)
class Box:
    """A rectangle on a page in PDF points, y growing upwards."""

    left: float
    bottom: float
    right: float
    top: float

    def gap_to(self, other: Box) -> float:
        """The clear space between two boxes: negative when they overlap, 0 when they touch."""
        dx = max(other.left - self.right, self.left - other.right)
        dy = max(other.bottom - self.top, self.bottom - other.top)
        return max(dx, dy)


def union(boxes: list[Box]) -> Box:
    return Box(
        min(b.left for b in boxes),
        min(b.bottom for b in boxes),
        max(b.right for b in boxes),
        max(b.top for b in boxes),
    )


@dataclass(frozen=True)
class PdfLine:
    """One line of text as the PDF draws it, with the band its glyphs can fill (the whole
    width of the page's text area: where a line ends is not needed to tell lines apart)."""

    text: str
    size: float
    box: Box


@dataclass
class PageLayout:
    lines: list[PdfLine] = field(default_factory=list)
    # Stroked paths (rules, frames), each as its bounding box including half the line width.
    strokes: list[Box] = field(default_factory=list)


def pdf_layout(data: bytes, page: int = 0) -> PageLayout:
    """The lines of text and the stroked shapes of one page, where they lie.

    Typst writes every text run and every path under its own `cm` with an identity text
    matrix, so the translation of the `cm` is where the run's baseline (or the path's origin)
    lies; the glyphs' extent comes from the font size."""
    reader = PdfReader(io.BytesIO(data))
    pdf_page = reader.pages[page]
    left, right = 0.0, float(pdf_page.mediabox.width)
    out = PageLayout()

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text.strip():
            return
        scale = abs(cm[3]) * abs(tm[3]) or 1.0
        height = size * scale
        baseline = cm[5] + tm[5] * cm[3]
        out.lines.append(
            PdfLine(
                text.strip(),
                height,
                Box(left, baseline - DESCENT * height, right, baseline + ASCENT * height),
            )
        )

    pdf_page.extract_text(visitor_text=visit)
    out.strokes = _strokes(pdf_page)
    return out


def _strokes(pdf_page: Any) -> list[Box]:
    """The bounding boxes of the stroked paths on a page (m/l/re ... S), under the `cm` in
    force; curves are not used by the report and not read."""
    boxes: list[Box] = []
    stack: list[tuple[list[float], float]] = []
    cm, width = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], 1.0
    points: list[tuple[float, float]] = []
    for args, op in pdf_page.get_contents().operations:
        if op == b"q":
            stack.append((cm, width))
        elif op == b"Q":
            cm, width = stack.pop()
        elif op == b"cm":
            cm = _multiply([float(a) for a in args], cm)
        elif op == b"w":
            width = float(args[0])
        elif op in (b"m", b"l"):
            points.append(_apply(cm, float(args[0]), float(args[1])))
        elif op == b"re":
            x, y, w, h = (float(a) for a in args)
            points += [_apply(cm, x, y), _apply(cm, x + w, y + h)]
        elif op in (b"S", b"s"):
            if points:
                half = width * max(abs(cm[0]), abs(cm[3])) / 2
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                boxes.append(Box(min(xs) - half, min(ys) - half, max(xs) + half, max(ys) + half))
            points = []
        elif op in (b"n", b"f", b"F", b"f*", b"B", b"b"):
            points = []
    return boxes


def _multiply(m: list[float], n: list[float]) -> list[float]:
    """The matrix m x n, PDF style ([a b c d e f])."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return [
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    ]


def _apply(m: list[float], x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
