"""`tracker reminders run` and `tracker scheduler`."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from notifications.swedish import count
from tracker import logs
from tracker.app import App
from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.swedish import CommandGroup
from tracker.services.reminders import SweepResult, send_reminders

reminders_app = CommandGroup(help="Påminnelser till ansvariga och chefer.")
cli.add_typer(reminders_app, name="reminders")


def parse_now(value: str, tz: ZoneInfo, hour: int) -> datetime:
    """An ISO date-time; without a zone it is local time, a bare date means `hour` local."""
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(hour), tz).astimezone(UTC)
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise fail(
            f"Ogiltig tidpunkt '{value}'. Skriv t.ex. 2018-06-21T07:00 eller 2018-06-21."
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(UTC)


@reminders_app.command("run")
def reminders_run(
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            metavar="TIDPUNKT",
            help="Kör som om klockan vore denna (ISO, lokal tid om zon saknas).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Visa vem som skulle få vad; ändra ingenting."),
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Med --dry-run: skriv ut hela meddelandena.")
    ] = False,
) -> None:
    """Skicka dagens påminnelser: ett samlat e-postmeddelande per person."""
    app = get_app()
    when = parse_now(now, app.tz, app.settings.reminder_hour) if now else clock()
    result = send_reminders(app, now=when, dry_run=dry_run)
    if not result.working_day:
        typer.echo(f"{result.today} är inte en arbetsdag: inga påminnelser skickas.")
        return
    if dry_run:
        _echo_controls(result)
        for d in result.digests:
            typer.secho(f"{d.to} ({d.name})", bold=True)
            typer.echo(f"  Ämne: {d.message.subject}")
            for title, ids in d.listed:
                typer.echo(f"  {title}: {', '.join(str(i) for i in ids)}")
            if full:
                typer.echo("")
                typer.echo(d.message.text)
        _echo_drafts(app, when)
        typer.echo(
            f"Torrkörning {result.today}: {_summary(result)} skulle skickas. Ingenting sparades."
        )
        return
    if result.controls:
        typer.echo(
            f"{result.today}: {count(len(result.controls), 'kontroll', 'kontroller')} öppnade."
        )
    typer.echo(f"{result.today}: {_summary(result)} lagda i utkorgen.")
    if result.digests:
        typer.echo("De skickas av schemaläggaren, eller nu med 'tracker outbox send'.")


def _echo_controls(result: SweepResult) -> None:
    """The controls of internkontrollplaner that would be opened today; the digests listed
    after them do not yet carry them."""
    for c in result.controls:
        owner = f"{c.owner.name} <{c.owner.email}>" if c.owner else "ingen ansvarig"
        typer.secho(f"Kontroll öppnas: {c.point.text}", bold=True)
        typer.echo(
            f"  {c.control_plan.title}, {c.risk.process}: görs senast {c.due_on.isoformat()};"
            f" {owner}."
        )


def _echo_drafts(app: App, when: datetime) -> None:
    """The återrapport drafts the report job would make today, each mailed to the chef."""
    from tracker.reports.jobs import drafts_due

    for due in drafts_due(app, when):
        o = due.occasion
        where = f" till {o.board} {o.meeting_on.isoformat()}" if o.from_calendar else ""
        typer.secho(f"Utkast till återrapport: {due.title}{where}", bold=True)
        typer.echo(
            f"  Görs i dag och skickas till chefen; godkänns senast {o.approve_by.isoformat()}."
        )


def _summary(result: SweepResult) -> str:
    """'1 e-postmeddelande med 2 påminnelser'."""
    mails = count(len(result.digests), "e-postmeddelande", "e-postmeddelanden")
    return f"{mails} med {count(len(result.reminders), 'påminnelse', 'påminnelser')}"


@cli.command("scheduler")
def scheduler() -> None:
    """Kör schemalagda jobb (påminnelser, utkorgen) tills processen stoppas."""
    from tracker.scheduler import job_specs, run_forever

    # get_app checks the schema before logging is set up, so that Alembic's lines from
    # reading the revision ("Context impl SQLiteImpl.") do not open the scheduler's log.
    app = get_app()
    # APScheduler's own lines as text; the product's events as JSON lines (tracker.logs).
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logs.configure()
    for spec in job_specs(app.settings):
        typer.echo(f"{spec.name} ({spec.id}): {spec.trigger}")
    typer.echo("Schemaläggaren körs; stoppa med Ctrl-C.")
    run_forever(app)
