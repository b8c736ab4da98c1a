"""`tracker api-token create|list|revoke`: the tokens other systems read the API with."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.output import as_json, table
from tracker.cli.swedish import CommandGroup
from tracker.errors import TrackerError
from tracker.models.base import ID_LIMIT
from tracker.services import api_tokens

api_token_app = CommandGroup(help="API-nycklar: läsrätt till API:t för andra system.")
cli.add_typer(api_token_app, name="api-token")


@api_token_app.command("create")
def api_token_create(
    name: Annotated[
        str,
        typer.Option("--namn", metavar="NAMN", help="Vad nyckeln är till, t.ex. systemets namn."),
    ],
    forvaltning: Annotated[
        str | None,
        typer.Option(
            "--forvaltning", metavar="FÖRVALTNING", help="Den enda förvaltning nyckeln får läsa."
        ),
    ] = None,
    read_all: Annotated[
        bool, typer.Option("--alla", help="Nyckeln får läsa alla förvaltningar.")
    ] = False,
) -> None:
    """Skapa en API-nyckel. Nyckeln skrivs ut en gång och sparas bara som en kontrollsumma."""
    if read_all == bool(forvaltning):
        raise fail("Ange antingen --forvaltning FÖRVALTNING eller --alla.")
    app = get_app()
    try:
        with app.transaction() as s:
            made = api_tokens.create_token(
                s, name=name, forvaltning=forvaltning or "", read_all=read_all, now=clock()
            )
            token_id, scope = made.token.id, api_tokens.scope_label(made.token)
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(f"API-nyckel {token_id} ({scope}):")
    typer.echo(made.secret)
    typer.echo(
        "Spara nyckeln nu: den visas inte igen. Återkalla den med "
        f"'tracker api-token revoke {token_id}'."
    )


@api_token_app.command("list")
def api_token_list(
    json: Annotated[bool, typer.Option("--json", help="Skriv ut JSON, för skript.")] = False,
) -> None:
    """Lista API-nycklarna (aldrig nycklarna själva)."""
    app = get_app()
    with app.transaction() as s:
        rows = api_tokens.list_tokens(s)

    def when(value: datetime | None) -> str | None:
        return value.astimezone(app.tz).strftime("%Y-%m-%d %H:%M") if value else None

    if json:
        as_json(
            [
                {
                    "id": r.token.id,
                    "name": r.token.name,
                    "forvaltning": r.token.forvaltning or None,
                    "read_all": r.token.read_all,
                    "created_at": r.token.created_at.isoformat(),
                    "created_by": r.created_by or None,
                    "last_used_at": r.token.last_used_at.isoformat()
                    if r.token.last_used_at
                    else None,
                    "revoked_at": r.token.revoked_at.isoformat() if r.token.revoked_at else None,
                }
                for r in rows
            ]
        )
        return
    table(
        ["Nr", "Namn", "Får läsa", "Skapad", "Senast använd", "Återkallad"],
        [
            [
                r.token.id,
                r.token.name,
                r.scope,
                when(r.token.created_at),
                when(r.token.last_used_at),
                when(r.token.revoked_at),
            ]
            for r in rows
        ],
    )


@api_token_app.command("revoke")
def api_token_revoke(
    token_id: Annotated[
        int, typer.Argument(metavar="NR", help="Nyckelns nummer.", min=1, max=ID_LIMIT)
    ],
) -> None:
    """Återkalla en API-nyckel: den slutar fungera genast."""
    app = get_app()
    try:
        with app.transaction() as s:
            token = api_tokens.revoke_token(s, token_id, now=clock())
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(f"API-nyckel {token_id} ({token.name}) är återkallad.")
