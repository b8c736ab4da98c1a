"""`tracker init` and `tracker db ...`: the schema, through Alembic migrations."""

from __future__ import annotations

import typer

from tracker.cli.base import cli, get_app
from tracker.migrate import upgrade

db_app = typer.Typer(help="Databasen: migreringar och säkerhetskopior.", no_args_is_help=True)
cli.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Uppgradera databasens schema till senaste version."""
    app = get_app()
    upgrade(app.engine)
    typer.echo(f"Databasen är uppgraderad: {app.engine.url.render_as_string(hide_password=True)}")


@cli.command("init")
def init() -> None:
    """Skapa databasen (eller uppgradera en befintlig)."""
    db_upgrade()
