"""`tracker calendar import FIL --namnd NAMN` and `tracker calendar show`: a nämnd's
sammanträdesplan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.output import table
from tracker.cli.swedish import CommandGroup
from tracker.domain.meetings import DEFAULT_LEAD_DAYS
from tracker.errors import TrackerError
from tracker.services import meetings

calendar_app = CommandGroup(help="Nämndernas sammanträdesplaner.")
cli.add_typer(calendar_app, name="calendar")


@calendar_app.command("import")
def calendar_import(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FIL",
            help="iCalendar (.ics) eller CSV med kolumnerna Datum och Nämnd.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    namnd: Annotated[
        str | None,
        typer.Option(
            "--namnd",
            metavar="NAMN",
            help="Nämnden vars sammanträden filen har. Krävs för .ics; i en CSV gäller "
            "den rader där Nämnd är tom.",
        ),
    ] = None,
    ledtid: Annotated[
        int,
        typer.Option(
            "--ledtid",
            metavar="DAGAR",
            min=0,
            max=365,
            help="Dagar före sammanträdet som handlingarna ska vara hos sekreteraren.",
        ),
    ] = DEFAULT_LEAD_DAYS,
) -> None:
    """Importera sammanträden. Hela filen kontrolleras först: vid fel sparas ingenting.

    Samma fil igen skapar inga dubbletter. Ett inställt sammanträde
    (STATUS:CANCELLED) sparas som inställt.
    """
    app = get_app()
    board = namnd.strip() if namnd and namnd.strip() else None
    try:
        rows = meetings.read_meeting_file(file, board, app.tz)
        with app.transaction() as s:
            result = meetings.import_meetings(s, rows, lead_days=ledtid, now=clock())
    except TrackerError as exc:  # FileRefused lists every problem in its message
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(
        f"{file.name}: {result.created} nya, {result.changed} ändrade, "
        f"{result.unchanged} oförändrade sammanträden."
    )


@calendar_app.command("show")
def calendar_show(
    namnd: Annotated[
        str | None, typer.Option("--namnd", metavar="NAMN", help="Bara den här nämnden.")
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", metavar="ÅR", min=1900, max=9999, help="Bara det här året."),
    ] = None,
) -> None:
    """Visa sammanträden med sista dag för handlingar till sekreteraren."""
    app = get_app()
    with app.transaction() as s:
        rows = meetings.list_meetings(s, board=namnd, year=year)
    if not rows:
        typer.echo("Inga sammanträden.")
        return
    table(
        ["Datum", "Nämnd", "Status", "Handlingar senast"],
        [[m.held_on.isoformat(), m.board, m.status_label, m.deadline.isoformat()] for m in rows],
    )
