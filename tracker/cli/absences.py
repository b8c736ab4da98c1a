"""`tracker absence add`, `list` and `remove`: a chef's absence and who stands in, as on the
page /franvaro. The command line is run by whoever runs the server: it may register anyone's."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.output import table
from tracker.cli.swedish import CommandGroup
from tracker.domain.clock import local_date
from tracker.errors import TrackerError
from tracker.models.base import ID_LIMIT
from tracker.services import absences, people

absence_app = CommandGroup(
    help="Frånvaro: vem som tar emot en chefs eskaleringar medan hen är borta."
)
cli.add_typer(absence_app, name="absence")


def _day(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise fail(
            f"Fel: {label}: skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2018-07-02."
        ) from None


@absence_app.command("add")
def add(
    email: Annotated[str, typer.Argument(metavar="EPOST", help="Den som är borta.")],
    deputy: Annotated[
        str, typer.Option("--deputy", metavar="EPOST", help="Ersättaren (chef eller admin).")
    ],
    first: Annotated[
        str, typer.Option("--from", metavar="ÅÅÅÅ-MM-DD", help="Första dagen av frånvaron.")
    ],
    last: Annotated[
        str, typer.Option("--to", metavar="ÅÅÅÅ-MM-DD", help="Sista dagen av frånvaron.")
    ],
) -> None:
    """Lägg in en frånvaro och vem som är ersättare."""
    starts_on, ends_on = _day(first, "--from"), _day(last, "--to")
    app = get_app()
    now = clock()
    try:
        with app.transaction() as s:
            away = people.get_person(s, email)
            stand_in = people.get_person(s, deputy)
            absence = absences.add_absence(
                s,
                None,
                away,
                stand_in,
                starts_on=starts_on,
                ends_on=ends_on,
                now=now,
                today=local_date(now, app.tz),
            )
            text = (
                f"Frånvaro {absence.id}: {away.name} är borta {starts_on.isoformat()}–"
                f"{ends_on.isoformat()}; {stand_in.name} är ersättare."
            )
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(text)


@absence_app.command("list")
def list_() -> None:
    """Visa pågående och kommande frånvaro."""
    app = get_app()
    with app.transaction() as s:
        rows = [
            [
                v.id,
                f"{v.person.name} <{v.person.email}>",
                f"{v.deputy.name} <{v.deputy.email}>",
                v.absence.starts_on.isoformat(),
                v.absence.ends_on.isoformat(),
            ]
            for v in absences.list_absences(s, today=local_date(clock(), app.tz))
        ]
    if not rows:
        typer.echo("Ingen frånvaro är inlagd.")
        return
    table(["Nr", "Borta", "Ersättare", "Första dagen", "Sista dagen"], rows)


@absence_app.command("remove")
def remove(
    absence_id: Annotated[
        int,
        typer.Argument(metavar="NR", help="Frånvarons nummer (list).", min=1, max=ID_LIMIT),
    ],
) -> None:
    """Ta bort en frånvaro."""
    app = get_app()
    try:
        with app.transaction() as s:
            removed = absences.remove_absence(s, None, absence_id)
            text = (
                f"Frånvaron för {removed.person.name} ({removed.absence.starts_on.isoformat()}–"
                f"{removed.absence.ends_on.isoformat()}) är borttagen."
            )
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(text)
