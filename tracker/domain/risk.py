"""The risk scale of an internkontrollplan: sannolikhet × konsekvens, and the colour bands.

By default both axes run 1–4 with the labels of SKR's model, which most municipalities use,
and the risk value (sannolikhet × konsekvens) falls in one of four bands:

| värde | nivå | färg |
| --- | --- | --- |
| 1–3 | Låg | grön |
| 4–6 | Medel | gul |
| 7–9 | Hög | orange |
| 10–16 | Mycket hög | röd |

(7, 10 and 11 are not products of two levels, so the bands read 1–3, 4–6, 8–9 and 12–16 in
the matrix.) A municipality with another model configures it as a TOML table, which arrives
here as a plain dict:

```toml
[risk]
levels = 5
likelihood = ["Mycket osannolik", "Osannolik", "Möjlig", "Sannolik", "Mycket sannolik"]
consequence = ["Försumbar", "Lindrig", "Kännbar", "Allvarlig", "Mycket allvarlig"]
bands = [
  { upto = 4, label = "Låg", colour = "#2e7d32" },
  { upto = 9, label = "Medel", colour = "#fdd835" },
  { upto = 16, label = "Hög", colour = "#ef6c00" },
  { upto = 25, label = "Mycket hög", colour = "#c62828" },
]
```

Every key may be left out and then takes the default. A band's text colour is chosen by
computing WCAG 2 contrast ratios (black or white, whichever is higher), so a municipality
only picks the background; a `text_colour` given in the file is checked instead, and refused
below 4.5:1 (WCAG AA for normal text). Wrong input is refused with a Swedish message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracker.errors import TrackerError

# WCAG 2.x success criterion 1.4.3 (AA) for text below 18pt.
MIN_CONTRAST = 4.5

# A matrix larger than 10 × 10 is no longer a picture anyone reads; below 2 it is not a matrix.
MIN_LEVELS = 2
MAX_LEVELS = 10

BLACK = "#000000"
WHITE = "#ffffff"

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_KEYS = frozenset({"levels", "likelihood", "consequence", "bands"})
_BAND_KEYS = frozenset({"upto", "label", "colour", "text_colour"})


class RiskScaleError(TrackerError):
    """A risk scale (configuration) that cannot be used; nothing was changed."""


class OutOfScale(TrackerError):
    """A sannolikhet, konsekvens or risk value outside the scale."""


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour (0 for black, 1 for white)."""
    if not _COLOUR.fullmatch(colour):
        raise RiskScaleError(f"Färgen {colour!r} ska skrivas #rrggbb, till exempel #2e7d32.")
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        # The sRGB transfer function, with the thresholds WCAG uses.
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours, from 1 (same) to 21 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    light, dark = max(la, lb), min(la, lb)
    return (light + 0.05) / (dark + 0.05)


