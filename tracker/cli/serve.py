"""`tracker serve`: the web app under uvicorn (and, in development, the local mail receiver)."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from pydantic import ValidationError

from tracker.cli.base import cli, cli_options, fail, get_app


@cli.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Adress att lyssna på.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port att lyssna på.")] = 8000,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Logga varje anrop.")
    ] = True,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Antal webbprocesser (uvicorn-arbetare).")
    ] = 1,
) -> None:
    """Starta webbappen."""
    try:
        app = get_app()
    except ValidationError as exc:
        # Production settings refuse a default secret or the development mail receiver.
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise fail(f"Fel i inställningarna: {messages}") from None
    # Imported here: the other commands should not pay for loading the web stack.
    import uvicorn

    from tracker.logs import configure
    from tracker.web.main import create_app

    settings = app.settings
    typer.echo(
        f"Webbappen startar på http://{host}:{port}/ (publik adress {settings.public_base_url})"
    )
    if settings.dev_mail_receiver:
        typer.echo(
            f"Utvecklingspost: SMTP på {settings.smtp_host}:{settings.smtp_port}, "
            f"brev visas på {settings.public_base_url.rstrip('/')}/dev/mail"
        )
    configure()  # tracker's own events as JSON lines on stderr, beside uvicorn's log
    if workers > 1:
        if settings.dev_mail_receiver:
            raise fail("Den inbyggda e-postmottagaren kan bara köras med en webbprocess.")
        # Each worker process builds its own App from the environment (tracker.web.asgi).
        if cli_options["config"]:
            os.environ["TRACKER_CONFIG"] = cli_options["config"]
        os.environ["TRACKER_DATABASE_URL"] = settings.database_url
        uvicorn.run(
            "tracker.web.asgi:app_from_env",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            access_log=access_log,
            log_level="info",
            proxy_headers=True,
        )
        return
    uvicorn.run(
        create_app(app),
        host=host,
        port=port,
        access_log=access_log,
        log_level="info",
        proxy_headers=True,
    )
