"""`tracker granskning import FIL` and `tracker granskning show ID [--json]`: the revisorer's
granskningar with their rekommendationer, through tracker.services.audits as the web's pages
do."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.output import as_json, table
from tracker.cli.swedish import CommandGroup
from tracker.domain.audit import read_audit_file
from tracker.domain.clock import local_date
from tracker.domain.reading import COMMAND_LINE_LIMITS
from tracker.errors import TrackerError
from tracker.models.base import ID_LIMIT
from tracker.services import audits, people

audit_app = CommandGroup(help="Revisorernas granskningar och uppföljningen av dem.")
cli.add_typer(audit_app, name="granskning")


@audit_app.command("import")
def audit_import(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FIL",
            help="CSV eller XLSX med kolumnerna Granskning, Revisor, Datum, Dnr, "
            "Rekommendation och Yttrande, en rekommendation per rad.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    forvaltning: Annotated[
        str,
        typer.Option(
            "--forvaltning",
            metavar="NAMN",
            help="Förvaltningen, för granskningar där filen inte anger någon.",
        ),
    ] = "",
    namnd: Annotated[
        str,
        typer.Option(
            "--namnd", metavar="NAMN", help="Nämnden, för granskningar där filen inte anger någon."
        ),
    ] = "",
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Kontrollera filen och visa vad som skulle hända; spara inget."
        ),
    ] = False,
) -> None:
    """Läs in granskningar. Hela filen kontrolleras först: vid fel sparas ingenting.

    En granskning som redan finns (samma namn och förvaltning) uppdateras: tomma
    celler ändrar inget, nya rekommendationer läggs till, ändrade yttranden skrivs.
    Rekommendationer som filen inte nämner lämnas orörda.
    """
    app = get_app()
    try:
        with file.open("rb") as fh:
            # One byte more than allowed: a larger file is refused by its size.
            data = fh.read(COMMAND_LINE_LIMITS.file_bytes + 1)
        read = read_audit_file(data, file.name, COMMAND_LINE_LIMITS, people.valid_email)
        now, where = clock(), forvaltning.strip()
        with app.transaction(dry_run=dry_run) as s:
            result = audits.import_audits(
                s, file.name, read, now=now, forvaltning=where, namnd=namnd
            )
    except TrackerError as exc:  # FileRefused lists every problem in its message
        raise fail(f"Fel: {exc.message}") from None
    count = len(result.outcomes)
    typer.echo(f"{file.name}: {count} {'granskning' if count == 1 else 'granskningar'}.")
    for line in audits.describe_import(result):
        typer.echo(line)
    if dry_run:
        typer.echo("Provkörning: ingenting sparades.")


@audit_app.command("verify")
def audit_verify(
    audit_id: Annotated[
        int, typer.Argument(metavar="ID", min=1, max=ID_LIMIT, help="Granskningens nummer.")
    ],
) -> None:
    """Kontrollera varje utfärdad version av granskningens uppföljning mot sin SHA-256.
    Avslutar med 1 om någon fil har ändrats."""
    app = get_app()
    try:
        with app.transaction() as s:
            checked = [
                (d.number, d.format, intact) for d, intact in audits.verify_issued(s, audit_id)
            ]
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    if not checked:
        typer.echo("Granskningens uppföljning är inte utfärdad ännu: det finns inga filer.")
    for number, fmt, intact in sorted(checked, key=lambda c: (-c[0], c[1])):
        archive = "arkivet oförändrat" if intact else "ARKIVET ÄNDRAT: SHA-256 stämmer inte"
        typer.echo(f"version {number} {fmt}: {archive}")
    if not all(intact for _, _, intact in checked):
        raise typer.Exit(1)


@audit_app.command("show")
def audit_show(
    audit_id: Annotated[
        int, typer.Argument(metavar="ID", min=1, max=ID_LIMIT, help="Granskningens nummer.")
    ],
    json: Annotated[bool, typer.Option("--json", help="Skriv ut JSON, för skript.")] = False,
) -> None:
    """Visa en granskning: rekommendationerna, yttrandena och läget för deras åtgärder."""
    app = get_app()
    today = local_date(clock(), app.tz)
    try:
        with app.transaction() as s:
            view = audits.audit_view(s, app.registry, audit_id, today)
            data = audits.as_json(view)
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    if json:
        as_json(data)
        return
    parts = [data["auditor"], data["report_on"], f"Dnr {data['dnr']}" if data["dnr"] else ""]
    typer.echo(data["title"])
    typer.echo(" · ".join(p for p in parts if p))
    table(
        ["Nr", "Status", "Åtgärder", "Rekommendation"],
        [
            (r["number"], r["status_label"], len(r["actions"]), r["text"])
            for r in data["recommendations"]
        ],
        full_last=True,
    )
    for r in data["recommendations"]:
        response = " ".join(r["response"].split()) or "Inget yttrande är skrivet."
        typer.echo(f"Nämndens yttrande över rekommendation {r['number']}: {response}")
