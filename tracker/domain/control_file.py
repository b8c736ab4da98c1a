"""The internkontroll plan file (CSV or XLSX): processes, their risks, and the kontrollmoment
that control each risk, checked as a whole.

The columns: Process, Risk, Sannolikhet, Konsekvens, Kontrollmoment, Metod, Frekvens,
Ansvarig, E-post. Files are read with the product's readers (tracker.domain.reading), so the
encodings, the limits and the formula rules are those of a plan import. Either the whole
file is read, or FileRefused lists every problem with its row and column.

Reading rules:
- Headers are matched loosely (case, spacing, a trailing ':'); Metod, Ansvarig and E-post
  may be left out. Unknown columns are warnings and are skipped.
- An empty Process cell continues the process above, as an empty Utvecklingsområde does in a
  plan import: that is how merged cells read. Every row must name its Risk.
- Several rows may share a process and a risk: one risk with several kontrollmoment. The
  risk's Sannolikhet and Konsekvens are given on its first row; a later row may leave them
  empty or repeat them, but not give others.
- A row may name a risk without a kontrollmoment: the nämnd accepted the risk, or answers it
  with an åtgärd rather than a control. What its Metod says ("Risken accepteras") and its
  Ansvarig are kept as a note of the risk; a Frekvens there is refused, as there is nothing
  to schedule.
- Sannolikhet and Konsekvens run from 1 to the risk scale's levels: 4 unless the caller
  passes the municipality's own scale.
- A kontrollmoment needs a Frekvens; its Ansvarig may come later (assigned in the product).
  A name without an address is refused, as in a plan import: a person is known by address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from tracker.domain.controls import Frequency, parse_frequency
from tracker.domain.import_rows import COLUMN as PLAN_COLUMN
from tracker.domain.import_rows import EmailCheck, match_key
from tracker.domain.names import clean_name
from tracker.domain.numbers import plain_int
from tracker.domain.problems import FileRefused, Problem
from tracker.domain.reading import ReadLimits, read_sheet
from tracker.domain.tables import Cell, Row, Sheet, column_letter, find_header

# Likelihood and consequence are rated 1-4 in the usual risk matrix (SKR's model); a
# municipality with another scale passes its levels.
DEFAULT_LEVELS = 4
# The sheet read from a workbook with several: one of these names, else the first.
SHEET_NAMES = ("internkontroll", "internkontrollplan", "kontrollplan")


@dataclass(frozen=True)
class _Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[_Column, ...] = (
    _Column("process", "Process", ("processer", "verksamhet", "område")),
    _Column("risk", "Risk", ("risker", "riskbeskrivning")),
    _Column("likelihood", "Sannolikhet"),
    _Column("consequence", "Konsekvens"),
    _Column("control", "Kontrollmoment", ("kontroll", "kontrollmoment/åtgärd")),
    _Column("method", "Metod", ("kontrollmetod",)),
    _Column("frequency", "Frekvens", ("frekvens/tidpunkt", "när")),
    _Column("owner_name", "Ansvarig", PLAN_COLUMN["owner_name"].aliases),
    _Column("owner_email", "E-post", PLAN_COLUMN["owner_email"].aliases),
)
COLUMN = {c.key: c for c in COLUMNS}
REQUIRED = ("process", "risk", "likelihood", "consequence", "control", "frequency")
# What only a kontrollmoment has: given without one, the row is most likely wrong.


def _header_key(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split()).casefold().rstrip(":*").strip()


_BY_HEADER = {_header_key(n): c.key for c in COLUMNS for n in (c.header, *c.aliases)}


@dataclass(frozen=True)
class ControlPoint:
    """A kontrollmoment: what is checked, how, how often, and by whom."""

    row: int
    text: str
    method: str
    frequency: Frequency
    frequency_text: str  # as written, for the plan as the nämnd adopted it
    owner_name: str | None
    owner_email: str | None  # lower-case; None until someone is assigned


@dataclass(frozen=True)
class RiskNote:
    """A row of a risk without a kontrollmoment: how the risk is handled instead, in the
    Metod column ("Risken accepteras"), and who answers for it."""

    row: int
    text: str
    owner_name: str | None
    owner_email: str | None


@dataclass
class Risk:
    row: int  # where it is first named
    name: str
    likelihood: int  # sannolikhet, 1 to the scale's levels
    consequence: int  # konsekvens, likewise
    controls: list[ControlPoint] = field(default_factory=list)
    notes: list[RiskNote] = field(default_factory=list)


@dataclass
class Process:
    name: str
    risks: list[Risk] = field(default_factory=list)


@dataclass
class ControlPlan:
    filename: str
    processes: list[Process]
    warnings: list[Problem] = field(default_factory=list)


def _text(cell: Cell) -> str:
    return cell.isoformat() if isinstance(cell, date) else cell


def _same(text: str) -> str:
    """How names of processes, risks and kontrollmoment are compared."""
    return match_key(text).casefold()


class _Reader:
    def __init__(self, valid_email: EmailCheck, levels: int) -> None:
        self.valid_email = valid_email
        self.levels = levels
        self.index: dict[str, int] = {}
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.processes: dict[str, Process] = {}
        self.risks: dict[tuple[str, str], Risk] = {}
        self.controls: dict[tuple[str, str, str], int] = {}

    def error(self, row: Row, key: str, message: str) -> None:
        self.problems.append(Problem(message, row.number, COLUMN[key].header))

    def cell(self, row: Row, key: str) -> str:
        i = self.index.get(key)
        if i is None or i >= len(row.cells):
            return ""
        return _text(row.cells[i])

    def header(self, row: Row) -> None:
        for i, cell in enumerate(row.cells):
            name = _text(cell)
            if not name:
                continue
            key = _BY_HEADER.get(_header_key(name))
            if key is None:
                self.warnings.append(
                    Problem(
                        f"okänd rubrik '{name}' i kolumn {column_letter(i)}; kolumnen lästes inte",
                        row.number,
                    )
                )
            elif key in self.index:
                self.problems.append(
                    Problem(
                        f"finns två gånger (kolumn {column_letter(self.index[key])} och "
                        f"{column_letter(i)})",
                        row.number,
                        COLUMN[key].header,
                    )
                )
            else:
                self.index[key] = i
        for key in REQUIRED:
            if key not in self.index:
                self.problems.append(
                    Problem(f"saknas i rubrikraden (rad {row.number})", column=COLUMN[key].header)
                )

    def rows(self, rows: Iterable[Row]) -> None:
        last_process = ""
        for row in rows:
            if row.is_empty():
                continue
            for key in self.index:
                if "\x00" in self.cell(row, key):
                    self.error(row, key, "cellen innehåller ett NUL-tecken (tecken 0); ta bort det")
            process = match_key(self.cell(row, "process")) or last_process
            last_process = process
            self.row(row, process)

    def row(self, row: Row, process: str) -> None:
        before = len(self.problems)
        if not process:
            self.error(row, "process", "saknas")
        risk_name = match_key(self.cell(row, "risk"))
        if not risk_name:
            self.error(row, "risk", "saknas")
        risk = self.risk(row, process, risk_name)
        control: ControlPoint | RiskNote | None = self.control(row, process, risk_name)
        if risk is None:
            return
        # A risk rated on its row is kept even when the row's kontrollmoment is refused, so
        # that the risk's later rows are not refused for a rating they need not repeat.
        # The first spelling of a process names it.
        owner = self.processes.setdefault(_same(process), Process(process))
        key = (_same(process), _same(risk_name))
        if key not in self.risks:
            self.risks[key] = risk
            owner.risks.append(risk)
        if len(self.problems) > before:
            return
        if isinstance(control, ControlPoint):
            self.risks[key].controls.append(control)
        elif isinstance(control, RiskNote):
            self.risks[key].notes.append(control)

    def rating(self, row: Row, key: str) -> int | None:
        raw = self.cell(row, key)
        text = re.sub(r"[,.]0+$", "", raw.strip())
        if not text:
            return None
        level = plain_int(text, 3)
        if level is not None and 1 <= level <= self.levels:
            return level
        self.error(row, key, f"'{raw}' är inte en siffra från 1 till {self.levels}")
        return None

    def risk(self, row: Row, process: str, name: str) -> Risk | None:
        likelihood = self.rating(row, "likelihood")
        consequence = self.rating(row, "consequence")
        if not name or not process:
            return None
        known = self.risks.get((_same(process), _same(name)))
        if known is None:
            if likelihood is None and not self.cell(row, "likelihood"):
                self.error(row, "likelihood", f"saknas för risken (ange 1–{self.levels})")
            if consequence is None and not self.cell(row, "consequence"):
                self.error(row, "consequence", f"saknas för risken (ange 1–{self.levels})")
            if likelihood is None or consequence is None:
                return None
            return Risk(row.number, name, likelihood, consequence)
        for key, given, first in (
            ("likelihood", likelihood, known.likelihood),
            ("consequence", consequence, known.consequence),
        ):
            if given is not None and given != first:
                self.error(
                    row,
                    key,
                    f"{given} men samma risk har {first} på rad {known.row}; en risk har en "
                    "bedömning",
                )
        return known

    def control(self, row: Row, process: str, risk: str) -> ControlPoint | RiskNote | None:
        text = self.cell(row, "control")
        if not text:
            return self.note(row)
        written = self.cell(row, "frequency")
        frequency: Frequency | None = None
        if not written:
            self.error(row, "frequency", "saknas för kontrollmomentet")
        else:
            try:
                frequency = parse_frequency(written)
            except ValueError as exc:
                self.error(row, "frequency", str(exc))
        owner_name, owner_email = self.owner(row)
        same = (_same(process), _same(risk), _same(text))
        if same in self.controls and all(same):
            self.error(
                row, "control", f"samma kontrollmoment för samma risk som rad {self.controls[same]}"
            )
        self.controls.setdefault(same, row.number)
        if frequency is None:
            return None
        return ControlPoint(
            row=row.number,
            text=text,
            method=self.cell(row, "method"),
            frequency=frequency,
            frequency_text=written,
            owner_name=owner_name,
            owner_email=owner_email,
        )

    def note(self, row: Row) -> RiskNote | None:
        """A row without a kontrollmoment. A frequency there has nothing to schedule: most
        likely the kontrollmoment was left out by mistake."""
        if self.cell(row, "frequency"):
            self.error(
                row,
                "control",
                "saknas, men raden anger Frekvens; skriv kontrollmomentet eller ta bort Frekvens",
            )
            return None
        owner_name, owner_email = self.owner(row)
        text = self.cell(row, "method")
        if not (text or owner_name or owner_email):
            return None
        return RiskNote(row.number, text, owner_name, owner_email)

    def owner(self, row: Row) -> tuple[str | None, str | None]:
        name = clean_name(self.cell(row, "owner_name")) or None
        email = self.cell(row, "owner_email").strip()
        if not email:
            if name:
                self.error(row, "owner_email", f"saknas för ansvarig '{name}'")
            return name, None
        if not self.valid_email(email):
            self.error(row, "owner_email", f"ogiltig e-postadress '{email}'")
        return name, email.lower()


def _names_column(cell: Cell) -> bool:
    return _header_key(_text(cell)) in _BY_HEADER


def read_control_rows(
    sheet: Sheet, valid_email: EmailCheck, levels: int = DEFAULT_LEVELS
) -> ControlPlan:
    """One sheet of a control plan -> ControlPlan; FileRefused (named for the sheet) with
    every problem found. `levels`: the risk scale's, Sannolikhet and Konsekvens run 1 to it."""
    reader = _Reader(valid_email, levels)
    # The rows are read as they come: a large file is never held whole as cells.
    table = find_header(sheet.rows, _names_column)
    header, rows = table.header, table.rows
    if header is None:
        raise FileRefused(sheet.name, [Problem("filen innehåller inga rader")])
    reader.warnings.extend(table.above_warnings())
    reader.header(header)
    if not reader.problems:
        # Without its columns the rows cannot be read meaningfully.
        reader.rows(rows)
        if not reader.processes and not reader.problems:
            reader.problems.append(Problem("filen innehåller inga risker"))
    if reader.problems:
        reader.problems.sort(key=lambda p: p.row or 0)
        raise FileRefused(sheet.name, reader.problems)
    return ControlPlan(sheet.name, list(reader.processes.values()), reader.warnings)


