"""`tracker calendar import FIL --namnd NAMN`, `show`, `add`, `move`, `cancel` and `restore`:
a nämnd's sammanträdesplan. Every change goes through tracker.services.meetings, as the web's
does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.output import table
from tracker.cli.swedish import CommandGroup
from tracker.domain.meetings import MAX_LEAD_DAYS, parse_meeting_date
from tracker.errors import TrackerError
from tracker.models.base import ID_LIMIT
from tracker.models.meeting import Meeting
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
        int | None,
        typer.Option(
            "--ledtid",
            metavar="DAGAR",
            min=0,
            max=MAX_LEAD_DAYS,
            help="Dagar före sammanträdet som handlingarna ska vara hos sekreteraren. "
            "Annars får nya sammanträden nämndens vanliga ledtid och sparade behåller sin.",
        ),
    ] = None,
) -> None:
    """Importera sammanträden. Hela filen kontrolleras först: vid fel sparas ingenting.

    Samma fil igen skapar inga dubbletter. Ett inställt sammanträde
    (STATUS:CANCELLED) sparas som inställt, och ett sparat sammanträde med
    nytt datum flyttas.
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
        ["Nr", "Datum", "Nämnd", "Status", "Handlingar senast"],
        [[m.id, m.held_on.isoformat(), m.board, _status(m), m.deadline.isoformat()] for m in rows],
    )


def _status(m: meetings.MeetingView) -> str:
    if m.moved_from is None:
        return m.status_label
    return f"{m.status_label}, flyttat från {m.moved_from.isoformat()}"


MeetingArg = Annotated[
    int,
    typer.Argument(
        metavar="MÖTE", help="Sammanträdets nummer (se calendar show).", min=1, max=ID_LIMIT
    ),
]
DateOption = Annotated[
    str, typer.Option("--datum", metavar="DATUM", help="Sammanträdets datum (ÅÅÅÅ-MM-DD).")
]


@calendar_app.command("add")
def calendar_add(
    namnd: Annotated[str, typer.Option("--namnd", metavar="NAMN", help="Nämnden.")],
    datum: DateOption,
    ledtid: Annotated[
        int | None,
        typer.Option(
            "--ledtid",
            metavar="DAGAR",
            help=f"Dagar före sammanträdet som handlingarna ska vara hos sekreteraren "
            f"(0–{MAX_LEAD_DAYS}); annars nämndens vanliga ledtid.",
        ),
    ] = None,
    titel: Annotated[str, typer.Option("--titel", metavar="RUBRIK", help="Rubrik.")] = "",
    plats: Annotated[str, typer.Option("--plats", metavar="PLATS", help="Plats.")] = "",
) -> None:
    """Lägg till ett sammanträde i en nämnds sammanträdesplan."""
    app = get_app()
    try:
        with app.transaction() as s:
            meeting = meetings.add_meeting(
                s,
                board=namnd,
                held_on=parse_meeting_date(datum),
                lead_days=ledtid,
                title=titel,
                place=plats,
                now=clock(),
            )
            shown = f"Sammanträde {meeting.id}: {meeting.board} {meeting.held_on.isoformat()}"
            lead = meeting.lead_days
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(f"{shown}, ledtid {lead} dagar, är tillagt.")


@calendar_app.command("move")
def calendar_move(meeting: MeetingArg, datum: DateOption) -> None:
    """Flytta ett sammanträde till ett nytt datum.

    Datumet det först planerades till ändras inte: en plan som ska
    återrapportera i juni gör det fortfarande på det flyttade junisammanträdet.
    """
    _change(meeting, lambda s, m: meetings.change_meeting(s, m, held_on=parse_meeting_date(datum)))


@calendar_app.command("cancel")
def calendar_cancel(meeting: MeetingArg) -> None:
    """Ställ in ett sammanträde."""
    _change(meeting, meetings.cancel_meeting)


@calendar_app.command("restore")
def calendar_restore(meeting: MeetingArg) -> None:
    """Återställ ett inställt sammanträde (planerat igen)."""
    _change(meeting, meetings.restore_meeting)


def _change(meeting_id: int, change: Callable[[Session, Meeting], list[str]]) -> None:
    app = get_app()
    try:
        with app.transaction() as s:
            meeting = meetings.get_meeting(s, meeting_id)
            changes = change(s, meeting)
            shown = f"Sammanträde {meeting_id} ({meeting.board})"
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(f"{shown}: {'; '.join(changes) if changes else 'inget ändrades'}.")
