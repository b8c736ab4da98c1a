"""The återrapport as one self-contained HTML file (print CSS included), from Jinja templates.

The PDF (pdf.py) lays out the same view with the same look; this file's CSS is the reference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from notifications.swedish import long_date
from tracker.domain.report import Chart, Para, ReportView, Row, strip_control
from tracker.reports.chart import layout

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Block:
    bullet: bool
    items: tuple[str, ...]


def blocks(paras: Iterable[Para]) -> list[Block]:
    """Consecutive bullet paragraphs make one list."""
    out: list[Block] = []
    for p in paras:
        if p.bullet and out and out[-1].bullet:
            out[-1] = Block(True, (*out[-1].items, p.text))
        else:
            out.append(Block(p.bullet, (p.text,)))
    return out


def css_string(value: str) -> Markup:
    """A CSS string literal that cannot end the string or the <style> element."""
    escaped = []
    for ch in str(value):
        if ch in '"\\<>&' or ord(ch) < 0x20:
            escaped.append(f"\\{ord(ch):x} ")
        else:
            escaped.append(ch)
    return Markup('"' + "".join(escaped) + '"')


# A row with more text than this in one cell may not fit on a page; it is let break across
# pages rather than pushed to the next one (which leaves a page empty and still breaks).
LONG_CELL_CHARS = 1200


def is_long(row: Row) -> bool:
    return any(
        sum(len(p.text) for p in cell) > LONG_CELL_CHARS
        for cell in (row.action, row.tidsplan, row.note)
    )


def _finalize(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, Markup):
        return strip_control(value)
    return value


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["blocks"] = blocks
    env.filters["css_string"] = css_string
    env.tests["long"] = is_long
    return env


def kicker(view: ReportView) -> str:
    parts = [view.plan.forvaltning, view.plan.namnd, f"{view.heading} {view.date_text}"]
    if view.plan.dnr:
        parts.append(f"Dnr {view.plan.dnr}")
    return " · ".join(p for p in parts if p)


def signer(view: ReportView) -> str:
    return ", ".join(p for p in (view.plan.signatory_name, view.plan.signatory_title) if p)


def render_chart_svg(chart: Chart) -> Markup:
    return Markup(environment().get_template("chart.svg.j2").render(g=layout(chart)))


def render_html(view: ReportView) -> str:
    running_head = view.heading + (f", Dnr {view.plan.dnr}" if view.plan.dnr else "")
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            v=view,
            kicker=kicker(view),
            signer=signer(view),
            place_date=" ".join(p for p in (view.plan.ort, view.date_text) if p),
            long_date=long_date(view.as_of),
            running_head=running_head,
            created=view.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            chart_svg=render_chart_svg(view.chart) if view.chart else Markup(""),
        )
    )
