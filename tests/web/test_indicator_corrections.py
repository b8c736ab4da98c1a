"""An åtgärd's indicators corrected and removed on the chef's åtgärd page (a wrong measured
value too), each change in the åtgärd's history, and the indicators on the owner's page in the
återrapport's words."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, href_to, log_in, owner_path, text_of
from tracker.app import App
from tracker.models import Indicator, IndicatorValue, Person
from tracker.services import actions, indicators, reports

NAME = "Andel elever med godkänt i matematik"
LINE = f"{NAME}: 72,5 % (2019-06-30) → 78 % (2020-06-30), mål 85 %"


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


@pytest.fixture
def indicator_id(app: App, world: World, clock: MovableClock) -> int:
    """An indicator of a1 with its baseline, target and one measured value."""
    with app.transaction() as s:
        indicator = indicators.add_indicator(
            s,
            world.a1,
            now=clock(),
            actor=world.chef,
            name=NAME,
            unit="%",
            baseline_value=72.5,
            baseline_on=date(2019, 6, 30),
            target_value=85,
        )
        indicators.record_value(
            s, indicator, now=clock(), actor=world.chef, measured_on=date(2020, 6, 30), value=78
        )
        assert indicator.id is not None
        return indicator.id


def _indicator(app: App, indicator_id: int) -> Indicator | None:
    with app.transaction() as s:
        return s.get(Indicator, indicator_id)


def _values(app: App) -> list[float]:
    with app.transaction() as s:
        return sorted(v.value for v in s.exec(select(IndicatorValue)))


def _history(app: App, action_id: int) -> list[tuple[str, str]]:
    with app.transaction() as s:
        return [(e.trigger, e.text) for e in actions.history(s, action_id)]


def test_the_chef_corrects_an_indicator_and_the_history_says_what_changed(
    chef_client: TestClient, app: App, world: World, indicator_id: int
) -> None:
    page = chef_client.get(f"/atgarder/{world.a1}")
    edit = form_to(page.text, f"/indikatorer/{indicator_id}/andra")
    # The form holds the indicator as it is, numbers with a decimal comma.
    assert (edit.fields["baseline"], edit.fields["target"]) == ("72,5", "85")
    unchanged = chef_client.post(edit.action, data=edit.data())
    assert "Ingenting ändrades i indikatorn." in text_of(unchanged.text)
    done = chef_client.post(
        edit.action, data=edit.data(name="Andel godkända i matematik", target="90", unit="%")
    )
    assert done.status_code == 200
    text = text_of(done.text)
    assert "Andel godkända i matematik: 72,5 % (2019-06-30) → 78 % (2020-06-30), mål 90 %" in text
    indicator = _indicator(app, indicator_id)
    assert indicator is not None and indicator.target_value == 90
    assert indicator.name == "Andel godkända i matematik"
    edited = [t for trigger, t in _history(app, world.a1) if trigger == "indikator_andrad"]
    assert edited == [
        f"Indikator: {NAME} (namn {NAME} → Andel godkända i matematik, mål 85 % → 90 %)"
    ]
    assert "Indikator ändrad" in text


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"baseline": "sjuttio"}, "baseline", "Utgångsvärde: 'sjuttio' är inget tal"),
        ({"name": "  ", "target": "88"}, "name", "Skriv indikatorns namn."),
        ({"baseline_on": "30/6 2019", "unit": "procent"}, "baseline_on", "ÅÅÅÅ-MM-DD"),
        ({"target": "9,5e3"}, "target", "Mål: '9,5e3' är inget tal"),
        ({"baseline": "", "name": "Ny"}, "baseline", "Ange utgångsvärdet"),
    ],
)
def test_a_refused_correction_shows_the_reason_beside_the_field_and_keeps_what_was_typed(
    chef_client: TestClient,
    app: App,
    world: World,
    indicator_id: int,
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    page = chef_client.get(f"/atgarder/{world.a1}")
    edit = form_to(page.text, f"/indikatorer/{indicator_id}/andra")
    refused = chef_client.post(edit.action, data=edit.data(**values))
    assert refused.status_code == 422
    assert message in text_of(refused.text)
    again = form_to(refused.text, f"/indikatorer/{indicator_id}/andra")
    assert again.fields == edit.data(**values)
    # The reason stands beside the box it is about, which points at it.
    box = re.search(rf'<input id="andra-{indicator_id}-[^"]*" name="{field}"[^>]*>', refused.text)
    assert box is not None and 'aria-invalid="true"' in box.group(0)
    reason = re.search(
        rf'<p class="hint flagged" id="andra-{indicator_id}-fel">([^<]*)<', refused.text
    )
    assert reason is not None and message in text_of(reason.group(1))
    assert refused.text.index(box.group(0)) < refused.text.index(reason.group(0))
    assert "<details open>" in refused.text
    indicator = _indicator(app, indicator_id)
    assert indicator is not None and (indicator.name, indicator.target_value) == (NAME, 85)
    assert "indikator_andrad" not in [t for t, _ in _history(app, world.a1)]


def test_a_name_the_action_already_has_is_refused_beside_the_name(
    chef_client: TestClient, app: App, world: World, indicator_id: int, clock: MovableClock
) -> None:
    with app.transaction() as s:
        indicators.add_indicator(s, world.a1, now=clock(), actor=None, name="Antal")
    page = chef_client.get(f"/atgarder/{world.a1}")
    edit = form_to(page.text, f"/indikatorer/{indicator_id}/andra")
    refused = chef_client.post(edit.action, data=edit.data(name="Antal"))
    assert refused.status_code == 422
    assert "Åtgärden har redan en indikator som heter 'Antal'." in text_of(refused.text)
    assert f'id="andra-{indicator_id}-fel"' in refused.text


def test_the_chef_removes_an_indicator_after_confirming(
    chef_client: TestClient, app: App, world: World, indicator_id: int
) -> None:
    page = chef_client.get(f"/atgarder/{world.a1}")
    confirm = chef_client.get(href_to(page.text, f"/indikatorer/{indicator_id}/ta-bort"))
    assert confirm.status_code == 200
    assert f"Indikatorn '{NAME}' och dess mätvärde tas bort" in text_of(confirm.text)
    form = form_to(confirm.text, f"/indikatorer/{indicator_id}/ta-bort")
    # Without the confirmation, nothing is removed: the post leads to the confirmation page.
    unconfirmed = chef_client.post(form.action, data={"csrf": form.fields["csrf"]})
    assert unconfirmed.status_code == 200 and "Ta bort indikatorn" in unconfirmed.text
    assert _indicator(app, indicator_id) is not None
    done = chef_client.post(form.action, data=form.data())
    assert done.status_code == 200
    assert f"Indikatorn '{NAME}' är borttagen." in text_of(done.text)
    assert "Åtgärden har inga indikatorer." in text_of(done.text)
    assert _indicator(app, indicator_id) is None and _values(app) == []
    assert (
        "indikator_borttagen",
        f"Indikator: {NAME} (med 1 mätvärde)",
    ) in _history(app, world.a1)
    assert "Indikator borttagen" in text_of(done.text)


def test_the_chef_removes_a_wrong_value_after_confirming(
    chef_client: TestClient, app: App, world: World, indicator_id: int, clock: MovableClock
) -> None:
    with app.transaction() as s:
        indicator = s.get(Indicator, indicator_id)
        assert indicator is not None
        indicators.record_value(
            s, indicator, now=clock(), actor=None, measured_on=date(2020, 12, 31), value=8
        )
    page = chef_client.get(f"/atgarder/{world.a1}")
    assert f"{NAME}: 72,5 % (2019-06-30) → 8 % (2020-12-31), mål 85 %" in text_of(page.text)
    wrong = [h for h in re.findall(r'href="([^"]*/ta-bort)"', page.text) if "/matvarden/" in h]
    assert len(wrong) == 2
    confirm = chef_client.get(wrong[1])
    assert "Mätvärdet 8 % (2020-12-31) för indikatorn" in text_of(confirm.text)
    form = form_to(confirm.text, "/matvarden/")
    done = chef_client.post(form.action, data=form.data())
    assert done.status_code == 200
    assert LINE in text_of(done.text)
    assert _values(app) == [78]
    assert ("matvarde_borttaget", f"{NAME}: 8 % (2020-12-31)") in _history(app, world.a1)
    assert "Mätvärde borttaget" in text_of(done.text)


def test_a_value_of_another_indicator_is_not_found(
    chef_client: TestClient, app: App, world: World, indicator_id: int, clock: MovableClock
) -> None:
    with app.transaction() as s:
        other = indicators.add_indicator(s, world.a1, now=clock(), actor=None, name="Antal")
    with app.transaction() as s:
        value_id = s.exec(select(IndicatorValue.id)).one()
    answer = chef_client.get(
        f"/atgarder/{world.a1}/indikatorer/{other.id}/matvarden/{value_id}/ta-bort"
    )
    assert answer.status_code == 404
    assert "Indikatorn har inget sådant mätvärde." in text_of(answer.text)


def test_the_board_may_not_correct_or_remove_indicators(
    client: TestClient,
    app: App,
    world: World,
    clock: MovableClock,
    board: Person,
    indicator_id: int,
) -> None:
    log_in(client, app, board, clock())
    page = client.get(f"/atgarder/{world.a1}")
    assert page.status_code == 200 and LINE in text_of(page.text)
    assert "/ta-bort" not in page.text and "/andra" not in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    base = f"/atgarder/{world.a1}/indikatorer/{indicator_id}"
    with app.transaction() as s:
        value_id = s.exec(select(IndicatorValue.id)).one()
    for path in (f"{base}/ta-bort", f"{base}/matvarden/{value_id}/ta-bort"):
        assert client.get(path).status_code == 403
        posted = client.post(path, data={"csrf": csrf.group(1), "bekraftat": "ja"})
        assert posted.status_code == 403
    refused = client.post(f"{base}/andra", data={"csrf": csrf.group(1), "name": "Annat"})
    assert refused.status_code == 403
    assert "men inte ändra" in text_of(refused.text)
    indicator = _indicator(app, indicator_id)
    assert indicator is not None and indicator.name == NAME and _values(app) == [78]


def test_the_owner_page_shows_the_indicators_as_the_report_does(
    client: TestClient, app: App, world: World, clock: MovableClock, indicator_id: int
) -> None:
    page = client.get(owner_path(app, world.anna, clock()))
    assert page.status_code == 200
    assert LINE in text_of(page.text)
    # Read-only: no form of the owner's page reaches an indicator.
    assert "/indikatorer" not in page.text


def test_corrections_in_the_history_are_never_the_report_s_processlage(
    app: App, world: World, clock: MovableClock, indicator_id: int
) -> None:
    with app.transaction() as s:
        actions.note_progress(s, world.a1, world.anna, "Rutinen skrivs.", now=clock())
    clock.advance(days=1)
    with app.transaction() as s:
        indicator = s.get(Indicator, indicator_id)
        assert indicator is not None
        value = s.exec(select(IndicatorValue)).one()
        indicators.remove_value(s, indicator, value, now=clock(), actor=world.chef)
        indicators.edit_indicator(s, indicator, now=clock(), actor=world.chef, name="Andel")
        indicators.remove_indicator(s, indicator, now=clock(), actor=world.chef)
    with app.transaction() as s:
        snap = reports.build_snapshot(
            s,
            app.registry,
            world.plan_id,
            as_of=clock().date(),
            now=clock(),
            tz=app.tz,
            draft_days=14,
        )
    notes = {a.text: a.note for a in snap.actions()}
    assert notes["Ta fram rutin för handläggning"] == "Rutinen skrivs."
