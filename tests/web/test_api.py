"""The read API under /api/v1, called as a client calls it, on SQLite and PostgreSQL: the whole
Piteå plan read page by page is the plan's export, the filters are the CLI's, a token reads its
förvaltning only and a revoked one nothing, an issued återrapport's files come with their
stored SHA-256, the OpenAPI schema lists every endpoint, and every call is logged without the
token."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from tests.support.smtp import SmtpServer
from tests.test_export import import_example, work_on_the_plan
from tests.web.conftest import World
from tests.web.helpers import (
    MovableClock,
    form_to,
    log_in,
    refuse_for_good,
    retry_and_deliver,
    text_of,
)
from tests.web.test_access import api_routes
from tests.web.test_reports_pages import draft, issue, set_recipients
from tracker.app import App
from tracker.domain.clock import local_date
from tracker.logs import JsonFormatter
from tracker.models import Action, ApiToken, Person, Plan, ReportFile, Role
from tracker.services import actions, api_tokens, exporting, overview, people, plans, reports
from tracker.services.plans import ActionFilter
from tracker.web.api.auth import bearer

OWN = "Utbildningsförvaltningen"
OTHER = "Kultur- och fritidsförvaltningen"


def make_token(app: App, clock: MovableClock, *, forvaltning: str = "") -> str:
    """A token for one förvaltning, or for all when none is given."""
    with app.transaction() as s:
        made = api_tokens.create_token(
            s,
            name=f"System för {forvaltning or 'alla'}",
            forvaltning=forvaltning,
            read_all=not forvaltning,
            now=clock(),
        )
    return made.secret


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def walk(client: TestClient, url: str, secret: str) -> tuple[list[dict[str, Any]], int]:
    """Every item of a list, following `next` from page to page; and the number of pages."""
    items: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url is not None:
        done = client.get(next_url, headers=auth(secret))
        assert done.status_code == 200, done.text
        body = done.json()
        items += body["items"]
        next_url = body["next"]
        pages += 1
        assert pages < 1000, "the pages never end"
    return items, pages


@pytest.fixture
def pitea(app: App, now: datetime, chef: Person) -> int:
    """Piteå's plan as the export tests have it: states moved, optional fields filled, and a
    decision from minutes (another workflow, no owner) added."""
    plan_id = import_example(app, now)
    work_on_the_plan(app, now, chef, plan_id)
    return plan_id


@pytest.fixture
def other_plan(app: App, now: datetime) -> tuple[int, int]:
    """A plan of another förvaltning, with one åtgärd: (plan id, åtgärd id)."""
    with app.transaction() as s:
        plan = plans.create_plan(s, now=now, title="Bibliotekens handlingsplan", forvaltning=OTHER)
        area = plans.ensure_area(s, plan, "Läsfrämjande")
        owner = people.ensure_person(s, "eva.ek@pitea.example", now=now, name="Eva Ek")
        action = plans.add_action(
            s,
            app.registry,
            area,
            now=now,
            text="Läsecirklar på alla bibliotek",
            owner=owner,
            due_on=date(2018, 2, 1),
        )
        assert plan.id is not None and action.id is not None
        return plan.id, action.id


@pytest.fixture
def client(web: FastAPI) -> Iterator[TestClient]:
    with TestClient(web) as c:
        yield c


def _as_export(item: dict[str, Any], keys: tuple[str, ...]) -> list[Any]:
    """An åtgärd as the API gives it, in the export's columns and cell values ("" is empty)."""

    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    owner = item["owner"] or {}
    values = {
        "section": item["area"]["section"],
        "area": item["area"]["title"],
        "text": item["text"],
        "owner_name": owner.get("name"),
        "owner_email": owner.get("email"),
        "tidsplan": item["tidsplan"],
        "due_on": day(item["due_on"]),
        "evaluate_on": day(item["evaluate_on"]),
        "status": item["state_label"],
        "progress_note": item["progress_note"],
        "expected_effect": item["expected_effect"],
        "follow_up": item["follow_up"],
        "target_group": item["target_group"],
        "budget_sek": item["budget_sek"],
        "next_report_on": day(item["next_report_on"]),
        "workflow": item["workflow"],
    }
    return [values[k] if values[k] != "" else None for k in keys]


