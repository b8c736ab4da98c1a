"""A plan file (CSV or XLSX) checked as a whole: header mapping, then every row validated.

The result is either a PlanFile with clean rows, or FileRefused listing every bad row and
column ("Rad 7, kolumn E-post: ogiltig e-postadress 'anna.berg'"). Nothing here touches the
database; the import service applies a PlanFile in one transaction.

Reading rules worth knowing:
- Headers are Swedish and matched loosely (case, spacing, a trailing ':'); unknown columns are
  reported as warnings and skipped.
- An empty Utvecklingsområde cell continues the area above it (how merged cells read).
- A column that is absent changes nothing on re-import; a column that is present but empty
  clears the field.
- Tidsplan text is kept as written and its dates read where possible; what cannot be read is a
  warning. A dedicated date column (Klart till, Utvärderas, Nästa återrapport) must be readable:
  there an unreadable date is an error. When both give a date, the dedicated column wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.domain.names import clean_name
from tracker.domain.plan_meta import (
    LABELS,
    PLAN_SHEET,
    PlanMeta,
    meta_from_sheet,
    meta_from_toml,
)
from tracker.domain.problems import FileRefused, Problem
from tracker.domain.reading import ReadLimits, read_csv, read_xlsx
from tracker.domain.tables import Cell, Row, Sheet, column_letter, find_header, kind_of
from tracker.domain.tidsplan import order_problem, parse_date, parse_tidsplan, year_problem
from workflows import WorkflowDefinition

EmailCheck = Callable[[str], bool]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()


# In the order an export writes them.
COLUMNS: tuple[Column, ...] = (
    Column("section", "Sektion", ("sektion", "section", "rubrik")),
    Column("area", "Utvecklingsområde", ("utvecklingsområden", "område", "områden")),
    Column("text", "Åtgärd", ("åtgärder", "insats", "aktivitet")),
    Column("owner_name", "Ansvarig", ("ansvarig person", "namn", "ansvarigs namn")),
    Column(
        "owner_email",
        "E-post",
        ("epost", "e-postadress", "epostadress", "e-mail", "email", "mejl", "ansvarigs e-post"),
    ),
    Column("tidsplan", "Tidsplan"),
    Column("due_on", "Klart till", ("klart", "klar till", "slutdatum")),
    Column("evaluate_on", "Utvärderas", ("utvärdering", "utvärderas senast")),
    Column("status", "Status", ("läge",)),
    Column("progress_note", "Processläge"),
    Column("expected_effect", "Förväntad effekt", ("förväntade effekter", "effekt")),
    Column("follow_up", "Uppföljning", ("uppföljning och utvärdering",)),
    Column("target_group", "Målgrupp"),
    Column(
        "budget_sek", "Budget (kr)", ("budget", "kostnad", "kostnad (kr)", "uppskattad kostnad")
    ),
    Column("next_report_on", "Nästa återrapport"),
    Column("workflow", "Arbetsflöde"),
)
COLUMN = {c.key: c for c in COLUMNS}
REQUIRED = ("area", "text", "owner_email")
DATE_KEYS = ("tidsplan", "due_on", "evaluate_on")  # at least one of them
TEXT_FIELDS = ("expected_effect", "follow_up", "target_group")
DATA_SHEET = "Åtgärder"
# A budget is whole kronor from 0 up to this: more than any åtgärd of a municipal plan costs,
# and within the column it is stored in (an integer, on PostgreSQL at most 2 147 483 647).
BUDGET_MAX = 2_000_000_000


def _header_key(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split()).casefold().rstrip(":*").strip()


_BY_HEADER: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.header, *_c.aliases):
        _BY_HEADER[_header_key(_name)] = _c.key


def match_key(text: str) -> str:
    """How titles and åtgärd texts are compared: whitespace does not matter."""
    return " ".join(text.split())


def _key_of(text: str) -> str:
    """match_key, as the text itself when it is the same: a file of 200,000 rows keeps a key
    for each (bench/core.py, under 300 MB)."""
    key = match_key(text)
    return text if key == text else key


# slots: a file of 200,000 rows holds as many of these (bench/core.py, under 300 MB).
@dataclass(frozen=True, slots=True)
class ImportRow:
    row: int
    area: str
    section: str | None  # None: the file has no Sektion column
    text: str
    owner_email: str  # lower-case; "" when the row names no owner
    owner_name: str | None
    workflow: str
    state: str | None  # None: the file gives no status for this row
    progress_note: str | None
    # The plain Action fields the file gives (`fields`), as two tuples: the names, the same
    # tuple for every row of a file, and the values. A dict a row costs 120 bytes more.
    field_names: tuple[str, ...]
    field_values: tuple[Any, ...]

    @property
    def fields(self) -> dict[str, Any]:
        """Plain Action fields the file gives, as tracker.services.actions.edit takes them."""
        return dict(zip(self.field_names, self.field_values, strict=True))


@dataclass
class PlanFile:
    filename: str
    meta: PlanMeta
    rows: list[ImportRow]
    columns: frozenset[str]
    warnings: list[Problem] = field(default_factory=list)


def _text(cell: Cell) -> str:
    return cell.isoformat() if isinstance(cell, date) else cell


class _RowReader:
    """Validates the data rows of one sheet, collecting every problem."""

    def __init__(
        self,
        workflows: Mapping[str, WorkflowDefinition],
        default_workflow: str,
        valid_email: EmailCheck,
    ) -> None:
        self.workflows = workflows
        self.default_workflow = default_workflow
        self.valid_email = valid_email
        # An owner has many rows: each address is checked once, and the same text (area,
        # address, name) is kept once, whatever the number of rows that repeat it.
        self.checked_emails: dict[str, bool] = {}
        self.same: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.field_names: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.index: dict[str, int] = {}

    # -- header --

    def header(self, row: Row) -> None:
        seen: dict[str, int] = {}
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
                continue
            if key in seen:
                self.problems.append(
                    Problem(
                        f"finns två gånger (kolumn {column_letter(seen[key])} och "
                        f"{column_letter(i)})",
                        row.number,
                        COLUMN[key].header,
                    )
                )
                continue
            seen[key] = i
        self.index = seen
        for key in REQUIRED:
            if key not in seen:
                self.problems.append(
                    Problem(f"saknas i rubrikraden (rad {row.number})", column=COLUMN[key].header)
                )
        if not any(k in seen for k in DATE_KEYS):
            self.problems.append(
                Problem(
                    f"saknas i rubrikraden (rad {row.number}); ange Tidsplan eller "
                    "Klart till/Utvärderas",
                    column=COLUMN["tidsplan"].header,
                )
            )

    def has(self, key: str) -> bool:
        return key in self.index

    def cell(self, row: Row, key: str) -> Cell:
        i = self.index.get(key)
        if i is None or i >= len(row.cells):
            return ""
        return row.cells[i]

    def error(self, row: Row, key: str, message: str) -> None:
        self.problems.append(Problem(message, row.number, COLUMN[key].header))

    def warn(self, row: Row, key: str, message: str) -> None:
        self.warnings.append(Problem(message, row.number, COLUMN[key].header))

    # -- rows --

    def once(self, text: str) -> str:
        return self.same.setdefault(text, text)

    def name(self, raw: str) -> str:
        found = self.names.get(raw)
        if found is None:
            found = self.names[raw] = self.once(clean_name(raw))
        return found

    def rows(self, rows: Iterable[Row]) -> list[ImportRow]:
        out: list[ImportRow] = []
        last_area = ""
        first: dict[tuple[str, str], int] = {}
        for row in rows:
            if row.is_empty():
                continue
            area = self.once(match_key(_text(self.cell(row, "area"))))
            if area:
                last_area = area
            item = self.row(row, area or last_area)
            if item is not None:
                out.append(item)
            # Duplicates are found among all rows, also those with other errors.
            key = (area or last_area, _key_of(_text(self.cell(row, "text"))))
            if all(key) and key in first:
                self.error(
                    row, "text", f"samma åtgärd i samma utvecklingsområde som rad {first[key]}"
                )
            first.setdefault(key, row.number)
        self.cross_checks(out)
        self.problems.sort(key=lambda p: p.row or 0)
        return out

    def row(self, row: Row, area: str) -> ImportRow | None:
        before = len(self.problems)
        if any(isinstance(c, str) and "\x00" in c for c in row.cells):
            self.nul(row)
        text = _text(self.cell(row, "text"))
        if not text:
            self.error(row, "text", "saknas")
        if not area:
            self.error(row, "area", "saknas")
        owner_email, owner_name = self.owner(row)
        workflow = self.workflow(row)
        state = self.state(row, workflow)
        fields = self.dates(row)
        for key in TEXT_FIELDS:
            if self.has(key):
                fields[key] = _text(self.cell(row, key))
        if self.has("budget_sek"):
            fields["budget_sek"] = self.budget(row)
        if self.has("next_report_on"):
            fields["next_report_on"] = self.date_column(row, "next_report_on")
        if len(self.problems) > before:
            return None
        return ImportRow(
            row=row.number,
            area=area,
            section=match_key(_text(self.cell(row, "section"))) if self.has("section") else None,
            text=text,
            owner_email=owner_email,
            owner_name=owner_name,
            workflow=workflow,
            state=state,
            progress_note=_text(self.cell(row, "progress_note"))
            if self.has("progress_note")
            else None,
            field_names=self.field_names.setdefault(names := tuple(fields), names),
            field_values=tuple(fields.values()),
        )

    def nul(self, row: Row) -> None:
        """A NUL character cannot be stored (PostgreSQL refuses it in text, and the import
        would end in a database error), and no one types one: the cell is named instead."""
        for key in self.index:
            cell = self.cell(row, key)
            if isinstance(cell, str) and "\x00" in cell:
                self.error(row, key, "cellen innehåller ett NUL-tecken (tecken 0); ta bort det")

    def owner(self, row: Row) -> tuple[str, str | None]:
        email = _text(self.cell(row, "owner_email")).strip()
        name = self.name(_text(self.cell(row, "owner_name"))) if self.has("owner_name") else None
        if not email:
            if name:
                self.error(row, "owner_email", f"saknas för ansvarig '{name}'")
            else:
                self.warn(row, "owner_email", "ingen ansvarig angiven")
            return "", name
        valid = self.checked_emails.get(email)
        if valid is None:
            valid = self.checked_emails[email] = self.valid_email(email)
        if not valid:
            self.error(row, "owner_email", f"ogiltig e-postadress '{email}'")
        return self.once(email.lower()), name

    def workflow(self, row: Row) -> str:
        given = _text(self.cell(row, "workflow")).strip()
        if not given:
            return self.default_workflow
        wanted = given.casefold()
        for name, definition in self.workflows.items():
            if wanted in (name.casefold(), definition.label.casefold()):
                return name
        known = ", ".join(f"{d.label} ({n})" for n, d in self.workflows.items())
        self.error(row, "workflow", f"okänt arbetsflöde '{given}' (kända: {known})")
        return self.default_workflow

    def state(self, row: Row, workflow: str) -> str | None:
        given = _text(self.cell(row, "status")).strip()
        if not given:
            return None
        definition = self.workflows.get(workflow)
        if definition is None:
            return None
        state = definition.resolve_state(given)
        if state is None:
            known = ", ".join(s.label for s in definition.states)
            self.error(row, "status", f"okänt läge '{given}' (kända lägen: {known})")
        return state

    def date_column(self, row: Row, key: str) -> date | None:
        cell = self.cell(row, key)
        if isinstance(cell, date):
            if problem := year_problem(cell, cell.isoformat()):
                self.error(row, key, problem)
                return None
            return cell
        parsed = parse_date(cell)
        if parsed.problems:
            self.error(row, key, "; ".join(parsed.problems))
        return parsed.value

    def dates(self, row: Row) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        due = self.date_column(row, "due_on") if self.has("due_on") else None
        evaluate = self.date_column(row, "evaluate_on") if self.has("evaluate_on") else None
        if not self.has("tidsplan"):
            parts = []
            if self.has("due_on"):
                fields["due_on"] = due
                if cell := _text(self.cell(row, "due_on")):
                    parts.append(f"Klart till {cell}.")
            if self.has("evaluate_on"):
                fields["evaluate_on"] = evaluate
                if cell := _text(self.cell(row, "evaluate_on")):
                    parts.append(f"Utvärderas {cell}.")
            fields["tidsplan"] = " ".join(parts)
            self.check_order(row, fields, "evaluate_on")
            return fields
        text = _text(self.cell(row, "tidsplan"))
        parsed = parse_tidsplan(text)
        fields["tidsplan"] = text
        fields["due_on"] = parsed.due_on
        fields["evaluate_on"] = parsed.evaluate_on
        for key, column_value in (("due_on", due), ("evaluate_on", evaluate)):
            if column_value is None:
                continue
            from_text = fields[key]
            if from_text is not None and from_text != column_value:
                self.warn(
                    row,
                    "tidsplan",
                    f"anger {from_text.isoformat()} men kolumnen {COLUMN[key].header} "
                    f"{column_value.isoformat()}; {COLUMN[key].header} används",
                )
            fields[key] = column_value
        if parsed.problems and (due is None or evaluate is None):
            for problem in parsed.problems:
                self.warn(row, "tidsplan", f"{problem}; texten sparas som den är")
        self.check_order(row, fields, "evaluate_on" if evaluate is not None else "tidsplan")
        return fields

    def check_order(self, row: Row, fields: dict[str, Any], key: str) -> None:
        """An evaluation before the work is done is most likely a typing error, but it may be
        meant (an evaluation of a first step): a warning, and both dates are kept as given."""
        if problem := order_problem(fields.get("due_on"), fields.get("evaluate_on")):
            self.warn(row, key, f"{problem}; datumen sparas som de är, kontrollera dem")

    def budget(self, row: Row) -> int | None:
        raw = _text(self.cell(row, "budget_sek"))
        text = re.sub(r"[\s\u00a0\u202f]", "", raw).lower()
        text = text.removesuffix("kr").removesuffix(":-")
        text = re.sub(r"[,.]0+$", "", text)
        if not text:
            return None
        if not re.fullmatch(r"-?\d+", text):
            self.error(
                row, "budget_sek", f"ogiltigt belopp '{raw}' (skriv hela kronor, t.ex. 120000)"
            )
            return None
        if text.startswith("-"):
            self.error(row, "budget_sek", f"beloppet '{raw}' är negativt (skriv 0 eller mer)")
            return None
        # Compared as text first: int() of thousands of digits is refused (and slow).
        digits = text.lstrip("0") or "0"
        if len(digits) > len(str(BUDGET_MAX)) or int(digits) > BUDGET_MAX:
            most = f"{BUDGET_MAX:,}".replace(",", " ")
            shown = raw if len(raw) <= 30 else f"{raw[:20]}… ({len(raw)} tecken)"
            self.error(row, "budget_sek", f"beloppet '{shown}' är för stort (högst {most} kr)")
            return None
        return int(digits)

    def cross_checks(self, rows: list[ImportRow]) -> None:
        """An area with two sections, one address with two names."""
        sections: dict[str, tuple[str, int]] = {}
        names: dict[str, tuple[str, int]] = {}
        for r in rows:
            if r.section:
                area = match_key(r.area)
                seen = sections.setdefault(area, (r.section, r.row))
                if seen[0] != r.section:
                    self.problems.append(
                        Problem(
                            f"utvecklingsområdet har sektionen '{seen[0]}' på rad {seen[1]}",
                            r.row,
                            COLUMN["section"].header,
                        )
                    )
            if r.owner_email and r.owner_name:
                seen_name = names.setdefault(r.owner_email, (r.owner_name, r.row))
                if seen_name[0] != r.owner_name:
                    self.warnings.append(
                        Problem(
                            f"{r.owner_email} heter '{seen_name[0]}' på rad {seen_name[1]}; "
                            "det namnet används",
                            r.row,
                            COLUMN["owner_name"].header,
                        )
                    )


def _names_column(cell: Cell) -> bool:
    return _header_key(_text(cell)) in _BY_HEADER


def read_rows(
    sheet: Sheet,
    *,
    workflows: Mapping[str, WorkflowDefinition],
    default_workflow: str,
    valid_email: EmailCheck,
) -> tuple[list[ImportRow], frozenset[str], list[Problem], list[Problem]]:
    """(rows, columns present, problems, warnings) for one sheet of åtgärder."""
    reader = _RowReader(workflows, default_workflow, valid_email)
    # The rows are read as they come: a large file is never held whole as cells.
    table = find_header(sheet.rows, _names_column)
    header, rows = table.header, table.rows
    if header is None:
        return [], frozenset(), [Problem("filen innehåller inga rader")], []
    reader.warnings.extend(table.above_warnings())
    reader.header(header)
    if reader.problems:
        # Without the columns the rows cannot be read meaningfully.
        return [], frozenset(reader.index), reader.problems, reader.warnings
    items = reader.rows(rows)
    if not items and not reader.problems:
        reader.problems.append(Problem("filen innehåller inga åtgärder"))
    return items, frozenset(reader.index), reader.problems, reader.warnings


def read_plan_file(
    data: bytes,
    filename: str,
    *,
    workflows: Mapping[str, WorkflowDefinition],
    default_workflow: str,
    valid_email: EmailCheck,
    limits: ReadLimits,
    sidecar: tuple[str, str] | None = None,
    overrides: PlanMeta | None = None,
    title_hint: str | None = None,
) -> PlanFile:
    """Check a whole plan file. `sidecar` is (name, text) of the CSV's .plan.toml, if any.

    `title_hint` says how a person gives a title the file lacks, where the command line's
    advice (its sheet, .plan.toml or --title) does not apply. Raises
    FileRefused with every problem found, or UnreadableFile.
    """
    found = _sheet_and_meta(data, filename, valid_email, limits, sidecar)
    rows, columns, row_problems, row_warnings = read_rows(
        found.sheet, workflows=workflows, default_workflow=default_workflow, valid_email=valid_email
    )
    meta = found.meta.merged(overrides) if overrides is not None else found.meta
    problems = [
        *found.problems,
        *row_problems,
        *_meta_problems(meta, filename, sidecar, title_hint),
    ]
    if problems:
        raise FileRefused(filename, problems)
    warnings = [*found.warnings, *row_warnings]
    return PlanFile(filename=filename, meta=meta, rows=rows, columns=columns, warnings=warnings)


@dataclass
class _Found:
    """The sheet of åtgärder and the plan's own data, as a file holds them."""

    sheet: Sheet
    meta: PlanMeta
    problems: list[Problem]
    warnings: list[Problem]