def read_control_file(
    data: bytes,
    filename: str,
    *,
    valid_email: EmailCheck,
    limits: ReadLimits,
    levels: int = DEFAULT_LEVELS,
) -> ControlPlan:
    """A whole control plan file, CSV or XLSX. Raises FileRefused with every problem found,
    or UnreadableFile. `valid_email` is the product's address rule, passed in as for a plan
    import (tracker.services.people.valid_email); `levels` is the municipality's risk scale
    (1–4 unless it configured another)."""
    sheet, warnings = read_sheet(data, filename, limits, SHEET_NAMES)
    try:
        plan = read_control_rows(sheet, valid_email, levels)
    except FileRefused as exc:
        raise FileRefused(filename, exc.problems) from None
    return ControlPlan(filename, plan.processes, warnings + plan.warnings)


# A risk the nämnd answers with an åtgärd straight away rather than a control: its Metod says
# "Åtgärd: Ny rutin för återlämning tas fram" (or "Åtgärd – …").
_DECIDED_ACTION = re.compile(r"^\s*åtgärd\s*[:\-–]\s*(?P<text>\S.*)$", re.IGNORECASE | re.DOTALL)


def decided_action(note: str) -> str | None:
    """The åtgärd a risk's note decides on ("Åtgärd: …"), or None for another handling
    ("Risken accepteras")."""
    found = _DECIDED_ACTION.match(note)
    return found["text"].strip() if found else None
