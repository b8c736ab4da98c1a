"""`tracker init` and `tracker db ...`: the schema, through Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracker.backup import backup, restore
from tracker.cli.base import Needs, cli, fail, get_app
from tracker.cli.swedish import CommandGroup
from tracker.migrate import upgrade

db_app = CommandGroup(help="Databasen: migreringar och säkerhetskopior.")
cli.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Uppgradera databasens schema till senaste version."""
    app = get_app(Needs.nothing)
    upgrade(app.engine)
    typer.echo(f"Databasen är uppgraderad: {app.engine.url.render_as_string(hide_password=True)}")


@cli.command("init")
def init() -> None:
    """Skapa databasen (eller uppgradera en befintlig)."""
    db_upgrade()


@db_app.command("backup")
def db_backup(
    file: Annotated[
        Path, typer.Argument(metavar="FIL", help="Fil att skriva säkerhetskopian till.")
    ],
) -> None:
    """Säkerhetskopiera databasen (medan produkten kör)."""
    backup(get_app(Needs.database).engine, file)
    size = f"{file.stat().st_size:,}".replace(",", " ")  # Swedish digit grouping
    typer.echo(f"Säkerhetskopia skriven: {file} ({size} byte)")


@db_app.command("restore")
def db_restore(
    file: Annotated[
        Path, typer.Argument(metavar="FIL", help="Säkerhetskopia att återställa från.")
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Bekräfta att databasen skrivs över.")] = False,
) -> None:
    """Återställ databasen från en säkerhetskopia. Stoppa webb och schemaläggare först."""
    if not yes:
        raise fail("Återställningen skriver över hela databasen. Kör igen med --yes.")
    restore(get_app(Needs.nothing).engine, file)
    typer.echo(f"Databasen är återställd från {file}.")
