"""Evaluating an åtgärd against its expected effect: the answers an evaluation gave, and its
indicators (baseline → latest → target), as pure values and Swedish text.

No database: the services read the rows and pass plain values in.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.domain.numbers import plain_int
from tracker.domain.problems import FileRefused, Problem
from tracker.domain.tables import Sheet
from tracker.domain.tidsplan import FIRST_YEAR, LAST_YEAR

# The largest value an indicator takes, either way: far beyond any share, count or sum in
# kronor a plan measures, and well inside what every database's float keeps exactly enough.
VALUE_LIMIT = 1e12
NAME_LIMIT = 200
UNIT_LIMIT = 20


# --- Answers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One field of an evaluation as asked and answered."""

    label: str
    value: str


def answers_from_json(text: str | None) -> tuple[Answer, ...]:
    """The answers kept with an event (tracker.services.actions.answers_json); none for an
    event without them."""
    if not text:
        return ()
    return tuple(Answer(str(a.get("label", "")), str(a.get("value", ""))) for a in json.loads(text))


# --- Numbers --------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f]")
_NUMBER = re.compile(r"^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)$")


def parse_number(typed: str, label: str) -> float | None:
    """A number as a person types it: "72,5" or "72.5", "1 234", "-3"; None when empty.
    ValueError, with a Swedish message naming `label`, for anything else."""
    text = _SPACES.sub("", typed or "")
    if not text:
        return None
    if not _NUMBER.match(text):
        raise ValueError(f"{label}: '{typed.strip()[:40]}' är inget tal (skriv till exempel 72,5)")
    value = float(text.replace(",", "."))
    if not math.isfinite(value) or abs(value) >= VALUE_LIMIT:
        raise ValueError(f"{label}: talet är för stort")
    return value


def format_number(value: float) -> str:
    """Swedish decimal comma, no trailing zeros: 72.0 -> "72", 72.5 -> "72,5"."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", ",")


def number_in_full(value: float) -> str:
    """The number with a decimal comma and every digit it has, never as an exponent: what a
    form shows to be typed again, so that saving it unchanged keeps the value as it was
    (format_number rounds)."""
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace(".", ",")


def with_unit(value: float, unit: str) -> str:
    unit = unit.strip()
    return f"{format_number(value)} {unit}" if unit else format_number(value)


# --- Indicators -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    value: float
    on: date


@dataclass(frozen=True)
class IndicatorFacts:
    """An indicator as a report shows it: the baseline, the latest value by the report date
    and the target, each where known."""

    name: str
    unit: str = ""
    baseline: Measured | None = None
    baseline_value: float | None = None  # a baseline given without its date
    target: float | None = None
    latest: Measured | None = None

    def progress(self) -> str:
        """ "72 % (2019-06-30) → 78 % (2020-06-30), mål 85 %"."""
        steps: list[str] = []
        if self.baseline is not None:
            steps.append(self._at(self.baseline))
        elif self.baseline_value is not None:
            steps.append(with_unit(self.baseline_value, self.unit))
        if self.latest is not None:
            steps.append(self._at(self.latest))
        text = " → ".join(steps) if steps else "inga mätvärden ännu"
        if self.target is not None:
            text += f", mål {with_unit(self.target, self.unit)}"
        return text

    def line(self) -> str:
        """ "Andel elever med godkänt i matematik: 72 % (2019-06-30) → …, mål 85 %"."""
        return f"{self.name}: {self.progress()}"

    def _at(self, m: Measured) -> str:
        return f"{with_unit(m.value, self.unit)} ({m.on.isoformat()})"


def latest(values: Iterable[Measured], as_of: date | None = None) -> Measured | None:
    """The last value measured by `as_of` (any, without it)."""
    by_then = [v for v in values if as_of is None or v.on <= as_of]
    return max(by_then, key=lambda v: v.on) if by_then else None


# --- The import file ------------------------------------------------------------------------

COLUMNS = ("Åtgärd-id", "Indikator", "Enhet", "Datum", "Värde")


@dataclass(frozen=True)
class ValueRow:
    """One row of an indicator file: a value measured for an åtgärd's indicator."""

    row: int
    action_id: int
    name: str
    unit: str
    measured_on: date
    value: float


def check_date(day: date, label: str) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{label}: datumet ska ligga mellan år {FIRST_YEAR} och {LAST_YEAR}")


def read_value_rows(sheet: Sheet, filename: str) -> list[ValueRow]:
    """The rows of an indicator file (Åtgärd-id;Indikator;Enhet;Datum;Värde), or FileRefused
    with every problem found, by row and column."""
    problems: list[Problem] = []
    out: list[ValueRow] = []
    index: dict[str, int] | None = None
    for row in sheet.rows:
        if index is None:
            index = _header(row.cells, problems)
            if problems:
                break
            continue
        if row.is_empty():
            continue
        cells = [row.cells[i] if i < len(row.cells) else "" for i in index.values()]
        values = dict(zip(index, cells, strict=True))
        parsed = _value_row(row.number, values, problems)
        if parsed is not None:
            out.append(parsed)
    if index is None:
        problems.append(Problem("filen är tom; första raden ska vara " + ";".join(COLUMNS)))
    elif not out and not problems:
        problems.append(Problem("filen har inga rader med mätvärden"))
    if problems:
        raise FileRefused(filename, problems)
    return out


def _header(cells: Sequence[object], problems: list[Problem]) -> dict[str, int]:
    found = {str(c).strip().casefold(): i for i, c in enumerate(cells)}
    index: dict[str, int] = {}
    for name in COLUMNS:
        i = found.get(name.casefold())
        if i is None:
            problems.append(Problem(f"kolumnen '{name}' saknas i första raden", row=1))
        else:
            index[name] = i
    return index


def _value_row(
    number: int, cells: Mapping[str, object], problems: list[Problem]
) -> ValueRow | None:
    before = len(problems)

    def bad(column: str, message: str) -> None:
        problems.append(Problem(message, row=number, column=column))

    raw_id = str(cells["Åtgärd-id"]).strip()
    action_id = plain_int(raw_id, 9) or 0
    if action_id < 1:
        bad("Åtgärd-id", f"'{raw_id[:40]}' är inget åtgärdsnummer")
    name = " ".join(str(cells["Indikator"]).split())
    if not name:
        bad("Indikator", "indikatorns namn saknas")
    elif len(name) > NAME_LIMIT:
        bad("Indikator", f"namnet är längre än {NAME_LIMIT} tecken")
    unit = str(cells["Enhet"]).strip()
    if len(unit) > UNIT_LIMIT:
        bad("Enhet", f"enheten är längre än {UNIT_LIMIT} tecken")
    measured_on = _cell_date(cells["Datum"], bad)
    value: float | None = None
    try:
        value = parse_number(str(cells["Värde"]), "värdet")
        if value is None:
            bad("Värde", "värdet saknas")
    except ValueError as exc:
        bad("Värde", str(exc))
    if len(problems) > before or value is None or measured_on is None:
        return None
    return ValueRow(number, action_id, name, unit, measured_on, value)


def _cell_date(cell: object, bad: Callable[[str, str], None]) -> date | None:
    if isinstance(cell, date):
        day = cell
    else:
        text = str(cell).strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            bad(
                "Datum",
                f"'{text[:40]}' är inget datum (skriv ÅÅÅÅ-MM-DD)" if text else "datumet saknas",
            )
            return None
    try:
        check_date(day, "datumet")
    except ValueError as exc:
        bad("Datum", str(exc))
        return None
    return day
