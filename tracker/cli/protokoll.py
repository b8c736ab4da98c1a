"""`tracker protokoll`: decisions from a protokoll. `list` shows the protokoll uploaded, with
how many decisions were drafted and whether they are confirmed. Reads through
tracker.services.protokoll, as the web's pages do. `draft FIL` prints the decisions proposed
from a file and saves nothing (tracker.domain.minutes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.base import cli, fail, get_app
from tracker.cli.output import as_json, table
from tracker.cli.swedish import CommandGroup
from tracker.domain.minutes import DraftDecision, extract_decisions, read_minutes
from tracker.errors import TrackerError
from tracker.services import people
from tracker.services import protokoll as protokoll_service

protokoll_app = CommandGroup(help="Beslut ur protokoll som blir åtgärder.")
cli.add_typer(protokoll_app, name="protokoll")


@protokoll_app.command("list")
def protokoll_list(
    forvaltning: Annotated[
        str | None,
        typer.Option(
            "--forvaltning", metavar="FÖRVALTNING", help="Bara den här förvaltningens protokoll."
        ),
    ] = None,
) -> None:
    """Visa uppladdade protokoll, senaste sammanträdet först."""
    app = get_app()
    with app.transaction() as s:
        rows = [
            (p, len(protokoll_service.drafts_of(p)))
            for p in protokoll_service.list_protokoll(s, forvaltning)
        ]
    if not rows:
        typer.echo("Inga protokoll.")
        return
    table(
        ["Nr", "Datum", "Organ", "Rubrik", "Förvaltning", "Beslut", "Läge"],
        [
            [
                p.id,
                p.meeting_on.isoformat(),
                p.body,
                p.title,
                p.forvaltning or "–",
                count,
                "Bekräftat" if p.confirmed_at else "Att granska",
            ]
            for p, count in rows
        ],
    )


@protokoll_app.command("draft")
def protokoll_draft(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FIL",
            help="Protokollet: text (.txt), Word (.docx) eller PDF med textlager.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    as_json_output: Annotated[
        bool, typer.Option("--json", help="Skriv förslagen som JSON.")
    ] = False,
    datum: Annotated[
        str | None,
        typer.Option(
            "--datum",
            metavar="ÅÅÅÅ-MM-DD",
            help="Sammanträdets datum, om protokollet inte anger det självt; "
            "datum utan årtal i texten räknas från det.",
        ),
    ] = None,
) -> None:
    """Föreslå beslut ur ett protokoll: vem, vad, när och var i protokollet.

    Ingenting sparas. Namn som inte motsvarar en känd person märks (okänd).
    """
    try:
        meeting_on = date.fromisoformat(datum) if datum else None
    except ValueError:
        raise fail(f"Fel: '{datum}' är inget datum; skriv det som ÅÅÅÅ-MM-DD.") from None
    try:
        text = read_minutes(file.read_bytes(), file.name)
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    with get_app().transaction() as s:
        known = people.known_people(s)
    drafts = extract_decisions(text, known=known, meeting_on=meeting_on)
    if as_json_output:
        as_json([_draft_json(d) for d in drafts])
        return
    if not drafts:
        typer.echo("Inga beslut hittades i protokollet; ingenting sparades.")
        return
    for number, d in enumerate(drafts, start=1):
        typer.echo(f"{number}. {'Punkt ' + d.item if d.item else 'Utan punkt'}")
        typer.echo(f"   Vem: {_who(d)}")
        typer.echo(f"   Vad: {d.what}")
        typer.echo(f"   När: {_when(d)}")
        if d.reports_to:
            typer.echo(f"   Återrapport till: {d.reports_to}")
        typer.echo(f"   Citat: ”{d.quote}”")
        typer.echo("")
    count = "1 förslag" if len(drafts) == 1 else f"{len(drafts)} förslag"
    typer.echo(f"{count}; ingenting sparades.")


def _who(d: DraftDecision) -> str:
    if not d.who:
        return "(ingen angiven)"
    if d.who_flagged:
        return f"{d.who} (okänd)"
    return f"{d.who} ({d.who_name} <{d.who_email}>)"


def _when(d: DraftDecision) -> str:
    if d.due_on:
        return f"{d.due_on.isoformat()} ({d.due_text})"
    return f"inget datum ({d.due_text})" if d.due_text else "–"


def _draft_json(d: DraftDecision) -> dict[str, object]:
    return {
        "who": d.who,
        "who_name": d.who_name,
        "who_email": d.who_email or None,
        "who_flagged": d.who_flagged,
        "what": d.what,
        "due_on": d.due_on.isoformat() if d.due_on else None,
        "due_text": d.due_text,
        "reports_to": d.reports_to,
        "quote": d.quote,
        "item": d.item,
    }
