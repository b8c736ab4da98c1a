"""Sammanträden: the nämnder's meetings of a year with the day papers must be with the
secretary, filtered by year and nämnd with a plain GET form; adding, moving, cancelling and
restoring a meeting and uploading a plan, for those who may edit the calendar."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import col, select

from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, forms, log_in, owner_path, text_of
from tracker.app import App
from tracker.domain.meetings import MeetingRow
from tracker.models import Meeting, Person
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
    # No plan reports to these nämnder: their Återrapporter column says so with a dash.
    assert table_rows(page.text) == [
        f"2018-03-15 {SOCIAL} Planerad 2018-03-01 –",
        f"2018-05-17 {BARN} Planerad 2018-05-03 –",
        f"2018-06-14 {SOCIAL} Inställt 2018-05-31 –",
    ]
    later = chef_client.get("/sammantraden", params={"ar": "2019"})
    assert table_rows(later.text) == [f"2019-02-14 {SOCIAL} Planerad 2019-01-31 –"]


def test_the_namnd_filter_lists_one_namnd(chef_client: TestClient, planned: None) -> None:
    page = chef_client.get("/sammantraden", params={"ar": "2018", "namnd": BARN})
    assert page.status_code == 200
    assert table_rows(page.text) == [f"2018-05-17 {BARN} Planerad 2018-05-03 –"]
    assert f'<option value="{BARN}" selected>' in page.text
    assert f'<option value="{SOCIAL}">' in page.text


def test_a_cancelled_meeting_shows_installt(chef_client: TestClient, planned: None) -> None:
    page = chef_client.get("/sammantraden", params={"ar": "2018", "namnd": SOCIAL})
    assert f"2018-06-14 {SOCIAL} Inställt 2018-05-31 –" in table_rows(page.text)


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


# --- entering and editing the plan on the page ----------------------------------------------


def stored(app: App) -> list[tuple[str, date, date | None, str, int]]:
    with app.transaction() as s:
        rows = s.exec(select(Meeting).order_by(col(Meeting.held_on), col(Meeting.id))).all()
        return [(m.board, m.held_on, m.planned_on, m.status, m.lead_days) for m in rows]


def meeting_id(app: App, board: str, day: date) -> int:
    with app.transaction() as s:
        found = s.exec(select(Meeting.id).where(Meeting.board == board, Meeting.held_on == day))
        return found.one() or 0


def add_form(client: TestClient, **values: str) -> dict[str, str]:
    form = form_to(client.get("/sammantraden").text, "/sammantraden")
    assert form.action == "/sammantraden"
    return form.data(**values)


def test_a_chef_adds_a_meeting_and_is_told_its_deadline(chef_client: TestClient, app: App) -> None:
    page = chef_client.get("/sammantraden")
    form = form_to(page.text, "/sammantraden")
    assert form.labels[:5] == [
        "Nämnd",
        "Datum",
        "Ledtid i dagar",
        "Rubrik (valfri)",
        "Plats (valfri)",
    ]
    done = chef_client.post(
        "/sammantraden",
        data=form.data(
            namnd=SOCIAL, datum="2018-06-14", ledtid="", titel="Sammanträde", plats="Stadshuset"
        ),
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/sammantraden?ar=2018&namnd=Socialn%C3%A4mnden"
    shown = chef_client.get(done.headers["location"])
    assert (
        f"Sammanträdet för {SOCIAL} 2018-06-14 är tillagt, med ledtid 14 dagar: handlingarna "
        "ska vara hos sekreteraren senast 2018-05-31." in text_of(shown.text)
    )
    assert table_rows(shown.text) == [f"2018-06-14 {SOCIAL} Planerad 2018-05-31 –"]
    assert stored(app) == [(SOCIAL, date(2018, 6, 14), date(2018, 6, 14), "planerad", 14)]
    # The nämnd chosen in the filter fills the form, with its usual lead time.
    again = form_to(shown.text, "/sammantraden")
    assert (again.fields["namnd"], again.fields["ledtid"]) == (SOCIAL, "14")
    assert f'<datalist id="kanda-namnder"><option value="{SOCIAL}">' in shown.text


def test_the_usual_lead_time_is_the_namnds_last_stored(chef_client: TestClient, app: App) -> None:
    chef_client.post(
        "/sammantraden", data=add_form(chef_client, namnd=BARN, datum="2018-03-15", ledtid="7")
    )
    done = chef_client.post(
        "/sammantraden", data=add_form(chef_client, namnd=BARN, datum="2018-04-19", ledtid="")
    )
    assert done.status_code == 200
    assert [m[4] for m in stored(app)] == [7, 7]
    assert f"{BARN} 7 dagar" in text_of(done.text)


@pytest.mark.parametrize(
    ("values", "field_id", "message"),
    [
        ({"datum": "2018-02-30"}, "add-held_on", "'2018-02-30' är inget datum"),
        ({"datum": ""}, "add-held_on", "Skriv sammanträdets datum."),
        ({"ledtid": "-1"}, "add-lead_days", "Ledtiden kan inte vara negativ."),
        ({"ledtid": "200"}, "add-lead_days", "Ledtiden kan vara högst 120 dagar."),
        ({"namnd": "Social\tnämnden"}, "add-board", "Nämndens namn innehåller ett styrtecken"),
        ({"namnd": "Social\u0085nämnden"}, "add-board", "Nämndens namn innehåller ett styrtecken"),
        ({"datum": "2018-03-15"}, "add-held_on", f"{SOCIAL} har redan ett planerat sammanträde"),
    ],
)
def test_a_refused_meeting_is_told_beside_its_field_and_nothing_is_stored(
    chef_client: TestClient,
    app: App,
    planned: None,
    values: dict[str, str],
    field_id: str,
    message: str,
) -> None:
    before = stored(app)
    data = add_form(chef_client, **({"namnd": SOCIAL, "datum": "2018-09-13"} | values))
    page = chef_client.post("/sammantraden", data=data)
    assert page.status_code == 422
    assert '<p class="alert" role="alert" id="add-error">' + message in page.text.replace(
        "&#39;", "'"
    )
    tag = page.text.split(f'id="{field_id}"', 1)[1].split(">", 1)[0]
    assert 'aria-describedby="' in tag and "add-error" in tag and 'aria-invalid="true"' in tag
    # What was typed is kept in the form.
    assert form_to(page.text, "/sammantraden").fields["datum"] == data["datum"]
    assert stored(app) == before


def test_a_meeting_is_moved_on_its_page_keeping_the_day_it_was_planned_for(
    chef_client: TestClient, app: App, planned: None
) -> None:
    number = meeting_id(app, SOCIAL, date(2018, 3, 15))
    page = chef_client.get(f"/sammantraden/{number}")
    assert page.status_code == 200
    assert "Handlingar senast 2018-03-01 (ledtid 14 dagar)" in text_of(page.text)
    form = form_to(page.text, f"/sammantraden/{number}")
    assert form.action == f"/sammantraden/{number}"
    assert (form.fields["datum"], form.fields["ledtid"]) == ("2018-03-15", "14")
    done = chef_client.post(
        form.action, data=form.data(datum="2018-03-22", ledtid="10"), follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/sammantraden/{number}")
    shown = text_of(chef_client.get(done.headers["location"]).text)
    assert "Sparat: flyttat från 2018-03-15 till 2018-03-22; ledtid 10 dagar (var 14)." in shown
    assert "Datum 2018-03-22 (flyttat från 2018-03-15)" in shown
    assert "Handlingar senast 2018-03-12 (ledtid 10 dagar)" in shown
    assert stored(app)[0] == (SOCIAL, date(2018, 3, 22), date(2018, 3, 15), "planerad", 10)
    listed = chef_client.get("/sammantraden", params={"ar": "2018", "namnd": SOCIAL})
    assert table_rows(listed.text)[0] == (
        f"2018-03-22 flyttat från 2018-03-15 {SOCIAL} Planerad 2018-03-12 –"
    )


def test_a_move_onto_a_taken_day_is_refused_on_the_page(
    chef_client: TestClient, app: App, planned: None
) -> None:
    number = meeting_id(app, SOCIAL, date(2019, 2, 14))
    form = form_to(chef_client.get(f"/sammantraden/{number}").text, f"/sammantraden/{number}")
    page = chef_client.post(form.action, data=form.data(datum="2018-03-15"))
    assert page.status_code == 422
    assert f"{SOCIAL} har redan ett planerat sammanträde 2018-03-15" in text_of(page.text)
    assert 'aria-describedby="change-held_on-hint change-error"' in page.text
    assert meeting_id(app, SOCIAL, date(2019, 2, 14)) == number


def test_a_meeting_is_cancelled_and_restored_on_its_page(
    chef_client: TestClient, app: App, planned: None
) -> None:
    number = meeting_id(app, BARN, date(2018, 5, 17))
    page = chef_client.get(f"/sammantraden/{number}")
    cancel = form_to(page.text, f"/sammantraden/{number}/installa")
    done = chef_client.post(cancel.action, data=cancel.data())
    assert "Sammanträdet är inställt." in text_of(done.text)
    assert "Status Inställt" in text_of(done.text)
    restore = form_to(done.text, f"/sammantraden/{number}/aterstall")
    again = chef_client.post(restore.action, data=restore.data())
    assert "Sammanträdet är planerat igen." in text_of(again.text)
    assert [m[3] for m in stored(app) if m[0] == BARN] == ["planerad"]
    # A stale form (cancelling what is cancelled already) is refused, not repeated.
    chef_client.post(cancel.action, data=cancel.data())
    stale = chef_client.post(cancel.action, data=cancel.data())
    assert stale.status_code == 422
    assert "Sammanträdet är redan inställt." in text_of(stale.text)


def test_an_unknown_meeting_is_not_found(chef_client: TestClient) -> None:
    assert chef_client.get("/sammantraden/999").status_code == 404


UPLOAD_ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Piteå kommun//Sammanträden//SV\r
BEGIN:VEVENT\r
UID:sn-2018-03@pitea.example\r
DTSTAMP:20180101T080000Z\r
DTSTART;VALUE=DATE:20180315\r
SUMMARY:Socialnämnden\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:sn-2018-06@pitea.example\r
DTSTAMP:20180101T080000Z\r
DTSTART;VALUE=DATE:20180614\r
SUMMARY:Socialnämnden\r
END:VEVENT\r
END:VCALENDAR\r
"""


