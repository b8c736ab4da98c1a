""" "Uppföljning av granskning", the follow-up to the revisorer, as HTML, PDF (Typst) and DOCX,
from one tracker.domain.audit.AuditDoc: the same content in each, laid out like the
återrapport (tracker/reports/html.py, pdf.py, docx.py)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import cache
from typing import Any

from docx.shared import Pt, RGBColor
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import escape

from notifications import Attachment, OutgoingMessage
from tracker.domain.audit import AuditDoc, DocAction
from tracker.domain.report import strip_control
from tracker.reports.docx import swedish_document
from tracker.reports.html import TEMPLATES
from tracker.reports.typst_compile import run

ALERT = RGBColor(0xB3, 0x26, 0x1E)
# The documents carry no clock of their own: their metadata date is fixed, so the bytes
# depend only on what the document says.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _clean(value: object) -> object:
    return strip_control(value) if isinstance(value, str) else value


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_clean,
    )


def render_html(doc: AuditDoc) -> str:
    return _environment().get_template("audit.html.j2").render(d=doc)


def facts(doc: AuditDoc) -> list[tuple[str, str]]:
    found = [
        ("Granskning", doc.audit_title),
        ("Revisor", doc.auditor),
        ("Granskningsrapportens datum", doc.report_on),
        ("Dnr", doc.dnr),
        ("Nämnd", doc.namnd),
    ]
    return [(label, value) for label, value in found if value]


def action_facts(a: DocAction) -> list[str]:
    out = [f"Läge: {a.state}."]
    if a.late:
        out.append(f"Tidsplan: {a.late}.")
    if a.progress_on:
        out.append(f"Processläge skrivet: {a.progress_on}.")
    return out


def pdf_data(doc: AuditDoc) -> dict[str, Any]:
    s = strip_control
    return {
        "doc_title": s(f"{doc.title} – {doc.audit_title}"),
        "author": s(doc.forvaltning),
        "kicker": s(doc.heading_line),
        "title": s(doc.title),
        "intro": s(doc.intro),
        "running_head": s(doc.title + (f", Dnr {doc.dnr}" if doc.dnr else "")),
        "date_text": s(doc.date_text),
        "facts": [{"label": s(k), "value": s(v)} for k, v in facts(doc)],
        "recommendations": [
            {
                "number": r.number,
                "text": s(r.text),
                "response": s(r.response or "Inget yttrande är skrivet."),
                "status": s(r.status),
                "late": r.late,
                "column": s(r.column),
                "actions": [
                    {
                        "plan": s(a.plan),
                        "area": s(a.area),
                        "text": s(a.text),
                        "tidsplan": s(a.tidsplan),
                        "progress_note": s(a.progress_note),
                        "late": s(a.late),
                        "facts": [s(f) for f in action_facts(a)],
                    }
                    for a in r.actions
                ],
            }
            for r in doc.recommendations
        ],
        "place_date": s(doc.place_date),
        "signer": s(doc.signer),
        "forvaltning": s(doc.forvaltning),
        "issued_line": s(doc.issued_line),
    }


def render_pdf(doc: AuditDoc) -> bytes:
    return run("audit.typ", pdf_data(doc), fmt="pdf", timestamp=int(_EPOCH.timestamp()))


def render_docx(doc: AuditDoc) -> bytes:
    s = strip_control
    document = swedish_document()
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    kicker = document.add_paragraph().add_run(s(doc.heading_line))
    kicker.font.size = Pt(9)
    document.add_heading(s(doc.title), level=1)
    document.add_paragraph(s(doc.intro))
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in facts(doc):
        cells = table.add_row().cells
        cells[0].text = s(label)
        cells[1].text = s(value)
    for r in doc.recommendations:
        document.add_heading(f"Rekommendation {r.number}", level=2)
        document.add_paragraph(s(r.text))
        answer = document.add_paragraph()
        answer.add_run("Nämndens yttrande: ").bold = True
        answer.add_run(s(r.response or "Inget yttrande är skrivet."))
        status = document.add_paragraph().add_run(s(f"Status: {r.status}"))
        status.bold = True
        if r.late:
            status.font.color.rgb = ALERT
        if not r.actions:
            document.add_paragraph().add_run(
                "Inga åtgärder är kopplade till rekommendationen."
            ).italic = True
            continue
        grid = document.add_table(rows=1, cols=4)
        grid.style = "Table Grid"
        headers = ("Plan och utvecklingsområde", s(r.column), "Tidsplan", "Processläge")
        for cell, text in zip(grid.rows[0].cells, headers, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for a in r.actions:
            cells = grid.add_row().cells
            cells[0].text = s(f"{a.plan}\n{a.area}")
            cells[1].text = s(a.text)
            cells[2].text = s(a.tidsplan)
            cells[3].text = s(a.progress_note)
            line = cells[3].add_paragraph().add_run(s(" ".join(action_facts(a))))
            line.font.size = Pt(8)
            if a.late:
                line.font.color.rgb = ALERT
    document.add_paragraph()
    for text in (doc.place_date, doc.signer, doc.forvaltning):
        if text:
            document.add_paragraph(s(text))
    if doc.issued_line:
        document.add_paragraph().add_run(s(doc.issued_line)).font.size = Pt(8)
    props = document.core_properties
    props.title = s(f"{doc.title} – {doc.audit_title}")
    props.author = s(doc.forvaltning)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def auditor_message(
    to: str,
    doc: AuditDoc,
    number: int,
    attachments: tuple[Attachment, ...],
    reply_to: str = "",
) -> OutgoingMessage:
    """The issued follow-up to the revisorer, its PDF and DOCX attached; a reply goes to
    `reply_to`, whoever sent it, not to the product's own address."""
    dnr = f" (Dnr {doc.dnr})" if doc.dnr else ""
    paragraphs = [
        "Till revisorerna" + (f", {doc.auditor}" if doc.auditor else ""),
        f"Här kommer version {number} av uppföljningen av {doc.named_in_sentence}"
        f"{dnr}, med läget {doc.date_text}: varje rekommendation med nämndens yttrande och de "
        f"{doc.items} som svarar mot den.",
        "Dokumentet är bifogat som PDF och Word-dokument ("
        + ", ".join(a.filename for a in attachments)
        + ").",
        "Med vänlig hälsning\n" + "\n".join(x for x in (doc.signer, doc.forvaltning) if x),
    ]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs).replace("\n", "<br>")
    return OutgoingMessage(
        to=to,
        subject=f"{doc.title}, version {number}: {doc.audit_title}{dnr}",
        text="\n\n".join(paragraphs) + "\n",
        html=f'<!DOCTYPE html><html lang="sv"><body>{body}</body></html>',
        attachments=attachments,
        reply_to=reply_to,
    )
