"""Evaluating against the förväntad effekt on the web: the SBS evaluation's fields on the
owner's page and the chef's, and an åtgärd's indicators (added, measured, imported) with their
line in the återrapport in every format."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlmodel import select

from tests.support.documents import docx_text, pdf_text, squash
from tests.web.conftest import World
from tests.web.helpers import Form, MovableClock, form_to, forms, log_in, owner_path, text_of
from tracker.app import App
from tracker.models import Action, ActionEvent, Indicator, IndicatorValue
from tracker.services import actions, plans, reports

LINE = "Andel elever med godkänt i matematik: 72,5 % (2019-06-30) → 78 % (2020-06-30), mål 85 %"


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


def _sbs_klar(app: App, world: World, now: datetime) -> int:
    """An SBS insats owned by Anna, finished and waiting for its evaluation."""
    with app.transaction() as s:
        area = plans.ensure_area(s, plans.get_plan(s, world.plan_id), "Ekonomiskt bistånd")
        action = plans.add_action(
            s,
            app.registry,
            area,
            now=now,
            workflow="sbs",
            owner=world.anna,
            text="Handledning för förvaltningsledningen",
            expected_effect="Styrningen av SBS-insatsen blir tydlig.",
        )
        assert action.id is not None
        actions.move(s, app.registry, action.id, "starta", world.anna, now=now)
        actions.move(s, app.registry, action.id, "slutfor", world.anna, now=now, text="Klart.")
        return action.id


ANSWERS = {
    "svar_problem": "Otydlig styrning.",
    "svar_mal": "En gemensam lägesbild.",
    "svar_forbattringar": "Gemensamma mål för alla enheter.",
    "svar_ej_uppnatt": "",
}


def _answers_of(app: App, action_id: int) -> list[str | None]:
    with app.transaction() as s:
        return [
            e.answers_json
            for e in s.exec(select(ActionEvent).where(ActionEvent.action_id == action_id))
            if e.trigger == "utvardera"
        ]


def _evaluation_form(html: str, action_part: str) -> Form:
    """The form of the evaluation: the one with the boxes of the workflow file's fields."""
    return next(
        f
        for f in forms(html)
        if action_part in f.action and f.method == "post" and "svar_problem" in f.fields
    )


def test_the_owner_evaluates_with_the_fields_and_is_told_which_is_missing(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    action_id = _sbs_klar(app, world, clock())
    page = client.get(owner_path(app, world.anna, clock()))
    evaluation = _evaluation_form(page.text, f"/atgard/{action_id}")
    assert evaluation.fields["trigger"] == "utvardera"
    assert "Vilka mål nåddes inte, och varför?" in evaluation.labels
    assert "Hur fortsätter arbetet? (frivilligt)" in evaluation.labels
    refused = client.post(evaluation.action, data=evaluation.data(**ANSWERS))
    assert refused.status_code == 422
    assert "Vilka mål nåddes inte, och varför?" in text_of(refused.text)
    # What was typed is still in its box.
    again = _evaluation_form(refused.text, f"/atgard/{action_id}")
    assert again.fields["svar_forbattringar"] == "Gemensamma mål för alla enheter."
    assert _answers_of(app, action_id) == []
    done = client.post(
        evaluation.action,
        data=evaluation.data(**{**ANSWERS, "svar_ej_uppnatt": "Alla mål nåddes."}),
    )
    assert done.status_code == 200, done.text
    assert "Alla mål nåddes." in text_of(done.text)  # on the receipt
    kept = _answers_of(app, action_id)
    assert len(kept) == 1 and "Alla mål nåddes." in (kept[0] or "")


def test_the_chef_evaluates_on_the_action_page_and_sees_the_answers_in_the_history(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    action_id = _sbs_klar(app, world, clock())
    page = chef_client.get(f"/atgarder/{action_id}")
    evaluation = _evaluation_form(page.text, f"/atgarder/{action_id}/uppdatera")
    refused = chef_client.post(
        evaluation.action, data=evaluation.data(**{**ANSWERS, "svar_problem": " "})
    )
    assert refused.status_code == 422
    assert "Vilket var problemet?" in text_of(refused.text)
    assert "En gemensam lägesbild." in refused.text
    done = chef_client.post(
        evaluation.action, data=evaluation.data(**{**ANSWERS, "svar_ej_uppnatt": "Inga."})
    )
    assert done.status_code == 200
    history = text_of(done.text)
    assert "Otydlig styrning." in history and "Utvärderad" in history


def _add_indicator(client: TestClient, action_id: int, **values: str) -> object:
    page = client.get(f"/atgarder/{action_id}")
    form = form_to(page.text, f"/atgarder/{action_id}/indikatorer")
    return client.post(form.action, data=form.data(**values))


def test_the_chef_adds_an_indicator_and_a_value_with_comma_decimals(
    chef_client: TestClient, app: App, world: World
) -> None:
    done = _add_indicator(
        chef_client,
        world.a1,
        name="Andel elever med godkänt i matematik",
        unit="%",
        baseline="72,5",
        baseline_on="2019-06-30",
        target="85",
    )
    assert done.status_code == 200  # type: ignore[attr-defined]
    page = chef_client.get(f"/atgarder/{world.a1}")
    with app.transaction() as s:
        indicator = s.exec(select(Indicator)).one()
        assert indicator.baseline_value == 72.5 and indicator.target_value == 85
    measure = form_to(page.text, f"/indikatorer/{indicator.id}/matvarden")
    shown = chef_client.post(
        measure.action, data=measure.data(measured_on="2020-06-30", value="78")
    )
    assert shown.status_code == 200
    assert LINE in text_of(shown.text)
    assert "Mätvärde" in text_of(shown.text)  # in the history


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": "Andel", "baseline": "sjuttio"}, "Utgångsvärde: 'sjuttio' är inget tal"),
        ({"name": "Andel", "target": "1e400"}, "Mål:"),
        ({"name": "  "}, "Skriv indikatorns namn."),
        ({"name": "Andel", "baseline_on": "30/6"}, "Utgångsvärdets datum"),
        (
            {"name": "Andel", "baseline_on": "1899-06-30", "baseline": "1"},
            "ange ett år från 2000 till 2100",
        ),
        ({"name": "Andel", "baseline_on": "2019-06-30"}, "Ange utgångsvärdet"),
        ({"name": "Andel godkända " * 15}, "Indikatorns namn får vara högst 200 tecken."),
        ({"name": "Andel", "unit": "procent av alla elever"}, "Enheten får vara högst 20 tecken."),
        ({"name": "Andel", "baseline": "1 " * 21}, "Utgångsvärde är för långt: högst 40 tecken."),
        ({"name": "Andel", "target": "9" * 41}, "Mål är för långt: högst 40 tecken."),
    ],
)
def test_a_bad_indicator_is_refused_with_a_swedish_message_and_the_typed_values_kept(
    chef_client: TestClient, app: App, world: World, values: dict[str, str], message: str
) -> None:
    refused = _add_indicator(chef_client, world.a1, **values)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    text = refused.text  # type: ignore[attr-defined]
    assert message in text_of(text)
    for typed in values.values():
        if typed.strip():
            assert f'value="{typed}"' in text
    with app.transaction() as s:
        assert s.exec(select(Indicator)).all() == []


