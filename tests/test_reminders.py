"""The reminder sweep end to end: database, digests, outbox, real SMTP delivery."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select
from sqlmodel import col

from tests.support import builders as b
from tests.support.smtp import SmtpServer
from tracker.app import App
from tracker.links import LinkPurpose, LinkSigner
from tracker.models import OutboxMessage, Person, Role, SentReminder
from tracker.services import actions
from tracker.services.dispatch import send_outbox
from tracker.services.reminders import recorded, send_reminders
from tracker.web.links import OWNER_PREFIX

TAG = re.compile(r"</?[a-zA-Z][^>]*>")
WEDNESDAY = date(2018, 1, 10)


@dataclass
class World:
    anna: Person
    bo: Person
    chef: Person
    late: int  # Anna's, overdue since 5 January
    soon: int  # Anna's, due Saturday 13 January: "3 days before" falls today
    evaluate: int  # Anna's, klar, evaluated 24 January: "14 days before" falls today
    later: int  # Anna's, due in March: nothing today
    very_late: int  # Bo's, overdue 40 days: Bo's reminder and the chef's escalation


def world(app: App, now: datetime, chef: Person) -> World:
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=now)
    bo = b.person(app, "bo.ek@pitea.example", "Bo Ek", now=now)
    _, area = b.plan(app, now=now)
    late = b.action(
        app,
        area,
        "Ta fram upplägg för ekonomiskt stöd",
        now=now,
        owner=anna,
        due_on=date(2018, 1, 5),
        tidsplan="Klart till januari 2018.",
        progress_note="Pågår enligt tidsplan. Underlaget är skickat till förvaltningen.",
    )
    soon = b.action(
        app,
        area,
        "Budget & uppföljning för rektorer (<2 mkr per skola>)",
        now=now,
        owner=anna,
        state="ej_paborjat",
        due_on=date(2018, 1, 13),
    )
    evaluate = b.action(
        app,
        area,
        "Utbildning i budgetarbete",
        now=now,
        owner=anna,
        state="klar",
        due_on=date(2017, 12, 1),
        evaluate_on=date(2018, 1, 24),
    )
    later = b.action(
        app, area, "Ny resursfördelning", now=now, owner=anna, due_on=date(2018, 3, 31)
    )
    very_late = b.action(
        app, area, "Översyn av lokaler", now=now, owner=bo, due_on=date(2017, 12, 1)
    )
    return World(anna, bo, chef, late.id, soon.id, evaluate.id, later.id, very_late.id)  # type: ignore[arg-type]


def by_recipient(server: SmtpServer) -> dict[str, EmailMessage]:
    out: dict[str, EmailMessage] = {}
    for msg in server.messages():
        to = str(msg["To"])
        assert to not in out, f"two messages to {to}"
        out[to] = msg
    return out


def parts(msg: EmailMessage) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    text_part = msg.get_body(("plain",))
    html_part = msg.get_body(("html",))
    assert text_part is not None and html_part is not None
    return str(text_part.get_content()), str(html_part.get_content())


def count(app: App, model: type) -> int:
    with app.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_owner_gets_one_digest_with_overdue_first_and_one_signed_link(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    now = b.at(WEDNESDAY)
    w = world(app, now, chef)
    mail = b.with_smtp(app, smtp_server.port)

    result = send_reminders(mail, now=now)
    assert result.written
    assert send_outbox(mail, now=now).sent == 3

    received = by_recipient(smtp_server)
    assert set(received) == {w.anna.email, w.bo.email, chef.email}
    msg = received[w.anna.email]
    assert msg["Subject"] == "Påminnelse: 3 åtgärder att uppdatera, varav 1 försenad"
    text, html = parts(msg)

    assert not TAG.search(text), "the plain-text part must not carry HTML markup"
    headings = ["FÖRSENADE (1)", "KLART-DATUM NÄRMAR SIG (1)", "UTVÄRDERING NÄRMAR SIG (1)"]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    assert text.index(f"[{w.late}]") < text.index(f"[{w.soon}]") < text.index(f"[{w.evaluate}]")
    assert "Försenad 5 dagar (klart-datum 5 januari 2018)" in text
    assert "Ska vara klar 13 januari 2018, om 3 dagar" in text
    assert "Ska utvärderas 24 januari 2018, om 14 dagar" in text
    assert "Pågår enligt tidsplan. Underlaget är skickat" in text
    assert "(tidsplan: Klart till januari 2018.)" in text
    assert "Budget & uppföljning för rektorer (<2 mkr per skola>)" in text
    assert f"[{w.later}]" not in text and f"[{w.very_late}]" not in text

    # The HTML part shows the same, escaped.
    assert "Budget &amp; uppföljning för rektorer (&lt;2 mkr per skola&gt;)" in html
    assert "<2 mkr" not in html

    # One link, in both parts, that the web app will accept for Anna and all her åtgärder.
    links = set(re.findall(r"http://testserver" + OWNER_PREFIX + r"/[\w.-]+", text))
    assert len(links) == 1
    link = links.pop()
    assert f'href="{link}"' in html
    signer = LinkSigner(app.settings.secret_key, timedelta(days=app.settings.link_max_age_days))
    claim = signer.verify(LinkPurpose.owner, link.rsplit("/", 1)[1], now=now + timedelta(days=1))
    assert claim.person_id == w.anna.id and claim.action_id is None

    with app.transaction() as s:
        row = s.scalars(
            select(OutboxMessage).where(col(OutboxMessage.to_addr) == w.anna.email)
        ).one()
    assert msg["Message-ID"] == row.message_id
    assert row.status == "sent"
    assert row.forvaltning == chef.forvaltning  # its åtgärder's: on their chef's outbox page
    # A reply goes to the chef of Anna's åtgärder (the mail itself comes from no-reply); the
    # chef's own digest answers to no one.
    assert msg["Reply-To"] == chef.email
    assert received[chef.email]["Reply-To"] is None
    # And the last line says so, rather than asking not to reply.
    assert f"Svarar du på det går svaret till din chef, {chef.email}." in " ".join(text.split())
    assert "Svara inte" not in text
    chef_text = received[chef.email].get_body(("plain",))
    assert chef_text is not None
    assert "Svara inte på det" in " ".join(str(chef_text.get_content()).split())


def test_chef_gets_the_escalation_and_the_other_overdue_actions_of_the_forvaltning(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    now = b.at(WEDNESDAY)
    w = world(app, now, chef)
    mail = b.with_smtp(app, smtp_server.port)
    send_reminders(mail, now=now)
    send_outbox(mail, now=now)

    msg = by_recipient(smtp_server)[chef.email]
    assert msg["Subject"] == "Eskalering – Försenad mer än 30 dagar: 1 åtgärd"
    text, _ = parts(msg)
    assert text.index("FÖRSENAD MER ÄN 30 DAGAR (1)") < text.index(f"[{w.very_late}]")
    assert "Ansvarig: Bo Ek <bo.ek@pitea.example>" in text
    assert text.index("ÖVRIGA FÖRSENADE ÅTGÄRDER I DINA PLANER (1)") < text.index(f"[{w.late}]")
    assert OWNER_PREFIX not in text, "a chef with no own åtgärder gets no owner link"

    bo_text, _ = parts(by_recipient(smtp_server)[w.bo.email])
    assert "Försenad 40 dagar" in bo_text


def test_plan_chef_gets_the_escalation_instead_of_the_forvaltning_chefs(
    app: App, chef: Person
) -> None:
    now = b.at(WEDNESDAY)
    own_chef = b.person(app, "rektor@pitea.example", "Rut Rektor", now=now, role=Role.chef)
    owner = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=now)
    _, area = b.plan(app, now=now, title="Skolans plan", chef=own_chef)
    b.action(app, area, "Gammal åtgärd", now=now, owner=owner, due_on=date(2017, 11, 1))
    result = send_reminders(app, now=now)
    assert {d.to for d in result.digests} == {owner.email, own_chef.email}


def test_the_same_reminder_is_not_sent_twice_on_one_day_whatever_reruns_happen(
    app: App, chef: Person
) -> None:
    now = b.at(WEDNESDAY)
    world(app, now, chef)
    first = send_reminders(app, now=now)
    assert len(first.digests) == 3
    outbox = count(app, OutboxMessage)
    for later in (now, now + timedelta(hours=3), now + timedelta(hours=10)):
        again = send_reminders(app, now=later)
        assert again.digests == [] and again.reminders == []
    assert count(app, OutboxMessage) == outbox
    assert count(app, SentReminder) == len(first.reminders)


def test_two_sweeps_at_once_write_each_reminder_once(app: App, chef: Person) -> None:
    now = b.at(WEDNESDAY)
    world(app, now, chef)
    start = threading.Barrier(2)
    results = []

    def run() -> None:
        start.wait()
        results.append(send_reminders(app, now=now))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r.digests) for r in results) == [0, 3]
    assert count(app, OutboxMessage) == 3
    with app.transaction() as s:
        keys = [(r.action_id, r.timer_id, r.local_date) for r in recorded(s)]
    winner = max(results, key=lambda r: len(r.digests))
    assert len(keys) == len(set(keys)) == len(winner.reminders)


def test_dry_run_lists_what_would_go_out_and_changes_nothing(app: App, chef: Person) -> None:
    now = b.at(WEDNESDAY)
    w = world(app, now, chef)
    dry = send_reminders(app, now=now, dry_run=True)
    assert not dry.written
    listed = {d.to: dict(d.listed) for d in dry.digests}
    assert listed[w.anna.email] == {
        "Försenade": (w.late,),
        "Klart-datum närmar sig": (w.soon,),
        "Utvärdering närmar sig": (w.evaluate,),
    }
    assert count(app, OutboxMessage) == 0 and count(app, SentReminder) == 0
    # And the real run afterwards sends exactly what the dry run showed.
    real = send_reminders(app, now=now)
    assert [(d.to, d.listed) for d in real.digests] == [(d.to, d.listed) for d in dry.digests]


def test_nothing_goes_out_on_a_weekend_or_holiday(app: App, chef: Person) -> None:
    now = b.at(WEDNESDAY)
    world(app, now, chef)
    for day in (date(2018, 1, 13), date(2018, 1, 14), date(2018, 1, 6)):
        result = send_reminders(app, now=b.at(day))
        assert not result.working_day and result.digests == []
    assert count(app, OutboxMessage) == 0


def test_a_moved_due_date_gets_its_reminders_again(app: App, chef: Person) -> None:
    now = b.at(WEDNESDAY)
    owner = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=now)
    _, area = b.plan(app, now=now)
    a = b.action(app, area, "Flyttad åtgärd", now=now, owner=owner, due_on=date(2018, 1, 24))
    assert [k[1] for k in send_reminders(app, now=now).reminders] == ["fore_klart_14"]
    with app.transaction() as s:
        actions.edit(s, a.id, now=now, due_on=date(2018, 2, 7))  # type: ignore[arg-type]
    # 14 days before the new date is 24 January.
    assert send_reminders(app, now=b.at(date(2018, 1, 23))).reminders == []
    again = send_reminders(app, now=b.at(date(2018, 1, 24))).reminders
    assert again == [(a.id, "fore_klart_14", date(2018, 2, 7))]


def test_report_call_asks_each_owner_with_open_actions_to_update_by_the_draft_day(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    now = b.at(WEDNESDAY)
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=now)
    bo = b.person(app, "bo.ek@pitea.example", "Bo Ek", now=now)
    # Report on Wednesday 31 January (no sammanträdesplan): the draft is made 14 days
    # before (17 January), owners update by then and are called two weeks earlier, from 3
    # January: today is within that.
    _, area = b.plan(app, now=now, next_report_on=date(2018, 1, 31))
    open_one = b.action(app, area, "Öppen åtgärd", now=now, owner=anna, due_on=date(2018, 6, 1))
    late = b.action(app, area, "Sen åtgärd", now=now, owner=anna, due_on=date(2018, 1, 2))
    b.action(app, area, "Klar åtgärd", now=now, owner=bo, state="klar", due_on=date(2018, 1, 2))
    mail = b.with_smtp(app, smtp_server.port)

    result = send_reminders(mail, now=now)
    assert [d.to for d in result.digests] == [anna.email], "Bo has nothing open"
    assert dict(result.digests[0].listed) == {
        "Försenade": (late.id,),
        "Inför återrapporten": (open_one.id,),
    }
    send_outbox(mail, now=now)
    text, html = parts(by_recipient(smtp_server)[anna.email])
    assert (
        "Uppdatera inför återrapporten om Åtgärdsplan för ekonomi i balans den 31 januari 2018 "
        "senast 17 januari 2018" in " ".join(text.split())
    )
    assert "senast 17 januari 2018" in " ".join(text.split())
    assert "senast 17 januari 2018" in html
    # Asked once: the next days bring no second call.
    for day in (date(2018, 1, 11), date(2018, 1, 12), date(2018, 1, 15)):
        keys = send_reminders(mail, now=b.at(day)).reminders
        assert all(k[1] != "infor_aterrapport" for k in keys)


def test_report_call_names_the_owners_items_by_their_kinds(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    now = b.at(WEDNESDAY)
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=now)
    _, area = b.plan(app, now=now, next_report_on=date(2018, 1, 31))
    b.action(app, area, "Öppen åtgärd", now=now, owner=anna, due_on=date(2018, 6, 1))
    b.action(
        app,
        area,
        "Besked om lokalerna",
        now=now,
        owner=anna,
        state="tilldelad",
        due_on=date(2018, 6, 1),
        workflow="protokoll",
    )
    mail = b.with_smtp(app, smtp_server.port)
    send_reminders(mail, now=now)
    send_outbox(mail, now=now)
    text, html = parts(by_recipient(smtp_server)[anna.email])
    assert "skriv processläget för dina öppna åtgärder och beslut i planen" in " ".join(
        text.split()
    )
    assert "dina öppna åtgärder och beslut i planen" in " ".join(html.split())


def test_a_digest_about_two_forvaltningars_atgarder_belongs_to_neither(
    app: App, chef: Person
) -> None:
    """Each chef's outbox page shows their own förvaltning's messages; a digest listing
    åtgärder of two would show one chef the other's, so it belongs to no förvaltning."""
    now = b.at(WEDNESDAY)
    w = world(app, now, chef)  # Anna's åtgärder are in the chef's förvaltning
    _, culture = b.plan(app, now=now, title="Kulturplan", forvaltning="Kulturförvaltningen")
    b.action(
        app, culture, "Bibliotekets öppettider", now=now, owner=w.anna, due_on=date(2018, 1, 5)
    )
    assert send_reminders(app, now=now).written
    with app.transaction() as s:
        whose = {m.to_addr: m.forvaltning for m in s.scalars(select(OutboxMessage))}
    assert whose[w.anna.email] == ""
    assert whose[w.bo.email] == chef.forvaltning