def test_the_whole_pitea_plan_read_page_by_page_is_the_plans_export(
    app: App, client: TestClient, clock: MovableClock, now: datetime, pitea: int
) -> None:
    secret = make_token(app, clock, forvaltning=OWN)
    items, pages = walk(client, f"/api/v1/actions?plan={pitea}&limit=5", secret)
    with app.transaction() as s:
        table = exporting.plan_table(s, app.registry, pitea)
        _, *rows = list(table.rows)
    assert len(rows) == table.actions == 12
    assert pages == 3
    assert "workflow" in table.keys and "budget_sek" in table.keys
    in_plan_order = sorted(
        items, key=lambda a: (a["area"]["position"], a["area"]["id"], a["position"], a["id"])
    )
    assert [_as_export(a, table.keys) for a in in_plan_order] == rows
    # The latest processläge comes with when it was written (work_on_the_plan: 30 days on).
    first = in_plan_order[0]
    assert first["progress_note"] == "Klart nu."
    assert first["state"] == "klar" and first["state_label"] == "Klar"
    assert datetime.fromisoformat(first["progress_at"]) == now + timedelta(days=30)
    assert first["owner"] == {"name": "Karin Lindström", "email": "karin.lindstrom@pitea.example"}


def test_a_walk_sees_every_row_once_even_when_rows_are_added_meanwhile(
    app: App, client: TestClient, clock: MovableClock, now: datetime, pitea: int
) -> None:
    secret = make_token(app, clock)
    first = client.get("/api/v1/actions?limit=4", headers=auth(secret)).json()
    assert len(first["items"]) == 4 and first["next"] == "/api/v1/actions?limit=4&after=4"
    with app.transaction() as s:
        area = plans.ensure_area(s, plans.get_plan(s, pitea), "Nytt område")
        added = plans.add_action(s, app.registry, area, now=now, text="Tillkom under läsningen")
    rest, pages = walk(client, first["next"], secret)
    ids = [a["id"] for a in first["items"] + rest]
    with app.transaction() as s:
        every = list(s.exec(select(Action.id).order_by(col(Action.id))))
    assert ids == every and added.id in ids
    assert pages == 3  # 13 rows: 4 + 4 + 4 + 1


def _ids(client: TestClient, secret: str, query: str) -> list[int]:
    items, _ = walk(client, f"/api/v1/actions?limit=2&{query}", secret)
    return [a["id"] for a in items]


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("state=pagar", lambda ctx: ActionFilter(state="pagar")),
        ("state=Pågår", lambda ctx: ActionFilter(state="pagar")),
        ("state=klar", lambda ctx: ActionFilter(state="klar")),
        ("owner=KARIN.LINDSTROM@pitea.example", lambda ctx: ActionFilter(owner_id=ctx["karin"])),
        ("overdue=true", lambda ctx: ActionFilter(overdue_on=ctx["today"])),
        ("late=true", lambda ctx: ActionFilter(late_on=ctx["today"])),
        ("without_owner=true", lambda ctx: ActionFilter(without_owner=True)),
        ("plan={pitea}", lambda ctx: ActionFilter(plan_id=ctx["pitea"])),
        ("forvaltning=" + OTHER, lambda ctx: ActionFilter(plan_id=ctx["other"])),
        (
            "plan={pitea}&state=pagar&late=true",
            lambda ctx: ActionFilter(plan_id=ctx["pitea"], state="pagar", late_on=ctx["today"]),
        ),
    ],
)
def test_each_filter_picks_what_the_product_lists_for_it(
    app: App,
    client: TestClient,
    clock: MovableClock,
    pitea: int,
    other_plan: tuple[int, int],
    query: str,
    wanted: Any,
) -> None:
    clock.advance(days=90)  # April 2018: some klart-datum have passed
    secret = make_token(app, clock)
    today = local_date(clock(), app.tz)
    with app.transaction() as s:
        karin = people.get_person(s, "karin.lindstrom@pitea.example").id
        ctx = {"today": today, "pitea": pitea, "other": other_plan[0], "karin": karin}
        expected = [r.id for r in plans.list_actions(s, app.registry, wanted(ctx))]
        every = [r.id for r in plans.list_actions(s, app.registry, ActionFilter())]
    assert expected and len(expected) < len(every)
    assert _ids(client, secret, query.format(pitea=pitea)) == sorted(expected)


