"""The follow-up of an internkontrollplan as HTML, PDF and DOCX: one view
(tracker.domain.control_report.compose_control), three formats with the same content.

The risk matrix is the same SVG in each: inline in the HTML, laid out by Typst in the PDF,
and drawn to a PNG by Typst for the DOCX (Word shows no SVG without a raster copy), each
followed by the same facts as tables for screen readers. The same snapshot gives the same
bytes, as for the återrapport (html.py, pdf.py and docx.py say how).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any

from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.shared import Mm, Pt, RGBColor
from markupsafe import Markup

from tracker.domain.control_report import ControlSnapshot, ControlView, compose_control
from tracker.domain.report import Para, strip_control
from tracker.domain.risk_matrix import RISK_ROW_HEADERS
from tracker.reports.docx import (
    ALERT,
    FONT,
    _field,
    _grid,
    _paragraph,
    _repeat_as_header,
    _run,
    _set_cell_shading,
    signed_and_saved,
    swedish_document,
)
from tracker.reports.html import blocks, environment
from tracker.reports.typst_compile import run


def _created(view: ControlView) -> str:
    return view.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decision_line(view: ControlView) -> str:
    return f"{view.control_plan.title}. {view.heading}. {view.period_line}."


# --- HTML ---------------------------------------------------------------------------------


def render_html(view: ControlView) -> str:
    return (
        environment()
        .get_template("internkontroll.html.j2")
        .render(
            v=view,
            running_head=view.running_head,
            created=_created(view),
            # Built by tracker.domain.risk_matrix from escaped text only, with no script.
            matrix_svg=Markup(view.matrix_svg),
            headers=RISK_ROW_HEADERS,
        )
    )


# --- PDF ----------------------------------------------------------------------------------


def _s(text: str) -> str:
    return strip_control(text)


def _blocks(paras: Iterable[Para]) -> list[dict[str, Any]]:
    return [{"bullet": b.bullet, "items": [_s(t) for t in b.items]} for b in blocks(paras)]


def pdf_data(view: ControlView) -> dict[str, Any]:
    """Everything the Typst template shows, as plain JSON values."""
    created = view.created.astimezone(UTC)
    return {
        "doc_title": _s(f"{view.title} – {view.heading} {view.date_text}"),
        "author": _s(view.meta["author"]),
        "subject": _s(view.meta["subject"]),
        "created": [
            created.year,
            created.month,
            created.day,
            created.hour,
            created.minute,
            created.second,
        ],
        "kicker": _s(view.kicker),
        "title": _s(view.title),
        "running_head": _s(view.running_head),
        "date_text": view.date_text,
        "decision_line": _s(_decision_line(view)),
        "is_draft": view.is_draft,
        "period_line": _s(view.period_line + "."),
        "next_report_line": _s(view.next_report_line),
        "summary": [{"label": c.label, "count": c.count} for c in view.summary],
        "assessment": _blocks(view.assessment),
        "assessment_by": _s(view.assessment_by),
        "matrix": {
            "svg": view.matrix_svg,
            "alt": _s(view.matrix_alt),
            "caption": view.matrix.caption,
            "corner": view.matrix.corner,
            "columns": list(view.matrix.columns),
            "rows": [
                {"heading": r.heading, "cells": [c.text for c in r.cells]} for r in view.matrix.rows
            ],
        },
        "legend_headers": list(RISK_ROW_HEADERS),
        "legend": [
            {
                "number": r.number,
                "name": _s(r.name),
                "likelihood": r.likelihood,
                "consequence": r.consequence,
                "value": r.value,
                "band": r.band,
            }
            for r in view.legend
        ],
        "processes": [
            {
                "name": _s(p.name),
                "points": [
                    {
                        "title": _s(f"Risk {point.risk_number}: {point.text}"),
                        "about": _s(_about(point.method, point.frequency_text, point.owner)),
                        "done": [
                            {
                                "done_on": r.done_on,
                                "detail": _s(_done_detail(r.due_on, r.reported_by)),
                                "result": _s(r.result),
                                "is_deviation": r.is_deviation,
                                "sample": _s(r.sample or "–"),
                                "method": _s(r.method or "–"),
                                "deviation": _s(r.deviation or "–"),
                                "assessment": _s(r.assessment),
                            }
                            for r in point.done
                        ],
                    }
                    for point in p.points
                ],
            }
            for p in view.processes
        ],
        "deviations": [
            {
                "control": _s(d.control),
                "found": d.found,
                "deviation": _s(d.deviation or "–"),
                "action": _s(d.action),
                "owner": _s(d.owner),
                "due_on": d.due_on,
                "state_label": _s(d.state_label),
                "late": d.late,
                "note": _s(d.note),
            }
            for d in view.deviations
        ],
        "not_done": [
            {
                "control": _s(n.control),
                "due_on": n.due_on,
                "owner": _s(n.owner),
                "why": _s(n.why),
                "late": n.late,
            }
            for n in view.not_done
        ],
        **_carried_data(view),
        "not_done_scope": _s(view.not_done_scope),
        "all_done_line": _s(view.all_done_line),
        "place_date": _s(view.place_date),
        "signer": _s(view.signer),
        "forvaltning": _s(view.plan.forvaltning),
        "issued_line": _s(view.issued_line),
    }


def _carried_data(view: ControlView) -> dict[str, Any]:
    """Earlier years' deviations, only when there are some: the data of a report archived
    before they were reported stays as it was."""
    if not view.carried:
        return {}
    return {
        "carried_line": _s(view.carried_line),
        "carried_closed_heading": _s(view.carried_closed_heading),
        "carried": [
            {
                "control": _s(f"{d.plan}: {d.control}"),
                "found": d.found,
                "deviation": _s(d.deviation or "–"),
                "action": _s(d.action),
                "owner": _s(d.owner),
                "due_on": d.due_on,
                "state_label": _s(d.state_label),
                "late": d.late,
                "closed": _s(d.closed),
                "note": _s(d.note),
            }
            for d in view.carried
        ],
    }


def _about(method: str, frequency: str, owner: str) -> str:
    return f"Metod enligt planen: {method or '–'}. Frekvens: {frequency or '–'}. Ansvarig: {owner}."


def _done_detail(due_on: str, reported_by: str) -> str:
    return f"skulle göras {due_on}" + (f", rapporterad av {reported_by}" if reported_by else "")


def render_pdf(view: ControlView) -> bytes:
    return run(
        "internkontroll.typ", pdf_data(view), fmt="pdf", timestamp=int(view.created.timestamp())
    )


# --- DOCX ---------------------------------------------------------------------------------


def matrix_png(view: ControlView) -> bytes:
    return run(
        "chart.typ", {"svg": view.matrix_svg}, fmt="png", timestamp=int(view.created.timestamp())
    )


def _table(
    doc: Any,
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    widths_mm: Sequence[float],
    *,
    alert_column: dict[int, set[int]] | None = None,
) -> None:
    """A grid table with a repeated header row; `alert_column` maps a row index to the
    columns drawn in the alert colour (a deviation, a late control)."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    _grid(table, widths_mm)
    header = table.rows[0]
    _repeat_as_header(header)
    for cell, title, width in zip(header.cells, headers, widths_mm, strict=True):
        cell.width = Mm(width)
        _run(cell.paragraphs[0], title, bold=True)
        _set_cell_shading(cell, "E6E9ED")
    for i, values in enumerate(rows):
        cells = table.add_row().cells
        marked = (alert_column or {}).get(i, set())
        for j, (cell, value, width) in enumerate(zip(cells, values, widths_mm, strict=True)):
            cell.width = Mm(width)
            lines = value.split("\n")
            for k, line in enumerate(lines):
                paragraph = cell.paragraphs[0] if k == 0 else cell.add_paragraph()
                if j in marked:
                    _run(paragraph, line, bold=True, colour=ALERT)
                else:
                    _run(paragraph, line)


