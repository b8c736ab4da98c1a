"""A plan's own data (title, förvaltning, signatory, ...) as it travels with a plan file.

XLSX carries it on a sheet "Plan" with Fält/Värde rows; CSV in a sidecar TOML file
`<stem>.plan.toml` next to it, with the keys below under [plan]. Every field is optional in
the file: None means "not given" (an existing plan keeps its value), so options on the
command line can fill in or override what the file says.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from tracker.domain.numbers import plain_int
from tracker.domain.problems import Problem
from tracker.domain.tables import OutCell, Row
from tracker.domain.tidsplan import parse_date, year_problem

PLAN_SHEET = "Plan"
FIELD_HEADER = "Fält"
VALUE_HEADER = "Värde"

# attribute -> label on the Plan sheet. The TOML keys are the attribute names.
LABELS: dict[str, str] = {
    "title": "Titel",
    "forvaltning": "Förvaltning",
    "namnd": "Nämnd",
    "dnr": "Dnr",
    "decision_on": "Beslutsdatum",
    "decision_paragraph": "Paragraf",
    "ort": "Ort",
    "signatory_name": "Undertecknare",
    "signatory_title": "Undertecknarens titel",
    "report_months": "Återrapportmånader",
    "next_report_on": "Nästa återrapport",
    "board_recipients": "Mottagare i nämnden",
    "background": "Bakgrund",
}

# The longest text each field takes, whether typed in a form, on the command line or in a
# file: the same limit everywhere a plan's data is written.
TEXT_LIMITS: dict[str, int] = {
    "title": 500,
    "forvaltning": 200,
    "namnd": 200,
    "dnr": 100,
    "ort": 200,
    "signatory_name": 200,
    "signatory_title": 200,
    "background": 20_000,
}

EmailCheck = Callable[[str], bool]


@dataclass(frozen=True)
class PlanMeta:
    title: str | None = None
    forvaltning: str | None = None
    namnd: str | None = None
    dnr: str | None = None
    decision_on: date | None = None
    decision_paragraph: str | None = None
    ort: str | None = None
    signatory_name: str | None = None
    signatory_title: str | None = None
    report_months: tuple[int, ...] | None = None
    next_report_on: date | None = None
    board_recipients: tuple[str, ...] | None = None
    background: str | None = None

    def merged(self, override: PlanMeta) -> PlanMeta:
        """These values, with every field `override` gives replacing ours."""
        given = {f.name: getattr(override, f.name) for f in fields(override)}
        return replace(self, **{k: v for k, v in given.items() if v is not None})

    def plan_values(self) -> dict[str, Any]:
        """The given fields as the Plan table stores them."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name == "report_months":
                value = ",".join(str(m) for m in value)
            elif f.name == "board_recipients":
                value = ",".join(value)
            out[f.name] = value
        return out

    @classmethod
    def from_plan_values(cls, values: dict[str, Any]) -> PlanMeta:
        """From the Plan table's columns (the inverse of `plan_values`)."""
        months = tuple(
            sorted({int(m) for m in str(values.get("report_months") or "").split(",") if m.strip()})
        )
        recipients = tuple(
            r.strip() for r in str(values.get("board_recipients") or "").split(",") if r.strip()
        )
        return cls(
            **{k: values.get(k) or "" for k in LABELS if k not in _SPECIAL},
            report_months=months,
            board_recipients=recipients,
            next_report_on=values.get("next_report_on"),
            decision_on=values.get("decision_on"),
        )


_SPECIAL = {"report_months", "board_recipients", "next_report_on", "decision_on"}
# The dates among the fields, with the example a TOML file shows where one is not set.
_DATES = {"next_report_on": "2018-06-30", "decision_on": "2017-06-14"}
_BY_LABEL = {label.casefold(): key for key, label in LABELS.items()} | {k: k for k in LABELS}


