"""A chef's daily summary of what owners reported in the plans they lead, written by the
reminder sweep: once a working day, only to those who chose it, only when there is news."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlmodel import col, select

from tests.support import builders as b
from tracker.app import App
from tracker.errors import Refused
from tracker.models import OutboxMessage, Person, Role
from tracker.services import actions, people
from tracker.services.reminders import KIND_SUMMARY, send_reminders

MONDAY = date(2018, 1, 8)
TUESDAY = date(2018, 1, 9)
WEDNESDAY = date(2018, 1, 10)
CULTURE = "Kultur- och fritidsförvaltningen"


def summaries(app: App) -> list[OutboxMessage]:
    with app.transaction() as s:
        query = select(OutboxMessage).where(OutboxMessage.kind == KIND_SUMMARY)
        return list(s.exec(query.order_by(col(OutboxMessage.id))).all())


def choose(app: App, person: Person, on: bool = True) -> None:
    with app.transaction() as s:
        people.set_daily_summary(s, s.get_one(Person, person.id), on=on)


@dataclass
class World:
    anna: Person
    chef: Person
    other_chef: Person  # same förvaltning, has not chosen the summary
    culture_chef: Person  # chose it, leads the culture plan only
    finished: int  # Anna's, moved to klar by her on Tuesday
    noted: int  # Anna's, a new processläge from her on Tuesday
    quiet: int  # Anna's, reported on Monday and early Wednesday: not Tuesday's news
    by_chef: int  # Anna's, but the chef wrote its processläge on Tuesday
    culture: int  # Eva's, in the culture plan, reported on Tuesday


def world(app: App, chef: Person) -> World:
    start = b.at(date(2018, 1, 2))
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=start)
    eva = b.person(app, "eva.ek@pitea.example", "Eva Ek", now=start)
    other_chef = b.person(
        app,
        "olle.chef@pitea.example",
        "Olle Chef",
        now=start,
        role=Role.chef,
        forvaltning=chef.forvaltning,
    )
    culture_chef = b.person(
        app, "kim.chef@pitea.example", "Kim Chef", now=start, role=Role.chef, forvaltning=CULTURE
    )
    _, area = b.plan(app, now=start)
    _, culture_area = b.plan(app, now=start, title="Kulturplan", forvaltning=CULTURE)
    finished = b.action(app, area, "Ta fram upplägg för ekonomiskt stöd", now=start, owner=anna)
    noted = b.action(app, area, "Utbildning i budgetarbete", now=start, owner=anna)
    quiet = b.action(app, area, "Ny resursfördelning", now=start, owner=anna)
    by_chef = b.action(app, area, "Översyn av lokaler", now=start, owner=anna)
    culture = b.action(app, culture_area, "Bibliotekets öppettider", now=start, owner=eva)
    with app.transaction() as s:
        actions.note_progress(s, quiet.id or 0, anna, "Måndagens läge.", now=b.at(MONDAY, 15))
        actions.move(
            s,
            app.registry,
            finished.id or 0,
            "slutfor",
            anna,
            now=b.at(TUESDAY, 14, 5),
            text="Upplägget är klart och beslutat.",
        )
        actions.note_progress(
            s, noted.id or 0, anna, "Halva utbildningen är genomförd.", now=b.at(TUESDAY, 16)
        )
        actions.note_progress(s, by_chef.id or 0, chef, "Chefens egen notering.", now=b.at(TUESDAY))
        actions.note_progress(
            s, culture.id or 0, eva, "Öppet längre på torsdagar.", now=b.at(TUESDAY, 10)
        )
        # Before Wednesday's sweep: Thursday's news, not Wednesday's.
        actions.note_progress(s, quiet.id or 0, anna, "Tidigt på onsdagen.", now=b.at(WEDNESDAY, 6))
    for who in (chef, culture_chef):
        choose(app, who)
    return World(
        anna,
        chef,
        other_chef,
        culture_chef,
        finished.id or 0,
        noted.id or 0,
        quiet.id or 0,
        by_chef.id or 0,
        culture.id or 0,
    )


def test_a_chef_who_chose_it_gets_one_summary_of_the_last_working_days_reports_in_their_plans(
    app: App, chef: Person
) -> None:
    w = world(app, chef)

    result = send_reminders(app, now=b.at(WEDNESDAY))

    mine = [d for d in result.digests if d.kind == KIND_SUMMARY and d.person_id == chef.id]
    assert len(mine) == 1
    assert mine[0].listed == (("Åtgärdsplan för ekonomi i balans", (w.finished, w.noted)),)
    sent = {m.to_addr: m for m in summaries(app)}
    # The chef who did not choose it gets none; the culture chef only their own plan's.
    assert set(sent) == {chef.email, w.culture_chef.email}
    msg = sent[chef.email]
    assert msg.subject == "Dagssammanfattning: 2 rapporter om 2 åtgärder"
    assert msg.forvaltning == chef.forvaltning
    for body in (msg.body_text, msg.body_html):
        assert "tisdag 9 januari 2018" in body
        assert "Läget ändrat till Klar (från Pågår)" in body
        assert "Upplägget är klart och beslutat." in body
        assert "Nytt processläge" in body
        assert "Halva utbildningen är genomförd." in body
        assert "Anna Berg" in body
        assert "kl. 14.05" in body
        for elsewhere in (
            "Måndagens läge.",
            "Tidigt på onsdagen.",
            "Chefens egen notering.",
            "Bibliotekets öppettider",
            "Öppet längre på torsdagar.",
        ):
            assert elsewhere not in body
    culture = sent[w.culture_chef.email]
    assert culture.subject == "Dagssammanfattning: 1 rapport om 1 åtgärd"
    assert "Öppet längre på torsdagar." in culture.body_text
    assert "Halva utbildningen" not in culture.body_text


def test_the_sweep_run_twice_the_same_day_sends_the_summary_once(app: App, chef: Person) -> None:
    world(app, chef)
    send_reminders(app, now=b.at(WEDNESDAY))
    again = send_reminders(app, now=b.at(WEDNESDAY, 11))

    assert not [d for d in again.digests if d.kind == KIND_SUMMARY]
    assert [m.to_addr for m in summaries(app)].count(chef.email) == 1


def test_a_day_with_no_reports_gives_no_summary(app: App, chef: Person) -> None:
    start = b.at(date(2018, 1, 2))
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=start)
    _, area = b.plan(app, now=start)
    action = b.action(app, area, "Ny resursfördelning", now=start, owner=anna)
    with app.transaction() as s:
        actions.note_progress(s, action.id or 0, anna, "Måndagens läge.", now=b.at(MONDAY, 15))
    choose(app, chef)

    # Monday's report went out on Tuesday; nothing was reported on Tuesday.
    send_reminders(app, now=b.at(TUESDAY))
    send_reminders(app, now=b.at(WEDNESDAY))

    assert [(m.to_addr, m.created_at.date()) for m in summaries(app)] == [
        (chef.email, b.at(TUESDAY).date())
    ]


def test_a_chef_who_turned_it_off_gets_none(app: App, chef: Person) -> None:
    world(app, chef)
    choose(app, chef, on=False)

    send_reminders(app, now=b.at(WEDNESDAY))

    assert chef.email not in {m.to_addr for m in summaries(app)}


def test_a_weekends_reports_come_with_mondays_summary(app: App, chef: Person) -> None:
    start = b.at(date(2018, 1, 2))
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=start)
    _, area = b.plan(app, now=start)
    action = b.action(app, area, "Ny resursfördelning", now=start, owner=anna)
    with app.transaction() as s:
        for day in (date(2018, 1, 5), date(2018, 1, 6), date(2018, 1, 7)):
            actions.note_progress(s, action.id or 0, anna, f"Läget {day}.", now=b.at(day, 12))
    choose(app, chef)

    send_reminders(app, now=b.at(MONDAY))

    [msg] = summaries(app)
    assert msg.subject == "Dagssammanfattning: 3 rapporter om 1 åtgärd"
    assert "från och med fredag 5 januari 2018 till och med söndag 7 januari 2018" in (
        " ".join(msg.body_text.split())
    )


def test_only_a_chef_or_admin_can_choose_the_summary(app: App, now: datetime) -> None:
    owner = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=now)
    with app.transaction() as s, pytest.raises(Refused):
        people.set_daily_summary(s, s.get_one(Person, owner.id), on=True)


def test_each_report_in_the_summary_links_to_its_atgards_page(app: App, chef: Person) -> None:
    """The chef reads that an owner marked an åtgärd Klar and acts on it there (evaluates it,
    answers the owner): each entry leads to its åtgärd's page, not only to the start page."""
    w = world(app, chef)
    send_reminders(app, now=b.at(WEDNESDAY))
    msg = {m.to_addr: m for m in summaries(app)}[chef.email]
    base = app.settings.public_base_url.rstrip("/")
    for action_id in (w.finished, w.noted):
        assert f"Öppna åtgärden: {base}/atgarder/{action_id}\n" in msg.body_text
        assert f'<a href="{base}/atgarder/{action_id}">Öppna åtgärden</a>' in msg.body_html
