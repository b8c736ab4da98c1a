"""`tracker plan list|show|set`."""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.output import as_json, table
from tracker.cli.swedish import CommandGroup
from tracker.domain.clock import local_date
from tracker.domain.schedule import SCHEDULE_LABELS
from tracker.errors import TrackerError
from tracker.models.base import ID_LIMIT
from tracker.services import plan_settings, plans

plan_app = CommandGroup(help="Åtgärdsplaner.")
cli.add_typer(plan_app, name="plan")

JsonOption = Annotated[bool, typer.Option("--json", help="Skriv ut JSON, för skript.")]


@plan_app.command("list")
def plan_list(json: JsonOption = False) -> None:
    """Lista åtgärdsplaner med antal åtgärder per läge."""
    app = get_app()
    today = local_date(clock(), app.tz)
    with app.transaction() as s:
        summaries = plans.summarise_plans(s, app.registry, today)
    if json:
        as_json(
            [
                {
                    "id": x.plan.id,
                    "title": x.plan.title,
                    "forvaltning": x.plan.forvaltning,
                    "dnr": x.plan.dnr,
                    "actions": x.total,
                    "by_state": x.by_state,
                    "overdue": x.overdue,
                    "published": x.plan.published,
                }
                for x in summaries
            ]
        )
        return
    labels = app.registry.labels_in_order({k for x in summaries for k in x.by_label})
    table(
        ["Nr", "Åtgärdsplan", "Förvaltning", "Åtgärder", *labels, "Försenade"],
        [
            [
                x.plan.id,
                x.plan.title,
                x.plan.forvaltning,
                x.total,
                *[x.by_label.get(label, 0) for label in labels],
                x.late,
            ]
            for x in summaries
        ],
    )


@plan_app.command("show")
def plan_show(plan_id: Annotated[int, typer.Argument(metavar="PLAN", min=1, max=ID_LIMIT)]) -> None:
    """Visa en plan som i återrapporten: utvecklingsområde, åtgärd, tidsplan, processläge."""
    app = get_app()
    today = local_date(clock(), app.tz)
    with app.transaction() as s:
        plan = plans.get_plan(s, plan_id)
        areas = plans.plan_areas(s, plan_id)
    typer.secho(plan.title, bold=True)
    meta = [plan.forvaltning, plan.namnd, f"Dnr {plan.dnr}" if plan.dnr else ""]
    typer.echo(" · ".join(m for m in meta if m))
    if plan.background:
        typer.echo("\n" + plan.background)
    section = ""
    for area, rows in areas:
        if area.section and area.section != section:
            section = area.section
            typer.secho(f"\n{section}", bold=True)
        typer.secho(f"\n{area.title}", underline=True)
        for action, owner in rows:
            wf = app.registry.get(action.workflow).definition
            status = SCHEDULE_LABELS[plans.status_of(app.registry, action, today)]
            typer.echo(f"  [{action.id}] {' '.join(action.text.split())}")
            typer.echo(
                f"      Läge: {wf.label_of(action.state)} ({status})"
                f" · Ansvarig: {owner.name if owner else '–'}"
            )
            if action.tidsplan:
                typer.echo(f"      Tidsplan: {' '.join(action.tidsplan.split())}")
            if action.progress_note:
                typer.echo(f"      Processläge: {' '.join(action.progress_note.split())}")


@plan_app.command("set")
def plan_set(
    plan_id: Annotated[
        int, typer.Argument(metavar="PLAN", help="Planens nummer.", min=1, max=ID_LIMIT)
    ],
    title: Annotated[str | None, typer.Option("--title", metavar="TITEL", help="Titel.")] = None,
    forvaltning: Annotated[
        str | None, typer.Option("--forvaltning", metavar="NAMN", help="Förvaltning.")
    ] = None,
    namnd: Annotated[str | None, typer.Option("--namnd", metavar="NAMN", help="Nämnd.")] = None,
    dnr: Annotated[str | None, typer.Option("--dnr", metavar="DNR", help="Dnr.")] = None,
    decision_on: Annotated[
        str | None,
        typer.Option(
            "--beslutsdatum", metavar="DATUM", help="Nämndens beslut om planen (ÅÅÅÅ-MM-DD)."
        ),
    ] = None,
    decision_paragraph: Annotated[
        str | None,
        typer.Option("--paragraf", metavar="PARAGRAF", help="Beslutets paragraf, t.ex. '§ 45'."),
    ] = None,
    background: Annotated[
        str | None, typer.Option("--background", metavar="FRITEXT", help="Bakgrund.")
    ] = None,
    ort: Annotated[str | None, typer.Option("--ort", metavar="ORT", help="Ort.")] = None,
    signatory_name: Annotated[
        str | None, typer.Option("--signatory-name", metavar="NAMN", help="Undertecknare.")
    ] = None,
    signatory_title: Annotated[
        str | None,
        typer.Option("--signatory-title", metavar="TITEL", help="Undertecknarens titel."),
    ] = None,
    report_months: Annotated[
        str | None,
        typer.Option("--report-months", metavar="MÅNADER", help="Återrapportmånader, t.ex. 6,12."),
    ] = None,
    next_report_on: Annotated[
        str | None,
        typer.Option("--next-report-on", metavar="DATUM", help="Nästa återrapport (ÅÅÅÅ-MM-DD)."),
    ] = None,
    add_recipient: Annotated[
        list[str] | None,
        typer.Option("--add-recipient", metavar="EPOST", help="Lägg till en mottagare i nämnden."),
    ] = None,
    remove_recipient: Annotated[
        list[str] | None,
        typer.Option("--remove-recipient", metavar="EPOST", help="Ta bort en mottagare."),
    ] = None,
    publish: Annotated[
        bool | None,
        typer.Option(
            "--publicera/--avpublicera",
            help="Publicera planen öppet, utan inloggning (/oppet/planer/PLAN), eller ta bort den.",
            # Neither given: publishing is left as it is.
            show_default=False,
        ),
    ] = None,
) -> None:
    """Ändra planens uppgifter, nämndens mottagare och öppen publicering, som på planens
    inställningssida.

    Bara det som anges ändras; varje ändring sparas i planens historik. Ett tomt
    värde ("") tömmer fältet.
    """
    typed = {
        key: value
        for key, value in {
            "title": title,
            "forvaltning": forvaltning,
            "namnd": namnd,
            "dnr": dnr,
            "decision_on": decision_on,
            "decision_paragraph": decision_paragraph,
            "background": background,
            "ort": ort,
            "signatory_name": signatory_name,
            "signatory_title": signatory_title,
            "report_months": report_months,
            "next_report_on": next_report_on,
        }.items()
        if value is not None
    }
    app = get_app()
    try:
        with app.transaction() as s:
            plan = plans.get_plan(s, plan_id)
            values = plan_settings.read_settings(typed)
            if add_recipient or remove_recipient:
                values |= plan_settings.with_recipients(
                    plan, add=add_recipient or (), remove=remove_recipient or ()
                )
            if publish is not None:
                values[plan_settings.PUBLISHED] = publish
            changes = plan_settings.change_plan(
                s, plan, values, now=clock(), actor=None, label="kommandoraden"
            )
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    if not changes:
        typer.echo("Inget ändrades.")
    for change in changes:
        typer.echo(change.describe())
