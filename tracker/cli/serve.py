"""`tracker serve`: the web app under uvicorn (and, in development, the local mail receiver)."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from config import SERVE_HOST_ENV, Settings, known_secret_refusal
from tracker.cli.base import cli, fail, get_app, settings_file

# The same for one process and for each of several; behind nginx, which sets X-Forwarded-*.
# No "server: uvicorn" header: it tells an attacker what runs here, and helps nobody else.
UVICORN_OPTIONS: dict[str, Any] = {
    "log_level": "info",
    "proxy_headers": True,
    "server_header": False,
}

# How long uvicorn waits for a worker to answer before it kills it as hung and starts another.
# Its default, 5 s, is less than a new worker takes to import the app on a busy machine (4-6 s
# measured on two loaded cores), and a worker killed for it is replaced by one that is killed
# in the same way.
WORKER_START_SECONDS = 30


def refuse_a_known_secret(settings: Settings, host: str) -> None:
    """The rule every start of the web app follows (config.known_secret_refusal), said here
    once before any worker starts."""
    if refusal := known_secret_refusal(settings.secret_key, settings.public_base_url, host):
        raise fail(refusal)


def default_workers(dev_mail_receiver: bool) -> int:
    """One web process per core, as deploy.md advises: a process runs Python on one core at a
    time. The development mail receiver lives in one process."""
    return 1 if dev_mail_receiver else max(1, os.cpu_count() or 1)


@cli.command("serve")
def serve(
    host: Annotated[
        str, typer.Option("--host", metavar="ADRESS", help="Adress att lyssna på.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="Port att lyssna på.")] = 8000,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Logga varje anrop.")
    ] = True,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            metavar="ANTAL",
            min=1,
            help="Antal webbprocesser (uvicorn-arbetare); standard en per processorkärna, "
            "en med den inbyggda e-postmottagaren.",
        ),
    ] = None,
) -> None:
    """Starta webbappen."""
    # Refuses settings that cannot be used, and a schema older than the code's, with what to do.
    app = get_app()
    settings = app.settings
    refuse_a_known_secret(settings, host)
    if workers is None:
        workers = default_workers(settings.dev_mail_receiver)
    if workers > 1 and settings.dev_mail_receiver:
        # The receiver listens on one SMTP port and keeps its mail in one process's lifespan.
        raise fail("Den inbyggda e-postmottagaren kan bara köras med en webbprocess.")
    # Imported here: the other commands should not pay for loading the web stack.
    import uvicorn

    from tracker.logs import configure

    typer.echo(
        f"Webbappen startar på http://{host}:{port}/ (publik adress {settings.public_base_url})"
    )
    if settings.dev_mail_receiver:
        typer.echo(
            f"Utvecklingspost: SMTP på {settings.smtp_host}:{settings.smtp_port}, "
            f"brev visas på {settings.public_base_url.rstrip('/')}/dev/mail"
        )
    configure()  # tracker's own events as JSON lines on stderr, beside uvicorn's log
    options = {"host": host, "port": port, "access_log": access_log, **UVICORN_OPTIONS}
    if workers == 1:
        from tracker.web.main import create_app

        uvicorn.run(create_app(app), **options)
        return
    # uvicorn starts each worker as a new interpreter (spawn), which imports
    # tracker.web.asgi and builds its own App from the environment: what came from the
    # command line has to be put there. The settings were checked above, so a mistake
    # stops here once instead of in every worker.
    if (config := settings_file()) is not None:
        os.environ["TRACKER_CONFIG"] = config
    os.environ["TRACKER_DATABASE_URL"] = settings.database_url
    os.environ[SERVE_HOST_ENV] = host
    # On SIGTERM or SIGINT uvicorn stops the workers (each finishes the requests it has)
    # and returns; a worker that dies is replaced.
    uvicorn.run(
        "tracker.web.asgi:app_from_env",
        factory=True,
        workers=workers,
        timeout_worker_healthcheck=WORKER_START_SECONDS,
        **options,
    )