def readable_text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with `background`.

    For any background one of the two reaches at least about 4.58:1, so AA always holds;
    the check is still made, so a change here cannot slip below it unnoticed.
    """
    best = max((BLACK, WHITE), key=lambda text: contrast_ratio(text, background))
    if contrast_ratio(best, background) < MIN_CONTRAST:  # pragma: no cover - see docstring
        raise RiskScaleError(f"Ingen textfärg blir läsbar på {background}.")
    return best


@dataclass(frozen=True)
class Band:
    """Risk values `start`..`upto` (inclusive): a level such as "Medel" and its colours."""

    start: int
    upto: int
    label: str
    colour: str
    text_colour: str

    @property
    def contrast(self) -> float:
        return contrast_ratio(self.text_colour, self.colour)

    def contains(self, value: int) -> bool:
        return self.start <= value <= self.upto


@dataclass(frozen=True)
class RiskScale:
    """Levels 1..`levels` on both axes, their labels (index 0 is level 1), and the bands.

    Build one with `from_dict` (validated) or use `DEFAULT_SCALE`; the constructor itself
    trusts its arguments.
    """

    levels: int
    likelihood: tuple[str, ...]
    consequence: tuple[str, ...]
    bands: tuple[Band, ...]

    @property
    def max_value(self) -> int:
        return self.levels * self.levels

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskScale:
        """A scale from a TOML table such as `[risk]`; every key left out takes the default."""
        if not isinstance(data, Mapping):
            raise RiskScaleError("Riskskalan ska vara en tabell, till exempel [risk].")
        unknown = sorted(str(key) for key in data if key not in _KEYS)
        if unknown:
            raise RiskScaleError(
                f"Okänd nyckel i riskskalan: {', '.join(unknown)}. "
                f"Tillåtna är {', '.join(sorted(_KEYS))}."
            )
        levels = data.get("levels", DEFAULT_LEVELS)
        # bool is an int in Python, but `levels = true` is a mistake, not 1.
        if isinstance(levels, bool) or not isinstance(levels, int):
            raise RiskScaleError(f"Antalet nivåer (levels) ska vara ett heltal, inte {levels!r}.")
        if not MIN_LEVELS <= levels <= MAX_LEVELS:
            raise RiskScaleError(
                f"Antalet nivåer (levels) ska vara mellan {MIN_LEVELS} och {MAX_LEVELS}, "
                f"inte {levels}."
            )
        likelihood = _labels(data.get("likelihood", DEFAULT_LIKELIHOOD), "sannolikhet", levels)
        consequence = _labels(data.get("consequence", DEFAULT_CONSEQUENCE), "konsekvens", levels)
        bands = _bands(data.get("bands", DEFAULT_BANDS), levels * levels)
        return cls(levels, likelihood, consequence, bands)

    def check_level(self, level: object, axis: str) -> int:
        """`level` if it is a level of this scale; OutOfScale naming the axis otherwise."""
        if isinstance(level, bool) or not isinstance(level, int):
            raise OutOfScale(f"{axis.capitalize()} ska vara ett heltal, inte {level!r}.")
        if not 1 <= level <= self.levels:
            raise OutOfScale(
                f"{axis.capitalize()} ska vara mellan 1 och {self.levels}, inte {level}."
            )
        return level

    def risk_value(self, likelihood: int, consequence: int) -> int:
        """Sannolikhet × konsekvens, after checking both are on the scale."""
        return self.check_level(likelihood, "sannolikhet") * self.check_level(
            consequence, "konsekvens"
        )

    def band_of(self, value: int) -> Band:
        """The band of a risk value 1..levels²."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise OutOfScale(f"Riskvärdet ska vara ett heltal, inte {value!r}.")
        for band in self.bands:
            if band.contains(value):
                return band
        raise OutOfScale(f"Riskvärdet ska vara mellan 1 och {self.max_value}, inte {value}.")

    def to_dict(self) -> dict[str, Any]:
        """The scale as the table from_dict reads: what a plan and a report keep of the scale
        they were assessed and drawn on."""
        return {
            "levels": self.levels,
            "likelihood": list(self.likelihood),
            "consequence": list(self.consequence),
            "bands": [
                {"upto": b.upto, "label": b.label, "colour": b.colour, "text_colour": b.text_colour}
                for b in self.bands
            ],
        }

    def likelihood_label(self, level: int) -> str:
        return self.likelihood[self.check_level(level, "sannolikhet") - 1]

    def consequence_label(self, level: int) -> str:
        return self.consequence[self.check_level(level, "konsekvens") - 1]


def _labels(value: object, axis: str, levels: int) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise RiskScaleError(f"Etiketterna för {axis} ska vara en lista med texter.")
    labels = tuple(value)
    if len(labels) != levels:
        raise RiskScaleError(
            f"Skalan har {levels} nivåer men {axis} har {len(labels)} etiketter; "
            "det ska vara lika många."
        )
    for number, label in enumerate(labels, start=1):
        if not isinstance(label, str) or not label.strip():
            raise RiskScaleError(f"Etiketten för {axis} nivå {number} saknas eller är inte text.")
    if len(set(labels)) != len(labels):
        raise RiskScaleError(f"Två nivåer för {axis} har samma etikett.")
    return tuple(label.strip() for label in labels)


def _bands(value: object, max_value: int) -> tuple[Band, ...]:
    """The colour bands in rising order, each from the value after the previous one's upto;
    together they cover every risk value from 1 to `max_value`."""
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise RiskScaleError("Riskskalan behöver minst ett färgband (bands).")
    bands: list[Band] = []
    start = 1
    for number, raw in enumerate(value, start=1):
        band = _band(raw, f"Färgband {number}", start, max_value)
        bands.append(band)
        start = band.upto + 1
    if start - 1 < max_value:
        raise RiskScaleError(
            f"Färgbanden slutar på {start - 1} men riskvärdet kan bli {max_value}; "
            f"det sista bandet ska gå till minst {max_value}."
        )
    if len({band.label for band in bands}) != len(bands):
        raise RiskScaleError("Två färgband har samma etikett.")
    return tuple(bands)


