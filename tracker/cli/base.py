"""Shared CLI plumbing: the root app, how commands get the App, and error handling.

Errors a user can act on (TrackerError) print their Swedish message and exit 1; nothing
else is caught, so a bug still shows its traceback.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from config import load_settings
from tracker.app import App, bootstrap
from tracker.errors import TrackerError
from workflows import DefinitionError

cli = typer.Typer(
    help="Åtgärdsplaner, åtgärder och återrapporter.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state: dict[str, App] = {}
cli_options: dict[str, str | None] = {"database": None, "config": None}

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="SQLite-fil eller databas-URL (annars TRACKER_DATABASE_URL)."),
]


@cli.callback()
def _root(
    ctx: typer.Context,
    database: DatabaseOption = None,
    config: Annotated[
        str | None, typer.Option("--config", help="Konfigurationsfil (TOML).")
    ] = None,
) -> None:
    cli_options["database"] = database
    cli_options["config"] = config
    _state.clear()  # each invocation builds its own App (CliRunner runs many in one process)
    ctx.call_on_close(_close)


def _close() -> None:
    """Close the database connections this invocation opened."""
    app = _state.pop("app", None)
    if app is not None:
        app.engine.dispose()


def database_url(value: str) -> str:
    return value if "://" in value else f"sqlite:///{value}"


def get_app() -> App:
    """The App for this invocation, built on first use from options, file and environment."""
    if "app" not in _state:
        overrides = {}
        if cli_options["database"]:
            overrides["database_url"] = database_url(cli_options["database"])
        _state["app"] = bootstrap(load_settings(cli_options["config"], **overrides))
    return _state["app"]


def clock() -> datetime:
    """The only place the CLI reads the wall clock; everything below takes `now`."""
    return datetime.now(UTC)


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def run() -> None:
    try:
        cli()
    except (TrackerError, DefinitionError) as exc:
        message = exc.message if isinstance(exc, TrackerError) else str(exc)
        typer.secho(f"Fel: {message}", err=True, fg=typer.colors.RED)
        sys.exit(1)
