"""The återrapport as PDF: Typst lays out the same view as the HTML and the DOCX.

Why Typst and not the HTML through WeasyPrint: WeasyPrint laid out about ten pages a second on
this hardware, so a 2,000-åtgärd plan took 47 s; Typst does it in a few seconds
(docs/architecture.md has the figures). The compile runs in a child process
(typst_compile.py says why).

The view goes to the template as JSON data, never spliced into Typst markup: a text with
# [ ] $ * _ < > & or quotes in it is shown as written and cannot run as code.

Deterministic and host-independent: only the bundled fonts are used (typst_compile.py), and
the document date comes from the snapshot. The same snapshot gives the same bytes, which is
what lets an issued report be verified by rendering it again.

The PDF is tagged (headings, table structure, language sv) and written to PDF/A-2a and
PDF/UA-1: a public record that is archived, and that must be accessible.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any

from notifications.swedish import long_date
from tracker.domain.report import Chart, ListedAction, Para, ReportView, Row, strip_control
from tracker.reports.chart import layout
from tracker.reports.html import blocks, is_long, kicker, render_chart_svg, signer
from tracker.reports.typst_compile import run


def _blocks(paras: Iterable[Para]) -> list[dict[str, Any]]:
    return [
        {"bullet": b.bullet, "items": [strip_control(t) for t in b.items]} for b in blocks(paras)
    ]


def _listed(items: Iterable[ListedAction]) -> list[dict[str, str]]:
    return [
        {
            "area": strip_control(i.area_title),
            "action": strip_control(i.action),
            "detail": strip_control(i.detail),
        }
        for i in items
    ]


def _row(row: Row) -> dict[str, Any]:
    if row.kind != "action":
        return {"kind": row.kind, "area": strip_control(row.area_title)}
    return {
        "kind": "action",
        "area": strip_control(row.area_title),
        "first": row.first_of_area,
        "long": is_long(row),
        "action": _blocks(row.action),
        "tidsplan": _blocks(row.tidsplan),
        "new_schedule": strip_control(row.new_schedule),
        "note": _blocks(row.note),
        "note_line": strip_control(row.note_line),
        "facts": [
            {"label": strip_control(f.label), "value": strip_control(f.value)} for f in row.facts
        ],
        "late": row.timing is not None and row.timing.is_late,
        "mark": strip_control(row.mark),
        "evaluation": [
            {"lead": strip_control(d.lead), "value": strip_control(d.value)} for d in row.evaluation
        ],
    }


def _chart(chart: Chart | None, is_draft: bool) -> dict[str, Any] | None:
    if chart is None:
        return None
    return {
        "svg": str(render_chart_svg(chart)),
        "alt": strip_control(layout(chart).description),
        "caption": "Antal åtgärder per läge vid varje återrapport"
        + (" (”Nu” är detta utkast)" if is_draft else "")
        + ".",
        "series": [strip_control(s.label) for s in chart.series],
        "points": [
            {"label": strip_control(f"{p.label} ({p.sublabel})"), "counts": list(p.counts)}
            for p in chart.points
        ],
    }


def pdf_data(view: ReportView) -> dict[str, Any]:
    """Everything the template shows, as plain JSON values."""
    created = view.created.astimezone(UTC)
    plan = view.plan
    return {
        "title": strip_control(view.title),
        "doc_title": strip_control(view.meta["title"]),
        "author": strip_control(view.meta.get("author", "")),
        "subject": strip_control(view.meta.get("subject", "")),
        "created": [
            created.year,
            created.month,
            created.day,
            created.hour,
            created.minute,
            created.second,
        ],
        "kicker": strip_control(kicker(view)),
        "running_head": strip_control(view.heading + (f", Dnr {plan.dnr}" if plan.dnr else "")),
        "date_text": strip_control(view.date_text),
        "decision_line": strip_control(view.decision_line),
        "meeting_line": strip_control(view.meeting_line),
        "is_draft": view.is_draft,
        "background": _blocks(view.background),
        "summary_line": strip_control(
            f"Läget {long_date(view.as_of)}: planen har {view.total} "
            + ("åtgärd" if view.total == 1 else "åtgärder")
            + "."
        ),
        "by_state": [{"label": strip_control(c.label), "count": c.count} for c in view.by_state],
        "next_report_line": strip_control(view.next_report_line),
        "by_timing": [{"label": strip_control(c.label), "count": c.count} for c in view.by_timing],
        "late": _listed(view.late),
        "chart": _chart(view.chart, view.is_draft),
        "changes_intro": strip_control(view.changes_intro),
        "changes": _listed(view.changes),
        "rows": [_row(r) for r in view.rows],
        "place_date": strip_control(" ".join(p for p in (plan.ort, view.date_text) if p)),
        "signer": strip_control(signer(view)),
        "forvaltning": strip_control(plan.forvaltning),
        "issued_line": strip_control(view.issued_line),
    }


def render_pdf(view: ReportView) -> bytes:
    return run("report.typ", pdf_data(view), fmt="pdf", timestamp=int(view.created.timestamp()))
