"""Core benchmark: import 10,000 actions; list overdue among 100,000; 10,000 transitions.

Targets (SQLite, this machine): import < 5 s, overdue query < 100 ms, >= 1,000 transitions/s.
The transitions go through the same service function as the owner's and the chef's pages
(tracker.services.actions.move), one transaction each. No user makes more than a few a
second; a bulk re-import is the heaviest case.
Usage: python bench/core.py [--database-url URL]  (default: a fresh SQLite file in a temp dir)
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import SQLModel

from config import load_settings
from tracker.app import App
from tracker.db import make_engine
from tracker.models import Action, ActionEvent, Area, Person, Plan
from tracker.services import actions, importing, plans
from tracker.services.plans import ActionFilter
from workflows import default_registry

NOW = datetime(2018, 6, 1, 8, 0, tzinfo=UTC)


def fresh_app(url: str) -> App:
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    return App(settings=load_settings(database_url=url), engine=engine, registry=default_registry())


def seed(app: App, n_actions: int, n_owners: int) -> list[int]:
    rnd = random.Random(1)
    with app.engine.begin() as conn:
        conn.execute(insert(Plan), [{"title": "Bänk", "forvaltning": "F", "created_at": NOW}])
        conn.execute(
            insert(Area),
            [{"plan_id": 1, "title": f"Område {i}", "position": i} for i in range(1, 101)],
        )
        conn.execute(
            insert(Person),
            [
                {
                    "name": f"Ägare {i}",
                    "email": f"agare{i}@bench.example",
                    "role": "owner",
                    "forvaltning": "F",
                    "created_at": NOW,
                }
                for i in range(1, n_owners + 1)
            ],
        )
        rows = []
        for i in range(n_actions):
            # Dates spread over four years around "now"; as in a real plan, most actions past
            # their date are done and a few are late.
            due = date(2016, 6, 1) + timedelta(days=rnd.randrange(0, 4 * 365))
            if due < NOW.date():
                state = rnd.choices(
                    ["klar", "utvarderad", "pagar", "ej_paborjat"], weights=[50, 45, 3, 2]
                )[0]
            else:
                state = rnd.choice(["ej_paborjat", "pagar"])
            rows.append(
                {
                    "plan_id": 1,
                    "area_id": 1 + i % 100,
                    "position": i,
                    "text": f"Åtgärd {i}",
                    "owner_id": 1 + i % n_owners,
                    "workflow": "atgard",
                    "state": state,
                    "due_on": due,
                    "evaluate_on": due + timedelta(days=180),
                    "tidsplan": "",
                    "progress_note": "",
                    "expected_effect": "",
                    "follow_up": "",
                    "target_group": "",
                    "version": 1,
                    "updated_at": NOW,
                }
            )
        conn.execute(insert(Action), rows)
    with app.transaction() as s:
        return [
            a.id
            for a in plans.list_actions(s, app.registry, ActionFilter(state="ej_paborjat"))
            if a.id is not None
        ]


def bench_overdue(app: App) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(7):
        t0 = time.perf_counter()
        with app.transaction() as s:
            count = len(plans.list_actions(s, app.registry, ActionFilter(overdue_on=NOW.date())))
        times.append(time.perf_counter() - t0)
    return statistics.median(times), count


def bench_transitions(app: App, ids: list[int], n: int) -> float:
    with app.transaction() as s:
        owners = {p.id: p for p in s.exec(__import__("sqlmodel").select(Person))}
        owner_of = {a.id: a.owner_id for a in s.exec(__import__("sqlmodel").select(Action))}
    t0 = time.perf_counter()
    for action_id in ids[:n]:
        with app.transaction() as s:
            owner = owners[owner_of[action_id]]
            actions.move(s, app.registry, action_id, "starta", owner, now=NOW)
    elapsed = time.perf_counter() - t0
    with app.transaction() as s:
        events = s.exec(__import__("sqlmodel").select(ActionEvent)).all()
    assert len(events) == n, f"expected {n} events, found {len(events)}"
    return n / elapsed


def bench_import(url: str, n: int, workdir: Path) -> float:
    """Import a CSV of `n` actions (100 areas, 500 owners) the way `tracker plan import` does."""
    path = workdir / "plan.csv"
    statuses = ["Ej påbörjat", "Pågår", "Klar"]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(
            [
                "Utvecklingsområde",
                "Åtgärd",
                "Ansvarig",
                "E-post",
                "Tidsplan",
                "Status",
                "Processläge",
            ]
        )
        for i in range(n):
            month = ["januari", "mars", "juni", "oktober"][i % 4]
            writer.writerow(
                [
                    f"Utvecklingsområde {i % 100}",
                    f"Åtgärd nummer {i} med en längre text",
                    f"Ägare {i % 500}",
                    f"agare{i % 500}@bench.example",
                    f"Klart till {month} 2018. Utvärderas {month} 2019.",
                    statuses[i % 3],
                    "Pågår enligt plan." if i % 3 else "",
                ]
            )
    (workdir / "plan.plan.toml").write_text(
        '[plan]\ntitle = "Importbänk"\nforvaltning = "Bänkförvaltningen"\n', encoding="utf-8"
    )
    app = fresh_app(url)
    t0 = time.perf_counter()
    with app.transaction() as s:
        result = importing.import_file(s, app.registry, path, now=NOW)
    elapsed = time.perf_counter() - t0
    with app.transaction() as s:
        count = len(plans.list_actions(s, app.registry, ActionFilter()))
    assert count == n, f"imported {count} of {n}"
    del result
    app.engine.dispose()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        elapsed = bench_import(url, 10_000, Path(tmp))
        ok = "OK" if elapsed < 5 else "MISSED"
        print(f"import 10,000 actions from CSV: {elapsed:.2f} s target < 5 s: {ok}")
        app = fresh_app(url)
        t0 = time.perf_counter()
        ids = seed(app, 100_000, 10_000)
        print(f"seed 100,000 actions (bulk insert): {time.perf_counter() - t0:.2f} s")
        median, count = bench_overdue(app)
        ok = "OK" if median < 0.1 else "MISSED"
        print(
            f"overdue query among 100,000: {median * 1000:.1f} ms median of 7 "
            f"({count} overdue rows returned) target < 100 ms: {ok}"
        )
        rate = bench_transitions(app, ids, 10_000)
        ok = "OK" if rate >= 1000 else "MISSED"
        print(f"10,000 transitions, one transaction each: {rate:,.0f}/s target >= 1,000/s: {ok}")
        app.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
