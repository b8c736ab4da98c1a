"""Overview benchmark: the kommun's page of open items with 100 plans and 20,000 åtgärder.

Target: the page (`GET /kommunen` as an admin, counted from the request to the last byte)
under 1 s; also printed, the service alone and the export of every open item as XLSX.
Each åtgärd has three events (made, started, a processläge), so the "open since" query reads
60,000 history rows.

Usage: python bench/overview.py [--database-url URL]
(default: a fresh SQLite file in a temp dir)
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import SQLModel

from config import load_settings
from tracker.app import App
from tracker.db import make_engine
from tracker.models import Action, ActionEvent, Area, Person, Plan, Role
from tracker.services import kommun
from tracker.web.links import login_url
from tracker.web.main import create_app
from workflows import default_registry

N_PLANS = 100
PER_PLAN = 200
FORVALTNINGAR = [f"Förvaltning {i}" for i in range(1, 11)]
START = datetime(2016, 1, 4, 8, 0, tzinfo=UTC)
NOW = datetime(2018, 6, 1, 8, 0, tzinfo=UTC)
TZ = ZoneInfo("Europe/Stockholm")
TARGET_PAGE = 1.0
STATES = ["ej_paborjat", "pagar", "pagar", "klar", "utvarderad"]

T = TypeVar("T")


def fresh_app(url: str) -> App:
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    settings = load_settings(database_url=url, secret_key="b" * 40)
    return App(settings=settings, engine=engine, registry=default_registry())


def seed(app: App) -> None:
    """100 plans in ten förvaltningar, 200 åtgärder each in ten areas, three events each."""
    rnd = random.Random(11)
    with app.engine.begin() as conn:
        conn.execute(
            insert(Person),
            [
                {
                    "id": i,
                    "name": f"Ägare {i}",
                    "email": f"agare{i}@bench.example",
                    "role": Role.owner.value,
                    "forvaltning": FORVALTNINGAR[i % 10],
                    "created_at": START,
                }
                for i in range(1, 501)
            ],
        )
        conn.execute(
            insert(Plan),
            [
                {
                    "id": p,
                    "title": f"Plan {p}",
                    "forvaltning": FORVALTNINGAR[p % 10],
                    "created_at": START,
                }
                for p in range(1, N_PLANS + 1)
            ],
        )
        conn.execute(
            insert(Area),
            [
                {"id": (p - 1) * 10 + a, "plan_id": p, "title": f"Område {a}", "position": a}
                for p in range(1, N_PLANS + 1)
                for a in range(1, 11)
            ],
        )
        actions, events = [], []
        for n in range(1, N_PLANS * PER_PLAN + 1):
            p = (n - 1) // PER_PLAN + 1
            made = START + timedelta(days=rnd.randrange(700))
            state = rnd.choice(STATES)
            actions.append(
                {
                    "id": n,
                    "plan_id": p,
                    "area_id": (p - 1) * 10 + n % 10 + 1,
                    "position": n,
                    "text": f"Åtgärd {n}: " + "ta fram en rutin för uppföljning " * 2,
                    "owner_id": rnd.randrange(1, 501),
                    "workflow": "atgard",
                    "state": state,
                    "due_on": date(2018, 1, 1) + timedelta(days=rnd.randrange(365)),
                    "tidsplan": "",
                    "progress_note": "Pågår.",
                    "expected_effect": "",
                    "follow_up": "",
                    "target_group": "",
                    "version": 3,
                    "updated_at": made,
                }
            )
            for k, trigger in enumerate(("skapad", "starta", "processlage")):
                events.append(
                    {
                        "action_id": n,
                        "at": made + timedelta(days=30 * k),
                        "trigger": trigger,
                        "actor_label": "bänk",
                        "text": "",
                    }
                )
        conn.execute(insert(Action), actions)
        for i in range(0, len(events), 10_000):
            conn.execute(insert(ActionEvent), events[i : i + 10_000])


def best_of(n: int, run: Callable[[], T]) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - t0)
    assert result is not None
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = fresh_app(url)
        t0 = time.perf_counter()
        seed(app)
        took = time.perf_counter() - t0
        print(f"seed: {N_PLANS} plans, {N_PLANS * PER_PLAN:,} åtgärder ({took:.1f} s)")
        with app.transaction() as s:
            admin = Person(
                name="Ada Admin", email="admin@bench.example", role=Role.admin.value, created_at=NOW
            )
            s.add(admin)
        web = create_app(app, clock=lambda: NOW, dev_mail_receiver=False)
        with TestClient(web, base_url=app.settings.public_base_url) as client:
            link = login_url(app.settings, admin, now=NOW).removeprefix(
                app.settings.public_base_url
            )
            form = client.get(link).text
            token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            action = form.split('<form method="post" action="', 1)[1].split('"', 1)[0]
            client.post(action, data={"csrf": token})

            def service() -> kommun.Overview:
                with app.transaction() as s:
                    return kommun.overview(
                        s, app.registry, today=NOW.date(), tz=TZ, forvaltning=None
                    )

            service_t, found = best_of(5, service)
            page_t, page = best_of(5, lambda: client.get("/kommunen"))
            export_t, export = best_of(3, lambda: client.get("/kommunen/export.xlsx"))
        assert page.status_code == 200 and "Äldst ej verkställda" in page.text
        assert export.status_code == 200
        print(
            f"open items: {found.open_total:,} of {N_PLANS * PER_PLAN:,} "
            f"in {len(found.forvaltningar)} förvaltningar"
        )
        print(f"service (counts + oldest {kommun.OLDEST_SHOWN}): {service_t * 1000:.0f} ms")
        ok = page_t < TARGET_PAGE
        print(
            f"page GET /kommunen: {page_t * 1000:.0f} ms (target < {TARGET_PAGE * 1000:.0f} ms)"
            f" {'OK' if ok else 'MISSED'}"
        )
        size = len(export.content)
        print(f"export of all open items as XLSX: {export_t * 1000:.0f} ms ({size:,} bytes)")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
