from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import String
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from notifications import OutgoingMessage
from tests.support import builders as b
from tests.test_escalations import WEDNESDAY, late, sweep_on
from tracker.app import App
from tracker.domain.protokoll import Draft, drafts_from_json
from tracker.models import (
    ActionEvent,
    Audit,
    ControlPoint,
    ControlRisk,
    OutboxMessage,
    Person,
    Plan,
    Protokoll,
    Role,
)
from tracker.services import (
    absences,
    actions,
    audits,
    escalations,
    internal_control,
    outbox,
    people,
    plan_settings,
    plans,
    privacy,
    protokoll,
)


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


# --- every column that can hold personal data is decided on ------------------------------------

# Parts of a column's name that say it holds a person's name or address, or who did or got
# something.
PERSONAL_WORDS = {"name", "email", "mail", "addr", "address", "recipient", "recipients"}
PERSONAL_WORDS |= {"actor", "owner", "who", "to", "by"}


def _personal_columns() -> set[str]:
    found = set()
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            to_person = any(fk.target_fullname == "person.id" for fk in column.foreign_keys)
            if to_person or set(column.name.split("_")) & PERSONAL_WORDS:
                found.add(f"{table.name}.{column.name}")
    return found


def test_every_column_that_can_hold_personal_data_is_erased_or_kept_on_purpose() -> None:
    undecided = _personal_columns() - privacy.ERASED.keys() - privacy.KEPT.keys()
    assert not undecided, (
        "Columns that can hold a person's name, address or id, which tracker.services.privacy "
        f"neither exports and erases (ERASED) nor keeps with a reason (KEPT): {sorted(undecided)}"
    )
    assert not privacy.ERASED.keys() & privacy.KEPT.keys()
    existing = {f"{t.name}.{c.name}" for t in SQLModel.metadata.sorted_tables for c in t.columns}
    assert not (privacy.ERASED.keys() | privacy.KEPT.keys()) - existing, "declared, not in schema"
    assert all(privacy.KEPT.values()) and all(privacy.ERASED.values())


# --- a chef in internkontroll, a protokoll, an absence and an escalation -------------------------

NAME, EMAIL = "Malin Westling", "malin.westling@pitea.example"
CONTROL_CSV = "\n".join(
    [
        "Process;Risk;Sannolikhet;Konsekvens;Kontrollmoment;Metod;Frekvens;Ansvarig;E-post",
        "Inköp;Inköp utanför avtal;3;3;Kontroll av inköp mot avtal;Stickprov;"
        f"mars och oktober;{NAME};{EMAIL}",
    ]
).encode()
MINUTES = f"§ 5 {NAME} tar fram en rutin för inköp till mars."


def _everything_the_chef_touches(app: App, chef: Person) -> dict[str, int]:
    """The chef owns a kontrollmoment and adds another, is named in a protokoll's drafts,
    is away with a deputy while an åtgärd escalates to her, and acknowledges it back."""
    w = late(app, chef)
    deputy = b.person(app, "dana@pitea.example", "Dana Ersättare", now=w_now(), role=Role.chef)
    with app.transaction() as s:
        absences.add_absence(
            s,
            chef,
            chef,
            deputy,
            starts_on=date(2018, 1, 8),
            ends_on=date(2018, 1, 12),
            now=w_now(),
            today=date(2018, 1, 8),
        )
    sweep_on(app, WEDNESDAY)
    with app.transaction() as s:
        escalations.acknowledge(
            s,
            app.registry,
            w.action_id,
            chef,
            comment="Vi har pratat; klart i februari.",
            new_due_on=None,
            now=b.at(date(2018, 1, 15)),
            today=date(2018, 1, 15),
            logged_in=True,
        )
    with app.transaction() as s:
        control_plan = internal_control.import_control_plan(
            s,
            app.registry,
            CONTROL_CSV,
            "ik.csv",
            namnd="Barn- och utbildningsnämnden",
            year=2018,
            forvaltning=chef.forvaltning,
            now=w_now(),
        ).plan_id
        risk = s.exec(select(ControlRisk)).one()
        assert risk.id is not None
        internal_control.add_control_point(
            s,
            control_plan,
            risk.id,
            text="Kontroll av ramavtal",
            method="",
            frequency_text="årligen",
            owner=chef,
            now=w_now(),
            actor=chef,
        )
    with app.transaction() as s:
        draft = Draft(
            who=NAME,
            who_email=EMAIL,
            who_flagged=False,
            what="Ta fram en rutin för inköp",
            due_on=None,
            due_text="till mars",
            reports_to="",
            quote=MINUTES,
            item="5",
            owner_id=chef.id,
        )
        row = protokoll.save_protokoll(
            s,
            forvaltning=chef.forvaltning,
            body="Ledningsgruppen",
            meeting_on=date(2018, 1, 9),
            title="Ledningsgruppen 9 januari",
            text=MINUTES,
            filename="",
            drafts=[draft],
            now=w_now(),
            actor=deputy,
        )
        assert row.id is not None
    return {"action_id": w.action_id, "protokoll_id": row.id}