def upload(client: TestClient, name: str, data: bytes, **fields: str) -> Response:
    form = form_to(client.get("/sammantraden").text, "/sammantraden/import")
    return client.post(
        form.action,
        data=form.data(**fields),
        files={"fil": (name, data, "application/octet-stream")},
        follow_redirects=False,
    )


def test_an_uploaded_ics_file_is_imported_with_its_namnd_and_lead_time(
    chef_client: TestClient, app: App
) -> None:
    done = upload(chef_client, "sn-2018.ics", UPLOAD_ICS.encode(), namnd=SOCIAL, ledtid="4")
    assert done.status_code == 303
    shown = chef_client.get(done.headers["location"])
    assert "sn-2018.ics: 2 nya, 0 ändrade och 0 oförändrade sammanträden." in text_of(shown.text)
    assert stored(app) == [
        (SOCIAL, date(2018, 3, 15), date(2018, 3, 15), "planerad", 4),
        (SOCIAL, date(2018, 6, 14), date(2018, 6, 14), "planerad", 4),
    ]
    # The same file with a meeting moved moves it, through the same change as the page.
    moved = UPLOAD_ICS.replace("20180614", "20180621").encode()
    upload(chef_client, "sn-2018.ics", moved, namnd=SOCIAL)
    assert stored(app)[1] == (SOCIAL, date(2018, 6, 21), date(2018, 6, 14), "planerad", 4)


