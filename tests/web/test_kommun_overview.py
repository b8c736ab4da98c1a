"""The overview of open items for the kommunstyrelse: per förvaltning the counts by state and
lateness, the oldest not yet carried out first, each förvaltning seeing its own, and the same
as CSV and XLSX."""

from __future__ import annotations

import csv
import io
import re
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
    assert "Anna Berg Pågår, försenad 2018-03-01" in oldest
    assert "ingen ansvarig" in oldest
    # One förvaltning's overview, by its link.
    page = text_of(client.get("/kommunen", params={"forvaltning": OTHER}).text)
    assert f"Ej verkställt – {OTHER}" in page and "Nyast" not in page


def row_of(html: str, first_cell: str) -> dict[str, str]:
    """A table row's cells by their column, for the row whose first cell says `first_cell`."""
    [row] = [r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if first_cell in r]
    return {
        k: text_of(v) for k, v in re.findall(r'data-label="([^"]+)"[^>]*>(.*?)</t[dh]>', row, re.S)
    }


def test_late_is_counted_and_marked_as_on_every_other_page(
    app: App, chef: Person, clock: MovableClock, client: TestClient
) -> None:
    """Past the evaluation date is late too ("utvärdering försenad"): the förvaltning's
    Försenade is the sum of its plans' on the plan list."""
    _world(app, chef, clock)
    t0 = b.at(date(2018, 1, 10))
    _, area = b.plan(app, now=t0, title="Plan med utvärderingar")
    b.action(
        app, area, "Pågår, utan klart-datum", now=t0, owner=None, evaluate_on=date(2018, 3, 15)
    )
    b.action(
        app,
        area,
        "Klar, inte utvärderad",
        now=t0,
        owner=None,
        state="klar",
        evaluate_on=date(2018, 3, 20),
    )
    log_in(client, app, chef, clock())
    listing = client.get("/planer").text
    plan_lists = sum(
        int(row_of(listing, f">{title}</a>")["Försenade"])
        for title in ("Åtgärdsplan för ekonomi i balans", "Plan med utvärderingar")
    )
    assert plan_lists == 3
    html = client.get("/kommunen").text
    assert row_of(html, 'scope="row" data-label="Förvaltning">Utbildningsförvaltningen<')[
        "Försenade"
    ] == str(plan_lists)
    item = row_of(html, "Pågår, utan klart-datum")
    assert item["Läge"] == "Pågår, utvärdering försenad"
    got = client.get("/kommunen/export.csv")
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[-1] for r in rows[1:] if r[4] == "Pågår, utan klart-datum"] == ["ja"]


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


def test_each_item_is_named_by_its_own_kind_on_the_page_and_in_the_export(
    app: App, chef: Person, clock: MovableClock, client: TestClient
) -> None:
    _world(app, chef, clock)
    t = clock.now - timedelta(days=1)
    _, area = b.plan(app, now=t, title="Internkontrollplan 2018", area="Kontroller")
    b.action(
        app, area, "Attest av fakturor", now=t, owner=None, workflow="kontroll", state="planerad"
    )
    _, minutes = b.plan(app, now=t, title="Beslut i nämnden", area="Protokollsbeslut")
    b.action(
        app,
        minutes,
        "Utred skolskjutsarna",
        now=t,
        owner=None,
        workflow="protokoll",
        state="tilldelad",
    )
    admin = b.person(app, "admin@pitea.example", "Ada Admin", now=clock(), role=Role.admin)
    log_in(client, app, admin, clock())
    got = client.get("/kommunen/export.csv")
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig")), delimiter=";"))
    kinds = {r[4]: r[1] for r in rows[1:]}
    assert kinds["Attest av fakturor"] == "Kontroll"
    assert kinds["Utred skolskjutsarna"] == "Protokollsbeslut"
    assert kinds["Äldst öppen"] == "Åtgärd"
    assert "Kontroll" in row_of(client.get("/kommunen").text, "Attest av fakturor").values()
