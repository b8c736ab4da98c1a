"""The risk matrix as a picture (SVG) and as a table, from a scale and the placed risks.

Konsekvens runs along the x axis (1 at the left) and sannolikhet up the y axis (the highest
at the top), as in SKR's model. Each cell shows its risk value and band label; each risk is
a numbered marker in its cell, and `risk_rows` is the legend that maps numbers to names.

The SVG is for the HTML and PDF återrapport alike, so it stands alone: no script, no
stylesheet, no external reference, fonts by generic family only. It is accessible
(`role="img"`, Swedish `<title>` and `<desc>` naming every risk), and the same facts are
given as a table by `matrix_table`, because a picture alone is not enough for a screen
reader or for someone who cannot tell the colours apart. The output depends only on the
input, byte for byte, so an archived report can be compared with a new rendering.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from tracker.domain.risk import Band, OutOfScale, RiskScale

# Sizes in SVG user units (px at 96 dpi). A marker number of 13 px prints at about 10 pt
# when the picture is printed at its natural width (a little under A4's text width).
CELL_WIDTH = 120
MIN_CELL_HEIGHT = 96
CELL_TEXT_HEIGHT = 44
MARKER_RADIUS = 12
MARKER_STEP = 28
MARKER_FONT = 13
LABEL_FONT = 12
# Generous width per character of a 12 px sans-serif label, so long labels are not clipped.
CHAR_WIDTH = 7
MARGIN = 12
AXIS_TITLE = 24

# Characters XML 1.0 does not allow even escaped; a pasted name may carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ID = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class PlacedRisk:
    """A risk of the plan, with the number its marker carries in the matrix."""

    number: int
    name: str
    likelihood: int
    consequence: int


@dataclass(frozen=True)
class MatrixCell:
    """One cell: its levels, value, band and the numbers of the risks in it."""

    likelihood: int
    consequence: int
    value: int
    band: Band
    risks: tuple[int, ...]

    @property
    def text(self) -> str:
        """What the cell says in a table: "6 Medel: risk 2, 5"."""
        head = f"{self.value} {self.band.label}"
        if not self.risks:
            return head
        word = "risk" if len(self.risks) == 1 else "risker"
        return f"{head}: {word} {', '.join(str(n) for n in self.risks)}"


@dataclass(frozen=True)
class MatrixRow:
    """One sannolikhet level, highest first as in the picture; `heading` is its row header."""

    heading: str
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True)
class MatrixTable:
    """The matrix as a table: `columns` are the konsekvens headers (the first, empty corner
    cell's text is `corner`), `rows` the sannolikhet levels from the highest."""

    caption: str
    corner: str
    columns: tuple[str, ...]
    rows: tuple[MatrixRow, ...]


@dataclass(frozen=True)
class RiskRow:
    """One line of the legend: a risk with its levels, value and band, as text."""

    number: str
    name: str
    likelihood: str
    consequence: str
    value: str
    band: str


RISK_ROW_HEADERS = ("Nr", "Risk", "Sannolikhet", "Konsekvens", "Riskvärde", "Risknivå")


def _checked(scale: RiskScale, risks: Sequence[PlacedRisk]) -> list[PlacedRisk]:
    seen: set[int] = set()
    for risk in risks:
        if isinstance(risk.number, bool) or not isinstance(risk.number, int) or risk.number < 1:
            raise OutOfScale(
                f"Risken {risk.name!r} ska ha ett nummer från 1, inte {risk.number!r}."
            )
        if risk.number in seen:
            raise OutOfScale(f"Två risker har numret {risk.number}.")
        seen.add(risk.number)
        try:
            scale.risk_value(risk.likelihood, risk.consequence)
        except OutOfScale as exc:
            raise OutOfScale(f"Risk {risk.number} ({risk.name}): {exc.message}") from exc
    # Sorted by number, so markers and lists read in order whatever order they came in.
    return sorted(risks, key=lambda r: r.number)


def _by_cell(risks: Sequence[PlacedRisk]) -> dict[tuple[int, int], list[PlacedRisk]]:
    cells: dict[tuple[int, int], list[PlacedRisk]] = {}
    for risk in risks:
        cells.setdefault((risk.likelihood, risk.consequence), []).append(risk)
    return cells


def _axis_label(level: int, label: str) -> str:
    return f"{level} {label}"


def _text(value: str) -> str:
    """Text for XML content or an attribute value: control characters gone, <&"' escaped."""
    return escape(_NOT_XML.sub("", value), quote=True)


def _summary(scale: RiskScale, risks: Sequence[PlacedRisk]) -> str:
    n = scale.levels
    lines = [
        f"Riskmatris med konsekvens 1–{n} på den vågräta axeln och sannolikhet 1–{n} på den "
        "lodräta, den högsta överst. Varje ruta visar riskvärdet (sannolikhet gånger "
        "konsekvens) och risknivån."
    ]
    if not risks:
        lines.append("Inga risker är placerade.")
    else:
        lines.append(
            "1 risk är placerad:" if len(risks) == 1 else f"{len(risks)} risker är placerade:"
        )
        for risk in risks:
            value = scale.risk_value(risk.likelihood, risk.consequence)
            lines.append(
                f"{risk.number}. {risk.name}: sannolikhet {risk.likelihood} "
                f"({scale.likelihood_label(risk.likelihood)}), konsekvens {risk.consequence} "
                f"({scale.consequence_label(risk.consequence)}), riskvärde {value}, "
                f"{scale.band_of(value).label}."
            )
    return " ".join(lines)


def matrix_svg(
    scale: RiskScale, risks: Sequence[PlacedRisk], *, id_prefix: str = "riskmatris"
) -> str:
    """The matrix as a standalone SVG document (a string, no XML declaration).

    `id_prefix` makes the ids of <title> and <desc> unique when a page shows more than one
    matrix. OutOfScale if a risk lies outside the scale or two share a number.
    """
    if not _ID.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must match {_ID.pattern}: {id_prefix!r}")
    placed = _checked(scale, risks)
    cells = _by_cell(placed)
    n = scale.levels

    # The tallest cell decides the height of every row, so all cells stay the same size.
    per_row = (CELL_WIDTH - 8) // MARKER_STEP
    most = max((len(group) for group in cells.values()), default=0)
    marker_rows = -(-most // per_row)
    cell_height = max(MIN_CELL_HEIGHT, CELL_TEXT_HEIGHT + marker_rows * MARKER_STEP + 8)

    row_labels = [_axis_label(level, scale.likelihood[level - 1]) for level in range(1, n + 1)]
    left = MARGIN + AXIS_TITLE + CHAR_WIDTH * max(len(label) for label in row_labels) + 8
    top = MARGIN
    grid_width = n * CELL_WIDTH
    grid_height = n * cell_height
    width = left + grid_width + MARGIN
    height = top + grid_height + 8 + LABEL_FONT + 8 + AXIS_TITLE + MARGIN
    title_id, desc_id = f"{id_prefix}-titel", f"{id_prefix}-beskrivning"

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" lang="sv" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{title_id} {desc_id}" font-family="sans-serif">',
        f'<title id="{title_id}">Riskmatris: sannolikhet och konsekvens</title>',
        f'<desc id="{desc_id}">{_text(_summary(scale, placed))}</desc>',
    ]

    for likelihood in range(n, 0, -1):
        y = top + (n - likelihood) * cell_height
        out.append(
            f'<text class="axis" x="{left - 8}" y="{y + cell_height // 2 + 4}" '
            f'text-anchor="end" font-size="{LABEL_FONT}" fill="#000000">'
            f"{_text(row_labels[likelihood - 1])}</text>"
        )
        for consequence in range(1, n + 1):
            x = left + (consequence - 1) * CELL_WIDTH
            value = likelihood * consequence
            band = scale.band_of(value)
            out.append(
                f'<g class="cell" data-sannolikhet="{likelihood}" '
                f'data-konsekvens="{consequence}">'
                f'<rect x="{x}" y="{y}" width="{CELL_WIDTH}" height="{cell_height}" '
                f'fill="{band.colour}" stroke="#ffffff" stroke-width="2"/>'
                f'<text class="cell" x="{x + 8}" y="{y + 20}" fill="{band.text_colour}">'
                f'<tspan font-size="16" font-weight="bold">{value}</tspan>'
                f'<tspan x="{x + 8}" dy="16" font-size="{LABEL_FONT}">{_text(band.label)}</tspan>'
                "</text>"
            )
            for index, risk in enumerate(cells.get((likelihood, consequence), [])):
                cx = x + 8 + MARKER_RADIUS + (index % per_row) * MARKER_STEP
                cy = y + CELL_TEXT_HEIGHT + MARKER_RADIUS + (index // per_row) * MARKER_STEP
                # White disc, black ring and number: readable on every band colour.
                out.append(
                    f'<g class="marker"><title>{_text(f"{risk.number}. {risk.name}")}</title>'
                    f'<circle cx="{cx}" cy="{cy}" r="{MARKER_RADIUS}" fill="#ffffff" '
                    f'stroke="#000000" stroke-width="1.5"/>'
                    f'<text class="marker" x="{cx}" y="{cy + MARKER_FONT // 2 - 1}" '
                    f'text-anchor="middle" font-size="{MARKER_FONT}" font-weight="bold" '
                    f'fill="#000000">{risk.number}</text></g>'
                )
            out.append("</g>")

    label_y = top + grid_height + 8 + LABEL_FONT
    for consequence in range(1, n + 1):
        cx = left + (consequence - 1) * CELL_WIDTH + CELL_WIDTH // 2
        label = _axis_label(consequence, scale.consequence[consequence - 1])
        out.append(
            f'<text class="axis" x="{cx}" y="{label_y}" text-anchor="middle" '
            f'font-size="{LABEL_FONT}" fill="#000000">{_text(label)}</text>'
        )
    out.append(
        f'<text class="axis-title" x="{left + grid_width // 2}" y="{label_y + 8 + AXIS_TITLE - 6}" '
        f'text-anchor="middle" font-size="14" font-weight="bold" fill="#000000">Konsekvens</text>'
    )
    mid_y = top + grid_height // 2
    out.append(
        f'<text class="axis-title" x="{MARGIN + 14}" y="{mid_y}" text-anchor="middle" '
        f'font-size="14" font-weight="bold" fill="#000000" '
        f'transform="rotate(-90 {MARGIN + 14} {mid_y})">Sannolikhet</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def matrix_table(scale: RiskScale, risks: Sequence[PlacedRisk]) -> MatrixTable:
    """The same facts as `matrix_svg`, as a table: a row per sannolikhet (highest first), a
    column per konsekvens, each cell with its value, band and risk numbers."""
    placed = _checked(scale, risks)
    cells = _by_cell(placed)
    n = scale.levels
    rows = []
    for likelihood in range(n, 0, -1):
        row_cells = []
        for consequence in range(1, n + 1):
            value = likelihood * consequence
            numbers = tuple(r.number for r in cells.get((likelihood, consequence), []))
            row_cells.append(
                MatrixCell(likelihood, consequence, value, scale.band_of(value), numbers)
            )
        rows.append(
            MatrixRow(_axis_label(likelihood, scale.likelihood[likelihood - 1]), tuple(row_cells))
        )
    return MatrixTable(
        caption="Riskmatris: riskvärde (sannolikhet × konsekvens), risknivå och riskernas nummer",
        corner="Sannolikhet / konsekvens",
        columns=tuple(_axis_label(k, scale.consequence[k - 1]) for k in range(1, n + 1)),
        rows=tuple(rows),
    )


def risk_rows(scale: RiskScale, risks: Sequence[PlacedRisk]) -> list[RiskRow]:
    """The legend under the matrix, one row per risk in number order; headers in
    `RISK_ROW_HEADERS`."""
    out = []
    for risk in _checked(scale, risks):
        value = scale.risk_value(risk.likelihood, risk.consequence)
        out.append(
            RiskRow(
                number=str(risk.number),
                name=risk.name,
                likelihood=_axis_label(risk.likelihood, scale.likelihood_label(risk.likelihood)),
                consequence=_axis_label(
                    risk.consequence, scale.consequence_label(risk.consequence)
                ),
                value=str(value),
                band=scale.band_of(value).label,
            )
        )
    return out
