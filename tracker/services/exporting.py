"""Exporting a plan with its current states, in the shapes the import reads back.

XLSX: sheet "Åtgärder" (one row per åtgärd) and sheet "Plan" (Fält/Värde). CSV: semicolon,
UTF-8 with BOM, plus the sidecar `<stem>.plan.toml`. Tidsplan goes out as written, and the dates
also in "Klart till"/"Utvärderas" so that importing the export gives the same dates even where the
text cannot be read. Export, import into an empty database, export again: the same content.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from tracker.domain.import_rows import COLUMNS, DATA_SHEET
from tracker.domain.plan_meta import PLAN_SHEET, PlanMeta, meta_to_sheet, meta_to_toml, sidecar_name
from tracker.domain.tables import OutCell, SheetOut, kind_of, write_csv, write_xlsx
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
    """A plan as rows: the header first, then one row per åtgärd in plan order."""

    meta: PlanMeta
    keys: tuple[str, ...]
    rows: list[list[OutCell]]
    areas: int
    actions: int


def plan_table(session: Session, registry: WorkflowRegistry, plan_id: int) -> PlanTable:
    plan = plans.get_plan(session, plan_id)
    areas = plans.plan_areas(session, plan_id)
    workflows = {a.workflow for _, rows in areas for a, _ in rows}
    keys = tuple(
        c.key for c in COLUMNS if c.key != "workflow" or workflows - {DEFAULT_ACTION_WORKFLOW}
    )
    rows: list[list[OutCell]] = [[c.header for c in COLUMNS if c.key in keys]]
    count = 0
    for area, area_rows in areas:
        for action, owner in area_rows:
            wf = registry.get(action.workflow).definition
            values: dict[str, OutCell] = {
                "section": area.section,
                "area": area.title,
                "text": action.text,
                "owner_name": owner.name if owner else None,
                "owner_email": owner.email if owner else None,
                "tidsplan": action.tidsplan,
                "due_on": action.due_on,
                "evaluate_on": action.evaluate_on,
                "status": wf.label_of(action.state),
                "progress_note": action.progress_note,
                "expected_effect": action.expected_effect,
                "follow_up": action.follow_up,
                "target_group": action.target_group,
                "budget_sek": action.budget_sek,
                "next_report_on": action.next_report_on,
                "workflow": action.workflow,
            }
            rows.append([values[k] if values[k] != "" else None for k in keys])
            count += 1
    meta = PlanMeta.from_plan_values(plan.model_dump())
    return PlanTable(meta=meta, keys=keys, rows=rows, areas=len(areas), actions=count)


def export_plan(
    session: Session, registry: WorkflowRegistry, plan_id: int, out: Path
) -> tuple[PlanTable, list[Path]]:
    """Write the plan to `out`: .xlsx, or .csv plus its .plan.toml. Returns the files written."""
    kind = kind_of(out.name)
    table = plan_table(session, registry, plan_id)
    if kind == "xlsx":
        out.write_bytes(
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
                ]
            )
        )
        return table, [out]
    out.write_bytes(write_csv(table.rows))
    side = out.with_name(sidecar_name(out.name))
    side.write_text(meta_to_toml(table.meta, out.name), encoding="utf-8")
    return table, [out, side]