def _band(raw: object, where: str, start: int, max_value: int) -> Band:
    """One band of the scale's table, starting at `start`."""
    if not isinstance(raw, Mapping):
        raise RiskScaleError(f"{where} ska vara en tabell med upto, label och colour.")
    unknown = sorted(str(key) for key in raw if key not in _BAND_KEYS)
    if unknown:
        raise RiskScaleError(f"{where} har okänd nyckel: {', '.join(unknown)}.")
    missing = [key for key in ("upto", "label", "colour") if key not in raw]
    if missing:
        raise RiskScaleError(f"{where} saknar {', '.join(missing)}.")
    upto = _band_upto(raw["upto"], where, start, max_value)
    label = raw["label"]
    if not isinstance(label, str) or not label.strip():
        raise RiskScaleError(f"{where} saknar etikett (label).")
    where = f"{where} ({label.strip()})"
    colour = _colour(raw["colour"], where)
    text_colour = _text_colour(raw.get("text_colour"), colour, where)
    return Band(start, upto, label.strip(), colour, text_colour)


def _band_upto(upto: object, where: str, start: int, max_value: int) -> int:
    if isinstance(upto, bool) or not isinstance(upto, int):
        raise RiskScaleError(f"{where}: upto ska vara ett heltal, inte {upto!r}.")
    if upto < start:
        raise RiskScaleError(
            f"{where}: upto = {upto} ska vara större än föregående bands gräns "
            f"({start - 1}); banden ska komma i stigande ordning."
        )
    if start > max_value:
        raise RiskScaleError(
            f"{where} börjar på {start}, över det högsta riskvärdet {max_value}; "
            "det kan aldrig användas."
        )
    return upto


def _text_colour(value: object, colour: str, where: str) -> str:
    """The band's text colour as given, if it can be read on the band; otherwise the more
    readable of black and white."""
    if value is None:
        return readable_text_colour(colour)
    text_colour = _colour(value, f"{where}, textfärgen")
    ratio = contrast_ratio(text_colour, colour)
    if ratio < MIN_CONTRAST:
        raise RiskScaleError(
            f"{where}: textfärgen {text_colour} på {colour} har "
            f"kontrasten {ratio:.2f}:1, minst {MIN_CONTRAST}:1 krävs (WCAG AA)."
        )
    return text_colour


def _colour(value: object, where: str) -> str:
    if not isinstance(value, str) or not _COLOUR.fullmatch(value):
        raise RiskScaleError(
            f"{where}: färgen {value!r} ska skrivas #rrggbb, till exempel #2e7d32."
        )
    # One spelling, so the same scale always renders the same bytes.
    return value.lower()


DEFAULT_LEVELS = 4
DEFAULT_LIKELIHOOD = ("Osannolik", "Mindre sannolik", "Möjlig", "Sannolik")
DEFAULT_CONSEQUENCE = ("Försumbar", "Lindrig", "Kännbar", "Allvarlig")
DEFAULT_BANDS: tuple[Mapping[str, Any], ...] = (
    {"upto": 3, "label": "Låg", "colour": "#2e7d32"},
    {"upto": 6, "label": "Medel", "colour": "#fdd835"},
    {"upto": 9, "label": "Hög", "colour": "#ef6c00"},
    {"upto": 16, "label": "Mycket hög", "colour": "#c62828"},
)

DEFAULT_SCALE = RiskScale.from_dict({})


def risk_value(likelihood: int, consequence: int, scale: RiskScale = DEFAULT_SCALE) -> int:
    """Sannolikhet × konsekvens on `scale` (SKR's 1–4 unless given)."""
    return scale.risk_value(likelihood, consequence)


def band_of(value: int, scale: RiskScale = DEFAULT_SCALE) -> Band:
    """The band of a risk value on `scale` (SKR's 1–4 unless given)."""
    return scale.band_of(value)
