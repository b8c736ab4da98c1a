"""`tracker report draft|approve|send|list|download|verify|archive-package|verify-package`:
återrapporter to the nämnd, and their archive packages for the e-arkiv."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.output import as_json, table
from tracker.cli.swedish import CommandGroup
from tracker.domain.clock import local_date
from tracker.errors import Refused
from tracker.models import Plan, Report
from tracker.models.base import ID_LIMIT
from tracker.reports import archive
from tracker.services import people, reports

report_app = CommandGroup(help="Återrapporter till nämnden.")
cli.add_typer(report_app, name="report")

ReportArg = Annotated[
    int, typer.Argument(metavar="RAPPORT", help="Återrapportens nummer (id).", min=1, max=ID_LIMIT)
]


class Format(StrEnum):
    html = "html"
    pdf = "pdf"
    docx = "docx"


def _parse_date(value: str | None, default: date) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"Ogiltigt datum '{value}': skriv det som ÅÅÅÅ-MM-DD.") from None


def _format_for(out: Path | None, given: Format | None) -> Format:
    if given is not None:
        return given
    if out is not None and out.suffix.lower().lstrip(".") in Format.__members__:
        return Format(out.suffix.lower().lstrip("."))
    return Format.html


@report_app.command("draft")
def report_draft(
    plan_id: Annotated[
        int, typer.Argument(metavar="PLAN", help="Planens nummer.", min=1, max=ID_LIMIT)
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATUM", help="Läget per datum (ÅÅÅÅ-MM-DD); i dag annars."
        ),
    ] = None,
    fmt: Annotated[
        Format | None,
        typer.Option("--format", help="html, pdf eller docx (annars efter --out, eller html)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FIL",
            help="Skriv dokumentet hit som förhandsvisning; inget utkast sparas.",
        ),
    ] = None,
) -> None:
    """Gör ett utkast till återrapport. Utan --out sparas utkastet för chefens godkännande."""
    app = get_app()
    now = clock()
    when = _parse_date(as_of, local_date(now, app.tz))
    draft_days = app.settings.report_draft_days_before
    if out is not None:
        with app.transaction() as s:
            snapshot = reports.draft_snapshot(
                s, app.registry, plan_id, as_of=when, now=now, tz=app.tz, draft_days=draft_days
            )
        kind = _format_for(out, fmt)
        data = reports.render(snapshot, (kind.value,))[kind.value]
        out.write_bytes(data)
        typer.echo(f"Skrev {out} ({kind.value}, {len(data)} byte): förhandsvisning, inte sparad.")
        return
    with app.transaction() as s:
        report = reports.draft_report(
            s,
            app.registry,
            plan_id,
            as_of=when,
            now=now,
            tz=app.tz,
            draft_days=draft_days,
            created_by="kommandoraden",
        )
    typer.echo(f"Utkast {report.id} sparat: plan {plan_id}, läget {when.isoformat()}.")
    typer.echo(f"Granska: tracker report download {report.id} --format pdf --out utkast.pdf")
    typer.echo(f"Godkänn: tracker report approve {report.id} --as <chefens e-post>")


@report_app.command("approve")
def report_approve(
    report_id: ReportArg,
    as_email: Annotated[str, typer.Option("--as", metavar="EPOST", help="Chefens e-postadress.")],
) -> None:
    """Godkänn ett utkast: det numreras, arkiveras och skickas till nämnden."""
    app = get_app()
    now = clock()
    with app.transaction() as s:
        actor = people.get_person(s, as_email)
        report = reports.approve_report(s, app.registry, report_id, actor, now=now, tz=app.tz)
        plan_id, number = report.plan_id, report.number
    typer.echo(f"Återrapport nr {number} för plan {plan_id} är godkänd och arkiverad.")
    # Its own transaction: an issued report stays issued even if it cannot be sent yet.
    try:
        with app.transaction() as s:
            queued = reports.send_report(s, app.registry, report_id, now=now, settings=app.settings)
    except Refused as exc:
        typer.echo(f"Den skickades inte: {exc.message}")
        typer.echo(f"Skicka sedan med: tracker report send {report_id}")
        return
    typer.echo(f"Skickas till nämnden: {', '.join(m.to_addr for m in queued)}.")


@report_app.command("send")
def report_send(report_id: ReportArg) -> None:
    """Skicka en godkänd återrapport till nämndens mottagare (PDF och DOCX bifogade)."""
    app = get_app()
    with app.transaction() as s:
        queued = reports.send_report(s, app.registry, report_id, now=clock(), settings=app.settings)
    typer.echo(f"Återrapport {report_id} skickas till: {', '.join(m.to_addr for m in queued)}.")


@report_app.command("list")
def report_list(
    plan_id: Annotated[
        int | None,
        typer.Option("--plan", metavar="PLAN", help="Bara denna plan.", min=1, max=ID_LIMIT),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Skriv ut JSON, för skript.")] = False,
) -> None:
    """Lista återrapporter och utkast. En återrapport är skickad först när utkorgen har
    lämnat breven till nämnden, som på webben."""
    app = get_app()
    with app.transaction() as s:
        rows = reports.list_reports(s, plan_id)
        sent = reports.sendings(s, app.registry, [r for r, _ in rows])
    if json:
        as_json([_report_json(r, p, sent[r.id or 0]) for r, p in rows])
        return
    table(
        ["Id", "Plan", "Nr", "Läge", "Per datum", "Dnr", "Godkänd av", "Skickad"],
        [
            [
                r.id,
                f"{r.plan_id} {p.title}",
                r.number,
                sent[r.id or 0].state_label,
                r.as_of,
                p.dnr or None,
                r.approved_by or None,
                _local_time(sent[r.id or 0].delivered_at, app.tz),
            ]
            for r, p in rows
        ],
    )


def _report_json(report: Report, plan: Plan, sending: reports.Sending) -> dict[str, object]:
    """A report for scripts: `state` and `sent_at` are the workflow's (sent_at: when the mail
    was queued); `state_label`, `delivery_status` and `delivered_at` what the outbox did."""
    return {
        "id": report.id,
        "plan_id": report.plan_id,
        "plan_title": plan.title,
        "dnr": plan.dnr,
        "number": report.number,
        "state": report.state,
        "state_label": sending.state_label,
        "as_of": report.as_of.isoformat(),
        "created_at": report.created_at.isoformat(),
        "approved_by": report.approved_by or None,
        "approved_at": _iso(report.approved_at),
        "sent_at": _iso(report.sent_at),
        "delivery_status": sending.status,
        "delivered_at": _iso(sending.delivered_at),
    }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _local_time(at: datetime | None, tz: ZoneInfo) -> str | None:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else None


@report_app.command("download")
def report_download(
    report_id: ReportArg,
    fmt: Annotated[Format, typer.Option("--format", help="html, pdf eller docx.")],
    out: Annotated[Path, typer.Option("--out", metavar="FIL", help="Fil att skriva.")],
) -> None:
    """Hämta en återrapports dokument: det arkiverade, eller för ett utkast ett nytt."""
    app = get_app()
    with app.transaction() as s:
        doc = reports.report_document(s, report_id, fmt.value)
    out.write_bytes(doc.data)
    typer.echo(f"Skrev {out} ({doc.filename}, SHA-256 {doc.sha256}).")


@report_app.command("verify")
def report_verify(report_id: ReportArg) -> None:
    """Kontrollera en utfärdad återrapports arkiverade filer mot sin SHA-256.

    Visar också om den här versionen återskapar samma dokument ur ögonblicksbilden; en
    senare ändring av rapportens mallar gör att den inte gör det, utan att arkivet är fel.
    """
    app = get_app()
    with app.transaction() as s:
        result = reports.verify_report(s, report_id)
    for fmt, check in sorted(result.items()):
        archive = "arkivet oförändrat" if check.intact else "ARKIVET ÄNDRAT: SHA-256 stämmer inte"
        again = (
            "återskapas likadant"
            if check.reproduced
            else "återskapas inte likadant av den här versionen (mallarna har ändrats sedan)"
        )
        typer.echo(f"{fmt}: {archive}; {again}")
    if not all(check.intact for check in result.values()):
        raise typer.Exit(1)


@report_app.command("archive-package")
def report_archive_package(
    report_id: ReportArg,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="KATALOG",
            help="Katalogen paketet skrivs i: en ny eller tom katalog (med --tar: filen).",
        ),
    ],
    tar: Annotated[
        bool, typer.Option("--tar", help="Skriv paketet som en enda .tar-fil i stället.")
    ] = False,
    agreement: Annotated[
        str,
        typer.Option(
            "--leveransoverenskommelse",
            metavar="BETECKNING",
            help="Leveransöverenskommelsen med arkivet (diarienummer, datum), om det finns en.",
        ),
    ] = "",
) -> None:
    """Skriv en utfärdad återrapport som arkivpaket (E-ARK SIP enligt FGS Paketstruktur).

    Paketet har de arkiverade dokumenten (PDF/A, DOCX, HTML) oförändrade, METS och PREMIS
    med varje fils SHA-256, och XML-scheman; se docs/archiving.md.
    """
    app = get_app()
    if tar and out.exists():
        raise fail(f"{out} finns redan. Ange en ny fil för arkivpaketet.")
    if not tar and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise fail(f"{out} finns redan och är inte en tom katalog. Ange en ny katalog.")
    with app.transaction() as s:
        package = archive.archive_package(
            s,
            report_id,
            now=clock(),
            tz=app.tz,
            package_id=uuid.uuid4(),
            submission_agreement=agreement,
        )
    if tar:
        data = package.tar()
        out.write_bytes(data)
        typer.echo(f"Skrev arkivpaketet {package.objid} till {out} ({len(data)} byte).")
        return
    package.write(out)
    typer.echo(
        f"Skrev arkivpaketet {package.objid} till {out} ({len(package.files)} filer). "
        f"Kontrollera det med: tracker report verify-package {out}"
    )


@report_app.command("verify-package")
def report_verify_package(
    directory: Annotated[
        Path, typer.Argument(metavar="KATALOG", help="Arkivpaketets katalog (där METS.xml är).")
    ],
) -> None:
    """Kontrollera ett arkivpaket: METS och PREMIS mot sina scheman och varje fil mot sin
    SHA-256. Avslutar med 1 om något är fel."""
    problems = archive.verify_package(directory)
    for problem in problems:
        typer.echo(problem)
    if problems:
        raise typer.Exit(1)
    typer.echo(
        "Arkivpaketet är helt: METS och PREMIS följer sina scheman, och varje fils storlek "
        "och SHA-256 stämmer."
    )
