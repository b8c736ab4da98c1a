"""Exporting a plan with its current states, in the shapes the import reads back.

XLSX: sheet "Åtgärder" (one row per åtgärd) and sheet "Plan" (Fält/Värde). CSV: semicolon,
UTF-8 with BOM, plus the sidecar `<stem>.plan.toml`. Tidsplan goes out as written, and the dates
also in "Klart till"/"Utvärderas" so that importing the export gives the same dates even where the
text cannot be read. Export, import into an empty database, export again: the same content.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, func, select
from sqlmodel import Session

from tracker.domain.import_rows import COLUMNS, DATA_SHEET
from tracker.domain.plan_meta import PLAN_SHEET, PlanMeta, meta_to_sheet, meta_to_toml, sidecar_name
from tracker.domain.tables import OutCell, SheetOut, kind_of, write_csv, write_xlsx
from tracker.models import Action, Area, Person
from tracker.services import plans
from workflows import WorkflowRegistry
from workflows.registry import DEFAULT_ACTION_WORKFLOW

_WIDTHS = {
    "section": 24,
    "area": 40,
    "text": 60,
    "owner_name": 20,
    "owner_email": 28,
    "tidsplan": 30,
    "due_on": 12,
    "evaluate_on": 12,
    "status": 14,
    "progress_note": 60,
    "expected_effect": 40,
    "follow_up": 40,
    "target_group": 20,
    "budget_sek": 12,
    "next_report_on": 14,
    "workflow": 14,
}
_WRAP = {"section", "area", "text", "tidsplan", "progress_note", "expected_effect", "follow_up"}


@dataclass(frozen=True)
class PlanTable:
    """A plan as rows: the header first, then one row per åtgärd in plan order. The rows are
    read from the database as they are written (once)."""

    meta: PlanMeta
    keys: tuple[str, ...]
    rows: Iterator[list[OutCell]]
    areas: int
    actions: int


# Rows fetched from the database at a time: an export of 200,000 åtgärder never holds them
# all (bench/core.py).
_FETCH = 1_000
_A = Action.__table__  # type: ignore[attr-defined]
_R = Area.__table__  # type: ignore[attr-defined]
_O = Person.__table__  # type: ignore[attr-defined]


def plan_table(session: Session, registry: WorkflowRegistry, plan_id: int) -> PlanTable:
    plan = plans.get_plan(session, plan_id)
    conn = session.connection()
    workflows = set(conn.scalars(select(_A.c.workflow).where(_A.c.plan_id == plan_id).distinct()))
    keys = tuple(
        c.key for c in COLUMNS if c.key != "workflow" or workflows - {DEFAULT_ACTION_WORKFLOW}
    )
    areas = conn.scalar(select(func.count()).where(_R.c.plan_id == plan_id)) or 0
    actions = conn.scalar(select(func.count()).where(_A.c.plan_id == plan_id)) or 0
    return PlanTable(
        meta=PlanMeta.from_plan_values(plan.model_dump()),
        keys=keys,
        rows=_rows(conn, registry, plan_id, keys),
        areas=areas,
        actions=actions,
    )


def _rows(
    conn: Connection, registry: WorkflowRegistry, plan_id: int, keys: tuple[str, ...]
) -> Iterator[list[OutCell]]:
    yield [c.header for c in COLUMNS if c.key in keys]
    query = (
        select(
            _R.c.section,
            _R.c.title.label("area"),
            _A.c.text,
            _O.c.name.label("owner_name"),
            _O.c.email.label("owner_email"),
            _A.c.tidsplan,
            _A.c.due_on,
            _A.c.evaluate_on,
            _A.c.state,
            _A.c.progress_note,
            _A.c.expected_effect,
            _A.c.follow_up,
            _A.c.target_group,
            _A.c.budget_sek,
            _A.c.next_report_on,
            _A.c.workflow,
        )
        .select_from(_A.join(_R, _R.c.id == _A.c.area_id).outerjoin(_O, _O.c.id == _A.c.owner_id))
        .where(_A.c.plan_id == plan_id)
        .order_by(_R.c.position, _R.c.id, _A.c.position, _A.c.id)
        .execution_options(yield_per=_FETCH)
    )
    names = list(query.selected_columns.keys())
    state_at, workflow_at = names.index("state"), names.index("workflow")
    # Each key's place in a database row; the status is the state's label, put in its place.
    places = [names.index("state" if k == "status" else k) for k in keys]
    labels: dict[tuple[str, str], str] = {}
    for row in conn.execute(query):
        values: list[OutCell] = list(row)
        state = (row[workflow_at], row[state_at])
        if state not in labels:
            labels[state] = registry.get(state[0]).definition.label_of(state[1])
        values[state_at] = labels[state]
        yield [None if (v := values[i]) == "" else v for i in places]


def export_plan(
    session: Session, registry: WorkflowRegistry, plan_id: int, out: Path
) -> tuple[PlanTable, list[Path]]:
    """Write the plan to `out`: .xlsx, or .csv plus its .plan.toml. Returns the files written."""
    kind = kind_of(out.name)
    table = plan_table(session, registry, plan_id)
    if kind == "xlsx":
        write_xlsx(
            [
                SheetOut(
                    DATA_SHEET,
                    table.rows,
                    widths=[_WIDTHS[k] for k in table.keys],
                    wrap=frozenset(i for i, k in enumerate(table.keys) if k in _WRAP),
                ),
                SheetOut(
                    PLAN_SHEET, meta_to_sheet(table.meta), widths=[24, 100], wrap=frozenset({1})
                ),
            ],
            out,
        )
        return table, [out]
    write_csv(table.rows, out)
    side = out.with_name(sidecar_name(out.name))
    side.write_text(meta_to_toml(table.meta, out.name), encoding="utf-8")
    return table, [out, side]
