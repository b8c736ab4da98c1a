"""Controls of an internkontrollplan as åtgärder: a year simulated day by day.

Barn- och utbildningsnämnden's plan for 2025 has a monthly, a quarterly and a yearly
kontrollmoment and one given twice a year. The scheduler's morning jobs run every day of the
year against a real SMTP server: each control is opened once, on a working day two weeks
before it is due, and its owner is told that morning. The owners report on the day each
control is due; Lars finds a deviation in the first quarter, which opens an åtgärd that is
reminded like any other; Erik skips June's control, is reminded every week and the chef gets
the escalation. Then: two schedulers at once, the dry run, and the answers a control takes.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from notifications.swedish import long_date
from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tracker.app import App
from tracker.cli import cli
from tracker.domain.clock import local_date
from tracker.domain.controls import occurrences, parse_frequency
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Refused
from tracker.models import (
    Action,
    ActionEvent,
    Area,
    ControlOccurrence,
    ControlPlan,
    ControlPoint,
    Person,
    Role,
)
from tracker.services import actions, control_report, internal_control, reports
from tracker.services.control_occurrences import CONTROL_WORKFLOW
from tracker.services.dispatch import send_outbox
from tracker.services.reminders import send_reminders

BUN = "Barn- och utbildningsnämnden"
FORVALTNING = "Utbildningsförvaltningen"
CAL = WorkCalendar()
ERIK = "erik.nilsson@pitea.example"
LARS = "lars.sjoberg@pitea.example"
ANNA = "anna.lindqvist@pitea.example"
MARIA = "maria.oberg@pitea.example"
CHEF = "malin.westling@pitea.example"
ROWS = [
    "Process;Risk;Sannolikhet;Konsekvens;Kontrollmoment;Metod;Frekvens;Ansvarig;E-post",
    "Närvaro;Frånvaro rapporteras inte samma dag;3;2;Kontroll av frånvaroregistrering;"
    f"Stickprov 5 lektioner per skola;månadsvis;Erik Nilsson;{ERIK}",
    "Delegation;Delegationsbeslut anmäls inte;2;3;Kontroll av anmälda delegationsbeslut;"
    f"Listorna mot protokollen;varje kvartal;Lars Sjöberg;{LARS}",
    "Skolskjuts;Skolskjuts beviljas utan rätt;2;2;Kontroll av skolskjutsbeslut;"
    f"Stickprov 10 beslut;årligen;Anna Lindqvist;{ANNA}",
    "Inköp;Inköp utanför avtal;3;3;Kontroll av inköp mot avtal;"
    f"Stickprov 20 fakturor;mars och oktober;Maria Öberg;{MARIA}",
]
PLAN_CSV = "\n".join(ROWS).encode()
GOOD = {"resultat": "Utan anmärkning", "urval": "Fem lektioner per skola", "metod": "Stickprov"}
DEVIATION = {
    "resultat": "Avvikelse",
    "avvikelse": "Två delegationsbeslut från februari anmäldes inte till nämnden.",
    "urval": "Alla beslut under kvartalet",
    "metod": "Listorna mot protokollen",
}


def _import(app: App, now: datetime, year: int = 2025, csv: bytes = PLAN_CSV) -> int:
    with app.transaction() as s:
        result = internal_control.import_control_plan(
            s,
            app.registry,
            csv,
            "ik.csv",
            namnd=BUN,
            year=year,
            forvaltning=FORVALTNING,
            now=now,
        )
        return result.plan_id


def _open_day(due: date, plan_from: date) -> date:
    """The first working day two weeks or less before the control is due."""
    day = max(due - timedelta(days=14), plan_from)
    return CAL.on_or_after(day)


def _expected(year: int, plan_from: date) -> dict[str, list[date]]:
    found = {}
    for text, frequency in (
        ("Kontroll av frånvaroregistrering", "månadsvis"),
        ("Kontroll av anmälda delegationsbeslut", "varje kvartal"),
        ("Kontroll av skolskjutsbeslut", "årligen"),
        ("Kontroll av inköp mot avtal", "mars och oktober"),
    ):
        dates = occurrences(parse_frequency(frequency), year, CAL)
        found[text] = [d for d in dates if d >= plan_from]
    return found


def _opened(app: App) -> dict[str, list[tuple[date, date, int]]]:
    """Per kontrollmoment: (due, day opened, åtgärd) of each control opened."""
    out: dict[str, list[tuple[date, date, int]]] = defaultdict(list)
    with app.transaction() as s:
        rows = s.exec(
            select(ControlPoint.text, ControlOccurrence)
            .join(ControlOccurrence, col(ControlOccurrence.point_id) == ControlPoint.id)
            .order_by(col(ControlOccurrence.due_on))
        ).all()
        for text, occurrence in rows:
            out[text].append(
                (occurrence.due_on, local_date(occurrence.created_at), occurrence.action_id)
            )
    return out


def test_a_year_of_controls_is_opened_reminded_reported_and_escalated(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    start = date(2025, 1, 2)
    mail = b.with_smtp(app, smtp_server.port)
    plan_id = _import(app, b.at(start, 6))
    people = _people(app)
    expected = _expected(2025, start)
    received: list[tuple[date, str, str]] = []
    day = start
    while day <= date(2025, 12, 31):
        before = len(smtp_server.received)
        send_reminders(mail, now=b.at(day))
        send_outbox(mail, now=b.at(day, 7, 5))
        for msg in [r.message() for r in list(smtp_server.received)[before:]]:
            body = msg.get_body(("plain",))
            assert body is not None
            received.append((day, str(msg["To"]), f"{msg['Subject']}\n{body.get_content()}"))
        _report_due_controls(mail, people, day)
        day += timedelta(days=1)

    opened = _opened(app)
    # Each control once, on the first working day of the two weeks before it is due.
    assert {text: [due for due, _, _ in rows] for text, rows in opened.items()} == expected
    for rows in opened.values():
        for due, opened_on, _ in rows:
            assert CAL.is_working(opened_on)
            assert opened_on == _open_day(due, start)
    # The owner hears of each control the morning it is opened.
    for text, rows in opened.items():
        for due, opened_on, _ in rows:
            told = [
                body
                for d, to, body in received
                if d == opened_on and text in body and "KONTROLLER ATT GÖRA" in body
            ]
            assert told, f"{text} ({due}) nämndes inte {opened_on}"
    _assert_deviation_opened_an_atgard(app, plan_id, received)
    _assert_skipped_control_was_late_and_escalated(received)
    _assert_the_year_is_reported(app, plan_id, expected)


def _mail_on(mail: App, smtp_server: SmtpServer, day: date, to: str) -> list[tuple[str, str, str]]:
    """The sweep of `day`: (subject, plain text, HTML) of each message to `to`."""
    before = len(smtp_server.received)
    send_reminders(mail, now=b.at(day))
    send_outbox(mail, now=b.at(day, 7, 5))
    out = []
    for msg in [r.message() for r in list(smtp_server.received)[before:]]:
        if msg["To"] == to:
            plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
            assert plain is not None and html is not None
            out.append((str(msg["Subject"]), plain.get_content(), html.get_content()))
    return out


def test_a_control_reminder_calls_them_kontroller_and_a_mixed_one_names_each_kind(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    _import(app, b.at(date(2025, 1, 2), 6))
    # Erik's first control is due Friday 31 January and opened two weeks before.
    [(subject, text, html)] = _mail_on(mail, smtp_server, date(2025, 1, 17), ERIK)
    assert subject == "Påminnelse: 1 kontroll att uppdatera"
    assert "Uppdatera dina kontroller här" in text
    assert "Uppdatera dina kontroller</a>" in html
    assert "Alla dina kontroller på samma sida." in html
    assert "åtgärd" not in subject + text.split("--")[0].replace("åtgärdsplan", "")

    erik = _people(app)[ERIK]
    _, area = b.plan(app, now=b.at(date(2025, 1, 17), 9), chef=chef)
    b.action(
        app,
        area,
        "Se över rutinen",
        now=b.at(date(2025, 1, 17), 9),
        owner=erik,
        due_on=date(2025, 1, 31),
    )
    b.action(
        app,
        area,
        "Besked om lokalerna",
        now=b.at(date(2025, 1, 17), 9),
        owner=erik,
        due_on=date(2025, 1, 21),
        state="tilldelad",
        workflow="protokoll",
    )
    # Three days before both are due, and the decision a week late.
    [(subject, text, html)] = _mail_on(mail, smtp_server, date(2025, 1, 28), ERIK)
    assert subject == (
        "Påminnelse: 1 åtgärd, 1 kontroll och 1 beslut att uppdatera, varav 1 försenat"
    )
    assert "Uppdatera dina åtgärder, kontroller och beslut här" in text
    assert "Alla dina åtgärder, kontroller och beslut på samma sida." in html


def test_an_escalated_control_is_named_a_kontroll_to_the_chef(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    _import(app, b.at(date(2025, 1, 2), 6))
    # Erik's control of 31 January is never reported: 30 days later, Sunday 2 March, it is
    # escalated on the next working day.
    [(subject, text, _)] = _mail_on(mail, smtp_server, date(2025, 3, 3), CHEF)
    assert subject == "Eskalering – Kontrollen är inte gjord efter 30 dagar: 1 kontroll"
    assert "Kontrollerna nedan har passerat en gräns för eskalering" in text
    assert "vid varje kontroll;" in " ".join(text.split())


def test_the_next_date_is_the_next_control_not_yet_reported(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    plan_id = _import(app, b.at(date(2025, 1, 2), 6))
    # January's control, due Friday 31 January, is opened on the 17th and reported early.
    send_reminders(app, now=b.at(date(2025, 1, 17)))
    erik = _people(app)[ERIK]
    reported_on = date(2025, 1, 20)

    def next_on(today: date) -> date | None:
        with app.transaction() as s:
            view = internal_control.control_plan_view(
                s, plan_id, today=today, cal=CAL, registry=app.registry
            )
        point = next(c for r in view.risks for c in r.controls if c.owner_email == ERIK)
        return point.next_on

    assert next_on(reported_on) == date(2025, 1, 31)
    with app.transaction() as s:
        control = s.exec(select(Action).where(Action.workflow == CONTROL_WORKFLOW)).one()
        assert control.id is not None and control.due_on == date(2025, 1, 31)
        actions.move(
            s, app.registry, control.id, "genomfor", erik, now=b.at(reported_on, 13), answers=GOOD
        )
    # Reported: the next is February's, on the day itself and before it.
    assert next_on(reported_on) == date(2025, 2, 28)
    assert next_on(date(2025, 1, 31)) == date(2025, 2, 28)


WEEKLY_TEXT = "Kontroll av kassan"
WEEKLY_CSV = "\n".join(
    [
        ROWS[0],
        "Kassa;Kontanter hanteras fel;2;3;Kontroll av kassan;Kassan räknas mot kassarapporten;"
        f"varje vecka;Erik Nilsson;{ERIK}",
    ]
).encode()


def _sections(body: str) -> dict[str, str]:
    """The digest's sections by heading ("KONTROLLER ATT GÖRA"), each with its items."""
    parts = re.split(r"^([A-ZÅÄÖ][A-ZÅÄÖ ]+) \(\d+\)\n=+$", body, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_a_weekly_control_is_opened_in_its_week_and_reminded_like_the_others(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    # Weeks 13 to 17 of 2026, Easter included: långfredagen 3 April, annandag påsk 6 April.
    start, end = date(2026, 3, 23), date(2026, 4, 24)
    mail = b.with_smtp(app, smtp_server.port)
    _import(app, b.at(start, 6), year=2026, csv=WEEKLY_CSV)
    erik = _people(app)[ERIK]
    digests: dict[date, dict[str, str]] = {}
    day = start
    while day <= end:
        before = len(smtp_server.received)
        send_reminders(mail, now=b.at(day))
        send_outbox(mail, now=b.at(day, 7, 5))
        for msg in [r.message() for r in list(smtp_server.received)[before:]]:
            body = msg.get_body(("plain",))
            assert body is not None and msg["To"] == ERIK
            digests[day] = _sections(body.get_content())
        if day == start:
            # Only this week's control, not the next one's within the two weeks' lead.
            assert [due for due, _, _ in _opened(app)[WEEKLY_TEXT]] == [date(2026, 3, 27)]
        _report_weekly_controls(mail, erik, day)
        day += timedelta(days=1)

    opened = {due: opened_on for due, opened_on, _ in _opened(app)[WEEKLY_TEXT]}
    # Each on the first working day of its week: Tuesday 7 April after annandag påsk.
    assert opened == {
        date(2026, 3, 27): date(2026, 3, 23),
        date(2026, 4, 2): date(2026, 3, 30),
        date(2026, 4, 10): date(2026, 4, 7),
        date(2026, 4, 17): date(2026, 4, 13),
        date(2026, 4, 24): date(2026, 4, 20),
    }
    for due, opened_on in opened.items():
        to_do = digests[opened_on]["KONTROLLER ATT GÖRA"]
        assert f"Görs senast {long_date(due)}" in to_do
        assert to_do.count("Görs senast") == 1
    # The control of Easter week, reported on 15 April, is late every week until then (and
    # in the mails about the next weeks' controls in between).
    late = {
        d
        for d, sections in digests.items()
        if "Görs senast 2 april 2026" in sections.get("KONTROLLER SOM INTE ÄR GJORDA", "")
    }
    assert {date(2026, 4, 7), date(2026, 4, 14)} <= late
    assert (min(late), max(late)) == (date(2026, 4, 7), date(2026, 4, 14))


def _report_weekly_controls(app: App, owner: Person, day: date) -> None:
    """The owner reports each week's control on the day it is due, but Easter week's only on
    15 April."""
    with app.transaction() as s:
        open_controls = s.exec(
            select(Action).where(
                Action.workflow == CONTROL_WORKFLOW,
                Action.state == "planerad",
                col(Action.due_on) <= day,
            )
        ).all()
        for control in open_controls:
            assert control.id is not None
            if control.due_on == date(2026, 4, 2) and day < date(2026, 4, 15):
                continue
            actions.move(
                s, app.registry, control.id, "genomfor", owner, now=b.at(day, 13), answers=GOOD
            )


def _assert_the_year_is_reported(app: App, plan_id: int, expected: dict[str, list[date]]) -> None:
    """The helår follow-up to the nämnd has every control of the year with its result, the
    deviation and its åtgärd, and June's control done late."""
    with app.transaction() as s:
        draft = control_report.draft_control_report(
            s,
            app.registry,
            plan_id,
            as_of=date(2025, 12, 31),
            now=b.at(date(2025, 12, 31), 16),
            tz=app.tz,
            draft_days=14,
        )
        html = reports.render(reports.document_snapshot(draft), ("html",))["html"].decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Helår" in text
    assert DEVIATION["avvikelse"] in text
    for control in expected:
        assert control in text
    # Every control reported, one with a deviation.
    assert text.count("Utan anmärkning") >= sum(len(d) for d in expected.values()) - 1


def _people(app: App) -> dict[str, Person]:
    with app.transaction() as s:
        found = s.exec(select(Person)).all()
        return {p.email: p for p in found}


def _report_due_controls(app: App, people: dict[str, Person], day: date) -> None:
    """Each owner reports the controls due today; Lars finds the deviation in March; Erik
    skips June's control and reports it on 5 August."""
    now = b.at(day, 13)
    with app.transaction() as s:
        open_controls = s.exec(
            select(Action).where(
                Action.workflow == CONTROL_WORKFLOW,
                Action.state == "planerad",
                col(Action.due_on) <= day,
            )
        ).all()
        for control in open_controls:
            assert control.id is not None and control.owner_id is not None and control.due_on
            owner = next(p for p in people.values() if p.id == control.owner_id)
            skipped = owner.email == ERIK and control.due_on == date(2025, 6, 30)
            if skipped and day < date(2025, 8, 5):
                continue
            answers = GOOD
            if owner.email == LARS and control.due_on == date(2025, 3, 31):
                answers = DEVIATION
            actions.move(s, app.registry, control.id, "genomfor", owner, now=now, answers=answers)


def _assert_deviation_opened_an_atgard(
    app: App, plan_id: int, received: list[tuple[date, str, str]]
) -> None:
    with app.transaction() as s:
        control_plan = s.get(ControlPlan, plan_id)
        assert control_plan is not None and control_plan.plan_id is not None
        opened = s.exec(select(Action).where(col(Action.opened_from_id).is_not(None))).all()
        assert len(opened) == 1
        atgard = opened[0]
        source = s.get(Action, atgard.opened_from_id)
        area = s.get(Area, atgard.area_id)
        lars = s.exec(select(Person).where(Person.email == LARS)).one()
        assert source is not None and area is not None
        assert source.due_on == date(2025, 3, 31)
        assert atgard.plan_id == control_plan.plan_id
        assert area.title == "Åtgärder från internkontroll"
        assert atgard.workflow == "atgard" and atgard.state == "ej_paborjat"
        assert atgard.text == DEVIATION["avvikelse"]
        assert atgard.owner_id == lars.id
        # Klart till 30 days after the report, on 31 March.
        assert atgard.due_on == date(2025, 4, 30)
        created = s.exec(
            select(ActionEvent)
            .where(ActionEvent.action_id == atgard.id)
            .order_by(col(ActionEvent.id))
        ).first()
        assert created is not None
        assert created.trigger == "skapad" and "Kontroll av anmälda" in created.text
    # The åtgärd is reminded like any other: two weeks before its klart-datum, then late.
    lars_mails = [d for d, to, body in received if to == LARS and DEVIATION["avvikelse"] in body]
    assert date(2025, 4, 16) in lars_mails
    assert any(d > date(2025, 4, 30) for d in lars_mails)


def _assert_skipped_control_was_late_and_escalated(
    received: list[tuple[date, str, str]],
) -> None:
    june = "Kontroll av frånvaroregistrering"
    late = [
        d
        for d, to, body in received
        if to == ERIK
        and june in body
        and "KONTROLLER SOM INTE ÄR GJORDA" in body
        and date(2025, 7, 1) <= d < date(2025, 8, 5)
    ]
    # Every week from the day after it was due until Erik reports it (and in the mails
    # about July's control in between).
    weekly = [date(2025, 7, 1) + timedelta(days=7 * n) for n in range(5)]
    assert set(weekly) <= set(late), late
    escalated = [
        d for d, to, body in received if to == CHEF and "Eskalering" in body and june in body
    ]
    # 30 days after 30 June is Wednesday 30 July.
    assert escalated[:1] == [date(2025, 7, 30)]


def test_two_schedulers_at_once_open_each_control_once(app: App, chef: Person) -> None:
    start = date(2025, 1, 2)
    _import(app, b.at(start, 6))
    morning = b.at(date(2025, 3, 17))  # a Monday: March's controls come due
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            send_reminders(app, now=morning)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    opened = _opened(app)
    keys = Counter((text, due) for text, rows in opened.items() for due, _, _ in rows)
    assert keys and set(keys.values()) == {1}
    expected = _expected(2025, start)
    for text, dates in expected.items():
        assert [due for due, _, _ in opened.get(text, [])] == [
            d for d in dates if _open_day(d, start) <= date(2025, 3, 17)
        ]


def test_the_dry_run_lists_the_controls_it_would_open_and_opens_none(
    app: App, db_url: str, chef: Person
) -> None:
    _import(app, b.at(date(2025, 1, 2), 6))
    result = CliRunner().invoke(
        cli,
        ["--database", db_url, "reminders", "run", "--dry-run", "--now", "2025-01-17"],
    )
    assert result.exit_code == 0, result.output
    assert "Kontroll öppnas: Kontroll av frånvaroregistrering" in result.output
    assert "görs senast 2025-01-31; Erik Nilsson <erik.nilsson@pitea.example>" in result.output
    assert "Kontroll av skolskjutsbeslut" not in result.output
    assert _opened(app) == {}


def test_a_plan_adopted_in_june_does_not_start_with_five_months_of_late_controls(
    app: App, chef: Person
) -> None:
    adopted = date(2025, 6, 10)
    _import(app, b.at(adopted, 9))
    send_reminders(app, now=b.at(date(2025, 6, 16)))
    opened = _opened(app)
    assert [due for due, _, _ in opened["Kontroll av frånvaroregistrering"]] == [date(2025, 6, 30)]
    assert "Kontroll av anmälda delegationsbeslut" in opened
    assert "Kontroll av skolskjutsbeslut" not in opened


@pytest.mark.parametrize(
    ("answers", "refusal"),
    [
        (
            {**GOOD, "resultat": "Kanske"},
            "'Resultat' ska vara 'Utan anmärkning' eller 'Avvikelse'.",
        ),
        ({**DEVIATION, "avvikelse": " "}, "kräver ett svar på 'Beskriv avvikelsen'"),
        ({"resultat": "Utan anmärkning"}, "'Urval: vad och hur många som kontrollerades'"),
        (
            {**GOOD, "avvikelse": "glömt ta bort"},
            "Du har fyllt i 'Beskriv avvikelsen' men valt 'Utan anmärkning': välj "
            "'Avvikelse', eller töm rutan.",
        ),
    ],
)
def test_a_control_is_reported_with_a_result_the_workflow_allows(
    app: App, chef: Person, answers: dict[str, str], refusal: str
) -> None:
    _import(app, b.at(date(2025, 1, 2), 6))
    send_reminders(app, now=b.at(date(2025, 1, 17)))
    with app.transaction() as s:
        erik = s.exec(select(Person).where(Person.email == ERIK)).one()
        control = s.exec(select(Action).where(Action.workflow == CONTROL_WORKFLOW)).one()
        assert control.id is not None
        with pytest.raises(Refused) as refused:
            actions.move(
                s,
                app.registry,
                control.id,
                "genomfor",
                erik,
                now=b.at(date(2025, 1, 20), 9),
                answers=answers,
            )
    assert refusal in str(refused.value)
    with app.transaction() as s:
        assert s.get_one(Action, control.id).state == "planerad"
        assert s.exec(select(Action).where(col(Action.opened_from_id).is_not(None))).all() == []


def test_an_answer_without_a_deviation_keeps_no_description_and_opens_nothing(
    app: App, chef: Person
) -> None:
    _import(app, b.at(date(2025, 1, 2), 6))
    send_reminders(app, now=b.at(date(2025, 1, 17)))
    with app.transaction() as s:
        erik = s.exec(select(Person).where(Person.email == ERIK)).one()
        control = s.exec(select(Action).where(Action.workflow == CONTROL_WORKFLOW)).one()
        assert control.id is not None
        change = actions.move(
            s,
            app.registry,
            control.id,
            "genomfor",
            erik,
            now=b.at(date(2025, 1, 20), 9),
            answers={**GOOD, "resultat": "utan  anmärkning", "avvikelse": " "},
        )
        assert change.opened_id is None
        event = s.get_one(ActionEvent, change.event_id)
    assert event.answers_json is not None
    assert '"value": "Utan anmärkning"' in event.answers_json


def test_the_chef_assesses_a_control_and_an_owner_may_not(app: App, chef: Person) -> None:
    _import(app, b.at(date(2025, 1, 2), 6))
    send_reminders(app, now=b.at(date(2025, 1, 17)))
    when = b.at(date(2025, 1, 31), 9)
    with app.transaction() as s:
        erik = s.exec(select(Person).where(Person.email == ERIK)).one()
        control = s.exec(select(Action).where(Action.workflow == CONTROL_WORKFLOW)).one()
        assert control.id is not None
        actions.move(s, app.registry, control.id, "genomfor", erik, now=when, answers=GOOD)
        with pytest.raises(Refused):
            actions.move(s, app.registry, control.id, "bedom", erik, now=when, text="Bra gjort.")
    with app.transaction() as s:
        boss = s.exec(select(Person).where(Person.role == Role.chef.value)).first()
        assert boss is not None
        actions.move(s, app.registry, control.id, "bedom", boss, now=when, text="Rutinen följs.")
        assert s.get_one(Action, control.id).state == "bedomd"
