from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import select

from notifications import OutgoingMessage
from tests.support import builders as b
from tracker.app import App
from tracker.models import ActionEvent, OutboxMessage, Person, Role
from tracker.services import absences, actions, outbox, people, plans, privacy


def _owner_with_history(app: App, now: datetime, chef: Person) -> int:
    with app.transaction() as s:
        plan = plans.create_plan(s, now=now, title="Plan", forvaltning=chef.forvaltning)
        area = plans.ensure_area(s, plan, "Område")
        owner = people.ensure_person(s, "anna.berg@pitea.example", now=now, name="Anna Berg")
        action = plans.add_action(s, app.registry, area, now=now, text="Åtgärd")
        assert action.id is not None
        actions.assign(s, action.id, owner, now=now, actor=chef)
        actions.move(s, app.registry, action.id, "starta", owner, now=now, text="Igång")
        outbox.enqueue(
            s,
            OutgoingMessage(
                to=owner.email, subject="Påminnelse", text="Hej Anna", html="<p>Hej</p>"
            ),
            kind="paminnelse",
            forvaltning="",
            now=now,
            domain="pitea.example",
        )
        return action.id


def test_export_gives_everything_held_about_a_person(app: App, now: datetime, chef: Person) -> None:
    action_id = _owner_with_history(app, now, chef)
    with app.transaction() as s:
        data = privacy.export_person(s, "Anna.Berg@pitea.example")
    assert data["person"]["name"] == "Anna Berg"
    assert [a["id"] for a in data["actions_owned"]] == [action_id]
    assert {e["trigger"] for e in data["history"]} == {"tilldelad", "starta"}
    assert [m["subject"] for m in data["emails"]] == ["Påminnelse"]


def test_export_holds_the_persons_absences_and_those_they_stood_in_for(
    app: App, now: datetime, chef: Person
) -> None:
    dana = b.person(app, "dana@pitea.example", "Dana Ersättare", now=now, role=Role.chef)
    ulf = b.person(app, "ulf@pitea.example", "Ulf Chef", now=now, role=Role.chef)
    with app.transaction() as s:
        for away, first in ((chef, date(2018, 7, 2)), (ulf, date(2018, 8, 6))):
            absences.add_absence(
                s,
                away,
                away,
                dana,
                starts_on=first,
                ends_on=first + timedelta(days=11),
                now=now,
                today=now.date(),
            )
    with app.transaction() as s:
        mine = privacy.export_person(s, chef.email)["absences"]
        stood_in = privacy.export_person(s, dana.email)["absences"]
    assert mine == [
        {
            "person_id": chef.id,
            "deputy_id": dana.id,
            "starts_on": "2018-07-02",
            "ends_on": "2018-07-13",
        }
    ]
    assert [(a["person_id"], a["starts_on"]) for a in stood_in] == [
        (chef.id, "2018-07-02"),
        (ulf.id, "2018-08-06"),
    ]


def test_erase_pseudonymises_everywhere_and_revokes_links(
    app: App, now: datetime, chef: Person
) -> None:
    _owner_with_history(app, now, chef)
    with app.transaction() as s:
        erased = privacy.erase_person(s, "anna.berg@pitea.example", now=now + timedelta(hours=1))
        erased_id = erased.id
    with app.transaction() as s:
        person = s.get(Person, erased_id)
        assert person is not None
        assert person.name == f"Person {erased_id}"
        assert person.links_valid_after == now + timedelta(hours=1)
        everything = " ".join(
            f"{e.actor_label} {e.text}" for e in s.exec(select(ActionEvent)).all()
        ) + " ".join(
            f"{m.to_addr} {m.subject} {m.body_text} {m.body_html}"
            for m in s.exec(select(OutboxMessage)).all()
        )
        assert "anna.berg@pitea.example" not in everything
        assert "Anna Berg" not in everything
        assert people.find_person(s, "anna.berg@pitea.example") is None
        message = s.exec(select(OutboxMessage)).one()
        assert message.status == "failed"  # never sent to an erased person
