"""Shared CLI plumbing: the root app, how commands get the App, and error handling.

Errors a user can act on (TrackerError) print their Swedish message and exit 1; nothing
else is caught, so a bug still shows its traceback.

Settings come from `--config`, else TRACKER_CONFIG, else `tracker.toml` in the working
directory when there is one (what `tracker demo` writes, so that the other commands work on
the running demo), and TRACKER_* variables win over the file. TRACKER_CONFIG set to nothing
reads no file.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from config import SettingsError, read_settings
from config.settings import CONFIG_FILE_ENV
from tracker.app import App, bootstrap
from tracker.cli.swedish import CommandGroup
from tracker.db import missing_sqlite_file
from tracker.errors import TrackerError
from tracker.migrate import require_current_schema
from workflows import DefinitionError

# The settings file a command reads when none is named.
DEFAULT_SETTINGS_FILE = Path("tracker.toml")

cli = CommandGroup(
    help="Åtgärdsplaner, åtgärder och återrapporter.", pretty_exceptions_enable=False
)

_state: dict[str, App] = {}
cli_options: dict[str, str | None] = {"database": None, "config": None}

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="DATABAS",
        help="SQLite-fil eller databas-URL (annars TRACKER_DATABASE_URL).",
    ),
]


@cli.callback()
def _root(
    ctx: typer.Context,
    database: DatabaseOption = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FIL",
            help=f"Inställningsfil (TOML); annars TRACKER_CONFIG eller {DEFAULT_SETTINGS_FILE} "
            "i katalogen du står i, om den finns.",
        ),
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


def settings_file() -> str | None:
    """The settings file this invocation reads, if any (see the module's docstring)."""
    if cli_options["config"]:
        return cli_options["config"]
    if CONFIG_FILE_ENV in os.environ:
        return os.environ[CONFIG_FILE_ENV] or None
    return str(DEFAULT_SETTINGS_FILE) if DEFAULT_SETTINGS_FILE.is_file() else None


class Needs(Enum):
    """What a command needs of the database before it runs."""

    # Its schema, as the code's (almost every command: one run on an empty or older database
    # would end in a traceback).
    schema = "schema"
    # The database as it is, of any version (a backup is taken before an upgrade).
    database = "database"
    # Nothing: the command makes or mends it (init, db upgrade, db restore) or reports on it
    # (check).
    nothing = "nothing"


def get_app(needs: Needs = Needs.schema) -> App:
    """The App for this invocation, built on first use from options, file and environment,
    refused with what to do when the database is not what the command `needs`."""
    if "app" not in _state:
        overrides = {}
        if cli_options["database"]:
            overrides["database_url"] = database_url(cli_options["database"])
        try:
            settings = read_settings(settings_file(), **overrides)
        except SettingsError as exc:
            # The operator's first command is where a mistake in the file or the
            # environment shows: a sentence naming the setting, not a traceback.
            raise fail(str(exc)) from None
        if needs is not Needs.nothing:
            _require_database_file(settings.database_url)
        app = _state["app"] = bootstrap(settings)
        if needs is Needs.schema:
            require_current_schema(app.engine)
    return _state["app"]


def _require_database_file(url: str) -> None:
    """A SQLite file that is not there is refused, not made: a command run without the
    service's settings would otherwise write to a new, empty database of its own."""
    if (path := missing_sqlite_file(url)) is not None:
        raise TrackerError(
            f"Databasfilen {path} finns inte. Ange tjänstens databas med --database eller "
            "TRACKER_DATABASE_URL (eller kör kommandot med tjänstens miljö), eller skapa en "
            "ny med 'tracker init'."
        )


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
