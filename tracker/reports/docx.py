"""The återrapport as DOCX (python-docx), with the same content as the HTML and PDF.

The progress chart is the same SVG as in the HTML and PDF, drawn to a PNG by Typst (Word
shows no SVG without a raster copy), followed by its table of numbers. Deterministic: core
properties carry the snapshot's dates and the ZIP entries a fixed timestamp, so the same
snapshot gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from notifications.swedish import long_date
from tracker.domain.report import Chart, Para, ReportView, Row, strip_control
from tracker.reports.chart import layout
from tracker.reports.html import kicker, render_chart_svg, signer
from tracker.reports.typst_compile import run

FONT = "Arial"
# Column widths of the plan table, as in the HTML (21/33/15/31 % of 180 mm).
COLUMNS_MM = (38, 59, 27, 56)
HEADERS = ("Utvecklingsområde", "Åtgärd", "Tidsplan", "Processläge")
# Paragraph styles of the lines in a processläge cell that are not the writer's own text; a
# reader of the document (or a program) tells them apart by style.
NOTE_LINE_STYLE = "Processläge skrivet"
FACTS_STYLE = "Uppgifter från uppföljningen"
ALERT = RGBColor(0xB3, 0x26, 0x1E)
LANGUAGE = "sv-SE"


def swedish_document() -> Any:
    """A new Word document in Swedish, the start of every DOCX the product writes.

    Word spell-checks and hyphenates text in the language of its runs, which comes from the
    styles' defaults (docDefaults); python-docx's template says en-US there, so a Swedish text
    was checked as English. The core properties' language is only metadata. The defaults' East
    Asian and right-to-left languages are kept as they are (en-US, ar-SA): they apply only to
    text in those scripts, for which Swedish means nothing."""
    doc = Document()
    # python-docx's template has the element; only its value is changed.
    path = "/".join(qn(tag) for tag in ("w:docDefaults", "w:rPrDefault", "w:rPr", "w:lang"))
    doc.styles.element.find(path).set(qn("w:val"), LANGUAGE)
    doc.core_properties.language = LANGUAGE
    return doc


def _set_cell_shading(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _hide_top_border(cell: _Cell) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    top = OxmlElement("w:top")
    top.set(qn("w:val"), "nil")
    borders.append(top)
    tc_pr.append(borders)


def _repeat_as_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays out the page."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1")):
        run = paragraph.add_run()
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == instruction:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            run._r.append(instr)
        else:
            run.text = text or ""
    end = paragraph.add_run()
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), "end")
    end._r.append(fld)


def _run(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    colour: RGBColor | None = None,
) -> None:
    """A run of text, built directly: python-docx's add_run() handles text a character at a
    time, which for a few thousand rows costs seconds. XML-illegal control characters (pasted
    from other programs) are dropped, as Word could not open the file otherwise."""
    r = OxmlElement("w:r")
    if bold or italic or colour is not None:
        props = OxmlElement("w:rPr")
        if bold:
            props.append(OxmlElement("w:b"))
        if italic:
            props.append(OxmlElement("w:i"))
        if colour is not None:
            color = OxmlElement("w:color")
            color.set(qn("w:val"), str(colour))
            props.append(color)
        r.append(props)
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = strip_control(text)
    r.append(t)
    paragraph._p.append(r)


def _paragraph(doc: Any, text: str = "") -> Paragraph:
    paragraph: Paragraph = doc.add_paragraph()
    if text:
        _run(paragraph, text)
    return paragraph


def _fill(cell: _Cell, paras: Iterable[Para], bullet_style: str) -> None:
    """Paragraphs into a cell; bullet paragraphs as a bulleted list."""
    first = True
    for p in paras:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        if p.bullet:
            # The style id, set directly: python-docx looks a style name up by scanning all
            # styles, which for thousands of rows costs seconds.
            paragraph._p.style = bullet_style
        _run(paragraph, p.text)


def _cell_styles(doc: Any) -> tuple[str, str]:
    """The styles of a processläge's date line and of the tracker's facts (with a rule above
    them, as in the HTML and PDF); their style ids."""
    note_line = doc.styles.add_style(NOTE_LINE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    note_line.base_style = doc.styles["Normal"]
    note_line.font.size, note_line.font.italic = Pt(8), True
    note_line.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    facts = doc.styles.add_style(FACTS_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    facts.base_style = doc.styles["Normal"]
    facts.font.size = Pt(8)
    facts.paragraph_format.space_before = Pt(3)
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("val", "single"), ("sz", "4"), ("space", "1"), ("color", "C9CDD2")):
        top.set(qn(f"w:{key}"), value)
    borders.append(top)
    facts.element.get_or_add_pPr().append(borders)
    return note_line.style_id, facts.style_id


def _processlage(cell: _Cell, row: Row, bullet_style: str, styles: tuple[str, str]) -> None:
    """The writer's text as written; then, each in a paragraph of its own style, when it was
    written and what the tracker itself knows."""
    note_line_style, facts_style = styles
    _fill(cell, row.note, bullet_style)
    if row.note_line:
        paragraph = cell.add_paragraph() if row.note else cell.paragraphs[0]
        paragraph._p.style = note_line_style
        _run(paragraph, row.note_line)
    facts = cell.add_paragraph() if row.note or row.note_line else cell.paragraphs[0]
    facts._p.style = facts_style
    colour = ALERT if row.timing is not None and row.timing.is_late else None
    for i, fact in enumerate(row.facts):
        if i:
            facts._p.append(_line_break())
        _run(facts, f"{fact.label}:", bold=True, colour=colour)
        _run(facts, f" {fact.value}.", colour=colour)
    if row.evaluation:
        # The förväntad effekt, the evaluation's answers and the indicators, ruled off as
        # the facts are.
        details = cell.add_paragraph()
        details._p.style = facts_style
        for i, detail in enumerate(row.evaluation):
            if i:
                details._p.append(_line_break())
            _run(details, detail.lead, bold=True)
            _run(details, f" {detail.value}")


def _line_break() -> Any:
    r = OxmlElement("w:r")
    r.append(OxmlElement("w:br"))
    return r


def _counts_table(doc: Any, caption: str, items: Iterable[tuple[str, int]]) -> None:
    _run(doc.add_paragraph(), caption, bold=True)
    rows = list(items)
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    _grid(table, (45, 15))
    for row, (label, count) in zip(table.rows, rows, strict=True):
        a, b = row.cells
        a.width = Mm(45)
        b.width = Mm(15)
        _run(a.paragraphs[0], label)
        _run(b.paragraphs[0], str(count))
        b.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _listed(doc: Any, items: Iterable[Any], bullet_style: str) -> None:
    for item in items:
        paragraph = doc.add_paragraph()
        paragraph._p.style = bullet_style
        _run(paragraph, f"{item.area_title}: {item.action}")
        _run(paragraph, f" ({item.detail})", italic=True)


def _grid(table: Table, widths_mm: Iterable[float]) -> None:
    """Column widths in the table grid, which LibreOffice follows (Word the cell widths)."""
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)


def _plan_table(doc: Any, view: ReportView, bullet_style: str) -> Table:
    cell_styles = _cell_styles(doc)
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    table.autofit = False
    _grid(table, COLUMNS_MM)
    header = table.rows[0]
    _repeat_as_header(header)
    for cell, title, width in zip(header.cells, HEADERS, COLUMNS_MM, strict=True):
        cell.width = Mm(width)
        _run(cell.paragraphs[0], title, bold=True)
        _set_cell_shading(cell, "E6E9ED")
    if not view.rows:
        cells = table.add_row().cells
        merged = cells[0].merge(cells[3])
        _run(merged.paragraphs[0], "Planen har inga åtgärder.", italic=True)
    for r in view.rows:
        cells = table.add_row().cells
        for cell, width in zip(cells, COLUMNS_MM, strict=True):
            cell.width = Mm(width)
        if r.kind == "section":
            merged = cells[0].merge(cells[3])
            _run(merged.paragraphs[0], r.area_title, bold=True)
            _set_cell_shading(merged, "F3F4F6")
            continue
        if r.first_of_area:
            _run(cells[0].paragraphs[0], r.area_title)
        if r.kind == "empty_area":
            merged = cells[1].merge(cells[3])
            _run(merged.paragraphs[0], "Inga åtgärder.", italic=True)
            continue
        if not r.first_of_area:
            _hide_top_border(cells[0])
        _fill(cells[1], r.action, bullet_style)
        if r.mark:
            # A withdrawn åtgärd: said in words under its text, as in the HTML and PDF.
            _run(cells[1].add_paragraph(), r.mark, bold=True)
        _fill(cells[2], r.tidsplan, bullet_style)
        if r.new_schedule:
            # A new klart-datum agreed on an escalation: under the tidsplan as written.
            _run(cells[2].add_paragraph(), r.new_schedule, bold=True)
        _processlage(cells[3], r, bullet_style, cell_styles)
    return table


def _deterministic_zip(data: bytes, when: datetime) -> bytes:
    """The same entries, in the same order, with a fixed timestamp instead of the clock's."""
    stamp = when.astimezone(UTC)
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=date_time)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def chart_png(chart: Chart, created: datetime) -> bytes:
    return run(
        "chart.typ",
        {"svg": str(render_chart_svg(chart))},
        fmt="png",
        timestamp=int(created.timestamp()),
    )