def test_an_unknown_state_is_refused_with_the_known_ones(
    app: App, client: TestClient, clock: MovableClock, pitea: int
) -> None:
    done = client.get("/api/v1/actions?state=avslutad", headers=auth(make_token(app, clock)))
    assert done.status_code == 422
    assert done.json()["detail"].startswith("Okänt läge 'avslutad'. Kända lägen: Ej påbörjat")


def test_a_forvaltning_token_reads_its_own_forvaltning_and_nothing_of_another(
    app: App,
    client: TestClient,
    clock: MovableClock,
    now: datetime,
    pitea: int,
    other_plan: tuple[int, int],
) -> None:
    other, other_action = other_plan
    own = auth(make_token(app, clock, forvaltning=OWN))
    with app.transaction() as s:
        reader = people.ensure_person(
            s, "namnd@pitea.example", now=now, name="Nämnden", role=Role.board, forvaltning=OWN
        )
        readable = [p.id for p in overview.readable_plans(s, reader)]
        own_actions = [
            r.id for r in plans.list_actions(s, app.registry, ActionFilter(plan_id=pitea))
        ]
        report = reports.draft_report(
            s, app.registry, other, as_of=date(2018, 1, 10), now=now, tz=app.tz, draft_days=14
        )
    # What a board reader of the förvaltning reads on the web.
    assert [p["id"] for p in client.get("/api/v1/plans", headers=own).json()["items"]] == readable
    assert readable == [pitea]
    listed = client.get("/api/v1/actions?limit=500", headers=own).json()["items"]
    assert [a["id"] for a in listed] == own_actions
    none = client.get(f"/api/v1/actions?forvaltning={OTHER}", headers=own).json()
    assert none["items"] == [] and none["next"] is None

    refused = {
        f"/api/v1/plans/{other}": f"Ingen åtgärdsplan med nummer {other}.",
        f"/api/v1/actions?plan={other}": f"Ingen åtgärdsplan med nummer {other}.",
        f"/api/v1/actions/{other_action}": f"Ingen åtgärd med nummer {other_action}.",
        f"/api/v1/actions/{other_action}/events": f"Ingen åtgärd med nummer {other_action}.",
        f"/api/v1/reports?plan={other}": f"Ingen åtgärdsplan med nummer {other}.",
        f"/api/v1/reports/{report.id}": f"Ingen återrapport med nummer {report.id}.",
        f"/api/v1/overview?forvaltning={OTHER}": (
            "Den förvaltningens översikt ingår inte i nyckelns behörighet."
        ),
    }
    for url, message in refused.items():
        done = client.get(url, headers=own)
        assert (done.status_code, done.json()) == (404, {"detail": message}), url
    # The same answer as for nothing at all: a token learns nothing of the other's plans.
    assert client.get("/api/v1/plans/999999", headers=own).json() == {
        "detail": "Ingen åtgärdsplan med nummer 999999."
    }

    mine = client.get("/api/v1/overview", headers=own).json()
    assert mine["forvaltning"] == OWN
    assert [f["forvaltning"] for f in mine["forvaltningar"]] == [OWN]
    assert {i["plan_id"] for i in mine["oldest"]} == {pitea}

    every = auth(make_token(app, clock))
    assert [p["id"] for p in client.get("/api/v1/plans", headers=every).json()["items"]] == [
        pitea,
        other,
    ]
    assert client.get(f"/api/v1/actions/{other_action}", headers=every).status_code == 200
    whole = client.get("/api/v1/overview", headers=every).json()
    assert whole["forvaltning"] is None
    assert {f["forvaltning"] for f in whole["forvaltningar"]} == {OWN, OTHER}


