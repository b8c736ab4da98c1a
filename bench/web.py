"""Web benchmark: N owners at once, each through their own signed link, against `tracker serve`.

The model (issue #3): every owner has opened the e-mail with their link earlier, so their page
is already in the browser. That first GET (the form: CSRF token and version) is an untimed
warm-up, done before the clock starts, one owner after another, each on the owner's own
keep-alive connection. The timed part per owner is what the issue asks: POST an update to
their own åtgärd (half start it with a note, half write a processläge), then GET their page.

Reported per run: requests per second over the timed part, p50/p95/p99/max latency overall and
per kind (POST, GET), errors (any status other than the expected 200, a POST answered without
a receipt, a page that does not show the note afterwards, a broken connection), and lost
updates: every posted note must afterwards be in the åtgärd's event history and be its
processläge, checked in the database (a POST without a receipt counts as lost too, since it
was never refused on purpose). Also the CPU time used during the timed part, per request: by
this client, by the `tracker serve` processes, and by the whole machine (the rest is the
database server and the kernel), so a burst's latency can be set against the machine's
capacity. Targets: 0 errors, 0 lost updates, p95 under 100 ms.

Two ways per database: all owners starting at the same instant (a burst: 2 x N requests queue
at once, so latency there is mostly waiting in line), and the owners' starts spread evenly
over 2 s (the same requests as a steady stream). Each in several rounds (--rounds, default 5),
each round with owners and åtgärder of its own: one burst of 400 requests on 2 cores varies a
lot from run to run (a round's p95 seen from 34 to 96 ms on the same code), so the table gives the
percentiles of all rounds' requests together, and the p95 of each round beside it.

The client is deliberately lean, so that its CPU does not crowd out the server's on a small
machine: HTTP/1.1 over plain asyncio streams (uvloop when installed), one connection per
owner opened before the clock starts, each request built once as bytes, and a response read
only as far as its status, Content-Length (or chunked) framing and body.

The server is started here as a subprocess (`tracker serve`, with `--workers N` when asked)
on a fresh SQLite file, and on PostgreSQL: the URL given with --postgres-url, or else a
throwaway cluster started through tests/support/postgres.py when the server binaries are
installed.

Usage: python bench/web.py [--owners 200] [--backend sqlite|postgresql|both]
                           [--postgres-url URL] [--ramp SECONDS ...] [--workers N (cores)]
                           [--rounds N]
Exit status 1 on any error or lost update.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path
from urllib.parse import urlencode

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
    rb'<form method="post" action="(?P<action>/ansvarig/[^"]+/atgard/\d+)" class="update">\s*'
    rb'<input type="hidden" name="csrf" value="(?P<csrf>[0-9a-f]+)">\s*'
    rb'<input type="hidden" name="version" value="(?P<version>\d+)">'
)
POST, GET = "POST ändring", "GET sidan"
WARM_UP_OWNERS = 4  # a whole cycle each before the first run: templates compiled, pool filled
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Owner:
    person_id: int
    action_id: int
    path: str  # /ansvarig/<token>
    note: str
    trigger: str
    post: bytes = b""  # the update, built from the warm-up GET's form
    get: bytes = b""
    saved: bool = False  # the server answered the POST with a receipt


@dataclass
class Result:
    backend: str
    owners: int
    workers: int
    ramp: float = 0.0
    wall: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {POST: [], GET: []})
    errors: list[str] = field(default_factory=list)
    lost: int = 0
    cpu_client: float = 0.0
    cpu_server: float = 0.0
    cpu_machine: float = 0.0
    per_worker: list[float] = field(default_factory=list)
    p95_per_round: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def request(self, data: bytes) -> tuple[int, bytes]:
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            end = lower.index(b"\r\n", at + 2)
            body = await self.reader.readexactly(int(lower[at + 17 : end]))
        elif b"\r\ntransfer-encoding: chunked" in lower:
            body = await self._chunked()
        else:
            body = await self.reader.read()  # until the server closes
        return status, body

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers from our server
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        self.writer.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\r\n".encode()


def post_request(path: str, form: dict[str, str]) -> bytes:
    body = urlencode(form).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


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
        url = owner_url(settings, person, now=now, action_id=i)
        owners.append(
            Owner(
                person_id=i,
                action_id=i,
                path="/" + url.split("://", 1)[1].split("/", 1)[1],
                note=f"Processläge från ägare {i}: pågår enligt tidsplan ({time.time_ns()}).",
                trigger="starta" if i % 2 else "",
            )
        )
    return owners


@dataclass
class Server:
    base: str
    port: int
    proc: subprocess.Popen[bytes]

    def pids(self) -> list[int]:
        """The `tracker serve` process and its descendants (uvicorn's workers)."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*"):
                with suppress(OSError):
                    todo += [int(c) for c in (task / "children").read_text().split()]
        return found


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far, all its threads."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy() -> float:
    """CPU seconds the whole machine has spent not idle (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / CLK_TCK


@contextmanager
def server(database_url: str, port: int, workers: int = 1) -> Iterator[Server]:
    """`tracker serve` in a subprocess; yields once it answers (every worker, if several)."""
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_SECRET_KEY": SECRET,
        "TRACKER_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TRACKER_ENVIRONMENT": "test",
    }
    tracker = Path(sys.executable).with_name("tracker")
    # The server's log goes to a file: a pipe nobody reads would fill up and stall it.
    with tempfile.TemporaryDirectory(prefix="tracker-bench-serve-") as tmp:
        log_path = Path(tmp) / "serve.log"
        with log_path.open("wb") as log:
            command = [str(tracker), "serve", "--host", "127.0.0.1", "--port", str(port)]
            if workers > 1:
                command += ["--workers", str(workers)]
            proc = subprocess.Popen(
                [*command, "--no-access-log"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_until_up(proc, port, log_path, workers)
                yield Server(f"http://127.0.0.1:{port}", port, proc)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait_until_up(proc: subprocess.Popen[bytes], port: int, log_path: Path, workers: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"tracker serve stopped: {log_path.read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/logga-in")
            status = conn.getresponse().status
            conn.close()
            # Each worker logs when it has started; the socket answers after the first.
            started = log_path.read_text(errors="replace").count("Application startup complete")
            if status == 200 and started >= workers:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("tracker serve did not answer within 30 s")
        time.sleep(0.1)


async def warm_up(conn: Connection, owner: Owner, result: Result) -> bool:
    """The owner's first GET (untimed): the form the update is posted with."""
    owner.get = get_request(owner.path)
    status, body = await conn.request(owner.get)
    form = FORM_RE.search(body)
    if status != 200 or form is None:
        result.errors.append(f"ägare {owner.person_id}: första GET {status}")
        return False
    owner.post = post_request(
        form["action"].decode(),
        {
            "csrf": form["csrf"].decode(),
            "version": form["version"].decode(),
            "trigger": owner.trigger,
            "text": owner.note,
        },
    )
    return True


async def update_and_look(
    conn: Connection, owner: Owner, delay: float, result: Result, started: float
) -> None:
    """The timed part: POST the update, then GET the page."""
    if delay:
        await asyncio.sleep(started + delay - time.perf_counter())
    steps = result.latencies
    try:
        t0 = time.perf_counter()
        status, body = await conn.request(owner.post)
        steps[POST].append(time.perf_counter() - t0)
        if status != 200 or b"Sparat" not in body:
            result.errors.append(f"ägare {owner.person_id}: POST {status}")
            return
        owner.saved = True
        t0 = time.perf_counter()
        status, body = await conn.request(owner.get)
        steps[GET].append(time.perf_counter() - t0)
        if status != 200 or owner.note.encode() not in body:
            result.errors.append(f"ägare {owner.person_id}: GET {status}, processläget syns inte")
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        result.errors.append(f"ägare {owner.person_id}: {type(exc).__name__}: {exc}")


async def run_owners(srv: Server, owners: list[Owner], result: Result) -> None:
    """One round: the owners' updates, added to `result`."""
    conns = [await Connection.open(srv.port) for _ in owners]
    try:
        # Untimed: each owner's page as they opened it from the e-mail.
        ready = [(c, o) for c, o in zip(conns, owners, strict=True) if await warm_up(c, o, result)]
        await asyncio.sleep(0.2)  # let the server settle (pool returns, GC) before the clock
        pids = srv.pids()
        server_before = [cpu_of(p) for p in pids]
        machine_before = machine_busy()
        client_before = time.process_time()
        step = result.ramp / len(owners)
        marks = {k: len(v) for k, v in result.latencies.items()}
        started = time.perf_counter()
        await asyncio.gather(
            *(update_and_look(c, o, i * step, result, started) for i, (c, o) in enumerate(ready))
        )
        result.wall += time.perf_counter() - started
        result.cpu_client += time.process_time() - client_before
        result.cpu_machine += machine_busy() - machine_before
        used = [cpu_of(p) - before for p, before in zip(pids, server_before, strict=True)]
        result.per_worker = [a + b for a, b in zip_longest(result.per_worker, used, fillvalue=0.0)]
        result.cpu_server = sum(result.per_worker)
        this_round = [x for k, v in result.latencies.items() for x in v[marks[k] :]]
        result.p95_per_round.append(pct(this_round, 95))
    finally:
        for c in conns:
            c.close()


def count_lost(engine: Engine, owners: list[Owner]) -> int:
    """A posted note missing from its action's history or processläge is a lost update; every
    owner here writes only their own åtgärd, once, so none may be refused."""
    with engine.connect() as conn:
        events = {
            (action_id, text)
            for action_id, text in conn.execute(select(ActionEvent.action_id, ActionEvent.text))  # type: ignore[call-overload]
        }
        notes = dict(conn.execute(select(Action.id, Action.progress_note)).all())  # type: ignore[call-overload]
    return sum(
        1
        for o in owners
        if o.post and ((o.action_id, o.note) not in events or notes.get(o.action_id) != o.note)
    )


def event_loop_policy() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def warm_up_server(srv: Server, owners: list[Owner]) -> None:
    """A whole cycle for a few owners not measured: templates compiled, connections pooled."""
    scratch = Result(backend="", owners=len(owners), workers=1)
    for owner in owners:
        conn = await Connection.open(srv.port)
        try:
            if await warm_up(conn, owner, scratch):
                await update_and_look(conn, owner, 0.0, scratch, 0.0)
        finally:
            conn.close()
    if scratch.errors:
        raise RuntimeError(f"uppvärmningen misslyckades: {scratch.errors}")


def bench(
    backend: str, database_url: str, n: int, ramps: list[float], workers: int, rounds: int
) -> list[Result]:
    """One server; for each way of starting (all at once, or spread out) `rounds` rounds, each
    with its own owners and åtgärder, reported together."""
    port = free_port()
    engine = make_engine(database_url)
    results = []
    try:
        everyone = seed(
            engine, n * len(ramps) * rounds + WARM_UP_OWNERS, f"http://127.0.0.1:{port}"
        )
        fresh = iter(range(0, n * len(ramps) * rounds, n))
        with server(database_url, port, workers) as srv:
            asyncio.run(warm_up_server(srv, everyone[-WARM_UP_OWNERS:]))
            for ramp in ramps:
                result = Result(backend=backend, owners=n, workers=workers, ramp=ramp)
                for _ in range(rounds):
                    start = next(fresh)
                    owners = everyone[start : start + n]
                    asyncio.run(run_owners(srv, owners, result))
                    result.lost += count_lost(engine, owners)
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
    workers = f", {r.workers} webbprocesser" if r.workers > 1 else ""
    rounds = len(r.p95_per_round)
    per_round = f" per omgång, {rounds} omgångar" if rounds > 1 else ""
    print(f"\n== {r.backend}{workers}: {r.owners} ägare {how}{per_round}, {r.requests} anrop ==")
    print(f"  tid {r.wall:.3f} s, {r.requests / r.wall:.0f} anrop/s")
    if rounds > 1:
        each = ", ".join(f"{p:.0f}" for p in r.p95_per_round)
        print(f"  p95 i varje omgång: {each} ms (tabellen: alla omgångarnas anrop)")
    print(f"  {'':14} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  (ms)")
    for name, values in [*r.latencies.items(), ("alla", every)]:
        print(
            f"  {name:14} {pct(values, 50):8.1f} {pct(values, 95):8.1f} {pct(values, 99):8.1f}"
            f" {max(values, default=float('nan')) * 1000:8.1f}"
        )
    print(f"  fel: {len(r.errors)}, förlorade uppdateringar: {r.lost}")
    for e in r.errors[:10]:
        print(f"    {e}")
    n = max(r.requests, 1)
    per_worker = ""
    if len(r.per_worker) > 1:
        per_worker = " (" + " + ".join(f"{c:.2f}" for c in r.per_worker) + ")"
    print(
        f"  CPU under mätningen: server {r.cpu_server:.2f} s{per_worker}, "
        f"klient {r.cpu_client:.2f} s, hela maskinen {r.cpu_machine:.2f} s; "
        f"per anrop {r.cpu_server / n * 1000:.2f} / {r.cpu_client / n * 1000:.2f} / "
        f"{r.cpu_machine / n * 1000:.2f} ms"
    )
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
    parser.add_argument(
        "--workers",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="Webbprocesser: `tracker serve --workers N`. Standard: en per kärna, som "
        "docs/deploy.md råder.",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="Omgångar per sätt att starta, var och en med nya ägare; redovisas tillsammans "
        "(en enda omgång på 400 anrop varierar mycket från körning till körning).",
    )
    args = parser.parse_args()
    ramps = args.ramp or [0.0, 2.0]
    event_loop_policy()

    results = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="tracker-bench-web-") as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            results += bench("SQLite", url, args.owners, ramps, args.workers, args.rounds)
    if args.backend in ("postgresql", "both"):
        from tests.support.postgres import find_bindir, start_postgres

        if args.postgres_url:
            results += bench(
                "PostgreSQL", args.postgres_url, args.owners, ramps, args.workers, args.rounds
            )
        elif find_bindir() is not None:
            pg = start_postgres()
            try:
                results += bench(
                    "PostgreSQL", pg.url, args.owners, ramps, args.workers, args.rounds
                )
            finally:
                pg.stop()
        else:
            print("\nPostgreSQL: hoppas över (ingen --postgres-url och inga serverprogram)")
    return 1 if any(r.errors or r.lost for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
