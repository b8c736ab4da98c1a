"""Sammanträden: the nämnder's meetings of a year with the day papers must be with the
secretary, filtered by year and nämnd with a plain GET form."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import World
from tests.web.helpers import MovableClock, log_in, text_of
from tracker.app import App
from tracker.domain.meetings import MeetingRow
from tracker.services import meetings

SOCIAL = "Socialnämnden"
BARN = "Barn- och utbildningsnämnden"


@pytest.fixture
def chef_client(client: TestClient, app: App, world: World, clock: MovableClock) -> TestClient:
    log_in(client, app, world.chef, clock())
    return client


@pytest.fixture
def planned(app: App, clock: MovableClock) -> None:
    rows = [
        MeetingRow(board=SOCIAL, held_on=date(2018, 3, 15)),
        MeetingRow(board=SOCIAL, held_on=date(2018, 6, 14), cancelled=True),
        MeetingRow(board=BARN, held_on=date(2018, 5, 17)),
        MeetingRow(board=SOCIAL, held_on=date(2019, 2, 14)),
    ]
    with app.transaction() as s:
        meetings.import_meetings(s, rows, lead_days=14, now=clock())


def table_rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [text_of(row) for row in body.split("</tr>") if text_of(row)]


def test_the_years_meetings_are_listed_with_their_deadlines(
    chef_client: TestClient, planned: None
) -> None:
    page = chef_client.get("/sammantraden")
    assert page.status_code == 200
    assert "<h1>Sammanträden 2018</h1>" in page.text
    assert '<th scope="col">Handlingar senast</th>' in page.text
    assert table_rows(page.text) == [
        f"2018-03-15 {SOCIAL} Planerad 2018-03-01",
        f"2018-05-17 {BARN} Planerad 2018-05-03",
        f"2018-06-14 {SOCIAL} Inställt 2018-05-31",
    ]
    later = chef_client.get("/sammantraden", params={"ar": "2019"})
    assert table_rows(later.text) == [f"2019-02-14 {SOCIAL} Planerad 2019-01-31"]


def test_the_namnd_filter_lists_one_namnd(chef_client: TestClient, planned: None) -> None:
    page = chef_client.get("/sammantraden", params={"ar": "2018", "namnd": BARN})
    assert page.status_code == 200
    assert table_rows(page.text) == [f"2018-05-17 {BARN} Planerad 2018-05-03"]
    assert f'<option value="{BARN}" selected>' in page.text
    assert f'<option value="{SOCIAL}">' in page.text


def test_a_cancelled_meeting_shows_installt(chef_client: TestClient, planned: None) -> None:
    page = chef_client.get("/sammantraden", params={"ar": "2018", "namnd": SOCIAL})
    assert f"2018-06-14 {SOCIAL} Inställt 2018-05-31" in table_rows(page.text)


def test_an_empty_year_says_so_and_how_to_import(chef_client: TestClient, planned: None) -> None:
    page = chef_client.get("/sammantraden", params={"ar": "2020"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Inga sammanträden 2020." in text
    assert "tracker calendar import FIL --namnd NAMN" in text
    assert "<table" not in page.text


def test_a_year_out_of_range_is_refused(chef_client: TestClient) -> None:
    assert chef_client.get("/sammantraden", params={"ar": "inte ett år"}).status_code == 400


def test_the_main_menu_links_to_the_page(chef_client: TestClient) -> None:
    assert '<a href="/sammantraden">Sammanträden</a>' in chef_client.get("/start").text
