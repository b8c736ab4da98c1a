"""The overview of open items for the kommunstyrelse: per förvaltning the counts by state and
lateness, the oldest not yet carried out first, each förvaltning seeing its own, and the same
as CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.support import builders as b
from tests.web.helpers import MovableClock, log_in, text_of
from tracker.app import App
from tracker.models import Person, Role
from tracker.services import audits

OTHER = "Kultur- och fritidsförvaltningen"


def _world(app: App, chef: Person, clock: MovableClock) -> dict[str, int]:
    t0 = b.at(date(2018, 1, 10))
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=t0)
    _, area = b.plan(app, now=t0, chef=chef)
    oldest = b.action(app, area, "Äldst öppen", now=t0, owner=anna, due_on=date(2018, 3, 1))
    b.action(app, area, "Klar sedan länge", now=t0, owner=anna, state="klar")
    _, other_area = b.plan(app, now=b.at(date(2018, 2, 1)), title="Kulturplan", forvaltning=OTHER)
    newer = b.action(app, other_area, "Nyare i kultur", now=b.at(date(2018, 2, 1)), owner=None)
    newest = b.action(app, area, "Nyast", now=b.at(date(2018, 3, 1)), owner=anna)
    clock.now = b.at(date(2018, 4, 2))
    assert oldest.id and newer.id and newest.id
    return {"oldest": oldest.id, "newer": newer.id, "newest": newest.id}


def test_the_admin_sees_the_whole_kommun_oldest_open_first(
    app: App, chef: Person, clock: MovableClock, client: TestClient
) -> None:
    ids = _world(app, chef, clock)
    admin = b.person(app, "admin@pitea.example", "Ada Admin", now=clock(), role=Role.admin)
    log_in(client, app, admin, clock())
    html = client.get("/kommunen").text
    page = text_of(html)
    assert "Ej verkställt i kommunen" in page
    # Each open item links to its åtgärd.
    assert all(f'href="/atgarder/{n}"' in html for n in ids.values())
    # Per förvaltning: the late first; Utbildning has one late of three.
    assert "Utbildningsförvaltningen 1 2 1 2 1" in page
    assert f"{OTHER} 1 1 0 1 0" in page
    oldest = page.split("Äldst ej verkställda", 1)[1]
    assert oldest.index("Äldst öppen") < oldest.index("Nyare i kultur") < oldest.index("Nyast")
    assert "Klar sedan länge" not in oldest
    assert "2018-03-01 (försenad)" in oldest
    assert "ingen ansvarig" in oldest
    # One förvaltning's overview, by its link.
    page = text_of(client.get("/kommunen", params={"forvaltning": OTHER}).text)
    assert f"Ej verkställt – {OTHER}" in page and "Nyast" not in page


def test_a_chef_sees_their_own_forvaltning_only(
    app: App, chef: Person, clock: MovableClock, client: TestClient
) -> None:
    _world(app, chef, clock)
    log_in(client, app, chef, clock())
    page = text_of(client.get("/kommunen").text)
    assert "Ej verkställt – Utbildningsförvaltningen" in page
    assert "Nyare i kultur" not in page
    refused = client.get("/kommunen", params={"forvaltning": OTHER})
    assert refused.status_code == 403
    assert "din egen förvaltning" in text_of(refused.text)


def test_the_export_has_every_open_item_oldest_first_and_runs_no_formula(
    app: App, chef: Person, clock: MovableClock, client: TestClient
) -> None:
    _world(app, chef, clock)
    t = clock.now - timedelta(days=1)
    _, area = b.plan(app, now=t, title="Formelplan", area="Område")
    b.action(app, area, '=HYPERLINK("http://x")', now=t, owner=None)
    admin = b.person(app, "admin@pitea.example", "Ada Admin", now=clock(), role=Role.admin)
    log_in(client, app, admin, clock())
    got = client.get("/kommunen/export.csv")
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Förvaltning", "Typ", "Plan", "Nr", "Åtgärd"]
    assert [r[4] for r in rows[1:]] == [
        "Äldst öppen",
        "Nyare i kultur",
        "Nyast",
        '\'=HYPERLINK("http://x")',
    ]
    got = client.get("/kommunen/export.xlsx")
    sheet = load_workbook(io.BytesIO(got.content)).active
    assert sheet is not None
    texts = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert texts[0] == "Äldst öppen" and len(texts) == 4
    assert client.get("/kommunen/export.pdf").status_code == 422


def test_the_granskningar_are_counted_by_the_status_of_their_recommendations(
    app: App, chef: Person, clock: MovableClock, client: TestClient
) -> None:
    ids = _world(app, chef, clock)
    with app.transaction() as s:
        audit = audits.create_audit(
            s,
            now=clock(),
            title="Granskning av grundskolans ledning",
            auditor="KPMG",
            forvaltning="Utbildningsförvaltningen",
        )
        late = audits.add_recommendation(s, audit, "Tydliggör ansvaret.")
        audits.add_recommendation(s, audit, "Inför uppföljning.")
        assert late.id is not None
        audits.link(s, late.id, ids["oldest"])
    admin = b.person(app, "admin@pitea.example", "Ada Admin", now=clock(), role=Role.admin)
    log_in(client, app, admin, clock())
    page = text_of(client.get("/kommunen").text)
    # One rekommendation unanswered, one in progress and late (its åtgärd is late).
    assert "Granskning av grundskolans ledning KPMG Utbildningsförvaltningen 1 0 1 0 0 1" in page
    page = text_of(client.get("/kommunen", params={"forvaltning": OTHER}).text)
    assert "Granskning av grundskolans ledning" not in page
