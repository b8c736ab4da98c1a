"""`tracker serve`: the web app under uvicorn (and, in development, the local mail receiver)."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from tracker.cli.base import cli, cli_options, fail, get_app

# The same for one process and for each of several; behind nginx, which sets X-Forwarded-*.
# No "server: uvicorn" header: it tells an attacker what runs here, and helps nobody else.
UVICORN_OPTIONS: dict[str, Any] = {
    "log_level": "info",
    "proxy_headers": True,
    "server_header": False,
}


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
        raise typer.Exit(serve_workers(workers, host, port, access_log))
    uvicorn.run(create_app(app), host=host, port=port, access_log=access_log, **UVICORN_OPTIONS)


def serve_workers(n: int, host: str, port: int, access_log: bool) -> int:
    """`n` uvicorn processes, each listening on a socket of its own on the same port
    (SO_REUSEPORT), so that the kernel spreads new connections evenly over them. On uvicorn's
    one shared socket (its --workers) the process that wakes first takes them: in bench/web.py
    one of two workers got ~85 % of 200 owners' connections, and the burst took as long as if
    it ran alone. If a worker stops, the others are stopped too and the exit status is 1, so
    that the service manager restarts the whole service."""
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker, args=(host, port, access_log), name=f"tracker-web-{i}")
        for i in range(1, n + 1)
    ]
    for process in processes:
        process.start()
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests it has

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    multiprocessing.connection.wait([process.sentinel for process in processes])
    failed = not stopping
    stop(signal.SIGTERM, None)
    for process in processes:
        process.join()
    return 1 if failed else 0


def _worker(host: str, port: int, access_log: bool) -> None:
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    # Each worker builds its own App from the environment (tracker.web.asgi).
    config = uvicorn.Config(
        "tracker.web.asgi:app_from_env", factory=True, access_log=access_log, **UVICORN_OPTIONS
    )
    uvicorn.Server(config).run(sockets=[sock])
