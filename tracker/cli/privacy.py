"""`tracker person export|erase`: personal data (GDPR)."""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.cli.base import clock, fail, get_app
from tracker.cli.output import as_json
from tracker.cli.people import EmailArg, person_app
from tracker.services import privacy


@person_app.command("export")
def person_export(email: EmailArg) -> None:
    """Skriv ut allt som finns om en person, som JSON."""
    app = get_app()
    with app.transaction() as s:
        as_json(privacy.export_person(s, email))


@person_app.command("erase")
def person_erase(
    email: EmailArg,
    yes: Annotated[bool, typer.Option("--yes", help="Bekräfta raderingen.")] = False,
) -> None:
    """Ersätt personens namn och e-post med en pseudonym (utom i utfärdade handlingar)."""
    if not yes:
        raise fail("Raderingen går inte att ångra. Kör igen med --yes.")
    app = get_app()
    with app.transaction() as s:
        person = privacy.erase_person(s, email, now=clock())
    typer.echo(
        f"Raderad: personen heter nu '{person.name}' <{person.email}>; länkarna är återkallade. "
        "Utfärdade återrapporter och granskningsuppföljningar är oförändrade (allmänna handlingar)."
    )