def render_docx(view: ControlView) -> bytes:
    """The follow-up as a Word document, in the order of the other two formats."""
    doc = swedish_document()
    _page(doc, view)
    _docx_title(doc, view)
    _docx_summary(doc, view)
    _docx_assessment(doc, view)
    _docx_matrix(doc, view)
    _docx_controls_done(doc, view)
    _docx_deviations(doc, view)
    _docx_carried(doc, view)
    _docx_not_done(doc, view)
    return signed_and_saved(
        doc,
        lines=(view.place_date, view.signer, view.plan.forvaltning),
        issued_line=view.issued_line,
        meta=view.meta,
        created=view.created,
        keywords="internkontroll",
    )


def _page(doc: Any, view: ControlView) -> None:
    """A4 upright, the running head with the date on the right, "Sida N av M" below."""
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    head = section.header.paragraphs[0]
    head.style.paragraph_format.tab_stops.clear_all()
    head.text = strip_control(view.running_head)
    head.paragraph_format.tab_stops.add_tab_stop(Mm(180), WD_TAB_ALIGNMENT.RIGHT)
    head.add_run(f"\t{view.date_text}")
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    foot.add_run("Sida ")
    _field(foot, "PAGE")
    foot.add_run(" av ")
    _field(foot, "NUMPAGES")