def test_a_value_without_a_date_or_number_is_refused(
    chef_client: TestClient, app: App, world: World
) -> None:
    _add_indicator(chef_client, world.a1, name="Andel", unit="%")
    page = chef_client.get(f"/atgarder/{world.a1}")
    measure = form_to(page.text, "/matvarden")
    refused = chef_client.post(
        measure.action, data=measure.data(measured_on="2020-01-01", value="7" * 41)
    )
    assert refused.status_code == 422
    assert "Värde är för långt: högst 40 tecken." in text_of(refused.text)
    assert f'value="{"7" * 41}"' in refused.text
    refused = chef_client.post(measure.action, data=measure.data(measured_on="", value="7,5"))
    assert refused.status_code == 422 and "Ange datumet" in text_of(refused.text)
    assert 'value="7,5"' in refused.text
    refused = chef_client.post(
        measure.action, data=measure.data(measured_on="2020-01-01", value="x")
    )
    assert refused.status_code == 422 and "Värde: 'x' är inget tal" in text_of(refused.text)
    with app.transaction() as s:
        assert s.exec(select(IndicatorValue)).all() == []


def _import(client: TestClient, plan_id: int, body: str) -> object:
    page = client.get(f"/planer/{plan_id}/indikatorer")
    form = form_to(page.text, f"/planer/{plan_id}/indikatorer")
    return client.post(
        form.action,
        data=form.data(),
        files={"file": ("matvarden.csv", body.encode("utf-8"), "text/csv")},
    )


def test_an_indicator_file_is_imported_and_again_without_duplicates(
    chef_client: TestClient, app: App, world: World
) -> None:
    body = (
        "Åtgärd-id;Indikator;Enhet;Datum;Värde\n"
        f"{world.a1};Andel elever med godkänt i matematik;%;2019-06-30;72,5\n"
        f"{world.a1};Andel elever med godkänt i matematik;%;2020-06-30;78\n"
        f"{world.b1};Antal utbildade handläggare;st;2020-06-30;12\n"
    )
    for _ in range(2):
        done = _import(chef_client, world.plan_id, body)
        assert done.status_code == 200, done.text  # type: ignore[attr-defined]
        assert "3 mätvärden är importerade" in text_of(done.text)  # type: ignore[attr-defined]
    with app.transaction() as s:
        assert len(s.exec(select(Indicator)).all()) == 2
        assert sorted(v.value for v in s.exec(select(IndicatorValue))) == [12, 72.5, 78]


