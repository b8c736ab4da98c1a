"""The återrapport as PDF: WeasyPrint lays out the HTML rendering.

Deterministic: the creation and modification dates come from the snapshot (the <meta
dcterms.*> tags), and no file identifier is written, so the same snapshot gives the same
bytes.
"""

from __future__ import annotations

from tracker.domain.report import ReportView
from tracker.reports.html import render_html


def render_pdf(view: ReportView, html: str | None = None) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which commands that never make a PDF
    # should not pay for.
    from weasyprint import HTML

    document = HTML(string=html if html is not None else render_html(view), base_url=None)
    data = document.write_pdf(pdf_identifier=False)
    assert isinstance(data, bytes)
    return data