def _normal_key(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(":")


# --- values --------------------------------------------------------------------------------


def _shown(value: object) -> str:
    """A value as the person wrote it in the file, not as Python writes it."""
    if isinstance(value, bool):
        return "sant" if value else "falskt"
    if isinstance(value, date):  # a datetime is one too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return "en tabell"
    return str(value)


def _months(value: object) -> tuple[tuple[int, ...] | None, str | None]:
    if isinstance(value, int) and not isinstance(value, bool):
        parts: list[object] = [value]
    elif isinstance(value, list):
        parts = list(value)
    elif isinstance(value, str):
        parts = [p for p in re.split(r"[,;\s]+", value) if p]
    else:
        return None, f"ska vara månadsnummer, t.ex. 6, 12 (fick '{_shown(value)}')"
    months: set[int] = set()
    for p in parts:
        # Digits only: int() would also read "1_2" as 12 and " ٦" as 6.
        m = plain_int(str(p), 2)
        if m is None or not 1 <= m <= 12:
            return None, f"'{p}' är inget månadsnummer (1–12)"
        months.add(m)
    return tuple(sorted(months)), None


def _recipients(
    value: object, valid_email: EmailCheck
) -> tuple[tuple[str, ...] | None, str | None]:
    if isinstance(value, list):
        parts = [str(p).strip() for p in value]
    elif isinstance(value, str):
        parts = [p.strip() for p in re.split(r"[,;\s]+", value)]
    else:
        return None, f"ska vara e-postadresser (fick '{_shown(value)}')"
    parts = [p for p in parts if p]
    bad = [p for p in parts if not valid_email(p)]
    if bad:
        return None, "ogiltig e-postadress " + ", ".join(f"'{b}'" for b in bad)
    return tuple(parts), None


def _date(value: object) -> tuple[date | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None  # an empty cell: no date set, as export writes it
    if isinstance(value, date):
        problem = year_problem(value, value.isoformat())
        return (None, problem) if problem else (value, None)
    if isinstance(value, str):
        parsed = parse_date(value)
        if parsed.value is None:
            return None, "; ".join(parsed.problems) or f"kunde inte tolka '{value}' som ett datum"
        return parsed.value, None
    return None, f"ska vara ett datum, t.ex. 2018-06-30 eller 'juni 2018' (fick '{_shown(value)}')"


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day(value: object) -> tuple[date | None, str | None]:
    """A decision's date: one day, never a month ("juni 2017" would be a guess)."""
    wanted = "ska vara ett datum som 2017-06-14"
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DAY.fullmatch(text):
            return None, f"{wanted} (fick '{' '.join(text.split())}')"
        try:
            value = date.fromisoformat(text)
        except ValueError:
            return None, f"'{text}' är inget giltigt datum"
    if not isinstance(value, date):
        return None, f"{wanted} (fick '{_shown(value)}')"
    problem = year_problem(value, value.isoformat())
    return (None, problem) if problem else (value, None)


_PARAGRAPH = re.compile(r"(?:§\s*)?0*([1-9]\d{0,5})")


def paragraph(value: object) -> tuple[str | None, str | None]:
    """A paragraph of the minutes as written in them: "§ 45" from "§ 45", "§45" or "45"."""
    # A spreadsheet cell with 45 in it reads as a number.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None, f"ska vara en paragraf som § 45 (fick '{_shown(value)}')"
    text = " ".join(value.split())
    if not text:
        return "", None
    found = _PARAGRAPH.fullmatch(text)
    if found is None:
        return None, f"ska vara en paragraf som § 45 (fick '{text}')"
    return f"§ {found.group(1)}", None


def convert(key: str, value: object, valid_email: EmailCheck) -> tuple[Any, str | None]:
    """One field's value from a file -> (value, problem)."""
    if key == "report_months":
        return _months(value)
    if key == "board_recipients":
        return _recipients(value, valid_email)
    if key == "next_report_on":
        return _date(value)
    if key == "decision_on":
        return _day(value)
    if key == "decision_paragraph":
        return paragraph(value)
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").strip()
        return _within(key, text if key == "background" else " ".join(text.split()))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value), None
    return None, f"ska vara text (fick '{_shown(value)}')"


def _within(key: str, text: str) -> tuple[str | None, str | None]:
    limit = TEXT_LIMITS.get(key)
    if limit is not None and len(text) > limit:
        # Swedish groups thousands with a (no-break) space: 20 000.
        most = f"{limit:,}".replace(",", "\u00a0")
        return None, f"för lång text, högst {most} tecken"
    return text, None


# --- the Plan sheet ------------------------------------------------------------------------


def meta_from_sheet(rows: Iterable[Row], valid_email: EmailCheck) -> tuple[PlanMeta, list[Problem]]:
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    place = f"Blad {PLAN_SHEET}"
    for row in rows:
        cells = [*row.cells, "", ""]
        name, value = cells[0], cells[1]
        if row.is_empty() or (
            isinstance(name, str) and _normal_key(name) == FIELD_HEADER.casefold()
        ):
            continue
        key = _BY_LABEL.get(_normal_key(name)) if isinstance(name, str) else None
        if key is None:
            known = ", ".join(LABELS.values())
            problems.append(
                Problem(
                    f"okänt fält '{name}' (kända fält: {known})", row.number, FIELD_HEADER, place
                )
            )
            continue
        if key in values:
            problems.append(
                Problem(f"fältet {LABELS[key]} finns två gånger", row.number, FIELD_HEADER, place)
            )
            continue
        converted, problem = convert(key, value, valid_email)
        if problem:
            problems.append(Problem(f"{LABELS[key]}: {problem}", row.number, VALUE_HEADER, place))
        else:
            values[key] = converted
    return PlanMeta(**values), problems


def meta_to_sheet(meta: PlanMeta) -> list[list[OutCell]]:
    rows: list[list[OutCell]] = [[FIELD_HEADER, VALUE_HEADER]]
    for key, label in LABELS.items():
        value = getattr(meta, key)
        cell: OutCell
        if key == "report_months":
            cell = ",".join(str(m) for m in value or ())
        elif key == "board_recipients":
            cell = ", ".join(value or ())
        else:
            cell = value if value not in (None, "") else None
        rows.append([label, cell])
    return rows


# --- the sidecar TOML ----------------------------------------------------------------------


def sidecar_name(filename: str) -> str:
    """'pitea-2018.csv' -> 'pitea-2018.plan.toml'."""
    return f"{PurePath(filename).stem}.plan.toml"


_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def _toml_problem(exc: tomllib.TOMLDecodeError) -> str:
    # tomllib explains in English; where it says the place, that is what a person needs.
    at = _TOML_AT.search(str(exc))
    if at is None:
        return "filen är inte giltig TOML"
    return f"filen är inte giltig TOML: fel på rad {at.group(1)}, tecken {at.group(2)}"


def meta_from_toml(
    text: str, source: str, valid_email: EmailCheck
) -> tuple[PlanMeta, list[Problem]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return PlanMeta(), [Problem(_toml_problem(exc), place=source)]
    table = data.get("plan")
    if not isinstance(table, dict):
        return PlanMeta(), [Problem("tabellen [plan] saknas", place=source)]
    extra = sorted(set(data) - {"plan"})
    problems = [Problem(f"okänd tabell [{k}]", place=source) for k in extra]
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in LABELS:
            known = ", ".join(LABELS)
            problems.append(Problem(f"okänt fält '{key}' (kända fält: {known})", place=source))
            continue
        converted, problem = convert(key, value, valid_email)
        if problem:
            problems.append(Problem(f"fältet {key}: {problem}", place=source))
        else:
            values[key] = converted
    return PlanMeta(**values), problems


def _toml_string(value: str) -> str:
    """A TOML basic string; multi-line ones as \"\"\"...\"\"\" so they read like the text."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    body = "".join(out)
    if "\n" in value:
        return f'"""\n{body}"""'
    return f'"{body}"'


def meta_to_toml(meta: PlanMeta, data_file: str) -> str:
    lines = [
        f"# Planens uppgifter för {data_file}; läses av `tracker plan import {data_file}`.",
        "[plan]",
    ]
    for key in LABELS:
        value = getattr(meta, key)
        if key == "report_months":
            lines.append(f"{key} = [{', '.join(str(m) for m in value or ())}]")
        elif key == "board_recipients":
            lines.append(f"{key} = [{', '.join(_toml_string(r) for r in value or ())}]")
        elif key in _DATES:
            if value is None:
                lines.append(f"# {key} = {_DATES[key]}")
            else:
                lines.append(f"{key} = {value.isoformat()}")
        else:
            lines.append(f"{key} = {_toml_string(value or '')}")
    return "\n".join(lines) + "\n"