def test_no_token_an_unknown_one_and_a_revoked_one_are_refused_with_401(
    app: App, client: TestClient, clock: MovableClock, pitea: int
) -> None:
    secret = make_token(app, clock, forvaltning=OWN)
    assert client.get("/api/v1/plans", headers=auth(secret)).status_code == 200

    missing = client.get("/api/v1/plans")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["detail"].startswith("API:t kräver en API-nyckel i huvudet")
    unknown = client.get("/api/v1/plans", headers=auth(secret[:-2] + "xx"))
    assert (unknown.status_code, unknown.json()) == (
        401,
        {"detail": "API-nyckeln är okänd eller återkallad."},
    )

    with app.transaction() as s:
        [token] = s.exec(select(ApiToken)).all()
        assert token.id is not None
        api_tokens.revoke_token(s, token.id, now=clock())
    for url in ("/api/v1/plans", f"/api/v1/plans/{pitea}", "/api/v1/overview"):
        revoked = client.get(url, headers=auth(secret))
        assert (revoked.status_code, revoked.json()) == (
            401,
            {"detail": "API-nyckeln är okänd eller återkallad."},
        )


def test_a_log_in_counts_for_nothing_in_the_api(
    app: App, client: TestClient, clock: MovableClock, pitea: int
) -> None:
    with app.transaction() as s:
        admin = people.ensure_person(
            s, "admin@pitea.example", now=clock(), name="Admin", role=Role.admin
        )
    log_in(client, app, admin, clock())
    assert client.get(f"/planer/{pitea}").status_code == 200
    assert client.get(f"/api/v1/plans/{pitea}").status_code == 401


def test_last_used_is_noted_at_most_once_a_minute(
    app: App, client: TestClient, clock: MovableClock, now: datetime
) -> None:
    secret = make_token(app, clock)

    def last_used() -> datetime | None:
        with app.transaction() as s:
            return s.exec(select(ApiToken)).one().last_used_at

    assert last_used() is None
    client.get("/api/v1/plans", headers=auth(secret))
    assert last_used() == now
    clock.advance(seconds=30)
    client.get("/api/v1/plans", headers=auth(secret))
    assert last_used() == now
    clock.advance(seconds=40)
    client.get("/api/v1/plans", headers=auth(secret))
    assert last_used() == now + timedelta(seconds=70)


