"""`tracker internkontroll import FIL`, `show PLAN [--json]` and `list`: a nämnd's
internkontrollplan, through tracker.services.internal_control; `add-risk`, `add-point`,
`change-point` and `change-risk-owner` change it by hand as its page does, through the same
functions, and each change is in the plan's history as made from the command line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from notifications.swedish import count
from tracker.cli.base import cli, clock, fail, get_app
from tracker.cli.output import as_json, table
from tracker.cli.swedish import CommandGroup
from tracker.domain.clock import local_date
from tracker.domain.reading import COMMAND_LINE_LIMITS
from tracker.domain.tidsplan import FIRST_YEAR, LAST_YEAR
from tracker.domain.workdays import WorkCalendar
from tracker.errors import TrackerError
from tracker.models import Person
from tracker.models.base import ID_LIMIT
from tracker.services import control_report as control_report_service
from tracker.services import internal_control, people

# Who made a change, in the plan's history: the command line, as `tracker plan set` says.
ACTOR_LABEL = "kommandoraden"

control_app = CommandGroup(
    help="Internkontroll: nämndens internkontrollplan med risker och kontrollmoment."
)
cli.add_typer(control_app, name="internkontroll")


@control_app.command("import")
def control_import(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FIL",
            help="CSV eller XLSX med kolumnerna Process, Risk, Sannolikhet, Konsekvens, "
            "Kontrollmoment, Metod, Frekvens, Ansvarig och E-post.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    namnd: Annotated[
        str,
        typer.Option("--namnd", metavar="NAMN", help="Nämnden som har antagit planen."),
    ],
    year: Annotated[
        int,
        typer.Option(
            "--year",
            metavar="ÅR",
            min=FIRST_YEAR,
            max=LAST_YEAR,
            help="Året planen gäller.",
        ),
    ],
    forvaltning: Annotated[
        str,
        typer.Option("--forvaltning", metavar="NAMN", help="Förvaltningen som genomför planen."),
    ] = "",
) -> None:
    """Läs in en internkontrollplan. Hela filen kontrolleras först: vid fel sparas ingenting.
    En nämnd har en plan per år; finns den redan vägras inläsningen."""
    app = get_app()
    try:
        with file.open("rb") as fh:
            # One byte more than allowed: a larger file is refused by its size.
            data = fh.read(COMMAND_LINE_LIMITS.file_bytes + 1)
        with app.transaction() as s:
            result = internal_control.import_control_plan(
                s,
                app.registry,
                data,
                file.name,
                namnd=namnd,
                year=year,
                forvaltning=forvaltning,
                now=clock(),
                limits=COMMAND_LINE_LIMITS,
                scale=app.risk_scale,
            )
    except TrackerError as exc:  # FileRefused lists every problem in its message
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(f"{result.title} (nummer {result.plan_id}) lästes in från {file.name}:")
    typer.echo(f"  Processer: {result.processes}")
    typer.echo(f"  Risker: {result.risks}, varav {result.handled_otherwise} utan kontrollmoment")
    typer.echo(f"  Kontrollmoment: {result.controls}")
    typer.echo(f"  Nya ansvariga: {result.owners_created}")
    if result.actions_decided:
        typer.echo(f"  Åtgärder direkt för risker: {result.actions_decided}")
    for warning in result.warnings:
        typer.echo(f"  Varning: {warning}")


@control_app.command("show")
def control_show(
    plan_id: Annotated[
        int,
        typer.Argument(metavar="PLAN", min=1, max=ID_LIMIT, help="Internkontrollplanens nummer."),
    ],
    per: Annotated[
        datetime | None,
        typer.Option(
            "--per",
            metavar="DATUM",
            formats=["%Y-%m-%d"],
            help="Dagen nästa kontrolltillfälle räknas från (ÅÅÅÅ-MM-DD). Standard: i dag.",
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Skriv ut JSON, för skript.")] = False,
) -> None:
    """Visa en internkontrollplan: riskerna med riskvärde och nivå, och kontrollmomenten med
    metod, frekvens, ansvarig och nästa kontrolltillfälle."""
    app = get_app()
    today = per.date() if per is not None else local_date(clock(), app.tz)
    try:
        with app.transaction() as s:
            view = internal_control.control_plan_view(
                s, plan_id, today=today, cal=WorkCalendar(), registry=app.registry
            )
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    if json:
        as_json(internal_control.as_json(view))
        return
    typer.echo(view.title)
    if view.forvaltning:
        typer.echo(view.forvaltning)
    typer.echo(f"Nästa kontrolltillfälle räknat från {view.today.isoformat()}.")
    typer.echo("")
    table(
        ["Nr", "Process", "S", "K", "Värde", "Nivå", "Risk"],
        [
            (r.number, r.process, r.likelihood, r.consequence, r.value, r.band, r.name)
            for r in view.risks
        ],
        full_last=True,
    )
    for r in view.risks:
        typer.echo("")
        typer.echo(f"{r.number}. {r.name} ({r.band}, {r.value})")
        if not r.controls:
            typer.echo(f"   Hantering: {r.handling or 'inget kontrollmoment'}")
            if r.handling_owner_name:
                typer.echo(f"   Ansvarig: {r.handling_owner_name}")
        for number, c in enumerate(r.controls, start=1):
            typer.echo(f"   Kontrollmoment {number}: {c.text}")
            if c.method:
                typer.echo(f"   Metod: {c.method}")
            typer.echo(f"   Frekvens: {c.frequency_text}")
            typer.echo(f"   Ansvarig: {c.owner_name or '–'}")
            nxt = c.next_on.isoformat() if c.next_on else f"inga fler under {view.year}"
            typer.echo(f"   Nästa kontrolltillfälle: {nxt}")


@control_app.command("list")
def control_list() -> None:
    """Lista internkontrollplanerna, senaste året först."""
    app = get_app()
    with app.transaction() as s:
        plans = internal_control.list_control_plans(s)
    if not plans:
        typer.echo("Det finns inga internkontrollplaner.")
        return
    table(
        ["Nr", "År", "Nämnd", "Förvaltning", "Risker", "Kontrollmoment"],
        [(p.id, p.year, p.namnd, p.forvaltning, p.risks, p.controls) for p in plans],
    )


@control_app.command("report")
def control_report(
    plan_id: Annotated[
        int,
        typer.Argument(metavar="PLAN", min=1, max=ID_LIMIT, help="Internkontrollplanens nummer."),
    ],
    per: Annotated[
        datetime | None,
        typer.Option(
            "--per",
            metavar="DATUM",
            formats=["%Y-%m-%d"],
            help="Uppföljningens datum (ÅÅÅÅ-MM-DD). Standard: i dag.",
        ),
    ] = None,
) -> None:
    """Gör ett utkast till uppföljning av internkontrollplanen för nämnden. Chefen skriver
    sin samlade bedömning (tracker internkontroll assess) och godkänner det sedan som en
    återrapport (tracker report approve)."""
    app = get_app()
    now = clock()
    as_of = per.date() if per is not None else local_date(now, app.tz)
    try:
        with app.transaction() as s:
            report = control_report_service.draft_control_report(
                s,
                app.registry,
                plan_id,
                as_of=as_of,
                now=now,
                tz=app.tz,
                draft_days=app.settings.report_draft_days_before,
                created_by="kommandoraden",
            )
            report_id = report.id
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(
        f"Utkast {report_id} till uppföljning av internkontrollplan {plan_id} sparat, "
        f"läget {as_of.isoformat()}."
    )
    typer.echo(f"Granska: tracker report download {report_id} --format pdf --out utkast.pdf")
    typer.echo(
        f"Samlad bedömning: tracker internkontroll assess {report_id} --as <chefens e-post> "
        "--file bedomning.txt"
    )
    typer.echo(f"Godkänn: tracker report approve {report_id} --as <chefens e-post>")


@control_app.command("assess")
def control_assess(
    report_id: Annotated[
        int,
        typer.Argument(metavar="RAPPORT", min=1, max=ID_LIMIT, help="Utkastets nummer (id)."),
    ],
    as_email: Annotated[str, typer.Option("--as", metavar="EPOST", help="Chefens e-postadress.")],
    text: Annotated[
        str | None, typer.Option("--text", metavar="BEDÖMNING", help="Den samlade bedömningen.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            metavar="FIL",
            help="En textfil (UTF-8) med den samlade bedömningen.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
) -> None:
    """Skriv chefens samlade bedömning i ett utkast till uppföljning. Den krävs innan
    uppföljningen godkänns, och kan ändras tills dess."""
    if (text is None) == (file is None):
        raise fail("Ange bedömningen med antingen --text eller --file.")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise fail(f"Fel: {file.name} är inte en textfil i UTF-8.") from None
    app = get_app()
    try:
        with app.transaction() as s:
            actor = people.get_person(s, as_email)
            control_report_service.write_assessment(s, report_id, actor, text or "", now=clock())
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(f"Den samlade bedömningen är sparad i utkast {report_id}.")


@control_app.command("copy")
def control_copy(
    plan_id: Annotated[
        int,
        typer.Argument(metavar="PLAN", min=1, max=ID_LIMIT, help="Årets internkontrollplan."),
    ],
    year: Annotated[
        int | None,
        typer.Option("--year", metavar="ÅR", help="Året för den nya planen. Standard: året efter."),
    ] = None,
) -> None:
    """Gör nästa års internkontrollplan från den här: samma processer, risker, kontrollmoment
    och ansvariga. Bedöm sedan riskerna på nytt (tracker internkontroll reassess)."""
    app = get_app()
    try:
        with app.transaction() as s:
            source = internal_control.get_control_plan(s, plan_id)
            target = year if year is not None else source.year + 1
            copied = internal_control.copy_to_year(s, plan_id, year=target, now=clock())
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(
        f"{copied.title} (nummer {copied.plan_id}) är gjord: "
        f"{count(copied.risks, 'risk', 'risker')} och "
        f"{copied.controls} kontrollmoment, med årets bedömning av riskerna."
    )
    typer.echo(
        f"Bedöm riskerna: tracker internkontroll reassess {copied.plan_id} --risk NR "
        "--sannolikhet S --konsekvens K"
    )


@control_app.command("reassess")
def control_reassess(
    plan_id: Annotated[
        int,
        typer.Argument(metavar="PLAN", min=1, max=ID_LIMIT, help="Internkontrollplanens nummer."),
    ],
    risk: Annotated[
        int, typer.Option("--risk", metavar="NR", min=1, help="Riskens nummer i planen.")
    ],
    likelihood: Annotated[
        int, typer.Option("--sannolikhet", metavar="S", help="Ny sannolikhet på planens skala.")
    ],
    consequence: Annotated[
        int, typer.Option("--konsekvens", metavar="K", help="Ny konsekvens på planens skala.")
    ],
) -> None:
    """Bedöm en risk på nytt: ny sannolikhet och konsekvens, och därmed nytt riskvärde."""
    app = get_app()
    try:
        with app.transaction() as s:
            changed = internal_control.reassess(
                s,
                plan_id,
                {risk: (likelihood, consequence)},
                now=clock(),
                actor=None,
                label=ACTOR_LABEL,
            )
            view = internal_control.control_plan_view(
                s, plan_id, today=local_date(clock(), app.tz), cal=WorkCalendar()
            )
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    r = view.risks[risk - 1]
    if not changed:
        typer.echo(f"Risk {risk}, {r.name}, hade redan den bedömningen: riskvärde {r.value}.")
        return
    typer.echo(f"Risk {risk}, {r.name}: riskvärde {r.value} ({r.band}).")


PlanArg = Annotated[
    int, typer.Argument(metavar="PLAN", min=1, max=ID_LIMIT, help="Internkontrollplanens nummer.")
]
RiskOption = Annotated[
    int,
    typer.Option(
        "--risk", metavar="NR", min=1, help="Riskens nummer i planen (tracker internkontroll show)."
    ),
]


@control_app.command("add-risk")
def control_add_risk(
    plan_id: PlanArg,
    process: Annotated[
        str, typer.Option("--process", metavar="PROCESS", help="Processen risken hör till.")
    ],
    name: Annotated[str, typer.Option("--text", metavar="RISK", help="Risken.")],
    likelihood: Annotated[
        int, typer.Option("--sannolikhet", metavar="S", help="Sannolikhet på planens skala.")
    ],
    consequence: Annotated[
        int, typer.Option("--konsekvens", metavar="K", help="Konsekvens på planens skala.")
    ],
) -> None:
    """Lägg till en risk i planen, sist i listan, som på planens sida. En process som redan
    finns i planen behåller sin stavning."""
    app = get_app()
    try:
        with app.transaction() as s:
            row = internal_control.add_risk(
                s,
                plan_id,
                process=process,
                name=name,
                likelihood=likelihood,
                consequence=consequence,
                now=clock(),
                actor=None,
                label=ACTOR_LABEL,
            )
            number = len(internal_control.risks_of(s, plan_id))
            added = (row.name, row.process)
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(f"Risk {number}, {added[0]}, är tillagd under {added[1]}.")


@control_app.command("add-point")
def control_add_point(
    plan_id: PlanArg,
    risk: RiskOption,
    text: Annotated[
        str, typer.Option("--text", metavar="KONTROLLMOMENT", help="Kontrollmomentet.")
    ],
    frequency: Annotated[
        str,
        typer.Option(
            "--frekvens",
            metavar="FREKVENS",
            help="Frekvensen som i filen: månadsvis, per tertial, mars och oktober, 15 mars ...",
        ),
    ],
    method: Annotated[str, typer.Option("--metod", metavar="METOD", help="Metoden.")] = "",
    owner_email: Annotated[
        str, typer.Option("--ansvarig", metavar="EPOST", help="Den ansvarigas e-postadress.")
    ] = "",
    owner_name: Annotated[
        str, typer.Option("--namn", metavar="NAMN", help="Den ansvarigas namn, om personen är ny.")
    ] = "",
) -> None:
    """Lägg till ett kontrollmoment under en risk, som på planens sida. Påminnelsekörningen
    öppnar dess kontroller som ett inläst kontrollmoments. Utan --ansvarig har det ingen
    ansvarig, som i en fil."""
    app = get_app()
    now = clock()
    try:
        with app.transaction() as s:
            plan = internal_control.get_control_plan(s, plan_id)
            risk_row = internal_control.risk_by_number(s, plan_id, risk)
            assert risk_row.id is not None
            owner = internal_control.typed_owner(s, plan, owner_email, owner_name, now=now)
            point = internal_control.add_control_point(
                s,
                plan_id,
                risk_row.id,
                text=text,
                method=method,
                frequency_text=frequency,
                owner=owner,
                now=now,
                actor=None,
                label=ACTOR_LABEL,
            )
            number = point.position
            told = people.new_owner_text(owner, owner_name) if owner is not None else ""
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    typer.echo(f"Kontrollmoment {number} är tillagt under risk {risk}.")
    if owner is None:
        typer.echo(internal_control.NO_OWNER_NOTICE)
    elif told:
        typer.echo(told)


@control_app.command("change-point")
def control_change_point(
    plan_id: PlanArg,
    risk: RiskOption,
    point: Annotated[
        int,
        typer.Option(
            "--moment",
            metavar="NR",
            min=1,
            help="Kontrollmomentets nummer under risken (tracker internkontroll show).",
        ),
    ],
    method: Annotated[
        str | None, typer.Option("--metod", metavar="METOD", help='Ny metod; "" tömmer den.')
    ] = None,
    frequency: Annotated[
        str | None, typer.Option("--frekvens", metavar="FREKVENS", help="Ny frekvens.")
    ] = None,
    owner_email: Annotated[
        str | None,
        typer.Option("--ansvarig", metavar="EPOST", help="Ny ansvarigs e-postadress."),
    ] = None,
    owner_name: Annotated[
        str,
        typer.Option("--namn", metavar="NAMN", help="Den nya ansvarigas namn, om personen är ny."),
    ] = "",
    no_owner: Annotated[
        bool,
        typer.Option("--ingen-ansvarig", help="Lämna kontrollmomentet utan ansvarig."),
    ] = False,
) -> None:
    """Ändra ett kontrollmoments metod, frekvens och ansvarig, som på planens sida. Bara det
    som anges ändras. En ny ansvarig får också de kontroller som redan är öppnade och inte
    gjorda (utan brev; skicka länken med tracker person login-link)."""
    if no_owner and owner_email is not None:
        raise fail("Ange antingen --ansvarig eller --ingen-ansvarig, inte båda.")
    app = get_app()
    now = clock()
    try:
        with app.transaction() as s:
            plan = internal_control.get_control_plan(s, plan_id)
            row = internal_control.point_by_number(s, plan_id, risk, point)
            assert row.id is not None
            if no_owner:
                owner = None
            elif owner_email is not None:
                owner = internal_control.typed_owner(s, plan, owner_email, owner_name, now=now)
            else:
                owner = s.get(Person, row.owner_id) if row.owner_id else None
            done = internal_control.change_control_point(
                s,
                app.registry,
                app.settings,
                plan_id,
                row.id,
                method=row.method if method is None else method,
                frequency_text=row.frequency_text if frequency is None else frequency,
                owner=owner,
                now=now,
                actor=None,
                label=ACTOR_LABEL,
            )
            owner_label = f"{owner.name} <{owner.email}>" if owner is not None else ""
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    if not done.changed:
        typer.echo("Inget ändrades.")
        return
    typer.echo(f"Kontrollmoment {point} under risk {risk} är ändrat.")
    if done.reassigned:
        typer.echo(f"{len(done.reassigned)} öppna kontroller går nu till {owner_label}.")
    if done.owner_removed:
        typer.echo(f"{internal_control.NO_OWNER_NOTICE} {internal_control.KEPT_CONTROLS_NOTICE}")


@control_app.command("change-risk-owner")
def control_change_risk_owner(
    plan_id: PlanArg,
    risk: RiskOption,
    owner_email: Annotated[
        str | None,
        typer.Option("--ansvarig", metavar="EPOST", help="Ny ansvarigs e-postadress."),
    ] = None,
    owner_name: Annotated[
        str,
        typer.Option("--namn", metavar="NAMN", help="Den nya ansvarigas namn, om personen är ny."),
    ] = "",
    no_owner: Annotated[
        bool,
        typer.Option("--ingen-ansvarig", help="Lämna riskens hantering utan ansvarig."),
    ] = False,
) -> None:
    """Ändra vem som är ansvarig för en risks hantering, som på planens sida. Nästa års plan
    som kopieras från den här får samma ansvarig."""
    if no_owner == (owner_email is not None):
        raise fail("Ange antingen --ansvarig eller --ingen-ansvarig.")
    app = get_app()
    now = clock()
    try:
        with app.transaction() as s:
            plan = internal_control.get_control_plan(s, plan_id)
            row = internal_control.risk_by_number(s, plan_id, risk)
            assert row.id is not None
            owner = (
                None
                if owner_email is None
                else internal_control.typed_owner(s, plan, owner_email, owner_name, now=now)
            )
            changed = internal_control.change_risk_handling_owner(
                s, plan_id, row.id, owner=owner, now=now, actor=None, label=ACTOR_LABEL
            )
            said = f"{owner.name} <{owner.email}>" if owner is not None else "ingen"
    except TrackerError as exc:
        raise fail(f"Fel: {exc.message}") from None
    if not changed:
        typer.echo("Inget ändrades.")
        return
    typer.echo(f"Ansvarig för hanteringen av risk {risk}: {said}.")