def test_an_ics_file_without_a_namnd_is_refused_at_the_namnd_field(
    chef_client: TestClient, app: App
) -> None:
    page = upload(chef_client, "sn-2018.ics", UPLOAD_ICS.encode())
    assert page.status_code == 422
    assert "Ange nämnden: en iCalendar-fil säger inte vilken nämnd den gäller." in page.text
    assert 'aria-describedby="upload-board-hint upload-error" aria-invalid="true"' in page.text
    assert stored(app) == []


def test_a_refused_csv_upload_names_row_and_column_and_stores_nothing(
    chef_client: TestClient, app: App, planned: None
) -> None:
    before = stored(app)
    csv = "Datum;Nämnd\n2018-09-13;Socialnämnden\n13/9;Socialnämnden\n2018-10-11;\n"
    page = upload(chef_client, "plan.csv", csv.encode())
    assert page.status_code == 422
    text = text_of(page.text)
    assert "plan.csv lästes inte in. Ingenting sparades." in text
    assert "Rad 3, kolumn Datum: '13/9' är inget datum (ÅÅÅÅ-MM-DD)." in text
    assert "Rad 4, kolumn Nämnd: nämnd saknas." in text
    assert stored(app) == before


def test_a_board_reader_sees_the_plan_but_no_form_and_is_refused_a_change(
    client: TestClient, app: App, board: Person, clock: MovableClock, planned: None
) -> None:
    log_in(client, app, board, clock())
    page = client.get("/sammantraden", params={"ar": "2018"})
    assert page.status_code == 200
    assert len(table_rows(page.text)) == 3
    assert "Lägg till ett sammanträde" not in page.text
    assert not [
        f for f in forms(page.text) if f.method == "post" and f.action.startswith("/sammantraden")
    ]
    number = meeting_id(app, SOCIAL, date(2018, 3, 15))
    own = client.get(f"/sammantraden/{number}")
    assert own.status_code == 200
    assert not [
        f for f in forms(own.text) if f.method == "post" and f.action.startswith("/sammantraden")
    ]
    csrf = form_to(client.get("/logga-in").text, "/logga-in").fields["csrf"]
    before = stored(app)
    for url, data in [
        ("/sammantraden", {"namnd": SOCIAL, "datum": "2018-09-13"}),
        (f"/sammantraden/{number}", {"datum": "2018-03-22"}),
        (f"/sammantraden/{number}/installa", {}),
        ("/sammantraden/import", {"namnd": SOCIAL}),
    ]:
        refused = client.post(url, data={**data, "csrf": csrf})
        assert refused.status_code == 403, url
        assert "Du kan läsa sammanträdesplanen men inte ändra den." in text_of(refused.text)
    assert stored(app) == before


