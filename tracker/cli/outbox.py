"""`tracker outbox list|retry|send`: the e-mail waiting to go out, and what failed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from notifications.swedish import count
from tracker.app import App
from tracker.cli.base import cli, clock, get_app
from tracker.cli.output import table
from tracker.cli.swedish import CommandGroup
from tracker.models.base import ID_LIMIT
from tracker.services import dispatch

outbox_app = CommandGroup(help="Utkorgen: e-post som väntar på att skickas.")
cli.add_typer(outbox_app, name="outbox")


@outbox_app.command("list")
def outbox_list(
    failed: Annotated[bool, typer.Option("--failed", help="Bara misslyckade.")] = False,
) -> None:
    """Lista meddelanden som inte är skickade."""
    app = get_app()
    with app.transaction() as s:
        rows = dispatch.list_messages(s, failed_only=failed)
        counts = dispatch.counts(s)
    table(
        ["Nr", "Status", "Försök", "Nästa försök", "Till", "Ämne", "Fel"],
        [
            [
                m.id,
                dispatch.STATUS_LABELS.get(m.status, m.status),
                m.attempts,
                m.next_attempt_at.astimezone(app.tz).strftime("%Y-%m-%d %H:%M")
                if m.status == dispatch.PENDING
                else None,
                m.to_addr,
                m.subject,
                m.last_error or None,
            ]
            for m in rows
        ],
    )
    summary = ", ".join(
        f"{dispatch.STATUS_LABELS.get(k, k).lower()}: {v}" for k, v in sorted(counts.items())
    )
    typer.echo(f"\nI utkorgen: {summary or 'tom'}.")
    if failed and rows:
        typer.echo("Försök igen med 'tracker outbox retry NR', eller utan NR för alla.")


@outbox_app.command("retry")
def outbox_retry(
    message_id: Annotated[
        int | None,
        typer.Argument(metavar="NR", help="Meddelandets nummer; utan: alla.", min=1, max=ID_LIMIT),
    ] = None,
) -> None:
    """Lägg misslyckade meddelanden i kön igen."""
    app = get_app()
    with app.transaction() as s:
        n = dispatch.retry(s, message_id, now=clock())
    if message_id is None and n == 0:
        typer.echo("Inga misslyckade meddelanden att lägga i kön.")
    elif message_id is None:
        messages = count(n, "misslyckat meddelande", "misslyckade meddelanden")
        typer.echo(f"{messages} ligger i kön igen.")
    else:
        typer.echo(f"Meddelande {message_id} ligger i kön igen.")


@outbox_app.command("send")
def outbox_send() -> None:
    """Skicka det som väntar, nu."""
    app = get_app()
    now = clock()
    result = dispatch.send_outbox(app, now=now)
    typer.echo(
        f"Skickade: {result.sent}. Försöks igen senare: {result.retry_later}. "
        f"Misslyckades: {result.failed}."
    )
    for line in result.errors[:20]:
        typer.echo(f"  {line}")
    _say_waiting(app, now)
    if result.server_unavailable:
        typer.secho(
            "E-postservern svarar inte; meddelandena ligger kvar och skickas senare.",
            fg=typer.colors.YELLOW,
        )
        raise typer.Exit(1)


def _say_waiting(app: App, now: datetime) -> None:
    """Why "Skickade: 0" need not mean that nothing is queued: mail held to be batched, or
    waiting after a temporary failure, goes at its own time."""
    with app.transaction() as s:
        n, first = dispatch.waiting_later(s, now=now)
    if n and first is not None:
        when = first.astimezone(app.tz).strftime("%Y-%m-%d %H:%M")
        many = "1 meddelande väntar" if n == 1 else f"{n} meddelanden väntar"
        typer.echo(
            f"{many} på sin tid och skickas av schemaläggaren, det första tidigast {when} "
            "('tracker outbox list' visar dem)."
        )