def w_now() -> datetime:
    return b.at(WEDNESDAY)


def _where_named(app: App, *texts: str) -> set[str]:
    """Every text column, of every table, that holds one of `texts` in some row."""
    found = set()
    with app.transaction() as s:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String)]
            for row in s.execute(sa_select(*columns)).all() if columns else []:
                for column, value in zip(columns, row, strict=True):
                    if value and any(t.lower() in value.lower() for t in texts):
                        found.add(f"{table.name}.{column.name}")
    return found


def test_export_lists_internkontroll_protokoll_absences_and_escalations(
    app: App, chef: Person
) -> None:
    ids = _everything_the_chef_touches(app, chef)
    with app.transaction() as s:
        data = privacy.export_person(s, EMAIL)
    assert [c["text"] for c in data["control_points_owned"]] == [
        "Kontroll av inköp mot avtal",
        "Kontroll av ramavtal",
    ]
    assert any(
        e["actor"] == f"{NAME} <{EMAIL}>" and "Kontroll av ramavtal" in e["new"]
        for e in data["plan_history"]
    )
    [named] = data["protokoll"]
    assert (named["id"], named["named_in_drafts"], named["named_in_minutes"]) == (
        ids["protokoll_id"],
        True,
        True,
    )
    assert [(a["starts_on"], a["ends_on"]) for a in data["absences"]] == [
        ("2018-01-08", "2018-01-12")
    ]
    [acknowledged] = [e for e in data["escalations"] if e["acknowledged_by_them"]]
    assert acknowledged["action_id"] == ids["action_id"]
    assert acknowledged["comment"] == "Vi har pratat; klart i februari."


def test_after_erase_the_name_and_address_are_nowhere_but_in_what_is_kept_on_purpose(
    app: App, chef: Person
) -> None:
    _everything_the_chef_touches(app, chef)
    assert _where_named(app, NAME, EMAIL) - {"person.name", "person.email"}, "nothing to erase"
    with app.transaction() as s:
        privacy.erase_person(s, EMAIL, now=b.at(date(2018, 1, 16)))
    # The minutes as uploaded are the meeting's own document (KEPT); nothing else names her.
    assert _where_named(app, NAME, EMAIL) == {"protokoll.text"}
    with app.transaction() as s:
        [row] = s.exec(select(Protokoll)).all()
        [draft] = drafts_from_json(row.drafts_json)
        assert (draft.who, draft.owner_id) == (f"Person {chef.id}", chef.id)
        assert row.version == 2  # a review page open before cannot save the name back
        owners = {p.owner_id for p in s.exec(select(ControlPoint)).all()}
        assert owners == {chef.id}


def test_erase_takes_the_address_off_recipients_and_out_of_mail_to_others(
    app: App, now: datetime, chef: Person
) -> None:
    plan, _ = b.plan(app, now=now, chef=chef)
    with app.transaction() as s:
        stored = s.get(Plan, plan.id)
        assert stored is not None
        plan_settings.change_plan(
            s,
            stored,
            {"board_recipients": f"namnd@pitea.example,{EMAIL}", "signatory_name": NAME},
            now=now,
            actor=chef,
        )
        audits.create_audit(s, now=now, title="Granskning av inköp", recipient_email=EMAIL)
        outbox.enqueue(
            s,
            OutgoingMessage(
                to="bo.ek@pitea.example",
                subject=f"Fråga {NAME}",
                text=f"Din chef {NAME} <{EMAIL}> svarar.",
                html=f"<p>Din chef {NAME} &lt;{EMAIL}&gt; svarar.</p>",
                reply_to=EMAIL,
            ),
            kind="paminnelse",
            forvaltning="",
            now=now,
            domain="pitea.example",
        )
    with app.transaction() as s:
        data = privacy.export_person(s, EMAIL)
        assert data["plans"] == [
            {
                "id": plan.id,
                "title": plan.title,
                "chef": True,
                "board_recipient": True,
                "signatory": True,
            }
        ]
        assert [g["recipient"] for g in data["granskningar"]] == [True]
        assert [m["to"] for m in data["emails"]] == ["bo.ek@pitea.example"]
        privacy.erase_person(s, EMAIL, now=now)
    assert _where_named(app, NAME, EMAIL) == set()
    with app.transaction() as s:
        stored = s.get(Plan, plan.id)
        assert stored is not None
        assert (stored.board_recipients, stored.signatory_name) == (
            "namnd@pitea.example",
            f"Person {chef.id}",
        )
        assert s.exec(select(Audit)).one().recipient_email == ""
        message = s.exec(select(OutboxMessage)).one()
        assert message.status == "pending"  # still true for its addressee, without her
        assert message.reply_to == f"raderad-{chef.id}@invalid"
        assert f"Person {chef.id}" in message.body_text