def test_an_owner_who_is_not_logged_in_cannot_add_a_meeting(
    client: TestClient, app: App, world: World, clock: MovableClock
) -> None:
    # An owner has a signed link, not a log-in: the page's own form token is not enough.
    link = client.get(owner_path(app, world.anna, clock()))
    csrf = form_to(link.text, "/atgard/").fields["csrf"]
    session_csrf = form_to(client.get("/logga-in").text, "/logga-in").fields["csrf"]
    answers = [
        client.post(
            "/sammantraden",
            data={"namnd": SOCIAL, "datum": "2018-09-13", "csrf": token},
            follow_redirects=False,
        )
        for token in (csrf, session_csrf)
    ]
    assert [a.status_code for a in answers] == [403, 303]
    assert answers[1].headers["location"] == "/logga-in"
    assert "Lägg till ett sammanträde" not in client.get("/sammantraden").text
    assert stored(app) == []


def test_a_form_without_its_csrf_token_changes_nothing(
    chef_client: TestClient, app: App, planned: None
) -> None:
    before = stored(app)
    data = add_form(chef_client, namnd=SOCIAL, datum="2018-09-13")
    del data["csrf"]
    assert chef_client.post("/sammantraden", data=data).status_code == 403
    number = meeting_id(app, SOCIAL, date(2018, 3, 15))
    assert chef_client.post(f"/sammantraden/{number}/installa", data={}).status_code == 403
    moved = chef_client.post(f"/sammantraden/{number}", data={"datum": "2018-03-22", "csrf": "x"})
    assert moved.status_code == 403
    assert stored(app) == before


def test_an_uploaded_ics_file_with_an_unreadable_start_is_refused_and_stores_nothing(
    chef_client: TestClient, app: App
) -> None:
    broken = UPLOAD_ICS.replace("DTSTART;VALUE=DATE:20180614", "DTSTART:den 14 juni")
    page = upload(chef_client, "sn-2018.ics", broken.encode(), namnd=SOCIAL)
    assert page.status_code == 422
    assert "Händelse 2 (sn-2018-06@pitea.example): DTSTART 'den 14 juni' är inget datum." in (
        text_of(page.text)
    )
    assert stored(app) == []


def test_a_refused_upload_keeps_the_lead_time_typed_and_the_year_and_namnd_shown(
    chef_client: TestClient, app: App, planned: None
) -> None:
    """The secretary on next year's page for her nämnd uploads a file that is refused: she
    stays on that page, and what she typed is still there to correct."""
    shown = chef_client.get("/sammantraden", params={"ar": "2019", "namnd": SOCIAL}).text
    form = form_to(shown, "/sammantraden/import")
    page = chef_client.post(
        form.action,
        data=form.data(ledtid="10"),
        files={"fil": ("sn.ics", UPLOAD_ICS.encode(), "application/octet-stream")},
    )
    assert page.status_code == 422
    assert "Ange nämnden: en iCalendar-fil säger inte vilken nämnd den gäller." in page.text
    assert form_to(page.text, "/sammantraden/import").fields["ledtid"] == "10"
    assert "<h1>Sammanträden 2019</h1>" in page.text
    assert table_rows(page.text) == [f"2019-02-14 {SOCIAL} Planerad 2019-01-31 –"]


def test_a_refused_meeting_keeps_the_year_and_namnd_shown(
    chef_client: TestClient, app: App, planned: None
) -> None:
    shown = chef_client.get("/sammantraden", params={"ar": "2019", "namnd": SOCIAL}).text
    form = form_to(shown, "/sammantraden")
    page = chef_client.post(form.action, data=form.data(namnd=SOCIAL, datum="2019-02-14"))
    assert page.status_code == 422
    assert f"{SOCIAL} har redan ett planerat sammanträde 2019-02-14" in text_of(page.text)
    assert "<h1>Sammanträden 2019</h1>" in page.text
    assert table_rows(page.text) == [f"2019-02-14 {SOCIAL} Planerad 2019-01-31 –"]
