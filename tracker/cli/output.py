"""Plain-text tables and JSON for the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, full_last: bool = False
) -> None:
    """Columns padded to their widest cell, long cells cut; with `full_last` the last column
    is written whole (a history's texts are what it is read for)."""
    cells = [[_cell(v) for v in row] for row in rows]
    if full_last:
        cells = [
            [*row[:-1], " ".join(str(raw[-1] or "–").split())]
            for row, raw in zip(cells, rows, strict=True)
        ]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    if full_last:
        widths[-1] = 0  # nothing comes after it to line up
    typer.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: object) -> str:
    if value is None:
        return "–"
    text = " ".join(str(value).split())
    return text if len(text) <= 60 else text[:59] + "…"


def as_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