def test_an_actions_history_is_its_event_rows_page_by_page(
    app: App, client: TestClient, clock: MovableClock, pitea: int
) -> None:
    secret = make_token(app, clock, forvaltning=OWN)
    with app.transaction() as s:
        first = plans.plan_areas(s, pitea)[0][1][0][0]
        assert first.id is not None
        rows = actions.history(s, first.id)
    items, pages = walk(client, f"/api/v1/actions/{first.id}/events?limit=1", secret)
    assert pages == len(rows) >= 4
    assert [
        (e["id"], e["at"], e["actor"], e["trigger"], e["from_state"], e["to_state"], e["text"])
        for e in items
    ] == [
        (r.id, _iso(r.at), r.actor_label, r.trigger, r.from_state, r.to_state, r.text) for r in rows
    ]
    assert items[0]["label"] == "Skapad"
    moved = next(e for e in items if e["trigger"] == "slutfor")
    assert (moved["from_label"], moved["to_label"], moved["text"]) == ("Pågår", "Klar", "Klart nu.")


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def test_an_issued_reports_files_download_as_archived_and_a_draft_is_never_shown(
    app: App, client: TestClient, clock: MovableClock, now: datetime, chef: Person, pitea: int
) -> None:
    with app.transaction() as s:
        draft = reports.draft_report(
            s, app.registry, pitea, as_of=date(2018, 1, 10), now=now, tz=app.tz, draft_days=14
        )
        assert draft.id is not None
        issued = reports.approve_report(s, app.registry, draft.id, chef, now=now, tz=app.tz)
        later = now + timedelta(days=40)
        second = reports.draft_report(
            s, app.registry, pitea, as_of=date(2018, 2, 19), now=later, tz=app.tz, draft_days=14
        )
        stored = {f.format: f.sha256 for f in s.exec(select(ReportFile))}
    secret = make_token(app, clock, forvaltning=OWN)
    listed = client.get(f"/api/v1/reports?plan={pitea}", headers=auth(secret)).json()
    assert [r["id"] for r in listed["items"]] == [issued.id]
    [report] = listed["items"]
    assert (report["number"], report["state"], report["state_label"]) == (1, "godkand", "Godkänd")
    assert report["title"] == "Återrapport nr 1 (2018-01-10)"
    assert {f["format"]: f["sha256"] for f in report["files"]} == stored
    assert sorted(stored) == ["docx", "html", "pdf"]
    for f in report["files"]:
        done = client.get(f["url"], headers=auth(secret))
        assert done.status_code == 200
        assert hashlib.sha256(done.content).hexdigest() == f["sha256"] == stored[f["format"]]
        assert len(done.content) == f["size"]
        assert done.headers["content-type"].startswith(f["content_type"].split(";")[0])
        assert done.headers["content-disposition"].startswith("attachment;")
        digest = base64.b64encode(bytes.fromhex(f["sha256"])).decode()
        assert done.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert client.get(f"/api/v1/reports/{issued.id}", headers=auth(secret)).json() == report
    for url in (f"/api/v1/reports/{second.id}", f"/api/v1/reports/{second.id}/files/pdf"):
        assert client.get(url, headers=auth(secret)).status_code == 404
    wrong = client.get(f"/api/v1/reports/{issued.id}/files/odt", headers=auth(secret))
    assert wrong.status_code == 404
    assert wrong.json()["detail"] == "Okänt format 'odt'. Möjliga: html, pdf, docx."


def test_a_report_is_delivered_only_once_the_outbox_sent_its_mail_and_its_state_stays(
    app: App, client: TestClient, clock: MovableClock, world: World, smtp_server: SmtpServer
) -> None:
    set_recipients(app, world.plan_id)
    report_id = draft(app, world.plan_id, clock)
    issue(app, report_id, world.chef, clock)
    secret = make_token(app, clock)
    keys = ("state", "state_label", "sent_at", "delivery_status", "delivered_at")

    def seen() -> tuple[Any, ...]:
        one = client.get(f"/api/v1/reports/{report_id}", headers=auth(secret)).json()
        [listed] = client.get("/api/v1/reports", headers=auth(secret)).json()["items"]
        assert listed == one
        return tuple(one[k] for k in keys)

    assert seen() == ("godkand", "Godkänd", None, None, None)
    with app.transaction() as s:
        reports.send_report(s, app.registry, report_id, now=clock(), settings=app.settings)
    queued = _iso(clock())
    # `state` is the workflow's, as before: it moved on when the mail was queued.
    assert seen() == ("skickad", "Godkänd, i utkorgen", queued, "waiting", None)
    refuse_for_good(app, smtp_server, clock, "sekreterare@pitea.example")
    assert seen() == ("skickad", "Godkänd, utskicket misslyckades", queued, "failed", None)
    retry_and_deliver(app, smtp_server, clock, "sekreterare@pitea.example")
    assert seen() == ("skickad", "Skickad", queued, "delivered", _iso(clock()))


