"""`tracker check`: verify database, SMTP, public address, secret and the PDF maker; exit 1
if any fails."""

from __future__ import annotations

import typer

from tracker.cli.base import Needs, cli, clock, get_app
from tracker.health import run_checks


@cli.command("check")
def check() -> None:
    """Kontrollera databas, e-postserver, publik adress, hemlig nyckel och PDF."""
    results = run_checks(get_app(Needs.nothing), clock())
    for r in results:
        mark = (
            typer.style("OK  ", fg=typer.colors.GREEN)
            if r.ok
            else typer.style("FEL ", fg=typer.colors.RED)
        )
        typer.echo(f"{mark}{r.name}: {r.detail}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)