def _chart(doc: Any, view: ReportView, chart: Chart) -> None:
    """The progress chart as a picture with its text alternative, and its numbers."""
    doc.add_heading("Utveckling över tid", level=3)
    doc.add_picture(io.BytesIO(chart_png(chart, view.created)), width=Mm(170))
    # The picture's text alternative, for screen readers.
    doc.inline_shapes[-1]._inline.docPr.set("descr", strip_control(layout(chart).description))
    _paragraph(
        doc,
        "Antal åtgärder per läge vid varje återrapport"
        + (" (”Nu” är detta utkast)." if view.is_draft else "."),
    )
    table = doc.add_table(rows=1, cols=1 + len(chart.series))
    table.style = "Table Grid"
    table.autofit = False
    _grid(table, (40, *(26 for _ in chart.series)))
    for cell, title in zip(
        table.rows[0].cells, ["Återrapport", *(s.label for s in chart.series)], strict=True
    ):
        _run(cell.paragraphs[0], title, bold=True)
    for point in chart.points:
        cells = table.add_row().cells
        _run(cells[0].paragraphs[0], f"{point.label} ({point.sublabel})")
        for cell, n in zip(cells[1:], point.counts, strict=True):
            _run(cell.paragraphs[0], str(n))
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def render_docx(view: ReportView) -> bytes:
    doc = swedish_document()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    bullet_style = doc.styles["List Bullet"].style_id
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)

    head = section.header.paragraphs[0]
    # The template's Header style has centre and right tab stops for Letter paper; the date
    # goes to the right margin of A4.
    head.style.paragraph_format.tab_stops.clear_all()
    head.text = strip_control(view.heading + (f", Dnr {view.plan.dnr}" if view.plan.dnr else ""))
    head.paragraph_format.tab_stops.add_tab_stop(Mm(180), WD_TAB_ALIGNMENT.RIGHT)
    head.add_run(f"\t{view.date_text}")
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    foot.add_run("Sida ")
    _field(foot, "PAGE")
    foot.add_run(" av ")
    _field(foot, "NUMPAGES")

    doc.add_paragraph().add_run(strip_control(kicker(view))).font.size = Pt(9)
    doc.add_heading(strip_control(view.title), level=1)
    if view.meeting_line:
        _paragraph(doc, view.meeting_line)
    if view.decision_line:
        _paragraph(doc, view.decision_line)
    if view.is_draft:
        run = doc.add_paragraph().add_run("UTKAST – INTE GODKÄNT")
        run.bold = True
        run.font.color.rgb = RGBColor(0xB3, 0x26, 0x1E)
    for p in view.background:
        paragraph = _paragraph(doc, p.text)
        if p.bullet:
            paragraph._p.style = bullet_style

    doc.add_heading("Sammanfattning", level=2)
    noun = "åtgärd" if view.total == 1 else "åtgärder"
    _paragraph(doc, f"Läget {long_date(view.as_of)}: planen har {view.total} {noun}.")
    if view.next_report_line:
        _paragraph(doc, view.next_report_line)
    _counts_table(doc, "Per läge", ((c.label, c.count) for c in view.by_state))
    _counts_table(doc, "Mot tidsplanen", ((c.label, c.count) for c in view.by_timing))
    doc.add_heading("Försenade åtgärder", level=3)
    if view.late:
        _listed(doc, view.late, bullet_style)
    else:
        _paragraph(doc, "Inga åtgärder är försenade.")
    if view.chart is not None:
        _chart(doc, view, view.chart)

    doc.add_heading("Förändringar sedan förra återrapporten", level=2)
    _paragraph(doc, view.changes_intro)
    _listed(doc, view.changes, bullet_style)

    doc.add_heading("Åtgärder och processläge", level=2)
    _plan_table(doc, view, bullet_style)

    place_date = " ".join(p for p in (view.plan.ort, view.date_text) if p)
    return signed_and_saved(
        doc,
        lines=(place_date, signer(view), view.plan.forvaltning),
        issued_line=view.issued_line,
        meta=view.meta,
        created=view.created,
        keywords="återrapport",
    )


def signed_and_saved(
    doc: Any,
    *,
    lines: Sequence[str],
    issued_line: str,
    meta: Mapping[str, str],
    created: datetime,
    keywords: str,
) -> bytes:
    """The document's end (place and date, who signs, the förvaltning, the issue line in
    small print), its properties, and its bytes: the same for the same report every time."""
    doc.add_paragraph()
    for line in lines:
        if line:
            _paragraph(doc, line)
    issued = doc.add_paragraph().add_run(strip_control(issued_line))
    issued.font.size = Pt(8)
    props = doc.core_properties
    # An återrapport's Word title may differ from its PDF's (report._meta); other documents
    # have one title.
    props.title = meta.get("word_title", meta["title"])
    props.subject = meta["subject"]
    props.author = meta["author"]
    props.last_modified_by = meta["author"]
    props.comments = ""
    props.keywords = keywords
    props.revision = 1
    stamp = created.astimezone(UTC).replace(tzinfo=None)
    props.created = props.modified = props.last_printed = stamp
    buffer = io.BytesIO()
    doc.save(buffer)
    return _deterministic_zip(buffer.getvalue(), created)