def test_the_openapi_schema_is_public_and_lists_every_endpoint(
    web: FastAPI, client: TestClient
) -> None:
    done = client.get("/api/v1/openapi.json")
    assert done.status_code == 200
    schema = done.json()
    assert schema["servers"] == [{"url": "/api/v1"}]
    paths = {("GET", "/api/v1" + path) for path, ops in schema["paths"].items() for op in ops if op}
    assert paths == api_routes(web)
    assert len(paths) == 9
    assert schema["components"]["securitySchemes"]["API-nyckel"] == {
        "type": "http",
        "scheme": "bearer",
        "description": bearer.model.description,
    }
    for path, ops in schema["paths"].items():
        assert ops["get"]["security"] == [{"API-nyckel": []}], path
        assert "401" in ops["get"]["responses"], path
    actions_page = schema["paths"]["/actions"]["get"]["responses"]["200"]
    assert actions_page["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ActionPage"
    }
    assert "progress_at" in schema["components"]["schemas"]["ActionOut"]["properties"]
    status = schema["components"]["schemas"]["ReportOut"]["properties"]["delivery_status"]
    assert status["anyOf"][0]["enum"] == ["waiting", "failed", "delivered"]
    # No documentation page: it would load its scripts from the internet.
    for page in ("/api/v1/docs", "/api/v1/redoc", "/docs", "/openapi.json"):
        assert client.get(page).status_code == 404, page


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/api/v1/actions?limit=0", 422, "Parametern limit är för litet."),
        ("/api/v1/actions?limit=501", 422, "Parametern limit får vara högst 500."),
        ("/api/v1/actions?limit=många", 422, "Parametern limit ska vara ett heltal."),
        ("/api/v1/actions?after=-1", 422, "Parametern after är för litet."),
        ("/api/v1/actions?late=kanske", 422, "Parametern late ska vara true eller false."),
        ("/api/v1/actions?plan=99999999999", 422, "Parametern plan är för stort."),
        ("/api/v1/actions?owner=a%00b", 422, "En parameter innehåller ett otillåtet tecken (NUL)."),
        (
            "/api/v1/plans?forvaltning=%00",
            422,
            "En parameter innehåller ett otillåtet tecken (NUL).",
        ),
        ("/api/v1/actions?forvaltning=" + "x" * 201, 422, "Parametern forvaltning är för långt."),
        ("/api/v1/actions/99999999999", 404, "Det finns inget på den adressen."),
        ("/api/v1/actions/0/events", 404, "Det finns inget på den adressen."),
        ("/api/v1/atgarder", 404, "Det finns inget på den adressen i API:t."),
    ],
)
def test_bad_parameters_get_a_swedish_answer_in_json_never_a_server_error(
    app: App, client: TestClient, clock: MovableClock, url: str, status: int, detail: str
) -> None:
    done = client.get(url, headers=auth(make_token(app, clock)))
    assert (done.status_code, done.json()) == (status, {"detail": detail})


def test_the_api_only_reads(app: App, client: TestClient, clock: MovableClock) -> None:
    done = client.post("/api/v1/plans", headers=auth(make_token(app, clock)))
    assert (done.status_code, done.json()) == (405, {"detail": "API:t går bara att läsa, med GET."})


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Every log line of ours as the operator's collector gets it (tracker.logs)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    logger = logging.getLogger("tracker")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_every_call_is_logged_with_the_token_named_and_never_the_token_itself(
    app: App, client: TestClient, clock: MovableClock, pitea: int, log_lines: list[str]
) -> None:
    secret = make_token(app, clock, forvaltning=OWN)
    with app.transaction() as s:
        token = s.exec(select(ApiToken)).one()
    client.get(
        f"/api/v1/actions?plan={pitea}&owner=karin.lindstrom@pitea.example", headers=auth(secret)
    )
    client.get("/api/v1/plans/999999", headers=auth(secret))
    client.get("/api/v1/plans", headers=auth(secret + "x"))
    calls = [json.loads(line) for line in log_lines if '"api.call"' in line]
    assert [
        (c["token_id"], c["token_name"], c["method"], c["path"], c["status"]) for c in calls
    ] == [
        (token.id, "System för Utbildningsförvaltningen", "GET", "/api/v1/actions", 200),
        (token.id, "System för Utbildningsförvaltningen", "GET", "/api/v1/plans/999999", 404),
        (None, None, "GET", "/api/v1/plans", 401),
    ]
    assert all(isinstance(c["duration_ms"], float) and c["duration_ms"] >= 0 for c in calls)
    everything = "\n".join(log_lines)
    assert secret[len(api_tokens.TOKEN_PREFIX) :][:20] not in everything
    assert "karin.lindstrom" not in everything  # the query, with its address, is not logged


