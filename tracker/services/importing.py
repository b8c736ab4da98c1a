"""Importing a plan file: the whole file is checked first, then applied in the caller's one
transaction, so either everything is imported or nothing.

Matching, so that importing the same file again duplicates nothing:
- the plan by title + förvaltning (its other fields are updated from the file),
- an utvecklingsområde by title within the plan (its section is updated),
- an åtgärd by utvecklingsområde + text (whitespace does not count).

A matched åtgärd whose plain fields (tidsplan, dates, förväntad effekt, ...) differ is changed
through tracker.services.actions.edit, and a new owner through assigning.assign, so each change
writes an event row. A former owner's assignment mail still waiting in the outbox is taken back
then; the new owner is sent none, as an import sends no mail (the web sends an owner their link
on request, `tracker person link` prints it). Its Status and Processläge are NOT changed by an
import: a state moves only through the workflow (with its rules on who may and what text is
needed) and processläge is the owner's report; a difference is listed as a warning naming the
command to use instead. A new åtgärd is created directly in the state the file gives; its
"skapad" event records that state, and its processläge, if any, is recorded in an "importerad"
event.

Matched åtgärder keep their position; new ones are appended to their area, new areas to the
plan. Åtgärder in the plan that the file does not mention are left alone (and counted).

Speed: existing areas, åtgärder and persons are loaded once per import and looked up in dicts;
new åtgärder are added in bulk, a chunk of rows per INSERT, and the database makes their events
from the rows written (bench/core.py: 200,000 rows from CSV in some 14 s, under 300 MB).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import String, Table, bindparam, insert, literal, null
from sqlalchemy import select as core_select
from sqlalchemy.sql import Executable
from sqlmodel import Session, SQLModel, col, select

from config import Settings
from tracker.domain.import_rows import (
    COLUMN,
    ImportRow,
    PlanFile,
    match_key,
    read_plan_file,
)
from tracker.domain.names import clean_name
from tracker.domain.plan_meta import PlanMeta, sidecar_name
from tracker.domain.problems import FileRefused, Problem
from tracker.domain.reading import COMMAND_LINE_LIMITS, ReadLimits
from tracker.domain.tables import kind_of
from tracker.errors import Refused
from tracker.models import Action, ActionEvent, Area, Person, Plan, Role
from tracker.services import actions, assigning, people, plan_settings, plans
from tracker.services.link_mail import TakenBack
from tracker.services.plan_settings import PlanChange
from workflows import WorkflowRegistry
from workflows.registry import DEFAULT_ACTION_WORKFLOW

_IN_CHUNK = 500  # addresses per IN (...) when loading persons
# Rows per INSERT of new åtgärder and of their events (see _NewActions).
_INSERT_CHUNK = 1_000
# Column defaults as the model declares them (they live on the Python side, not in the table).
_ACTION_DEFAULTS: dict[str, Any] = {
    name: f.get_default(call_default_factory=True)
    for name, f in Action.model_fields.items()
    if name != "id" and not f.is_required()
}


@dataclass
class ImportResult:
    plan_id: int
    plan_title: str
    plan_created: bool = False
    plan_updated: bool = False
    # What the file changed in an existing plan's own data (shown before a dry run saves).
    plan_changes: list[PlanChange] = field(default_factory=list)
    areas_created: int = 0
    areas_updated: int = 0
    areas_unchanged: int = 0
    actions_created: int = 0
    actions_updated: int = 0
    actions_unchanged: int = 0
    actions_not_in_file: int = 0
    persons_created: int = 0
    # Assignment mail to former owners of åtgärder the file gives to someone else, still
    # waiting in the outbox: withdrawn, or written anew for what is still theirs.
    mail_withdrawn: int = 0
    mail_rewritten: int = 0
    warnings: list[Problem] = field(default_factory=list)


def read_file(
    registry: WorkflowRegistry,
    path: Path,
    overrides: PlanMeta | None = None,
    limits: ReadLimits = COMMAND_LINE_LIMITS,
) -> PlanFile:
    """Read and check a plan file (and a CSV's sidecar .plan.toml); FileRefused if bad. A
    file on the server is read within the command line's limits unless told otherwise."""
    sidecar = None
    if kind_of(path.name) == "csv":
        side = path.with_name(sidecar_name(path.name))
        if side.is_file():
            sidecar = (side.name, _sidecar_text(side))
    return read_plan_file(
        # One byte more than is read: a larger file is refused by its size, never read whole.
        _head(path, limits.file_bytes + 1),
        path.name,
        workflows={n: registry.get(n).definition for n in registry.names()},
        default_workflow=DEFAULT_ACTION_WORKFLOW,
        valid_email=people.valid_email,
        limits=limits,
        sidecar=sidecar,
        overrides=overrides,
    )


# A .plan.toml holds a plan's title, nämnd and a few more lines.
MAX_SIDECAR_BYTES = 1024 * 1024


def _head(path: Path, limit: int) -> bytes:
    with path.open("rb") as fh:
        return fh.read(limit)


def _sidecar_text(side: Path) -> str:
    data = _head(side, MAX_SIDECAR_BYTES + 1)
    if len(data) > MAX_SIDECAR_BYTES:
        raise FileRefused(
            side.name, [Problem(f"planfilen är större än {MAX_SIDECAR_BYTES // 1024} kB")]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(side.name, [Problem("planfilen är inte UTF-8-text")]) from None


def import_file(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    path: Path,
    *,
    now: datetime,
    overrides: PlanMeta | None = None,
    as_of: datetime | None = None,
) -> ImportResult:
    """Check `path` as a whole, then apply it in `session` (the caller commits)."""
    plan_file = read_file(registry, path, overrides)
    return apply_plan_file(session, registry, settings, plan_file, now=now, as_of=as_of)


def apply_plan_file(
    session: Session,
    registry: WorkflowRegistry,
    settings: Settings,
    plan_file: PlanFile,
    *,
    now: datetime,
    as_of: datetime | None = None,
) -> ImportResult:
    """Apply a checked plan file. `as_of` ("läget per") is when the states and processläge
    of the file's new åtgärder held: they are recorded then, so an återrapport can be
    compiled for that date; by default, now."""
    if as_of is not None and as_of > now:
        raise Refused("Läget per kan inte vara ett datum efter i dag.")
    return _Importer(session, registry, settings, plan_file, now, as_of or now).run()


class _Importer:
    def __init__(
        self,
        session: Session,
        registry: WorkflowRegistry,
        settings: Settings,
        plan_file: PlanFile,
        now: datetime,
        as_of: datetime,
    ) -> None:
        self.s = session
        self.registry = registry
        self.settings = settings
        self.file = plan_file
        self.now = now
        self.as_of = as_of
        self.label = f"import ({plan_file.filename})"
        self.warnings = list(plan_file.warnings)
        self.taken_back: list[TakenBack] = []

    def run(self) -> ImportResult:
        plan, created, changes = self.plan()
        assert plan.id is not None
        result = ImportResult(
            plan_id=plan.id,
            plan_title=plan.title,
            plan_created=created,
            plan_updated=bool(changes),
            plan_changes=changes,
        )
        persons = self.persons(result)
        areas = self.areas(plan, result)
        self.actions(plan, areas, persons, result)
        result.warnings = self.warnings
        result.mail_withdrawn = sum(t.withdrawn for t in self.taken_back)
        result.mail_rewritten = len(self.taken_back) - result.mail_withdrawn
        return result

    # -- plan --

    def plan(self) -> tuple[Plan, bool, list[PlanChange]]:
        meta = self.file.meta
        values = meta.plan_values()
        title = values.pop("title")
        forvaltning = values.get("forvaltning", "")
        plan = self.s.exec(
            select(Plan).where(Plan.title == title, Plan.forvaltning == forvaltning)
        ).first()
        if plan is None:
            return plans.create_plan(self.s, now=self.now, title=title, **values), True, []
        # Only what the file states: a field it leaves out or empty keeps its value.
        stated = plan_settings.given_by_file(meta, [k for k in values if k != "forvaltning"])
        changes = plan_settings.change_plan(
            self.s, plan, stated, now=self.now, actor=None, label=self.label
        )
        return plan, False, changes

    # -- persons --

    def persons(self, result: ImportResult) -> dict[str, Person]:
        """Every owner in the file, by lower-case address: loaded once, new ones added."""
        wanted: dict[str, str] = {}
        for row in self.file.rows:
            if row.owner_email and (row.owner_email not in wanted or not wanted[row.owner_email]):
                # Cleaned when the file was read; again here, as ensure_person does, so no
                # path into this table skips it.
                wanted[row.owner_email] = clean_name(row.owner_name or "")
        found: dict[str, Person] = {}
        emails = [people.normalise_email(e) for e in wanted]
        for i in range(0, len(emails), _IN_CHUNK):
            chunk = emails[i : i + _IN_CHUNK]
            for person in self.s.exec(select(Person).where(col(Person.email).in_(chunk))):
                found[person.email] = person
        new: list[Person] = []
        for email, name in wanted.items():
            known = found.get(email)
            if known is None:
                # As people.ensure_person does, without a query and a flush per person.
                person = Person(
                    name=name or email, email=email, role=Role.owner.value, created_at=self.now
                )
                new.append(person)
                found[email] = person
            elif name and people.lacks_name(known):
                known.name = name
                self.s.add(known)
        if new:
            self.s.add_all(new)
            self.s.flush()
        result.persons_created = len(new)
        self.unused_names(found)
        return found

    def unused_names(self, persons: dict[str, Person]) -> None:
        """A name in the file that is not the name of the person with that address is not
        taken (the address may be a colleague's, typed on the wrong row): each is a warning."""
        # An owner's name and address repeat on each of their rows: each pair is judged once
        # (comparing names for every row was some 7 % of bench/core.py's 200,000-row import).
        warnings: dict[tuple[str, str], str] = {}
        for row in self.file.rows:
            person = persons.get(row.owner_email) if row.owner_email else None
            if person is None:
                continue
            pair = (row.owner_email, row.owner_name or "")
            warning = warnings.get(pair)
            if warning is None:
                unused = people.unused_name(person, pair[1])
                warning = warnings[pair] = (
                    people.unused_name_warning(person, pair[1]) if unused else ""
                )
            if warning:
                self.warn(row, "owner_name", warning)

    # -- areas --

    def areas(self, plan: Plan, result: ImportResult) -> dict[str, Area]:
        existing = {
            match_key(a.title): a for a in self.s.exec(select(Area).where(Area.plan_id == plan.id))
        }
        position = max((a.position for a in existing.values()), default=0)
        sections: dict[str, str] = {}
        order: list[tuple[str, str]] = []
        has_sections = "section" in self.file.columns
        for row in self.file.rows:
            key = match_key(row.area)
            if key not in sections:
                order.append((key, row.area))
                sections[key] = ""
            if row.section:
                sections[key] = row.section
        new: list[Area] = []
        assert plan.id is not None
        for key, title in order:
            area = existing.get(key)
            if area is None:
                position += 1
                area = Area(plan_id=plan.id, title=title, section=sections[key], position=position)
                new.append(area)
                existing[key] = area
                result.areas_created += 1
            elif has_sections and area.section != sections[key]:
                area.section = sections[key]
                self.s.add(area)
                result.areas_updated += 1
            else:
                result.areas_unchanged += 1
        if new:
            self.s.add_all(new)
            self.s.flush()
        return existing

    # -- actions --

    def actions(
        self,
        plan: Plan,
        areas: dict[str, Area],
        persons: dict[str, Person],
        result: ImportResult,
    ) -> None:
        existing: dict[tuple[int, str], Action] = {}
        positions: dict[int, int] = defaultdict(int)
        for action in self.s.exec(select(Action).where(Action.plan_id == plan.id)):
            existing[(action.area_id, match_key(action.text))] = action
            positions[action.area_id] = max(positions[action.area_id], action.position)
        seen: set[int] = set()
        new = _NewActions(self.s, self.label, self.as_of)
        for row in self.file.rows:
            area = areas[match_key(row.area)]
            assert area.id is not None
            owner = persons.get(row.owner_email) if row.owner_email else None
            matched = existing.get((area.id, match_key(row.text)))
            if matched is None:
                positions[area.id] += 1
                new.add(self.new_action(row, area, positions[area.id], owner))
                continue
            assert matched.id is not None
            seen.add(matched.id)
            if self.update_action(matched, row, owner):
                result.actions_updated += 1
            else:
                result.actions_unchanged += 1
        result.actions_created = new.finish()
        result.actions_not_in_file = len(existing) - len(seen)
        if result.actions_not_in_file:
            self.warnings.append(
                Problem(
                    f"{result.actions_not_in_file} åtgärder i planen finns inte i filen; "
                    "de lämnades orörda"
                )
            )

    def new_action(
        self, row: ImportRow, area: Area, position: int, owner: Person | None
    ) -> dict[str, Any]:
        """The new åtgärd's column values, for a bulk INSERT (every key, so rows batch)."""
        workflow = self.registry.get(row.workflow)
        note = row.progress_note or ""
        return {
            **_ACTION_DEFAULTS,
            "plan_id": area.plan_id,
            "area_id": area.id,
            "position": position,
            "text": row.text,
            "workflow": row.workflow,
            "state": row.state or workflow.initial,
            "owner_id": owner.id if owner else None,
            "progress_note": note,
            "progress_at": self.as_of if note else None,
            "updated_at": self.now,
            **row.fields,
        }

    def update_action(self, action: Action, row: ImportRow, owner: Person | None) -> bool:
        """Apply the file's plain fields and owner through the action services."""
        assert action.id is not None
        changes: dict[str, Any] = {k: v for k, v in row.fields.items() if getattr(action, k) != v}
        changed = False
        if changes:
            actions.edit(self.s, action.id, now=self.now, **changes)
            changed = True
        if owner is not None and action.owner_id != owner.id:
            self.taken_back += assigning.assign(
                self.s, self.registry, self.settings, action.id, owner, now=self.now
            )
            changed = True
        elif owner is None and action.owner_id is not None and "owner_email" in self.file.columns:
            self.warn(
                row, "owner_email", "ansvarig tas inte bort vid import; åtgärden behåller sin"
            )
        self.report_state(action, row)
        return changed

    def report_state(self, action: Action, row: ImportRow) -> None:
        """Status and processläge are not forced by an import: say what differs."""
        wf = self.registry.get(action.workflow).definition
        if row.state is not None and row.state != action.state:
            self.warn(
                row,
                "status",
                f"filen säger '{wf.label_of(row.state)}' men åtgärd {action.id} är "
                f"'{wf.label_of(action.state)}'; läget ändras inte vid import "
                f"(använd tracker action move {action.id} ...)",
            )
        if row.progress_note is not None and match_key(row.progress_note) != match_key(
            action.progress_note
        ):
            self.warn(
                row,
                "progress_note",
                f"skiljer sig från åtgärd {action.id}s processläge; processläget ändras inte "
                "vid import (den ansvariga rapporterar det)",
            )

    def warn(self, row: ImportRow, key: str, message: str) -> None:
        self.warnings.append(Problem(message, row.row, COLUMN[key].header))


class _NewActions:
    """New åtgärder written in bulk as they come, each chunk followed by its events.

    Building ORM objects row by row costs more than the database work (about half of the
    time for 10,000 åtgärder), so the rows go in as plain values, a chunk at a time. Their
    events are made by the database from the rows just written (INSERT ... SELECT), so a
    large file's rows and ids never all sit in memory at once (bench/core.py, 200,000 rows).
    """

    def __init__(self, session: Session, label: str, as_of: datetime) -> None:
        self.s = session
        self.label = label
        # The file's states and processläge hold as of then: their events are dated so.
        self.as_of = as_of
        self.chunk: list[dict[str, Any]] = []
        self.count = 0

    def add(self, values: dict[str, Any]) -> None:
        self.chunk.append(values)
        if len(self.chunk) == _INSERT_CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.chunk:
            return
        ids = self.s.scalars(_INSERT_ACTIONS, self.chunk).all()
        params = {"ids": ids, "at": self.as_of, "label": self.label}
        self.s.execute(_CREATED_EVENTS, params)
        # The processläge as the file gives it, so the history holds it too.
        self.s.execute(_IMPORTED_EVENTS, params)
        self.count += len(self.chunk)
        self.chunk = []

    def finish(self) -> int:
        """Write what is left; how many åtgärder were new."""
        self.flush()
        return self.count


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


_ACTIONS = _table(Action)
_EVENTS = _table(ActionEvent)
# SQLAlchemy's "insertmanyvalues" sends a chunk as INSERT ... VALUES (...), (...) RETURNING id,
# a statement per some hundred rows.
_INSERT_ACTIONS = insert(_ACTIONS).returning(_ACTIONS.c.id)


def _events_from(trigger: str, *, with_note: bool) -> Executable:
    """The event of each new åtgärd in :ids: "skapad" in its state, or "importerad" with the
    processläge of those that have one."""
    a = _ACTIONS
    rows = core_select(
        a.c.id,
        bindparam("at", type_=_EVENTS.c.at.type),
        bindparam("label", type_=String()),
        literal(trigger, String()),
        a.c.state if with_note else null(),
        a.c.state,
        a.c.progress_note if with_note else literal("", String()),
    ).where(a.c.id.in_(bindparam("ids", expanding=True)))
    if with_note:
        rows = rows.where(a.c.progress_note != "")
    columns = ["action_id", "at", "actor_label", "trigger", "from_state", "to_state", "text"]
    return insert(_EVENTS).from_select(columns, rows)


_CREATED_EVENTS = _events_from(actions.CREATED, with_note=False)
_IMPORTED_EVENTS = _events_from(actions.IMPORTED, with_note=True)


def describe(result: ImportResult) -> Iterable[str]:
    """The summary the CLI prints, in Swedish."""
    how = "ny" if result.plan_created else "uppdaterad" if result.plan_updated else "befintlig"
    yield f"Plan {result.plan_id}: {result.plan_title} ({how})."
    for change in result.plan_changes:
        yield f"  {change.describe()}"
    yield (
        f"Utvecklingsområden: {result.areas_created} nya, {result.areas_updated} ändrade, "
        f"{result.areas_unchanged} oförändrade."
    )
    yield (
        f"Åtgärder: {result.actions_created} nya, {result.actions_updated} ändrade, "
        f"{result.actions_unchanged} oförändrade."
    )
    if result.persons_created:
        yield f"Nya personer: {result.persons_created}."
    if result.mail_withdrawn or result.mail_rewritten:
        yield (
            f"Väntande brev till tidigare ansvariga: {result.mail_withdrawn} återkallade, "
            f"{result.mail_rewritten} omskrivna."
        )
    if result.warnings:
        yield f"Varningar ({len(result.warnings)}):"
        for w in result.warnings:
            yield f"  {w}"