def _sheet_and_meta(
    data: bytes,
    filename: str,
    valid_email: EmailCheck,
    limits: ReadLimits,
    sidecar: tuple[str, str] | None,
) -> _Found:
    """A workbook's sheet of åtgärder and its sheet Planen; a CSV and its .plan.toml."""
    if kind_of(filename) != "xlsx":
        sheet = read_csv(data, filename, limits)
        if sidecar is None:
            return _Found(sheet, PlanMeta(), [], [])
        meta, problems = meta_from_toml(sidecar[1], sidecar[0], valid_email)
        return _Found(sheet, meta, problems, [])
    sheets = read_xlsx(data, filename, limits)
    data_sheets = [s for s in sheets if s.name.casefold() != PLAN_SHEET.casefold()]
    plan_sheets = [s for s in sheets if s.name.casefold() == PLAN_SHEET.casefold()]
    named = [s for s in data_sheets if s.name.casefold() == DATA_SHEET.casefold()]
    if not data_sheets:
        raise FileRefused(filename, [Problem("arbetsboken har inget blad med åtgärder")])
    sheet = (named or data_sheets)[0]
    warnings = []
    if len(data_sheets) > 1:
        warnings.append(Problem(f"bara bladet '{sheet.name}' lästes", place="Arbetsboken"))
    if not plan_sheets:
        return _Found(sheet, PlanMeta(), [], warnings)
    meta, problems = meta_from_sheet(plan_sheets[0].rows, valid_email)
    return _Found(sheet, meta, problems, warnings)


def _meta_problems(
    meta: PlanMeta, filename: str, sidecar: tuple[str, str] | None, title_hint: str | None
) -> list[Problem]:
    """What the plan's own data lacks or cannot hold: a NUL in a field, a missing title."""
    xlsx = kind_of(filename) == "xlsx"
    problems = []
    # As for a cell: a NUL cannot be stored in the plan's own fields either.
    nul = [k for k, v in vars(meta).items() if isinstance(v, str) and "\x00" in v]
    if nul:
        place = f"Blad {PLAN_SHEET}" if xlsx else "Planens uppgifter"
        label = LABELS.get(nul[0], nul[0])
        problems.append(Problem(f"{label}: innehåller ett NUL-tecken (tecken 0)", place=place))
    if not meta.title:
        where = (
            f"bladet {PLAN_SHEET} (Titel)"
            if xlsx
            else (f"{sidecar[0]}" if sidecar else "en .plan.toml-fil bredvid filen")
        )
        how = title_hint or f"ange den i {where} eller med --title"
        problems.append(Problem(f"planens titel saknas: {how}"))
    return problems
