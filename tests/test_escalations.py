"""Escalations that wait for an answer, through the reminder sweep on both databases: the
chef gets a link to acknowledge; unanswered, the escalation climbs a level after the working
days the workflow gives, to the top level and no further; an acknowledgement stops it, and a
new klart-datum agreed on it moves the åtgärd's due date, keeps the original for the
återrapport, and makes lateness count from the new date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import col, select

from tests.support import builders as b
from tests.support.documents import docx_text, pdf_text
from tests.support.smtp import SmtpServer
from tracker.app import App
from tracker.domain.workdays import WorkCalendar
from tracker.errors import Forbidden
from tracker.models import Action, ActionEvent, Escalation, Person, Plan, Role
from tracker.services import escalations, reports
from tracker.services.actions import ACKNOWLEDGED, ESCALATED, RESCHEDULED
from tracker.services.dispatch import send_outbox
from tracker.services.reminders import SweepResult, send_reminders
from tracker.web.links import ACKNOWLEDGE_PREFIX

WEDNESDAY = date(2018, 1, 10)
FORVALTNING = "Utbildningsförvaltningen"
CAL = WorkCalendar()


@dataclass
class Late:
    chef: Person
    owner: Person
    fc: Person  # förvaltningschef of the plan's förvaltning
    kd: Person  # kommundirektör, for the whole kommun
    action_id: int
    plan_id: int


def late(app: App, chef: Person) -> Late:
    now = b.at(WEDNESDAY)
    owner = b.person(app, "bo.ek@pitea.example", "Bo Ek", now=now)
    fc = b.person(app, "fc@pitea.example", "Frida Förvaltningschef", now=now, role=Role.chef)
    kd = b.person(app, "kd@pitea.example", "Kim Kommundirektör", now=now, role=Role.chef)
    plan, area = b.plan(app, now=now, forvaltning=FORVALTNING)
    action = b.action(
        app,
        area,
        "Översyn av lokaler",
        now=now,
        owner=owner,
        due_on=date(2017, 12, 1),
        tidsplan="Klart till december 2017.",
    )
    with app.transaction() as s:
        escalations.set_holder(s, app.registry, "forvaltningschef", FORVALTNING, fc, now=now)
        escalations.set_holder(s, app.registry, "kommundirektor", "", kd, now=now)
    assert action.id is not None and plan.id is not None
    return Late(chef, owner, fc, kd, action.id, plan.id)


def sweep_on(app: App, day: date) -> SweepResult:
    return send_reminders(app, now=b.at(day))


def steps(app: App) -> list[tuple[str, str, date]]:
    with app.transaction() as s:
        rows = s.exec(select(Escalation).order_by(col(Escalation.id))).all()
        people = {p.id: p.email for p in s.exec(select(Person))}
        return [(r.level, ",".join(people[i] for i in r.recipients()), r.sent_on) for r in rows]


def events(app: App, action_id: int, trigger: str) -> list[ActionEvent]:
    with app.transaction() as s:
        return list(
            s.exec(
                select(ActionEvent)
                .where(ActionEvent.action_id == action_id, ActionEvent.trigger == trigger)
                .order_by(col(ActionEvent.id))
            ).all()
        )


def test_an_unanswered_escalation_climbs_each_level_after_five_working_days_and_stops_at_the_top(
    app: App, chef: Person
) -> None:
    w = late(app, chef)
    first = sweep_on(app, WEDNESDAY)
    assert steps(app) == [("chef", chef.email, WEDNESDAY)]
    assert chef.email in {d.to for d in first.digests}

    # The same day again, and the five working days after it: nothing more.
    for day in (WEDNESDAY, date(2018, 1, 11), date(2018, 1, 15), date(2018, 1, 17)):
        assert sweep_on(app, day).steps == []
    assert len(steps(app)) == 1

    # Thursday 18 January: nobody acknowledged, so it goes to the förvaltningschef.
    climbed = sweep_on(app, date(2018, 1, 18))
    assert [(s.level.id, s.recipients[0].email) for s in climbed.steps] == [
        ("forvaltningschef", w.fc.email)
    ]
    to_fc = next(d for d in climbed.digests if d.to == w.fc.email)
    assert dict(to_fc.listed) == {"Försenad mer än 30 dagar, inte kvitterad": (w.action_id,)}
    assert sweep_on(app, date(2018, 1, 18)).steps == []  # a rerun sends no step twice

    # Five working days later (25 January), the kommundirektör, for the whole kommun.
    assert sweep_on(app, date(2018, 1, 25)).steps == []
    top = sweep_on(app, date(2018, 1, 26))
    assert [s.recipients[0].email for s in top.steps] == [w.kd.email]

    # The top level stays where it is.
    for day in (date(2018, 2, 5), date(2018, 3, 1)):
        assert sweep_on(app, day).steps == []
    assert steps(app) == [
        ("chef", chef.email, WEDNESDAY),
        ("forvaltningschef", w.fc.email, date(2018, 1, 18)),
        ("kommundirektor", w.kd.email, date(2018, 1, 26)),
    ]
    texts = [e.text for e in events(app, w.action_id, ESCALATED)]
    assert len(texts) == 3
    assert "eskalerad till chef: Malin Westling <malin.westling@pitea.example>" in texts[0]
    assert "Inte kvitterad av chef inom 5 arbetsdagar" in texts[1]
    assert "eskalerad till förvaltningschef: Frida Förvaltningschef" in texts[1]
    assert "eskalerad till kommundirektör: Kim Kommundirektör" in texts[2]


def test_a_plan_naming_its_forvaltnings_chef_escalates_to_them_once(app: App, chef: Person) -> None:
    w = late(app, chef)
    with app.transaction() as s:
        plan = s.get(Plan, w.plan_id)
        assert plan is not None
        plan.chef_id = chef.id  # named, and also one of the förvaltning's chefs
        s.add(plan)
    first = sweep_on(app, WEDNESDAY)
    assert [[p.email for p in s.recipients] for s in first.steps] == [[chef.email]]
    assert steps(app) == [("chef", chef.email, WEDNESDAY)]
    to_chef = next(d for d in first.digests if d.to == chef.email)
    assert dict(to_chef.listed) == {"Försenad mer än 30 dagar": (w.action_id,)}


def test_the_chef_gets_a_link_to_acknowledge_in_both_parts_of_the_mail(
    app: App, chef: Person, smtp_server: SmtpServer
) -> None:
    w = late(app, chef)
    mail = b.with_smtp(app, smtp_server.port)
    sweep_on(mail, WEDNESDAY)
    send_outbox(mail, now=b.at(WEDNESDAY))
    msg = next(m for m in smtp_server.messages() if str(m["To"]) == chef.email)
    text_part = msg.get_body(("plain",))
    html_part = msg.get_body(("html",))
    assert text_part is not None and html_part is not None
    text, html = str(text_part.get_content()), str(html_part.get_content())
    links = set(re.findall(r"http://testserver" + ACKNOWLEDGE_PREFIX + r"/[\w.-]+", text))
    assert len(links) == 1
    assert f'href="{links.pop()}"' in html
    assert "Kvittera eskaleringen:" in text
    assert f"[{w.action_id}]" in text


def test_a_level_without_a_holder_for_the_forvaltning_goes_to_the_kommun_wide_one(
    app: App, chef: Person
) -> None:
    w = late(app, chef)
    with app.transaction() as s:
        escalations.remove_holder(s, app.registry, "forvaltningschef", FORVALTNING)
        escalations.set_holder(s, app.registry, "forvaltningschef", "", w.kd, now=b.at(WEDNESDAY))
    sweep_on(app, WEDNESDAY)
    climbed = sweep_on(app, date(2018, 1, 18))
    assert [(s.level.id, s.recipients[0].email) for s in climbed.steps] == [
        ("forvaltningschef", w.kd.email)
    ]


def test_an_acknowledgement_with_a_new_date_moves_due_on_keeps_the_original_and_stops_climbing(
    app: App, chef: Person
) -> None:
    w = late(app, chef)
    sweep_on(app, WEDNESDAY)
    ack_at = b.at(date(2018, 1, 12), hour=10)
    with app.transaction() as s:
        escalations.acknowledge(
            s,
            app.registry,
            w.action_id,
            chef,
            comment="Vi har pratat; lokalerna blir klara i maj.",
            new_due_on=date(2018, 5, 31),
            now=ack_at,
            today=date(2018, 1, 12),
            logged_in=False,
        )
    with app.transaction() as s:
        action = s.get(Action, w.action_id)
        assert action is not None
        assert (action.due_on, action.original_due_on) == (date(2018, 5, 31), date(2017, 12, 1))
        rows = s.exec(select(Escalation)).all()
        assert [(r.acknowledged_by, r.comment, r.new_due_on) for r in rows] == [
            (chef.id, "Vi har pratat; lokalerna blir klara i maj.", date(2018, 5, 31))
        ]
    [ack] = events(app, w.action_id, ACKNOWLEDGED)
    assert ack.actor_id == chef.id and "lokalerna blir klara i maj" in ack.text
    [moved] = events(app, w.action_id, RESCHEDULED)
    assert "2018-05-31" in moved.text and "2017-12-01" in moved.text

    # No climb, and no "försenad" for the old date: lateness counts from the new one.
    for day in (date(2018, 1, 18), date(2018, 1, 26), date(2018, 5, 31)):
        result = sweep_on(app, day)
        assert result.steps == []
        assert not [k for k in result.reminders if k[0] == w.action_id and k[1] == "forsenad"]
    after = sweep_on(app, date(2018, 6, 1))
    assert (w.action_id, "forsenad", date(2018, 5, 31)) in after.reminders
    # Thirty days after the new date, a new escalation starts at the chef again.
    again = sweep_on(app, date(2018, 7, 2))
    assert [(s.level.id, s.anchor) for s in again.steps] == [("chef", date(2018, 5, 31))]


def test_the_report_prints_the_new_date_beside_the_original_as_of_its_date(
    app: App, chef: Person
) -> None:
    w = late(app, chef)
    sweep_on(app, WEDNESDAY)
    with app.transaction() as s:
        escalations.acknowledge(
            s,
            app.registry,
            w.action_id,
            chef,
            comment="Klart i maj.",
            new_due_on=date(2018, 5, 31),
            now=b.at(date(2018, 1, 12), hour=10),
            today=date(2018, 1, 12),
            logged_in=True,
        )
    line = "Ny tidplan: klart till maj 2018 (ursprungligen december 2017)"
    later = b.at(date(2018, 2, 1), hour=10)
    with app.transaction() as s:
        now_snap = reports.build_snapshot(
            s, app.registry, w.plan_id, as_of=date(2018, 2, 1), now=later, tz=app.tz, draft_days=14
        )
        before = reports.build_snapshot(
            s, app.registry, w.plan_id, as_of=date(2018, 1, 11), now=later, tz=app.tz, draft_days=14
        )
    [then] = before.actions()
    assert (then.due_on, then.original_due_on) == (date(2017, 12, 1), None)
    docs = reports.render(now_snap)
    html = docs["html"].decode()
    assert line in html
    # Beside the tidsplan as written, never in it; and on time against the new date.
    assert "Klart till december 2017." in html and "i tid" in html
    assert line in " ".join(pdf_text(docs["pdf"]).split())
    assert line in docx_text(docs["docx"])
    assert line not in reports.render(before, ("html",))["html"].decode()
    # The snapshot keeps it through its JSON, as an archived report does.
    assert type(now_snap).from_json(now_snap.to_json()) == now_snap


def test_by_link_only_whom_it_was_sent_to_and_on_the_start_page_the_plans_chefs(
    app: App, chef: Person
) -> None:
    w = late(app, chef)
    sweep_on(app, WEDNESDAY)
    now = b.at(date(2018, 1, 11))
    other = b.person(
        app, "annan@pitea.example", "Annan Chef", now=now, role=Role.chef, forvaltning="Kultur"
    )
    with app.transaction() as s, pytest.raises(Forbidden):
        escalations.acknowledge(
            s,
            app.registry,
            w.action_id,
            w.fc,
            comment="Sett.",
            new_due_on=None,
            now=now,
            today=date(2018, 1, 11),
            logged_in=False,
        )
    with app.transaction() as s:
        assert [
            p.action.id
            for p in escalations.pending_for(s, app.registry, chef, CAL, today=date(2018, 1, 11))
        ] == [w.action_id]
        assert escalations.pending_for(s, app.registry, other, CAL, today=date(2018, 1, 11)) == []
    # Logged in, the förvaltningschef is a chef of the plan's förvaltning: the rule lets in.
    with app.transaction() as s:
        escalations.acknowledge(
            s,
            app.registry,
            w.action_id,
            w.fc,
            comment="Sett.",
            new_due_on=None,
            now=now,
            today=date(2018, 1, 11),
            logged_in=True,
        )
    with app.transaction() as s:
        assert escalations.pending_for(s, app.registry, chef, CAL, today=date(2018, 1, 11)) == []


def test_nothing_is_recorded_in_a_dry_run(app: App, chef: Person) -> None:
    late(app, chef)
    dry = send_reminders(app, now=b.at(WEDNESDAY), dry_run=True)
    assert [s.level.id for s in dry.steps] == ["chef"]
    assert steps(app) == []
