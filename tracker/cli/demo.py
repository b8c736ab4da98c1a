"""`tracker demo` (what `make run` calls): set up, fill with the Piteå plan, and start.

The setup writes the settings the demo runs with (database, key, public address with its
port) to the CLI's default settings file, tracker.toml in the working directory, so that
`tracker person link ...` in another terminal makes a link that opens on the running demo.
It also sweeps the reminders at once, as of the last working day when today is a weekend or
a holiday, so that there is always an owner's mail to click in /dev/mail.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from config import Settings, load_settings
from notifications.swedish import count, weekday_date
from tracker.app import App, bootstrap
from tracker.cli.base import DEFAULT_SETTINGS_FILE, cli_options, clock, database_url, settings_file
from tracker.cli.base import cli as root
from tracker.domain.clock import local_date
from tracker.domain.workdays import WorkCalendar, holiday_name
from tracker.migrate import upgrade
from tracker.services.demo import LEAD_DAYS, Demo, seed_demo
from tracker.services.reminders import SweepResult, send_reminders
from tracker.web.links import login_url

# The first line of a settings file the demo wrote: only such a file is written over.
DEMO_MARK = "# Skriven av `tracker demo`: inställningarna som demon körs med."


@dataclass(frozen=True)
class DemoOptions:
    database: Path
    plan_file: Path
    host: str = "127.0.0.1"
    port: int = 8000
    smtp_port: int = 8025
    # The global --database and the settings file the command line names, if any.
    database_url: str | None = None
    config: str | None = None
    # The nämnd's sammanträdesplan (.ics); None: the demo's file beside the plan file.
    meetings_file: Path | None = None


@dataclass(frozen=True)
class DemoSetup:
    app: App
    seeded: Demo
    login_link: str
    sweep: SweepResult
    # Set when today is no working day: why, and the day the sweep was made as of.
    closed_note: str | None
    settings_file: Path


def set_up_demo(options: DemoOptions, *, now: datetime) -> DemoSetup:
    """Create and fill the demo database, sweep the reminders and write the settings file."""
    values = demo_values(options)
    settings = load_settings(options.config, **values)
    app = bootstrap(settings)
    upgrade(app.engine)
    with app.transaction() as s:
        seeded = seed_demo(
            s,
            app.registry,
            settings,
            options.plan_file,
            tz=app.tz,
            meetings_file=options.meetings_file,
            today=local_date(now, app.tz),
        )
    swept_at = sweep_time(now, settings, WorkCalendar())
    sweep = send_reminders(app, now=swept_at)
    return DemoSetup(
        app=app,
        seeded=seeded,
        login_link=login_url(settings, seeded.chef, now=now),
        sweep=sweep,
        closed_note=_closed_note(now, swept_at, ZoneInfo(settings.timezone)),
        settings_file=write_settings(values, DEFAULT_SETTINGS_FILE, options.database.parent),
    )


def demo_values(options: DemoOptions) -> dict[str, Any]:
    """The settings the demo runs with, whatever the files and environment say."""
    here = options.database.parent.resolve()
    return {
        "environment": "demo",
        "database_url": options.database_url or database_url(str(options.database.resolve())),
        "secret_key": _demo_secret(here),
        "public_base_url": f"http://{options.host}:{options.port}",
        "dev_mail_receiver": True,
        "dev_mail_dir": str(here / "devmail"),
        "smtp_host": "127.0.0.1",
        "smtp_port": options.smtp_port,
        "smtp_security": "none",
        "smtp_user": "",
    }


def _demo_secret(directory: Path) -> str:
    """A random key kept beside the demo database, so links survive a restart."""
    path = directory / "demo-secret.txt"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def sweep_time(now: datetime, settings: Settings, calendar: WorkCalendar) -> datetime:
    """`now` on a working day; else the last working day at the hour the scheduler sweeps,
    which is when the owners' reminders of a weekend or holiday went out."""
    tz = ZoneInfo(settings.timezone)
    today = local_date(now, tz)
    if calendar.is_working(today):
        return now
    day = calendar.on_or_before(today)
    at = time(settings.reminder_hour, settings.reminder_minute)
    return datetime.combine(day, at, tz).astimezone(UTC)


def _closed_note(now: datetime, swept_at: datetime, tz: ZoneInfo) -> str | None:
    if swept_at == now:
        return None
    today, day = local_date(now, tz), local_date(swept_at, tz)
    name = holiday_name(today)
    what = f"en helgdag ({name})" if name else "ingen arbetsdag"
    return (
        f"{weekday_date(today).capitalize()} är {what}. Demon skickar därför påminnelserna "
        f"som de gick ut {weekday_date(day)}, den senaste arbetsdagen."
    )


