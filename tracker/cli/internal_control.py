"""`tracker internkontroll import FIL`, `show PLAN [--json]` and `list`: a nämnd's
internkontrollplan, through tracker.services.internal_control."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.output import as_json, table
from tracker.cli.swedish import CommandGroup
from tracker.domain.clock import local_date
from tracker.domain.reading import COMMAND_LINE_LIMITS
from tracker.domain.workdays import WorkCalendar
from tracker.errors import TrackerError
from tracker.models.base import ID_LIMIT
from tracker.services import internal_control

control_app = CommandGroup(
    help="Internkontroll: nämndens internkontrollplan med risker och kontrollmoment."
)
cli.add_typer(control_app, name="internkontroll")


@control_app.command("import")
def control_import(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FIL",
            help="CSV eller XLSX med kolumnerna Process, Risk, Sannolikhet, Konsekvens, "
            "Kontrollmoment, Metod, Frekvens, Ansvarig och E-post.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    namnd: Annotated[
        str,
        typer.Option("--namnd", metavar="NAMN", help="Nämnden som har antagit planen."),
    ],
    year: Annotated[
        int,
        typer.Option(
            "--year",
            metavar="ÅR",
            min=internal_control.FIRST_YEAR,
            max=internal_control.LAST_YEAR,
            help="Året planen gäller.",
        ),
    ],
    forvaltning: Annotated[
        str,
        typer.Option("--forvaltning", metavar="NAMN", help="Förvaltningen som genomför planen."),
    ] = "",
) -> None:
    """Läs in en internkontrollplan. Hela filen kontrolleras först: vid fel sparas ingenting.
    En nämnd har en plan per år; finns den redan vägras inläsningen."""
    app = get_app()
    try:
        with file.open("rb") as fh:
            # One byte more than allowed: a larger file is refused by its size.
            data = fh.read(COMMAND_LINE_LIMITS.file_bytes + 1)
        with app.transaction() as s:
            result = internal_control.import_control_plan(
                s,
                data,
                file.name,
                namnd=namnd,
                year=year,
                forvaltning=forvaltning,
                now=clock(),
                limits=COMMAND_LINE_LIMITS,
            )
    except TrackerError as exc:  # FileRefused lists every problem in its message
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(f"{result.title} (nummer {result.plan_id}) lästes in från {file.name}:")
    typer.echo(f"  Processer: {result.processes}")
    typer.echo(f"  Risker: {result.risks}, varav {result.handled_otherwise} utan kontrollmoment")
    typer.echo(f"  Kontrollmoment: {result.controls}")
    typer.echo(f"  Nya ansvariga: {result.owners_created}")
    for warning in result.warnings:
        typer.echo(f"  Varning: {warning}")


@control_app.command("show")
def control_show(
    plan_id: Annotated[
        int,
        typer.Argument(metavar="PLAN", min=1, max=ID_LIMIT, help="Internkontrollplanens nummer."),
    ],
    per: Annotated[
        datetime | None,
        typer.Option(
            "--per",
            metavar="DATUM",
            formats=["%Y-%m-%d"],
            help="Dagen nästa kontrolltillfälle räknas från (ÅÅÅÅ-MM-DD). Standard: i dag.",
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Skriv ut JSON, för skript.")] = False,
) -> None:
    """Visa en internkontrollplan: riskerna med riskvärde och nivå, och kontrollmomenten med
    metod, frekvens, ansvarig och nästa kontrolltillfälle."""
    app = get_app()
    today = per.date() if per is not None else local_date(clock(), app.tz)
    try:
        with app.transaction() as s:
            view = internal_control.control_plan_view(s, plan_id, today=today, cal=WorkCalendar())
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    if json:
        as_json(internal_control.as_json(view))
        return
    typer.echo(view.title)
    if view.forvaltning:
        typer.echo(view.forvaltning)
    typer.echo(f"Nästa kontrolltillfälle räknat från {view.today.isoformat()}.")
    typer.echo("")
    table(
        ["Nr", "Process", "S", "K", "Värde", "Nivå", "Risk"],
        [
            (r.number, r.process, r.likelihood, r.consequence, r.value, r.band, r.name)
            for r in view.risks
        ],
        full_last=True,
    )
    for r in view.risks:
        typer.echo("")
        typer.echo(f"{r.number}. {r.name} ({r.band}, {r.value})")
        if not r.controls:
            typer.echo(f"   Hantering: {r.handling or 'inget kontrollmoment'}")
            if r.handling_owner_name:
                typer.echo(f"   Ansvarig: {r.handling_owner_name}")
        for c in r.controls:
            typer.echo(f"   Kontrollmoment: {c.text}")
            if c.method:
                typer.echo(f"   Metod: {c.method}")
            typer.echo(f"   Frekvens: {c.frequency_text}")
            typer.echo(f"   Ansvarig: {c.owner_name or '–'}")
            nxt = c.next_on.isoformat() if c.next_on else f"inga fler under {view.year}"
            typer.echo(f"   Nästa kontrolltillfälle: {nxt}")


@control_app.command("list")
def control_list() -> None:
    """Lista internkontrollplanerna, senaste året först."""
    app = get_app()
    with app.transaction() as s:
        plans = internal_control.list_control_plans(s)
    if not plans:
        typer.echo("Det finns inga internkontrollplaner.")
        return
    table(
        ["Nr", "År", "Nämnd", "Förvaltning", "Risker", "Kontrollmoment"],
        [(p.id, p.year, p.namnd, p.forvaltning, p.risks, p.controls) for p in plans],
    )
