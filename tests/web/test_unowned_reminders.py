"""A reminder that falls due for an item nobody owns goes to the chefs it would escalate to,
under "Utan ansvarig", once, with a link to where it is given an owner; once it has one, its
owner is reminded as usual. Real SMTP, the web app for the link, the dry run in the CLI and on
the reminders page."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tests.web.helpers import MovableClock, form_to, log_in, path_of, text_of
from tracker.app import App
from tracker.cli import cli
from tracker.models import Action, OutboxMessage, Person, Role, SentReminder
from tracker.services import internal_control
from tracker.services.dispatch import send_outbox
from tracker.services.reminders import send_reminders

WEDNESDAY = date(2018, 1, 10)
INTRO = "kunde inte skickas, eftersom ingen är ansvarig för dem."


def _sweep(mail: App, smtp_server: SmtpServer, day: date) -> list[EmailMessage]:
    """The sweep of `day` and the outbox after it: the messages delivered."""
    before = len(smtp_server.received)
    send_reminders(mail, now=b.at(day))
    send_outbox(mail, now=b.at(day, 7, 5))
    return [r.message() for r in list(smtp_server.received)[before:]]


def _to(messages: list[EmailMessage], address: str) -> list[tuple[str, str, str]]:
    out = []
    for msg in messages:
        if msg["To"] == address:
            plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
            assert plain is not None and html is not None
            out.append((str(msg["Subject"]), plain.get_content(), html.get_content()))
    return out


def test_an_unowned_atgards_reminder_reaches_the_chef_once_with_a_link_to_give_it_an_owner(
    app: App,
    chef: Person,
    smtp_server: SmtpServer,
    client: TestClient,
    clock: MovableClock,
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    _, area = b.plan(app, now=b.at(WEDNESDAY, 6))
    # Due in two weeks: "Klart om två veckor" falls due today, and it has no owner.
    unowned = b.action(
        app, area, "Ta fram rutin för attest", now=b.at(WEDNESDAY, 6), owner=None,
        due_on=date(2018, 1, 24),
    )  # fmt: skip

    [(subject, text, html)] = _to(_sweep(mail, smtp_server, WEDNESDAY), chef.email)
    assert subject == "Utan ansvarig: 1 åtgärd"
    assert text.index("UTAN ANSVARIG (1)") < text.index(f"[{unowned.id}] Ta fram rutin")
    assert f"Påminnelserna om åtgärderna nedan {INTRO}" in " ".join(text.split())
    assert "Ska vara klar 24 januari 2018, om 14 dagar" in text
    link = f"http://testserver/atgarder/{unowned.id}#ansvar"
    assert f"Ge åtgärden en ansvarig: {link}" in text
    assert f'href="{link}"' in html
    with app.transaction() as s:
        keys = s.exec(select(SentReminder.timer_id).where(SentReminder.action_id == unowned.id))
        assert list(keys) == ["fore_klart_14"]

    # Said once: the next morning's sweep has nothing for the chef.
    assert _to(_sweep(mail, smtp_server, WEDNESDAY + timedelta(days=1)), chef.email) == []

    # The link opens the åtgärd's page at the form that gives it an owner, and it works.
    log_in(client, app, chef, clock())
    sent = text_of(client.get("/paminnelser").text).split("Skickat per åtgärd")[1]
    assert "Ta fram rutin för attest" in sent
    assert "Klart om två veckor Chefen: ingen ansvarig" in sent
    page = client.get(path_of(link))
    assert page.status_code == 200
    assert '<h2 id="ansvar">Ansvarig</h2>' in page.text
    form = form_to(page.text, f"/atgarder/{unowned.id}/ansvarig")
    data = {**form.data(), "email": "anna.berg@pitea.example", "name": "Anna Berg"}
    assert client.post(form.action, data=data, follow_redirects=False).status_code == 303

    # From then on the owner is reminded as usual, and the chef hears no more of it.
    received = []
    day = WEDNESDAY + timedelta(days=2)
    while day <= date(2018, 1, 24):
        received.extend((day, m) for m in _sweep(mail, smtp_server, day))
        day += timedelta(days=1)
    to_anna = [(d, m) for d, m in received if m["To"] == "anna.berg@pitea.example"]
    reminders = [(d, m) for d, m in to_anna if str(m["Subject"]).startswith("Påminnelse")]
    assert [(d, str(m["Subject"])) for d, m in reminders] == [
        (date(2018, 1, 19), "Påminnelse: 1 åtgärd att uppdatera")
    ]
    assert not [m for _, m in received if m["To"] == chef.email]


def _control_plan(app: App, day: date, forvaltning: str) -> None:
    """An internkontrollplan whose one kontrollmoment, monthly, has no owner."""
    csv = "\n".join(
        [
            "Process;Risk;Sannolikhet;Konsekvens;Kontrollmoment;Metod;Frekvens;Ansvarig;E-post",
            "Inköp;Inköp utanför avtal;3;3;Kontroll av inköp mot avtal;Stickprov 20 fakturor;"
            "månadsvis;;",
        ]
    ).encode()
    with app.transaction() as s:
        internal_control.import_control_plan(
            s, app.registry, csv, "ik.csv", namnd="Barn- och utbildningsnämnden", year=2025,
            forvaltning=forvaltning, now=b.at(day, 6),
        )  # fmt: skip


def test_an_unowned_control_opened_by_the_sweep_reaches_the_chef_the_morning_it_opens(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    mail = b.with_smtp(app, smtp_server.port)
    opened_on = date(2025, 1, 17)  # the control due Friday 31 January opens two weeks before
    _control_plan(app, date(2025, 1, 2), chef.forvaltning)
    _, area = b.plan(app, now=b.at(opened_on, 6))
    atgard = b.action(
        app, area, "Se över rutinen", now=b.at(opened_on, 6), owner=None, due_on=date(2025, 1, 20)
    )

    messages = _sweep(mail, smtp_server, opened_on)
    [(subject, text, _)] = _to(messages, chef.email)
    assert len(messages) == 1
    with app.transaction() as s:
        control = s.exec(select(Action).where(Action.workflow == "kontroll")).one()
    assert subject == "Utan ansvarig: 1 åtgärd och 1 kontroll"
    flat = " ".join(text.split())
    assert f"Påminnelserna om åtgärderna och kontrollerna nedan {INTRO}" in flat
    assert f"[{control.id}] Kontroll av inköp mot avtal" in text
    assert f"[{atgard.id}] Se över rutinen" in text
    assert f"Ge kontrollen en ansvarig: http://testserver/atgarder/{control.id}#ansvar" in text


def test_the_dry_run_lists_the_unowned_under_their_own_heading_and_writes_nothing(
    app: App,
    db_url: str,
    chef: Person,
    client: TestClient,
    clock: MovableClock,
) -> None:
    _, area = b.plan(app, now=b.at(WEDNESDAY, 6))
    unowned = b.action(
        app, area, "Ta fram rutin för attest", now=b.at(WEDNESDAY, 6), owner=None,
        due_on=date(2018, 1, 25),
    )  # fmt: skip
    # The reminders page shows the next sweep: Thursday's, when it is two weeks away.
    log_in(client, app, chef, clock())
    upcoming = text_of(client.get("/paminnelser").text)
    assert f"Malin Westling {chef.email} Påminnelse till chef Utan ansvarig: 1 åtgärd" in upcoming
    assert "Utan ansvarig Ta fram rutin för attest" in upcoming

    result = CliRunner().invoke(
        cli, ["--database", db_url, "reminders", "run", "--dry-run", "--now", "2018-01-11"]
    )
    assert result.exit_code == 0, result.output
    assert f"{chef.email} (Malin Westling)" in result.output
    assert f"Utan ansvarig: {unowned.id}" in result.output
    with app.transaction() as s:
        assert s.exec(select(func.count()).select_from(SentReminder)).one() == 0
        assert s.exec(select(func.count()).select_from(OutboxMessage)).one() == 0


def test_with_no_chef_to_tell_it_is_logged_and_goes_out_once_there_is_one(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    _, area = b.plan(app, now=b.at(WEDNESDAY, 6), forvaltning="Kultur- och fritidsförvaltningen")
    unowned = b.action(
        app, area, "Öppettider", now=b.at(WEDNESDAY, 6), owner=None, due_on=date(2018, 1, 24)
    )
    with caplog.at_level(logging.WARNING, logger="tracker"):
        result = send_reminders(app, now=b.at(WEDNESDAY))
    assert result.digests == [] and result.reminders == []
    assert f"åtgärd {unowned.id}: ingen ansvarig och ingen chef att påminna" in caplog.text

    b.person(
        app, "kultur.chef@pitea.example", "Kim Chef", now=b.at(WEDNESDAY, 12),
        role=Role.chef, forvaltning="Kultur- och fritidsförvaltningen",
    )  # fmt: skip
    later = send_reminders(app, now=b.at(WEDNESDAY + timedelta(days=1)))
    assert [(d.to, d.listed) for d in later.digests] == [
        ("kultur.chef@pitea.example", (("Utan ansvarig", (unowned.id,)),))
    ]
    assert re.search(r"Ska vara klar 24 januari 2018", later.digests[0].message.text)


def test_an_unowned_atgard_escalated_the_same_morning_is_listed_once_under_its_escalation(
    app: App, chef: Person
) -> None:
    _, area = b.plan(app, now=b.at(WEDNESDAY, 6))
    # 40 days late and never reminded: "Försenad" and its escalation both fall due today.
    late = b.action(
        app, area, "Översyn av lokaler", now=b.at(WEDNESDAY, 6), owner=None,
        due_on=date(2017, 12, 1),
    )  # fmt: skip
    result = send_reminders(app, now=b.at(WEDNESDAY))
    [digest] = result.digests
    assert digest.to == chef.email
    assert digest.listed == (("Försenad mer än 30 dagar", (late.id,)),)
    assert digest.message.subject == "Eskalering – Försenad mer än 30 dagar: 1 åtgärd"
    assert "Ansvarig: ingen ansvarig" in digest.message.text
    assert sorted(t for a, t, _ in result.reminders if a == late.id) == ["eskalering", "forsenad"]