def write_settings(values: Mapping[str, Any], default: Path, fallback_dir: Path) -> Path:
    """Write the settings where the CLI reads them by default; a file there that the demo did
    not write is left alone, and the settings go beside the database instead."""
    path = default
    if default.exists() and not _written_by_demo(default):
        path = fallback_dir / "demo.toml"
    lines = [DEMO_MARK, "# Ta bort filen när demon inte behövs längre.", "[tracker]"]
    lines += [f"{key} = {_toml(value)}" for key, value in values.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)  # it holds the demo's secret key
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _written_by_demo(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as fh:
        return fh.readline().rstrip("\n") == DEMO_MARK


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # A JSON string is a TOML basic string: the same quotes and escapes.
    return json.dumps(str(value), ensure_ascii=False)


def describe(setup: DemoSetup, host: str, port: int) -> Iterator[str]:
    """What the demo tells the person who started it."""
    settings = setup.app.settings
    yield f"Demodatabas: {settings.database_url} (plan {setup.seeded.plan_id}: Piteås plan 2018)"
    yield f"Webben:      http://{host}:{port}/"
    yield f"E-post:      http://{host}:{port}/dev/mail (all post stannar här)"
    yield from _describe_meetings(setup.seeded, host, port)
    yield from _describe_sweep(setup)
    yield from _describe_settings_file(setup.settings_file)
    yield f"Logga in som förvaltningschef Malin Westling:\n  {setup.login_link}"
    yield (
        f"  (gäller i {count(settings.login_link_max_age_minutes, 'minut', 'minuter')} och en "
        f"gång; en ny länk fås på http://{host}:{port}/logga-in med adressen "
        f"{setup.seeded.chef.email})"
    )


def _describe_meetings(seeded: Demo, host: str, port: int) -> Iterator[str]:
    imported = seeded.meetings
    if imported is None:
        return
    n = imported.created + imported.changed + imported.unchanged
    yield (
        f"Sammanträden: {count(n, 'sammanträde', 'sammanträden')} för {seeded.board} "
        f"(2018 års plan, och samma veckor varje år till och med nästa år; ledtid {LEAD_DAYS} "
        f"dagar), http://{host}:{port}/sammantraden"
    )


def _describe_sweep(setup: DemoSetup) -> Iterator[str]:
    if setup.closed_note:
        yield f"Påminnelser: {setup.closed_note}"
    if setup.seeded.control_plan_id is not None:
        opened = len(setup.sweep.controls)
        yield (
            f"Internkontroll: {setup.app.settings.public_base_url}/internkontroll/"
            f"{setup.seeded.control_plan_id}"
            + (f" ({opened} kontroller öppnade i dag)" if opened else "")
        )
    n = len(setup.sweep.digests)
    if n:
        yield f"Påminnelser: {n} e-postbrev lagda i utkorgen"
    else:
        yield "Påminnelser: inga nya i dag; de från en tidigare start finns redan i /dev/mail"


def _describe_settings_file(path: Path) -> Iterator[str]:
    if path == DEFAULT_SETTINGS_FILE:
        yield (
            f"Inställningar: {path} (kommandon som 'tracker person link EPOST' i den här "
            "katalogen använder demons databas, nyckel och port)"
        )
    else:
        yield (
            f"Inställningar: {path}, eftersom {DEFAULT_SETTINGS_FILE} finns redan och inte är "
            f"demons. Använd dem med TRACKER_CONFIG={path} tracker ..."
        )
    shadowing = [n for n in _WRITTEN_ENV if n in os.environ]
    if shadowing:
        yield f"  Obs: {', '.join(shadowing)} i miljön vinner över filen för andra kommandon."


# Piteå's plan in the source tree's examples/, wherever the demo is started from.
DEMO_PLAN = Path(__file__).resolve().parents[2] / "examples" / "pitea-2018.csv"

_WRITTEN_ENV = ("TRACKER_DATABASE_URL", "TRACKER_SECRET_KEY", "TRACKER_PUBLIC_BASE_URL")


@root.command("demo")
def demo(
    database: Annotated[
        Path, typer.Option("--db", metavar="FIL", help="SQLite-fil för demon.")
    ] = Path("var/demo.db"),
    plan_file: Annotated[
        Path,
        typer.Option(
            "--plan",
            metavar="FIL",
            help="Planen att importera som demodata.",
            exists=True,
            dir_okay=False,
        ),
    ] = DEMO_PLAN,
    host: Annotated[
        str, typer.Option("--host", metavar="ADRESS", help="Adress att lyssna på.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="Webbens port.")] = 8000,
    smtp_port: Annotated[
        int,
        typer.Option("--smtp-port", metavar="PORT", help="Den inbyggda e-postmottagarens port."),
    ] = 8025,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Starta webb och schemaläggare.")
    ] = True,
    meetings_file: Annotated[
        Path | None,
        typer.Option(
            "--sammantraden",
            metavar="FIL",
            help="Nämndens sammanträdesplan (.ics); annars filen bredvid planen, om den finns.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Skapa en demodatabas med Piteås åtgärdsplan och starta webb, schemaläggare och e-post."""
    url = database_url(cli_options["database"]) if cli_options["database"] else None
    options = DemoOptions(
        database, plan_file, host, port, smtp_port, url, settings_file(), meetings_file
    )
    setup = set_up_demo(options, now=clock())
    for line in describe(setup, host, port):
        typer.echo(line)
    if serve:
        _serve(setup.app, host, port)


def _serve(app: App, host: str, port: int) -> None:
    # Imported here: `tracker demo --no-serve` and the other commands need no web server.
    import uvicorn

    from tracker import logs
    from tracker.cli.serve import UVICORN_OPTIONS
    from tracker.scheduler import start_background
    from tracker.web.main import create_app

    logs.configure()
    scheduler = start_background(app)
    try:
        # The same server as `tracker serve`'s, quieter: the demo prints its own guide.
        options = {**UVICORN_OPTIONS, "log_level": "warning"}
        uvicorn.run(create_app(app), host=host, port=port, **options)
    finally:
        scheduler.shutdown(wait=False)
