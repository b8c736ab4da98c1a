"""Web benchmark: N owners at once, each through their own signed link, against `tracker serve`.

Each owner: GET their page (the form: CSRF token and version), POST an update to their own
åtgärd (half start it with a note, half write a processläge), then GET their page again.
Reported: requests per second, p50/p95/p99 latency, errors, and lost updates (a posted note
that is not in the database history afterwards). Targets: 0 errors, 0 lost updates, p95 under
100 ms.

Two runs per database: all owners starting at the same instant (a burst: 600 requests queue
at once, so latency there is mostly waiting in line; on 2 cores shared with this client it
cannot meet 100 ms), and the owners' starts spread evenly over 2 s (the same 600 requests
as a steady ~300 requests/s, the machine's capacity with the client beside the server).

The server is started here as a subprocess (`tracker serve`) on a fresh SQLite file, and on
PostgreSQL: the URL given with --postgres-url, or else a throwaway cluster started through
tests/support/postgres.py when the server binaries are installed.

Usage: python bench/web.py [--owners 200] [--backend sqlite|postgresql|both] [--postgres-url URL]
Exit status 1 on any error or lost update.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine, insert, select
from sqlmodel import SQLModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.support.postgres

from config import load_settings  # noqa: E402
from tracker.db import make_engine  # noqa: E402
from tracker.models import Action, ActionEvent, Area, Person, Plan  # noqa: E402
from tracker.web.links import owner_url  # noqa: E402

SECRET = "bench-web-" + "s" * 40
FORM_RE = re.compile(
    r'<form method="post" action="(?P<action>/ansvarig/[^"]+/atgard/\d+)" class="update">\s*'
    r'<input type="hidden" name="csrf" value="(?P<csrf>[0-9a-f]+)">\s*'
    r'<input type="hidden" name="version" value="(?P<version>\d+)">'
)


@dataclass
class Owner:
    person_id: int
    action_id: int
    url: str
    note: str
    trigger: str
    saved: bool = False  # the server answered the POST with a receipt


@dataclass
class Result:
    backend: str
    owners: int
    ramp: float = 0.0
    wall: float = 0.0
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"GET sidan": [], "POST ändring": [], "GET kvitto-sidan": []}
    )
    errors: list[str] = field(default_factory=list)
    lost: int = 0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(engine: Engine, n: int, base_url: str) -> list[Owner]:
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(Plan), [{"title": "Bänkplan", "forvaltning": "F", "created_at": now}])
        conn.execute(insert(Area), [{"plan_id": 1, "title": "Område", "position": 1}])
        conn.execute(
            insert(Person),
            [
                {
                    "name": f"Ägare {i}",
                    "email": f"agare{i}@bench.example",
                    "role": "owner",
                    "forvaltning": "F",
                    "created_at": now,
                }
                for i in range(1, n + 1)
            ],
        )
        conn.execute(
            insert(Action),
            [
                {
                    "plan_id": 1,
                    "area_id": 1,
                    "position": i,
                    "text": f"Åtgärd för ägare {i}",
                    "owner_id": i,
                    "workflow": "atgard",
                    "state": "ej_paborjat",
                    "tidsplan": "Klart till december.",
                    "progress_note": "",
                    "expected_effect": "",
                    "follow_up": "",
                    "target_group": "",
                    "version": 1,
                    "updated_at": now,
                }
                for i in range(1, n + 1)
            ],
        )
    settings = load_settings(secret_key=SECRET, public_base_url=base_url)
    owners = []
    for i in range(1, n + 1):
        person = Person(id=i, name=f"Ägare {i}", email=f"agare{i}@bench.example", created_at=now)
        owners.append(
            Owner(
                person_id=i,
                action_id=i,
                url=owner_url(settings, person, now=now, action_id=i),
                note=f"Processläge från ägare {i}: pågår enligt tidsplan ({time.time_ns()}).",
                trigger="starta" if i % 2 else "",
            )
        )
    return owners


@contextmanager
def server(database_url: str, port: int) -> Iterator[str]:
    """`tracker serve` in a subprocess; yields its base URL once it answers."""
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_SECRET_KEY": SECRET,
        "TRACKER_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TRACKER_ENVIRONMENT": "test",
    }
    tracker = Path(sys.executable).with_name("tracker")
    base = f"http://127.0.0.1:{port}"
    # The server's log goes to a file: a pipe nobody reads would fill up and stall it.
    with tempfile.TemporaryDirectory(prefix="tracker-bench-serve-") as tmp:
        log_path = Path(tmp) / "serve.log"
        with log_path.open("wb") as log:
            command = [str(tracker), "serve", "--host", "127.0.0.1", "--port", str(port)]
            proc = subprocess.Popen(
                [*command, "--no-access-log"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_until_up(proc, base, log_path)
                yield base
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait_until_up(proc: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"tracker serve stopped: {log_path.read_text()}")
        try:
            if httpx.get(f"{base}/logga-in", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("tracker serve did not answer within 30 s")
        time.sleep(0.1)


async def one_owner(client: httpx.AsyncClient, owner: Owner, result: Result) -> None:
    path = owner.url.split("://", 1)[1].split("/", 1)[1]
    steps = result.latencies
    try:
        t0 = time.perf_counter()
        page = await client.get(f"/{path}")
        steps["GET sidan"].append(time.perf_counter() - t0)
        form = FORM_RE.search(page.text)
        if page.status_code != 200 or form is None:
            result.errors.append(f"ägare {owner.person_id}: GET {page.status_code}")
            return
        t0 = time.perf_counter()
        post = await client.post(
            form["action"],
            data={
                "csrf": form["csrf"],
                "version": form["version"],
                "trigger": owner.trigger,
                "text": owner.note,
            },
        )
        steps["POST ändring"].append(time.perf_counter() - t0)
        if post.status_code != 200 or "Sparat" not in post.text:
            result.errors.append(f"ägare {owner.person_id}: POST {post.status_code}")
            return
        owner.saved = True
        t0 = time.perf_counter()
        after = await client.get(f"/{path}")
        steps["GET kvitto-sidan"].append(time.perf_counter() - t0)
        if after.status_code != 200 or owner.note not in after.text:
            result.errors.append(f"ägare {owner.person_id}: processläget syns inte efteråt")
    except httpx.HTTPError as exc:
        result.errors.append(f"ägare {owner.person_id}: {type(exc).__name__}: {exc}")


async def paced(delay: float, client: httpx.AsyncClient, owner: Owner, result: Result) -> None:
    await asyncio.sleep(delay)
    await one_owner(client, owner, result)


async def run_owners(base: str, owners: list[Owner], result: Result) -> None:
    limits = httpx.Limits(max_connections=len(owners), max_keepalive_connections=len(owners))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        # Warm-up (not counted): templates compiled, connections in the pool.
        for o in owners[:5]:
            path = o.url.split("://", 1)[1].split("/", 1)[1]
            await client.get(f"/{path}")
        start = time.perf_counter()
        step = result.ramp / len(owners)
        await asyncio.gather(*(paced(i * step, client, o, result) for i, o in enumerate(owners)))
        result.wall = time.perf_counter() - start


def count_lost(engine: Engine, owners: list[Owner]) -> int:
    """A note the server confirmed (a receipt) but that is missing from its action's history or
    processläge is a lost update; every owner here writes only their own åtgärd, once."""
    with engine.connect() as conn:
        events = {
            (action_id, text)
            for action_id, text in conn.execute(select(ActionEvent.action_id, ActionEvent.text))  # type: ignore[call-overload]
        }
        notes = dict(conn.execute(select(Action.id, Action.progress_note)).all())  # type: ignore[call-overload]
    return sum(
        1
        for o in owners
        if o.saved and ((o.action_id, o.note) not in events or notes.get(o.action_id) != o.note)
    )


def bench(backend: str, database_url: str, n: int, ramps: list[float]) -> list[Result]:
    """One server; its own owners and åtgärder for each run (all at once, or spread out)."""
    port = free_port()
    engine = make_engine(database_url)
    results = []
    try:
        everyone = seed(engine, n * len(ramps), f"http://127.0.0.1:{port}")
        with server(database_url, port) as base:
            for i, ramp in enumerate(ramps):
                owners = everyone[i * n : (i + 1) * n]
                result = Result(backend=backend, owners=n, ramp=ramp)
                asyncio.run(run_owners(base, owners, result))
                result.lost = count_lost(engine, owners)
                report(result)
                results.append(result)
        return results
    finally:
        engine.dispose()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[k] * 1000


def report(r: Result) -> None:
    every = [x for v in r.latencies.values() for x in v]
    how = "samtidigt" if not r.ramp else f"jämnt fördelade över {r.ramp:g} s"
    print(f"\n== {r.backend}: {r.owners} ägare {how}, {r.requests} anrop ==")
    print(f"  tid {r.wall:.2f} s, {r.requests / r.wall:.0f} anrop/s")
    print(f"  {'':18} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  (ms)")
    for name, values in [*r.latencies.items(), ("alla", every)]:
        print(
            f"  {name:18} {pct(values, 50):8.1f} {pct(values, 95):8.1f} {pct(values, 99):8.1f}"
            f" {max(values, default=float('nan')) * 1000:8.1f}"
        )
    print(f"  fel: {len(r.errors)}, förlorade uppdateringar: {r.lost}")
    for e in r.errors[:10]:
        print(f"    {e}")
    p95 = pct(every, 95)
    if p95 >= 100:
        print(f"  p95 {p95:.0f} ms är över målet 100 ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default=os.environ.get("TRACKER_BENCH_POSTGRES_URL"))
    parser.add_argument(
        "--ramp",
        type=float,
        action="append",
        help="Sekunder som ägarnas start sprids över (0 = alla på en gång); kan upprepas. "
        "Standard: 0 och 2.",
    )
    args = parser.parse_args()
    ramps = args.ramp or [0.0, 2.0]

    results = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="tracker-bench-web-") as tmp:
            results += bench("SQLite", f"sqlite:///{tmp}/bench.db", args.owners, ramps)
    if args.backend in ("postgresql", "both"):
        from tests.support.postgres import find_bindir, start_postgres

        if args.postgres_url:
            results += bench("PostgreSQL", args.postgres_url, args.owners, ramps)
        elif find_bindir() is not None:
            pg = start_postgres()
            try:
                results += bench("PostgreSQL", pg.url, args.owners, ramps)
            finally:
                pg.stop()
        else:
            print("\nPostgreSQL: hoppas över (ingen --postgres-url och inga serverprogram)")
    return 1 if any(r.errors or r.lost for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
