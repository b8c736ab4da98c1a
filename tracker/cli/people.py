"""`tracker person add|set|hand-over|revoke-links|login-link|link`."""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.swedish import CommandGroup
from tracker.domain.roles import LOGIN_ROLES
from tracker.errors import TrackerError
from tracker.models import Person, Role
from tracker.models.base import ID_LIMIT
from tracker.models.person import ROLE_LABELS
from tracker.services import actions, handover, people, person_moves
from tracker.services.access import change_role, revoke_links
from tracker.web.links import login_url, owner_url

person_app = CommandGroup(help="Personer: roller och länkar.")
cli.add_typer(person_app, name="person")

EmailArg = Annotated[str, typer.Argument(metavar="EPOST", help="Personens e-postadress.")]


# The roles as the pages name them, and as the code does: an IT person reads either.
_ROLES = {
    **{r.value: r for r in Role},
    **{label.split(" ")[0].casefold(): r for r, label in ROLE_LABELS.items()},
    "namnd": Role.board,
    "administrator": Role.admin,
}


def _role(value: str) -> Role:
    found = _ROLES.get(value.strip().casefold())
    if found is None:
        raise typer.BadParameter(
            f"'{value}' är ingen roll; välj ansvarig, chef, nämnd eller administratör."
        )
    return found


@person_app.command("add")
def person_add(
    email: EmailArg,
    name: Annotated[str, typer.Option("--name", metavar="NAMN", help="Namn.")] = "",
    role: Annotated[
        Role | None,
        typer.Option(
            "--role",
            metavar="ROLL",
            parser=_role,
            help="ansvarig (owner), chef, nämnd (board) eller administratör (admin).",
            show_default="ansvarig för en ny person; en som finns behåller sin roll",
        ),
    ] = None,
    forvaltning: Annotated[
        str | None,
        typer.Option(
            "--forvaltning", metavar="FÖRVALTNING", help="Förvaltning (en chef ser dess planer)."
        ),
    ] = None,
) -> None:
    """Lägg till en person, eller ändra roll och förvaltning för en som finns."""
    app = get_app()
    now = clock()
    with app.transaction() as s:
        # The förvaltning is given by moving the person there, new or known: one place
        # checks its spelling (person_moves).
        person = people.ensure_person(s, email, now=now, name=name, role=role or Role.owner)
        # Moving a known person to another förvaltning must not take their role from them.
        if role is not None:
            change_role(s, person, role, now=now)
        if forvaltning is not None:
            person_moves.move_person(s, person, forvaltning, now=now, actor=None)
    where = f", {person.forvaltning}" if person.forvaltning else ""
    typer.echo(f"{person.name} <{person.email}>: {ROLE_LABELS[Role(person.role)]}{where}.")
    tell_unused_name(person, name)


def tell_unused_name(person: Person, name: str) -> None:
    """Say so when the name given was not taken, and how to change the person's name."""
    note = people.unused_name_note(person, name)
    if note:
        typer.echo(f"{note} Ändra namnet med tracker person set {person.email} --name NAMN.")


@person_app.command("set")
def person_set(
    email: EmailArg,
    name: Annotated[
        str | None, typer.Option("--name", metavar="NAMN", help="Nytt namn på personen.")
    ] = None,
    daily_summary: Annotated[
        bool | None,
        typer.Option(
            "--daily-summary/--no-daily-summary",
            help="Dagssammanfattning varje arbetsdag av det ansvariga rapporterat i "
            "personens planer (för chef och administratör), på eller av.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Ändra en persons inställningar."""
    if daily_summary is None and name is None:
        raise fail("Ange vad som ska ändras, till exempel --name eller --daily-summary.")
    app = get_app()
    with app.transaction() as s:
        person = people.get_person(s, email)
        old = people.rename(s, person, name, actor_id=None) if name is not None else None
        if daily_summary is not None:
            people.set_daily_summary(s, person, on=daily_summary)
    if old is not None:
        typer.echo(f"{person.email} heter nu {person.name} (tidigare {old}).")
    if daily_summary is not None:
        state = "på" if daily_summary else "av"
        typer.echo(f"Dagssammanfattning för {person.email}: {state}.")


@person_app.command("hand-over")
def person_hand_over(
    email: Annotated[
        str, typer.Argument(metavar="FRÅN", help="E-postadressen till den som lämnar över.")
    ],
    successor: Annotated[
        str, typer.Argument(metavar="TILL", help="E-postadressen till den som tar över.")
    ],
) -> None:
    """Lämna över allt en person är ansvarig för och inte är klar med (åtgärder, kontroller,
    beslut, kontrollmoment och hanteringen av risker) till en annan person, som när någon
    slutar. Den som tar över får ett e-postmeddelande med allt som lämnats över."""
    app = get_app()
    now = clock()
    try:
        with app.transaction() as s:
            former = people.get_person(s, email)
            done = handover.hand_over(
                s, app.registry, app.settings, former, successor, now=now, actor=None
            )
            said = handover.confirmation(app.registry, done)
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(said)


@person_app.command("revoke-links")
def person_revoke_links(email: EmailArg) -> None:
    """Återkalla alla länkar (och inloggningar) som personen fått hittills."""
    app = get_app()
    now = clock()
    with app.transaction() as s:
        person = people.get_person(s, email)
        revoke_links(s, person, now=now)
    typer.echo(f"Alla länkar till {person.email} är återkallade. Nya länkar fungerar som vanligt.")


@person_app.command("login-link")
def person_login_link(email: EmailArg) -> None:
    """Skriv ut en inloggningslänk (för chef, admin eller nämndens läsare)."""
    app = get_app()
    with app.transaction() as s:
        person = people.get_person(s, email)
    if person.role not in LOGIN_ROLES:
        raise fail(
            f"{person.email} är ansvarig utan inloggning; "
            f"använd 'tracker person link {person.email}'."
        )
    typer.echo(login_url(app.settings, person, now=clock()))


@person_app.command("link")
def person_link(
    email: EmailArg,
    action: Annotated[
        int | None,
        typer.Option(
            "--action",
            metavar="ÅTGÄRD",
            help="Bara den här åtgärden (dess nummer).",
            min=1,
            max=ID_LIMIT,
        ),
    ] = None,
) -> None:
    """Skriv ut en ansvarigs personliga länk till sina åtgärder."""
    app = get_app()
    with app.transaction() as s:
        person = people.get_person(s, email)
        if action is not None and actions.get_action(s, action).owner_id != person.id:
            raise fail(f"{person.email} är inte ansvarig för åtgärd {action}.")
    typer.echo(owner_url(app.settings, person, now=clock(), action_id=action))
