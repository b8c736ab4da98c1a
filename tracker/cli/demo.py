"""`tracker demo` (what `make run` calls): set up, fill with the Piteå plan, and start."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer

from config import load_settings
from tracker.app import bootstrap
from tracker.cli.base import cli as root
from tracker.cli.base import cli_options, clock, database_url
from tracker.migrate import upgrade
from tracker.services.demo import seed_demo
from tracker.services.reminders import send_reminders


def _demo_secret(directory: Path) -> str:
    """A random key kept beside the demo database, so links survive a restart."""
    path = directory / "demo-secret.txt"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


@root.command("demo")
def demo(
    database: Annotated[Path, typer.Option("--db", help="SQLite-fil för demon.")] = Path(
        "var/demo.db"
    ),
    plan_file: Annotated[
        Path, typer.Option("--plan", help="Planen att importera som demodata.")
    ] = Path("examples/pitea-2018.csv"),
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    smtp_port: Annotated[
        int, typer.Option("--smtp-port", help="Den inbyggda e-postmottagaren.")
    ] = 8025,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Starta webb och schemaläggare.")
    ] = True,
) -> None:
    """Skapa en demodatabas med Piteås åtgärdsplan och starta webb, schemaläggare och e-post."""
    url = database_url(cli_options["database"] or str(database))
    settings = load_settings(
        cli_options["config"],
        environment="demo",
        database_url=url,
        secret_key=_demo_secret(database.parent),
        public_base_url=f"http://{host}:{port}",
        dev_mail_receiver=True,
        dev_mail_dir=str(database.parent / "devmail"),
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        smtp_user="",
    )
    app = bootstrap(settings)
    upgrade(app.engine)
    with app.transaction() as s:
        result = seed_demo(s, app.registry, plan_file)
    # Imported lazily: `tracker demo --no-serve` and the other commands need no web stack.
    from tracker.web.links import login_url

    now = clock()
    link = login_url(settings, result.chef, now=now)
    # A first sweep at once, so the owners' reminders are in /dev/mail to read and click.
    sweep = send_reminders(app, now=now)
    typer.echo(f"Demodatabas: {url} (plan {result.plan_id}: Piteås åtgärdsplan 2018)")
    typer.echo(f"Webben:      http://{host}:{port}/")
    typer.echo(f"E-post:      http://{host}:{port}/dev/mail (all post stannar här)")
    typer.echo(f"Påminnelser: {len(sweep.digests)} e-postbrev lagda i utkorgen i dag")
    typer.echo(f"Logga in som förvaltningschef Malin Westling:\n  {link}")
    typer.echo(
        f"  (gäller i {settings.login_link_max_age_minutes} minuter och en gång; en ny länk "
        f"fås på http://{host}:{port}/logga-in med adressen {result.chef.email})"
    )
    if not serve:
        return
    import uvicorn

    from tracker import logs
    from tracker.scheduler import start_background
    from tracker.web.main import create_app

    logs.configure()
    scheduler = start_background(app)
    try:
        uvicorn.run(create_app(app), host=host, port=port, log_level="warning")
    finally:
        scheduler.shutdown(wait=False)
