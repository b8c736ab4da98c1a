"""Core benchmark: import 10,000 actions; list overdue among 100,000; 10,000 transitions;
import and export 200,000 actions.

Targets (SQLite, this machine): import < 5 s, overdue query < 100 ms, >= 1,000 transitions/s;
200,000 rows imported from CSV (and back from the XLSX export) in < 20 s and exported to XLSX
in < 30 s, each under 300 MB peak (the whole process, measured in a process of its own).
The transitions go through the same service function as the owner's and the chef's pages
(tracker.services.actions.move), one transaction each. No user makes more than a few a
second; a bulk re-import is the heaviest case.
Usage: python bench/core.py [--database-url URL]  (default: a fresh SQLite file in a temp dir)
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert
from sqlmodel import SQLModel, select

from config import load_settings
from tracker.app import App
from tracker.db import make_engine
from tracker.models import Action, ActionEvent, Area, Person, Plan
from tracker.services import actions, exporting, importing, plans
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
        owners = {p.id: p for p in s.exec(select(Person))}
        owner_of = {a.id: a.owner_id for a in s.exec(select(Action))}
    t0 = time.perf_counter()
    for action_id in ids[:n]:
        with app.transaction() as s:
            owner = owners[owner_of[action_id]]
            actions.move(s, app.registry, action_id, "starta", owner, now=NOW)
    elapsed = time.perf_counter() - t0
    with app.transaction() as s:
        events = s.exec(select(ActionEvent)).all()
    assert len(events) == n, f"expected {n} events, found {len(events)}"
    return n / elapsed


def write_plan_csv(path: Path, n: int) -> None:
    """A CSV of `n` actions (100 areas, 500 owners) with its .plan.toml."""
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
    path.with_name(f"{path.stem}.plan.toml").write_text(
        '[plan]\ntitle = "Importbänk"\nforvaltning = "Bänkförvaltningen"\n', encoding="utf-8"
    )


def bench_import(url: str, path: Path, n: int) -> float:
    """Import the file into a fresh database the way `tracker plan import` does."""
    app = fresh_app(url)
    t0 = time.perf_counter()
    with app.transaction() as s:
        result = importing.import_file(s, app.registry, app.settings, path, now=NOW)
    elapsed = time.perf_counter() - t0
    # Counted by the database: loading the rows to count them would weigh in the peak.
    with app.transaction() as s:
        count = s.exec(select(func.count()).select_from(Action)).one()
    assert count == n, f"imported {count} of {n}"
    del result
    app.engine.dispose()
    return elapsed


def bench_export(url: str, out: Path) -> float:
    """Export plan 1 the way `tracker plan export` does."""
    engine = make_engine(url)
    app = App(settings=load_settings(database_url=url), engine=engine, registry=default_registry())
    t0 = time.perf_counter()
    with app.transaction() as s:
        exporting.export_plan(s, app.registry, 1, out)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def _peak_mb() -> int:
    """The process's peak resident memory, interpreter included. From VmHWM, which starts
    afresh in a new program: ru_maxrss would carry over the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _import_in_child(url: str, path: str, n: int) -> tuple[float, int]:
    return bench_import(url, Path(path), n), _peak_mb()


def _export_in_child(url: str, out: str) -> tuple[float, int]:
    return bench_export(url, Path(out)), _peak_mb()


def in_child(fn: Callable[..., tuple[float, int]], *args: object) -> tuple[float, int]:
    """Run `fn` in a process of its own, so that its peak memory is its own."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


SCALE_ROWS = 200_000


def bench_scale(workdir: Path) -> None:
    """A whole kommun's follow-up moved in at once, and exported again: 200,000 rows.
    Targets: import < 20 s, XLSX export < 30 s, each under 300 MB peak."""
    csv_path = workdir / "stor.csv"
    write_plan_csv(csv_path, SCALE_ROWS)
    url = f"sqlite:///{workdir / 'stor.db'}"
    elapsed, peak = in_child(_import_in_child, url, str(csv_path), SCALE_ROWS)
    ok = "OK" if elapsed < 20 and peak < 300 else "MISSED"
    print(
        f"import {SCALE_ROWS:,} actions from CSV: {elapsed:.1f} s, peak {peak} MB "
        f"target < 20 s and < 300 MB: {ok}"
    )
    xlsx = workdir / "stor.xlsx"
    elapsed, peak = in_child(_export_in_child, url, str(xlsx))
    ok = "OK" if elapsed < 30 and peak < 300 else "MISSED"
    size = xlsx.stat().st_size / 2**20
    print(
        f"export {SCALE_ROWS:,} actions to XLSX ({size:.0f} MB): {elapsed:.1f} s, peak {peak} MB "
        f"target < 30 s and < 300 MB: {ok}"
    )
    url = f"sqlite:///{workdir / 'stor2.db'}"
    elapsed, peak = in_child(_import_in_child, url, str(xlsx), SCALE_ROWS)
    ok = "OK" if elapsed < 20 and peak < 300 else "MISSED"
    print(
        f"import the {SCALE_ROWS:,} actions again from that XLSX: {elapsed:.1f} s, peak {peak} MB "
        f"target < 20 s and < 300 MB: {ok}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        write_plan_csv(Path(tmp) / "plan.csv", 10_000)
        elapsed = bench_import(url, Path(tmp) / "plan.csv", 10_000)
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
        if not args.database_url:
            bench_scale(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
