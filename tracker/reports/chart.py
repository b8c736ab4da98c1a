"""The progress chart's geometry: stacked bars of åtgärder per state at each återrapport.

Pure arithmetic on the view; the SVG itself is written by templates/chart.svg.j2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tracker.domain.report import Chart

# Grey for not started, amber for ongoing, blue for done, green for evaluated; further states
# of other workflows get the rest. Distinguishable in greyscale print too.
PALETTE = ("#9aa3ae", "#e8a33d", "#3a78b5", "#2f8a4c", "#8b5fb0", "#c7533a", "#5a5a5a")

WIDTH = 680
HEIGHT = 270
LEFT = 44
RIGHT = 12
TOP = 14
BASELINE = 196
MIN_LABEL_SLOT = 46.0


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    colour: str
    count: int
    label: str
    show_count: bool


@dataclass(frozen=True)
class Bar:
    segments: tuple[Segment, ...]
    centre: float
    label: str
    sublabel: str
    show_label: bool
    total: int
    current: bool
    top: float


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class LegendItem:
    x: float
    colour: str
    label: str


@dataclass(frozen=True)
class ChartGeometry:
    width: int
    height: int
    left: int
    right: int
    baseline: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    legend: tuple[LegendItem, ...]
    legend_y: int
    description: str


def _step(top: int) -> int:
    """A round tick step giving about four ticks."""
    raw = max(top / 4, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * magnitude >= raw:
            return int(m * magnitude)
    return int(10 * magnitude)


def layout(chart: Chart) -> ChartGeometry:
    n = max(len(chart.points), 1)
    totals = [sum(p.counts) for p in chart.points]
    step = _step(max([*totals, 1]))
    top_value = max(step * math.ceil(max([*totals, 1]) / step), step)
    plot_h = BASELINE - TOP
    scale = plot_h / top_value
    slot = (WIDTH - LEFT - RIGHT) / n
    bar_w = min(56.0, slot * 0.62)
    every = max(1, math.ceil(MIN_LABEL_SLOT / slot))
    bars: list[Bar] = []
    for i, point in enumerate(chart.points):
        centre = LEFT + slot * (i + 0.5)
        x = centre - bar_w / 2
        y = float(BASELINE)
        segments: list[Segment] = []
        for j, count in enumerate(point.counts):
            if count <= 0:
                continue
            h = count * scale
            y -= h
            segments.append(
                Segment(
                    x=round(x, 2),
                    y=round(y, 2),
                    width=round(bar_w, 2),
                    height=round(h, 2),
                    colour=PALETTE[j % len(PALETTE)],
                    count=count,
                    label=chart.series[j].label,
                    # A number is written in its segment only where it fits.
                    show_count=h >= 11 and bar_w >= 6 + 5.2 * len(str(count)),
                )
            )
        # The current report always gets its label; others as space allows, counted back
        # from it.
        show = point.current or (n - 1 - i) % every == 0
        bars.append(
            Bar(
                segments=tuple(segments),
                centre=round(centre, 2),
                label=point.label,
                sublabel=point.sublabel,
                show_label=show,
                total=sum(point.counts),
                current=point.current,
                top=round(y, 2),
            )
        )
    ticks = tuple(
        Tick(y=round(BASELINE - v * scale, 2), value=v) for v in range(0, top_value + 1, step)
    )
    legend: list[LegendItem] = []
    x = float(LEFT)
    for j, s in enumerate(chart.series):
        legend.append(LegendItem(x=round(x, 2), colour=PALETTE[j % len(PALETTE)], label=s.label))
        x += 26 + 7.0 * len(s.label)
    description = "; ".join(
        f"{p.label} ({p.sublabel}): "
        + ", ".join(f"{s.label} {c}" for s, c in zip(chart.series, p.counts, strict=True))
        for p in chart.points
    )
    return ChartGeometry(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        baseline=BASELINE,
        bars=tuple(bars),
        ticks=ticks,
        legend=tuple(legend),
        legend_y=HEIGHT - 20,
        description=description,
    )