def _docx_title(doc: Any, view: ControlView) -> None:
    doc.add_paragraph().add_run(strip_control(view.kicker)).font.size = Pt(9)
    doc.add_heading(strip_control(view.title), level=1)
    _paragraph(doc, _decision_line(view))
    if view.is_draft:
        run = doc.add_paragraph().add_run("UTKAST – INTE GODKÄNT")
        run.bold = True
        run.font.color.rgb = RGBColor(0xB3, 0x26, 0x1E)


def _docx_summary(doc: Any, view: ControlView) -> None:
    doc.add_heading("Sammanfattning", level=2)
    _paragraph(doc, view.period_line + ".")
    if view.next_report_line:
        _paragraph(doc, view.next_report_line)
    _table(
        doc,
        ("Kontroller och avvikelser under perioden", "Antal"),
        ((c.label, str(c.count)) for c in view.summary),
        (70, 20),
    )


def _docx_assessment(doc: Any, view: ControlView) -> None:
    doc.add_heading("Chefens samlade bedömning", level=2)
    if not view.assessment:
        _run(
            doc.add_paragraph(),
            "Den samlade bedömningen är inte skriven ännu.",
            bold=True,
            colour=ALERT,
        )
        return
    bullet_style = doc.styles["List Bullet"].style_id
    for p in view.assessment:
        paragraph = _paragraph(doc, p.text)
        if p.bullet:
            paragraph._p.style = bullet_style
    if view.assessment_by:
        _paragraph(doc, view.assessment_by)


def _docx_matrix(doc: Any, view: ControlView) -> None:
    """The matrix as a picture with its text alternative, then the same as two tables."""
    doc.add_heading("Riskmatris", level=2)
    doc.add_picture(io.BytesIO(matrix_png(view)), width=Mm(170))
    doc.inline_shapes[-1]._inline.docPr.set("descr", strip_control(view.matrix_alt))
    _paragraph(
        doc,
        "Risker i internkontrollplanen efter sannolikhet och konsekvens. Samma uppgifter står "
        "i tabellerna nedan.",
    )
    n = len(view.matrix.columns)
    _table(
        doc,
        (view.matrix.corner, *view.matrix.columns),
        ((r.heading, *(c.text for c in r.cells)) for r in view.matrix.rows),
        (36, *(144 / n for _ in range(n))),
    )
    _paragraph(doc)
    _table(
        doc,
        RISK_ROW_HEADERS,
        ((r.number, r.name, r.likelihood, r.consequence, r.value, r.band) for r in view.legend),
        (10, 60, 32, 32, 20, 26),
    )


