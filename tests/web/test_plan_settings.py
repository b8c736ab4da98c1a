"""A plan's settings page: its own data, the nämnd's recipients, and the plan's history."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, log_in, text_of
from tracker.app import App
from tracker.models import Action, Person, Plan, Role
from tracker.services import importing, people, plan_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pitea-2018.csv"


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


def plan_of(app: App, plan_id: int) -> Plan:
    with app.transaction() as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        return plan


def settings(client: TestClient, plan_id: int) -> str:
    page = client.get(f"/planer/{plan_id}/installningar")
    assert page.status_code == 200, page.text
    return page.text


def test_the_chef_sets_the_plans_data_and_each_change_is_in_its_history(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(settings(chef_client, world.plan_id), "/installningar")
    done = chef_client.post(
        form.action,
        data=form.data(
            namnd="Socialnämnden",
            ort="Piteå",
            signatory_name="Eva Holm",
            signatory_title="socialchef",
            report_months="12, 6",
            next_report_on="2018-06-30",
        ),
    )
    assert done.status_code == 200
    page = text_of(done.text)
    assert "Sparat: Nämnd: (tomt) → 'Socialnämnden'" in page
    plan = plan_of(app, world.plan_id)
    assert (plan.namnd, plan.ort, plan.signatory_name, plan.signatory_title) == (
        "Socialnämnden",
        "Piteå",
        "Eva Holm",
        "socialchef",
    )
    assert (plan.report_months, plan.next_report_on) == ("6,12", date(2018, 6, 30))
    assert plan.dnr == "SN 2017/123"  # sent unchanged: not a change
    with app.transaction() as s:
        fields = [
            (e.field, e.old, e.new, e.actor_label) for e in plan_settings.history(s, world.plan_id)
        ]
    label = f"{world.chef.name} <{world.chef.email}>"
    assert sorted(fields) == sorted(
        [
            ("namnd", "", "Socialnämnden", label),
            ("ort", "", "Piteå", label),
            ("signatory_name", "", "Eva Holm", label),
            ("signatory_title", "", "socialchef", label),
            ("report_months", "", "6, 12", label),
            ("next_report_on", "", "2018-06-30", label),
        ]
    )
    assert "Undertecknare: (tomt) → 'Eva Holm'" in text_of(settings(chef_client, world.plan_id))


def test_a_bad_value_is_refused_in_swedish_and_nothing_is_saved(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(settings(chef_client, world.plan_id), "/installningar")
    done = chef_client.post(
        form.action, data=form.data(namnd="Socialnämnden", report_months="6, 13", title="")
    )
    assert done.status_code == 422
    assert "Återrapportmånader: '13' är inget månadsnummer (1–12). Titel: får inte vara tom." in (
        text_of(done.text)
    )
    assert plan_of(app, world.plan_id).namnd == ""
    with app.transaction() as s:
        assert plan_settings.history(s, world.plan_id) == []


def test_the_boards_decision_is_set_on_the_page_with_its_paragraph_written_one_way(
    chef_client: TestClient, app: App, world: World
) -> None:
    page = settings(chef_client, world.plan_id)
    assert "Beslutsdatum" in text_of(page) and "Paragraf" in text_of(page)
    form = form_to(page, "/installningar")
    done = chef_client.post(
        form.action, data=form.data(decision_on="2017-06-14", decision_paragraph="45")
    )
    assert done.status_code == 200
    assert "Sparat: Beslutsdatum: (tomt) → '2017-06-14'; Paragraf: (tomt) → '§ 45'." in (
        text_of(done.text)
    )
    plan = plan_of(app, world.plan_id)
    assert (plan.decision_on, plan.decision_paragraph) == (date(2017, 6, 14), "§ 45")
    form = form_to(done.text, "/installningar")
    assert (form.fields["decision_on"], form.fields["decision_paragraph"]) == ("2017-06-14", "§ 45")

    refused = chef_client.post(
        form.action, data=form.data(decision_on="2017-13-01", decision_paragraph="paragraf 46")
    )
    assert refused.status_code == 422
    assert (
        "Beslutsdatum: '2017-13-01' är inget giltigt datum. "
        "Paragraf: ska vara en paragraf som § 45 (fick 'paragraf 46')."
    ) in text_of(refused.text)
    plan = plan_of(app, world.plan_id)
    assert (plan.decision_on, plan.decision_paragraph) == (date(2017, 6, 14), "§ 45")
    with app.transaction() as s:
        fields = [(e.field, e.new) for e in plan_settings.history(s, world.plan_id)]
    assert sorted(fields) == [("decision_on", "2017-06-14"), ("decision_paragraph", "§ 45")]


def test_recipients_are_added_each_checked_and_removed(
    chef_client: TestClient, app: App, world: World
) -> None:
    page = settings(chef_client, world.plan_id)
    assert "Inga mottagare ännu" in text_of(page)
    add = form_to(page, "/mottagare")
    refused = chef_client.post(add.action, data=add.data(adress="nämnd@pitea.example, inte-en"))
    assert refused.status_code == 422
    assert "Ogiltig e-postadress: 'inte-en'." in text_of(refused.text)
    assert plan_of(app, world.plan_id).board_recipients == ""

    done = chef_client.post(
        add.action, data=add.data(adress="sekreterare@pitea.example; ordf@pitea.example")
    )
    assert "läggs till sekreterare@pitea.example, ordf@pitea.example" in text_of(done.text)
    assert plan_of(app, world.plan_id).board_recipients == (
        "sekreterare@pitea.example,ordf@pitea.example"
    )
    remove = form_to(done.text, "/mottagare/ta-bort")
    assert remove.fields["adress"] == "sekreterare@pitea.example"
    done = chef_client.post(remove.action, data=remove.data())
    assert "tas bort sekreterare@pitea.example" in text_of(done.text)
    assert plan_of(app, world.plan_id).board_recipients == "ordf@pitea.example"


def test_refused_recipients_stay_in_the_box_as_typed_to_correct_the_wrong_one(
    chef_client: TestClient, app: App, world: World
) -> None:
    add = form_to(settings(chef_client, world.plan_id), "/mottagare")
    typed = "namnd@pitea.example, fel-adress; ordf@pitea.example"
    refused = chef_client.post(add.action, data=add.data(adress=typed))
    assert refused.status_code == 422
    assert "Ogiltig e-postadress: 'fel-adress'." in text_of(refused.text)
    assert form_to(refused.text, "/mottagare").fields["adress"] == typed
    assert plan_of(app, world.plan_id).board_recipients == ""


def test_a_chef_cannot_move_a_plan_to_another_forvaltning(
    chef_client: TestClient, app: App, world: World
) -> None:
    page = settings(chef_client, world.plan_id)
    assert 'name="forvaltning"' not in page
    form = form_to(page, "/installningar")
    chef_client.post(form.action, data=form.data(forvaltning="Kultur- och fritidsförvaltningen"))
    assert plan_of(app, world.plan_id).forvaltning == world.chef.forvaltning


def test_an_admin_can_and_a_taken_title_is_refused(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        admin = people.ensure_person(
            s, "admin@pitea.example", now=clock(), name="Ada Admin", role=Role.admin
        )
        other = Plan(title="Annan plan", forvaltning="Kultur", created_at=clock())
        s.add(other)
    log_in(client, app, admin, clock())
    form = form_to(settings(client, world.plan_id), "/installningar")
    taken = client.post(form.action, data=form.data(title="Annan plan", forvaltning="Kultur"))
    assert taken.status_code == 422
    assert "Det finns redan en plan som heter 'Annan plan' i förvaltningen 'Kultur'" in (
        text_of(taken.text)
    )
    client.post(form.action, data=form.data(forvaltning="Kultur"))
    assert plan_of(app, world.plan_id).forvaltning == "Kultur"


def test_a_plan_moved_to_another_forvaltning_is_no_longer_its_old_chefs(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    with app.transaction() as s:
        admin = people.ensure_person(
            s, "admin@pitea.example", now=clock(), name="Ada Admin", role=Role.admin
        )
        new_chef = people.ensure_person(
            s,
            "kerstin.kultur@pitea.example",
            now=clock(),
            name="Kerstin Kultur",
            role=Role.chef,
            forvaltning="Kultur",
        )
        plan = s.get(Plan, world.plan_id)
        assert plan is not None
        # The chef who made the plan on the web is the chef it names.
        plan.chef_id = world.chef.id
        s.add(plan)
    log_in(client, app, admin, clock())
    form = form_to(settings(client, world.plan_id), "/installningar")
    moved = text_of(client.post(form.action, data=form.data(forvaltning="Kultur")).text)
    assert "Planens chef: 'Malin Westling' → (tomt)" in moved
    assert plan_of(app, world.plan_id).chef_id is None

    log_in(client, app, world.chef, clock())
    assert client.get(f"/planer/{world.plan_id}/installningar").status_code == 403
    log_in(client, app, new_chef, clock())
    assert client.get(f"/planer/{world.plan_id}/installningar").status_code == 200


# --- the import changes only what the file states -------------------------------------------


def import_example(app: App, clock: MovableClock) -> list[str]:
    with app.transaction() as s:
        result = importing.import_file(s, app.registry, app.settings, EXAMPLE, now=clock())
        summary = list(importing.describe(result))
    return summary


def example_plan(app: App) -> Plan:
    with app.transaction() as s:
        plans = [p for p in s.exec(select(Plan)) if "ledningsfunktion" in p.title]
        assert len(plans) == 1
        return plans[0]


def test_importing_the_example_again_keeps_the_recipients_set_in_the_web(
    app: App, clock: MovableClock, chef: Person
) -> None:
    import_example(app, clock)
    plan = example_plan(app)
    with app.transaction() as s:
        found = s.get(Plan, plan.id)
        assert found is not None
        values = plan_settings.with_recipients(found, add=["namnd@pitea.example"])
        values["dnr"] = "BUN 2017/55"
        plan_settings.change_plan(s, found, values, now=clock(), actor=chef)
    clock.advance(days=1)
    summary = import_example(app, clock)
    plan = example_plan(app)
    assert (plan.board_recipients, plan.dnr) == ("namnd@pitea.example", "BUN 2017/55")
    assert not [line for line in summary if "Mottagare" in line]


def test_a_file_that_lists_other_recipients_says_so_before_anything_is_saved(
    app: App, clock: MovableClock, chef: Person, tmp_path: Path
) -> None:
    import_example(app, clock)
    plan = example_plan(app)
    with app.transaction() as s:
        found = s.get(Plan, plan.id)
        assert found is not None
        values = plan_settings.with_recipients(found, add=["a@pitea.example", "b@pitea.example"])
        plan_settings.change_plan(s, found, values, now=clock(), actor=chef)
    csv = tmp_path / EXAMPLE.name
    csv.write_bytes(EXAMPLE.read_bytes())
    toml = EXAMPLE.with_name("pitea-2018.plan.toml").read_text(encoding="utf-8")
    toml = toml.replace(
        "board_recipients = []", 'board_recipients = ["b@pitea.example", "c@pitea.example"]'
    )
    assert "c@pitea.example" in toml
    (tmp_path / "pitea-2018.plan.toml").write_text(toml, encoding="utf-8")

    with app.transaction() as s:
        result = importing.import_file(s, app.registry, app.settings, csv, now=clock())
        summary = list(importing.describe(result))
        s.rollback()  # a dry run
    assert "  Mottagare i nämnden: läggs till c@pitea.example; tas bort a@pitea.example" in summary
    assert example_plan(app).board_recipients == "a@pitea.example,b@pitea.example"

    with app.transaction() as s:
        importing.import_file(s, app.registry, app.settings, csv, now=clock())
    plan = example_plan(app)
    assert plan.board_recipients == "b@pitea.example,c@pitea.example"
    with app.transaction() as s:
        assert plan.id is not None
        [latest, *_] = plan_settings.history(s, plan.id)
    assert (latest.field, latest.actor_label) == ("board_recipients", "import (pitea-2018.csv)")


# --- the web import -------------------------------------------------------------------------


def test_the_web_import_needs_no_plan_file_and_speaks_of_its_own_fields(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(chef_client.get("/planer/import").text, "/planer/import")
    csv = EXAMPLE.read_bytes()
    untitled = chef_client.post(form.action, data=form.data(), files={"file": ("p.csv", csv)})
    assert untitled.status_code == 422
    words = text_of(untitled.text)
    assert "Planens titel saknas: skriv den i fältet Planens namn" in words
    assert "--" not in words
    done = chef_client.post(
        form.action,
        data=form.data(title="Ledningsplanen", namnd="Barn- och utbildningsnämnden", dnr="BUN 1"),
        files={"file": ("p.csv", csv)},
    )
    assert done.status_code == 200, done.text
    with app.transaction() as s:
        plan = s.exec(select(Plan).where(Plan.title == "Ledningsplanen")).one()
    assert (plan.namnd, plan.dnr, plan.forvaltning) == (
        "Barn- och utbildningsnämnden",
        "BUN 1",
        world.chef.forvaltning,
    )


def test_the_web_import_records_the_file_as_of_the_date_given(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    form = form_to(chef_client.get("/planer/import").text, "/planer/import")
    csv = EXAMPLE.read_bytes()
    bad = chef_client.post(
        form.action, data=form.data(title="P", as_of="1 sept"), files={"file": ("p.csv", csv)}
    )
    assert bad.status_code == 422
    assert "Läget per: skriv datumet som ÅÅÅÅ-MM-DD" in text_of(bad.text)
    assert form_to(bad.text, "/planer/import").fields["as_of"] == "1 sept"
    later = clock().date().replace(year=clock().year + 1).isoformat()
    future = chef_client.post(
        form.action, data=form.data(title="P", as_of=later), files={"file": ("p.csv", csv)}
    )
    assert "Läget per kan inte vara ett datum efter i dag." in text_of(future.text)
    done = chef_client.post(
        form.action, data=form.data(title="P", as_of="2017-12-01"), files={"file": ("p.csv", csv)}
    )
    assert done.status_code == 200, done.text
    with app.transaction() as s:
        plan = s.exec(select(Plan).where(Plan.title == "P")).one()
        assert plan.id is not None
        notes = {
            a.progress_at
            for a in s.exec(select(Action).where(Action.plan_id == plan.id))
            if a.progress_note
        }
    assert notes == {datetime(2017, 11, 30, 23, 0, tzinfo=UTC)}


@pytest.mark.parametrize("months", ["1_2", "٦", "+6", "06.0"])
def test_a_month_written_other_than_in_digits_is_refused_not_read_as_another(
    chef_client: TestClient, app: App, world: World, months: str
) -> None:
    form = form_to(settings(chef_client, world.plan_id), "/installningar")
    done = chef_client.post(form.action, data=form.data(report_months=months))
    assert done.status_code == 422
    assert f"Återrapportmånader: '{months}' är inget månadsnummer (1–12)." in text_of(done.text)
    with app.transaction() as s:
        assert plan_settings.history(s, world.plan_id) == []


def test_overlong_and_bad_fields_are_each_marked_beside_their_box_with_everything_kept(
    chef_client: TestClient, app: App, world: World
) -> None:
    form = form_to(settings(chef_client, world.plan_id), "/installningar")
    typed = {
        "namnd": "Socialnämnden " * 20,  # 280 characters: over the nämnd's 200
        "ort": "Piteå",
        "report_months": "6, 13",
        "background": "Frånvaron ökar.",
    }
    done = chef_client.post(form.action, data=form.data(**typed))
    assert done.status_code == 422
    assert "Nämnd: för lång text, högst 200 tecken." in text_of(done.text)
    again = form_to(done.text, "/installningar").fields
    assert {k: again[k] for k in typed} == typed
    invalid = re.findall(r'<(?:input|textarea)\b[^>]*aria-invalid="true"[^>]*>', done.text)
    assert sorted(re.search(r'name="(\w+)"', t).group(1) for t in invalid) == [  # type: ignore[union-attr]
        "namnd",
        "report_months",
    ]
    assert all('uppgifter-form-fel"' in t for t in invalid)
    assert plan_of(app, world.plan_id).ort == ""
    with app.transaction() as s:
        assert plan_settings.history(s, world.plan_id) == []