def test_an_admin_makes_a_token_on_the_page_sees_it_once_and_revokes_it(
    app: App, client: TestClient, clock: MovableClock, pitea: int
) -> None:
    with app.transaction() as s:
        admin = people.ensure_person(
            s, "admin@pitea.example", now=clock(), name="Ada Admin", role=Role.admin
        )
    log_in(client, app, admin, clock())
    page = client.get("/api-nycklar")
    assert page.status_code == 200 and "Inga API-nycklar ännu." in text_of(page.text)
    form = form_to(page.text, "/api-nycklar")
    refused = client.post(form.action, data=form.data(namn="  "))
    assert refused.status_code == 422
    assert "Ge nyckeln ett namn" in text_of(refused.text)

    made = client.post(
        form.action, data=form.data(namn="Intranätet", omfattning="forvaltning", forvaltning=OWN)
    )
    assert made.status_code == 201
    secret = _value_of(made.text, "nyckel")
    assert secret.startswith(api_tokens.TOKEN_PREFIX) and len(secret) > 40
    with app.transaction() as s:
        token = s.exec(select(ApiToken)).one()
        assert (token.name, token.forvaltning, token.read_all) == ("Intranätet", OWN, False)
        assert token.created_by_id == admin.id
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert client.get(f"/api/v1/plans/{pitea}", headers=auth(secret)).status_code == 200

    again = client.get("/api-nycklar")
    words = text_of(again.text)
    assert secret not in again.text
    assert "Intranätet" in words and OWN in words and "av Ada Admin" in words
    revoke = form_to(again.text, "/aterkalla")
    done = client.post(revoke.action, data=revoke.data(), follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/api-nycklar")
    after = client.get("/api-nycklar")
    assert "API-nyckeln ”Intranätet” är återkallad" in text_of(after.text)
    assert client.get(f"/api/v1/plans/{pitea}", headers=auth(secret)).status_code == 401


def _value_of(html: str, element_id: str) -> str:
    marker = f'id="{element_id}" readonly value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_the_plan_lists_counts_are_the_clis(
    app: App, client: TestClient, clock: MovableClock, pitea: int
) -> None:
    clock.advance(days=90)
    today = local_date(clock(), app.tz)
    with app.transaction() as s:
        [summary] = plans.summarise_plans(s, app.registry, today)
        plan = s.get(Plan, pitea)
        assert plan is not None
    [listed] = client.get("/api/v1/plans", headers=auth(make_token(app, clock))).json()["items"]
    assert (listed["actions"], listed["by_state"], listed["overdue"], listed["late"]) == (
        summary.total,
        summary.by_state,
        summary.overdue,
        summary.late,
    )
    assert summary.overdue > 0
    detail = client.get(f"/api/v1/plans/{pitea}", headers=auth(make_token(app, clock))).json()
    assert detail["title"] == plan.title and detail["report_months"] == [6, 12]
    assert [a["title"] for a in detail["areas"]][-1] == "Protokollsbeslut"
    assert detail["background"].startswith("KPMG fick av Piteå kommuns revisorer")


def test_a_fault_in_the_code_is_a_json_answer_in_swedish_and_logged(
    app: App,
    web: FastAPI,
    clock: MovableClock,
    pitea: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tracker.web.api import routes as api_routes_module

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("ett fel i koden")

    secret = make_token(app, clock, forvaltning=OWN)
    monkeypatch.setattr(api_routes_module.reading, "plan_page", broken)
    with TestClient(web, raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/plans", headers=auth(secret))
    assert answer.status_code == 500
    assert answer.json()["detail"].startswith("Ett oväntat fel uppstod.")
    assert any("ett fel i koden" in str(r.exc_info) for r in caplog.records if r.exc_info)