def test_an_indicator_workbook_is_read_from_its_sheet_of_values(
    chef_client: TestClient, app: App, world: World
) -> None:
    wb = Workbook()
    guide = wb.active
    assert guide is not None
    guide.title = "Instruktion"
    guide.append(["Fyll i bladet Mätvärden."])
    values = wb.create_sheet("Mätvärden")
    values.append(["Åtgärd-id", "Indikator", "Enhet", "Datum", "Värde"])
    # As Excel stores them: numbers as numbers and a date cell.
    values.append([world.a1, "Andel elever med godkänt i matematik", "%", date(2019, 6, 30), 72.5])
    values.append([world.b1, "Antal utbildade handläggare", "st", "2020-06-30", 12])
    out = io.BytesIO()
    wb.save(out)
    page = chef_client.get(f"/planer/{world.plan_id}/indikatorer")
    form = form_to(page.text, f"/planer/{world.plan_id}/indikatorer")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    done = chef_client.post(
        form.action, data=form.data(), files={"file": ("matvarden.xlsx", out.getvalue(), xlsx)}
    )
    assert done.status_code == 200, done.text
    assert "2 mätvärden är importerade" in text_of(done.text)
    with app.transaction() as s:
        got = {(v.measured_on, v.value) for v in s.exec(select(IndicatorValue))}
    assert got == {(date(2019, 6, 30), 72.5), (date(2020, 6, 30), 12)}
    other = chef_client.post(
        form.action, data=form.data(), files={"file": ("matvarden.pdf", b"%PDF-1.7", "x")}
    )
    assert other.status_code == 422
    assert "varken CSV eller XLSX" in text_of(other.text)


def test_a_bad_indicator_file_is_refused_whole_with_row_and_column(
    chef_client: TestClient, app: App, world: World
) -> None:
    body = (
        "Åtgärd-id;Indikator;Enhet;Datum;Värde\n"
        f"{world.a1};Andel;%;2020-06-30;78\n"
        "999999;Andel;%;2020-06-30;78\n"
        f"{world.a1};Andel;%;30 juni;78\n"
        f"{world.a1};Andel;%;2020-07-30;sju\n"
        f"{world.a1};Andel;st;2020-08-30;7\n"
    )
    refused = _import(chef_client, world.plan_id, body)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    text = text_of(refused.text)  # type: ignore[attr-defined]
    assert "Rad 4, kolumn Datum: '30 juni' är inget datum" in text
    assert "Rad 5, kolumn Värde: värdet: 'sju' är inget tal" in text
    missing = _import(chef_client, world.plan_id, body.replace("Enhet;", "").replace("%;", ""))
    assert "kolumnen 'Enhet' saknas" in text_of(missing.text)  # type: ignore[attr-defined]
    good_rows_only = "\n".join(body.split("\n")[:3]) + "\n"
    refused = _import(chef_client, world.plan_id, good_rows_only)
    assert "Rad 3, kolumn Åtgärd-id: planen har ingen åtgärd 999999" in text_of(
        refused.text  # type: ignore[attr-defined]
    )
    mixed = "\n".join([*body.split("\n")[:2], body.split("\n")[5]]) + "\n"
    refused = _import(chef_client, world.plan_id, mixed)
    assert "kolumn Enhet: indikatorn 'Andel' har enheten '%', inte 'st'" in text_of(
        refused.text  # type: ignore[attr-defined]
    )
    with app.transaction() as s:
        assert s.exec(select(Indicator)).all() == []
        assert s.exec(select(IndicatorValue)).all() == []


def test_the_board_reads_indicators_but_may_not_add_them(
    client: TestClient, app: App, world: World, clock: MovableClock, board: object
) -> None:
    from tracker.models import Person

    assert isinstance(board, Person)
    log_in(client, app, board, clock())
    page = client.get(f"/atgarder/{world.a1}")
    assert page.status_code == 200 and "Förväntad effekt och indikatorer" in page.text
    assert f"/atgarder/{world.a1}/indikatorer" not in page.text
    refused = client.post(
        f"/atgarder/{world.a1}/indikatorer",
        data={"csrf": _csrf(page.text), "name": "Andel"},
    )
    assert refused.status_code == 403


def _csrf(html: str) -> str:
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_report_shows_baseline_latest_and_target_in_every_format(
    chef_client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    _add_indicator(
        chef_client,
        world.a1,
        name="Andel elever med godkänt i matematik",
        unit="%",
        baseline="72,5",
        baseline_on="2019-06-30",
        target="85",
    )
    body = (
        "Åtgärd-id;Indikator;Enhet;Datum;Värde\n"
        f"{world.a1};Andel elever med godkänt i matematik;%;2020-06-30;78\n"
        f"{world.a1};Andel elever med godkänt i matematik;%;2020-12-31;80\n"
    )
    assert _import(chef_client, world.plan_id, body).status_code == 200  # type: ignore[attr-defined]
    with app.transaction() as s:
        action = s.get(Action, world.a1)
        assert action is not None
        snap = reports.build_snapshot(
            s,
            app.registry,
            world.plan_id,
            as_of=date(2020, 7, 1),
            now=clock() + timedelta(days=3 * 365),
            tz=app.tz,
            draft_days=14,
        )
    docs = reports.render(snap)
    import lxml.html

    html = lxml.html.fromstring(docs["html"].decode("utf-8")).text_content()
    for text in (html, pdf_text(docs["pdf"]), docx_text(docs["docx"])):
        assert squash(LINE) in squash(text)
        # The value measured after the report date is not in it.
        assert "80 %" not in text