def _docx_controls_done(doc: Any, view: ControlView) -> None:
    doc.add_heading("Genomförda kontroller per kontrollmoment", level=2)
    for process in view.processes:
        doc.add_heading(strip_control(process.name), level=3)
        for point in process.points:
            _run(doc.add_paragraph(), f"Risk {point.risk_number}: {point.text}", bold=True)
            _paragraph(doc, _about(point.method, point.frequency_text, point.owner))
            if not point.done:
                _paragraph(doc, "Inga kontroller genomförda under perioden.")
                continue
            _table(
                doc,
                ("Genomförd", "Resultat", "Urval", "Metod", "Avvikelse", "Chefens bedömning"),
                (
                    (
                        f"{r.done_on}\n{_done_detail(r.due_on, r.reported_by)}",
                        r.result,
                        r.sample or "–",
                        r.method or "–",
                        r.deviation or "–",
                        r.assessment,
                    )
                    for r in point.done
                ),
                (26, 24, 28, 28, 32, 42),
                alert_column={i: {1} for i, r in enumerate(point.done) if r.is_deviation},
            )


def _docx_deviations(doc: Any, view: ControlView) -> None:
    doc.add_heading("Avvikelser och åtgärder", level=2)
    if not view.deviations:
        _paragraph(doc, "Inga avvikelser under perioden.")
        return
    _table(
        doc,
        (
            "Kontroll",
            "Avvikelse",
            "Ansvarig",
            "Klart till",
            f"Läge {view.date_text}",
            "Processläge",
        ),
        (
            (
                f"{d.control}\navvikelse rapporterad {d.found}",
                (d.deviation or "–") + (f"\nÅtgärd: {d.action}" if d.action else ""),
                d.owner,
                d.due_on,
                d.state_label,
                d.note,
            )
            for d in view.deviations
        ),
        (36, 42, 24, 20, 22, 36),
        alert_column={i: {4} for i, d in enumerate(view.deviations) if d.late},
    )


def _docx_carried(doc: Any, view: ControlView) -> None:
    """Earlier years' deviations; nothing at all when there are none."""
    if not view.carried:
        return
    doc.add_heading("Avvikelser från tidigare år", level=2)
    _paragraph(doc, view.carried_line)
    _table(
        doc,
        (
            "Kontroll",
            "Avvikelse",
            "Ansvarig",
            "Klart till",
            f"Läge {view.date_text}",
            view.carried_closed_heading,
            "Processläge",
        ),
        (
            (
                f"{d.plan}: {d.control}\navvikelse rapporterad {d.found}",
                (d.deviation or "–") + (f"\nÅtgärd: {d.action}" if d.action else ""),
                d.owner,
                d.due_on,
                d.state_label,
                d.closed,
                d.note,
            )
            for d in view.carried
        ),
        (32, 36, 22, 18, 20, 20, 32),
        alert_column={i: {4} for i, d in enumerate(view.carried) if d.late},
    )


def _docx_not_done(doc: Any, view: ControlView) -> None:
    doc.add_heading("Kontroller som inte är gjorda", level=2)
    if view.not_done_scope:
        _paragraph(doc, view.not_done_scope)
    if not view.not_done:
        _paragraph(doc, view.all_done_line)
        return
    _table(
        doc,
        ("Kontrollmoment", "Skulle göras", "Ansvarig", "Varför"),
        ((x.control, x.due_on, x.owner, x.why) for x in view.not_done),
        (64, 24, 30, 62),
        alert_column={i: {3} for i, x in enumerate(view.not_done) if x.late},
    )


# --- All three ----------------------------------------------------------------------------


def render_control(snapshot: ControlSnapshot, formats: Iterable[str]) -> dict[str, bytes]:
    view = compose_control(snapshot)
    out: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "html":
            out[fmt] = render_html(view).encode("utf-8")
        elif fmt == "pdf":
            out[fmt] = render_pdf(view)
        else:
            out[fmt] = render_docx(view)
    return out
