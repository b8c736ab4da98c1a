"""`tracker plan import FILE` and `tracker plan export PLAN --out FILE`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.base import clock, fail, get_app
from tracker.cli.plans import plan_app
from tracker.domain.clock import start_of_day
from tracker.domain.plan_meta import PlanMeta
from tracker.errors import TrackerError
from tracker.models.base import ID_LIMIT
from tracker.services import exporting, importing


def _given(value: str | None) -> str | None:
    return value.strip() if value is not None else None


@plan_app.command("import")
def plan_import(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FIL",
            help="CSV eller XLSX. För CSV läses <namn>.plan.toml bredvid filen om den finns.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    title: Annotated[str | None, typer.Option("--title", help="Planens titel.")] = None,
    forvaltning: Annotated[str | None, typer.Option("--forvaltning", help="Förvaltning.")] = None,
    namnd: Annotated[str | None, typer.Option("--namnd", help="Nämnd.")] = None,
    dnr: Annotated[str | None, typer.Option("--dnr", help="Diarienummer.")] = None,
    ort: Annotated[str | None, typer.Option("--ort", help="Ort i underskriften.")] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            metavar="DATUM",
            formats=["%Y-%m-%d"],
            help="Läget per: det datum filens lägen och processlägen gällde (ÅÅÅÅ-MM-DD), "
            "så att en återrapport kan tas fram för det datumet. Standard: i dag.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Kontrollera filen och visa vad som skulle hända; spara inget."
        ),
    ] = False,
) -> None:
    """Importera en åtgärdsplan. Hela filen kontrolleras först: vid fel sparas ingenting.

    Samma fil igen skapar inga dubbletter. För en befintlig åtgärd ändras
    tidsplan, datum, ansvarig m.m. med en händelse i historiken; läge och
    processläge ändras inte av en import, skillnader visas som varningar.
    """
    app = get_app()
    now = clock()
    recorded = start_of_day(as_of.date(), app.tz) if as_of is not None else None
    overrides = PlanMeta(
        title=_given(title),
        forvaltning=_given(forvaltning),
        namnd=_given(namnd),
        dnr=_given(dnr),
        ort=_given(ort),
    )
    try:
        with app.transaction(dry_run=dry_run) as s:
            result = importing.import_file(
                s, app.registry, app.settings, file, now=now, overrides=overrides, as_of=recorded
            )
    except TrackerError as exc:  # FileRefused lists every problem in its message
        raise fail(f"Fel: {exc.message}") from None
    for line in importing.describe(result):
        typer.echo(line)
    if dry_run:
        typer.echo("Provkörning: ingenting sparades.")


@plan_app.command("export")
def plan_export(
    plan_id: Annotated[
        int, typer.Argument(metavar="PLAN", help="Planens nummer.", min=1, max=ID_LIMIT)
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="Fil att skriva: .xlsx, eller .csv (med <namn>.plan.toml)."),
    ],
) -> None:
    """Exportera en plan med åtgärdernas nuvarande lägen, i samma form som importen läser."""
    app = get_app()
    if not out.parent.is_dir():
        raise fail(f"Fel: mappen {out.parent} finns inte.")
    try:
        with app.transaction() as s:
            table, written = exporting.export_plan(s, app.registry, plan_id, out)
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    names = " och ".join(str(p) for p in written)
    typer.echo(f"Skrev {names}: {table.areas} utvecklingsområden, {table.actions} åtgärder.")
