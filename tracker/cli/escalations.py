"""`tracker escalation set-level`, `unset-level` and `levels`: who holds the levels of
escalation above the plan's chef, per förvaltning or for the whole kommun."""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.output import table
from tracker.cli.swedish import CommandGroup
from tracker.errors import TrackerError
from tracker.services import escalations, people

escalation_app = CommandGroup(help="Eskaleringar som väntar på svar: vem nivåerna går till.")
cli.add_typer(escalation_app, name="escalation")

LevelArg = Annotated[
    str,
    typer.Argument(
        metavar="NIVÅ",
        help="Nivån i arbetsflödesfilen, t.ex. forvaltningschef eller kommundirektor.",
    ),
]
ForvaltningOption = Annotated[
    str,
    typer.Option(
        "--forvaltning",
        metavar="FÖRVALTNING",
        help="Förvaltningen nivån gäller; utan den gäller den hela kommunen.",
    ),
]


@escalation_app.command("set-level")
def set_level(
    level: LevelArg,
    email: Annotated[str, typer.Argument(metavar="EPOST", help="Personens e-postadress.")],
    forvaltning: ForvaltningOption = "",
) -> None:
    """Ange vem som har en eskaleringsnivå (ersätter den som hade den)."""
    app = get_app()
    try:
        with app.transaction() as s:
            person = people.get_person(s, email)
            row = escalations.set_holder(s, app.registry, level, forvaltning, person, now=clock())
            name, label = person.name, escalations.level_label(app.registry, row.level)
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(f"{name} har nu nivån {label} för {forvaltning.strip() or 'hela kommunen'}.")


@escalation_app.command("unset-level")
def unset_level(level: LevelArg, forvaltning: ForvaltningOption = "") -> None:
    """Ta bort den som har en eskaleringsnivå."""
    app = get_app()
    try:
        with app.transaction() as s:
            escalations.remove_holder(s, app.registry, level, forvaltning)
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    label = escalations.level_label(app.registry, level)
    typer.echo(f"Ingen har längre nivån {label} för {forvaltning.strip() or 'hela kommunen'}.")


@escalation_app.command("levels")
def levels() -> None:
    """Visa nivåerna och vem som har dem."""
    app = get_app()
    known = escalations.known_levels(app.registry)
    with app.transaction() as s:
        rows = [
            [known.get(h.level, h.level), h.forvaltning or "hela kommunen", f"{p.name} <{p.email}>"]
            for h, p in escalations.list_holders(s)
        ]
    if not rows:
        typer.echo("Ingen har någon eskaleringsnivå: eskaleringar stannar hos planens chef.")
        return
    table(["Nivå", "Förvaltning", "Person"], rows)
