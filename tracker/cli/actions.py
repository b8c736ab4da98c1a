"""`tracker action list|assign|move|history`."""

from __future__ import annotations

from typing import Annotated

import typer

from notifications.swedish import count
from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.output import as_json, table
from tracker.cli.people import tell_unused_name
from tracker.cli.swedish import CommandGroup
from tracker.domain.clock import local_date
from tracker.domain.schedule import SCHEDULE_LABELS
from tracker.models.base import ID_LIMIT
from tracker.services import actions, assigning, people, plans
from tracker.services.link_mail import TakenBack
from tracker.services.plans import ActionFilter
from tracker.web.views import event_views

action_app = CommandGroup(help="Åtgärder.")
cli.add_typer(action_app, name="action")

ActionArg = Annotated[
    int, typer.Argument(metavar="ÅTGÄRD", help="Åtgärdens nummer.", min=1, max=ID_LIMIT)
]


@action_app.command("list")
def action_list(
    plan: Annotated[
        int | None,
        typer.Option("--plan", metavar="PLAN", help="Planens nummer.", min=1, max=ID_LIMIT),
    ] = None,
    state: Annotated[
        str | None, typer.Option("--state", metavar="LÄGE", help="Läge: 'Pågår' eller 'pagar'.")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Bara försenade.")] = False,
    owner: Annotated[
        str | None, typer.Option("--owner", metavar="EPOST", help="Ansvarigs e-post.")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Skriv ut JSON, för skript.")] = False,
) -> None:
    """Lista åtgärder."""
    app = get_app()
    today = local_date(clock(), app.tz)
    state_id = None
    if state is not None:
        found = {
            r
            for n in app.registry.names()
            if (r := app.registry.get(n).definition.resolve_state(state)) is not None
        }
        if not found:
            known = ", ".join(
                f"{s.label} ({s.id})" for s in app.registry.get("atgard").definition.states
            )
            raise fail(f"Okänt läge '{state}'. Kända lägen: {known}.")
        state_id = found.pop()
    with app.transaction() as s:
        owner_id = people.get_person(s, owner).id if owner else None
        rows = plans.list_actions(
            s,
            app.registry,
            ActionFilter(
                plan_id=plan,
                state=state_id,
                owner_id=owner_id,
                overdue_on=today if overdue else None,
            ),
        )
    if json:
        as_json(
            [
                {
                    "id": a.id,
                    "plan_id": a.plan_id,
                    "area_id": a.area_id,
                    "text": a.text,
                    "state": a.state,
                    "owner_email": a.owner_email,
                    "owner_name": a.owner_name,
                    "due_on": a.due_on.isoformat() if a.due_on else None,
                    "evaluate_on": a.evaluate_on.isoformat() if a.evaluate_on else None,
                    "schedule": plans.status_of(app.registry, a, today).value,
                    "version": a.version,
                }
                for a in rows
            ]
        )
        return
    table(
        ["Nr", "Plan", "Läge", "Schema", "Klart till", "Ansvarig", "Åtgärd"],
        [
            [
                a.id,
                a.plan_id,
                app.registry.get(a.workflow).definition.label_of(a.state),
                SCHEDULE_LABELS[plans.status_of(app.registry, a, today)],
                a.due_on,
                a.owner_email,
                a.text,
            ]
            for a in rows
        ],
    )


@action_app.command("assign")
def action_assign(
    action_id: ActionArg,
    owner: Annotated[str, typer.Option("--owner", metavar="EPOST", help="Ansvarigs e-postadress.")],
    name: Annotated[str, typer.Option("--name", metavar="NAMN", help="Ansvarigs namn.")] = "",
) -> None:
    """Tilldela en åtgärd en ansvarig.

    Den nya ansvariga får inget brev (länken skrivs ut med tracker person link). Ett brev som
    väntar i utkorgen och säger att åtgärden är den förra ansvarigas återkallas, eller skrivs
    om till de åtgärder den förra fortfarande har.
    """
    app = get_app()
    now = clock()
    with app.transaction() as s:
        person = people.ensure_person(s, owner, now=now, name=name)
        taken_back = assigning.assign(s, app.registry, app.settings, action_id, person, now=now)
    typer.echo(f"Åtgärd {action_id}: ansvarig är nu {person.name} <{person.email}>.")
    for taken in taken_back:
        typer.echo(_taken_back_line(taken))
    tell_unused_name(person, name)


def _taken_back_line(taken: TakenBack) -> str:
    to = f"{taken.name} <{taken.to}>" if taken.name else taken.to
    if taken.withdrawn:
        return f"Väntande brev till {to} om tilldelningen är återkallat."
    kept = count(taken.kept, "åtgärd", "åtgärder")
    if taken.points:
        kept += f" och {count(taken.points, 'kontrollmoment', 'kontrollmoment')}"
    return f"Väntande brev till {to} om tilldelningen är omskrivet och tar nu bara upp {kept}."


@action_app.command("move")
def action_move(
    action_id: ActionArg,
    trigger: Annotated[
        str, typer.Argument(metavar="HÄNDELSE", help="Händelse, t.ex. starta, slutfor, utvardera.")
    ],
    as_email: Annotated[
        str, typer.Option("--as", metavar="EPOST", help="Vem som gör ändringen (e-post).")
    ],
    text: Annotated[
        str | None, typer.Option("--text", metavar="FRITEXT", help="Text: processläge eller skäl.")
    ] = None,
) -> None:
    """Flytta en åtgärd i arbetsflödet."""
    app = get_app()
    now = clock()
    with app.transaction() as s:
        actor = people.get_person(s, as_email)
        event = actions.move(s, app.registry, action_id, trigger, actor, now=now, text=text)
        wf = app.registry.get(actions.get_action(s, action_id).workflow).definition
    typer.echo(
        f"Åtgärd {action_id}: {wf.label_of(event.from_state or '')} → "
        f"{wf.label_of(event.to_state or '')}."
    )


@action_app.command("history")
def action_history(action_id: ActionArg) -> None:
    """Visa åtgärdens historik."""
    app = get_app()
    with app.transaction() as s:
        action = actions.get_action(s, action_id)
        events = actions.history(s, action_id)
    views = event_views(app.registry, action, events)
    table(
        ["Tid", "Vem", "Händelse", "Från", "Till", "Text"],
        [
            [
                v.event.at.astimezone(app.tz).strftime("%Y-%m-%d %H:%M"),
                e.actor_label,
                v.label,
                v.from_label,
                v.to_label,
                e.text,
            ]
            for e, v in zip(events, views, strict=True)
        ],
        full_last=True,
    )
