"""Web benchmark: owners updating their åtgärder through their signed links, `tracker serve`.

The load model. Reminder mail goes out over minutes and people open it over the morning, so
owners do not come all at once: the peak of a large kommun is a few owner updates per second.
The main measurement is an open loop of owner sessions arriving as a Poisson process, by
default 50 sessions a second for 60 s (--rate, --duration): about 150 requests a second, some
50 times that peak. A session is what an owner does with the link: GET their page (the form,
with its CSRF token and version), POST an update (half start the åtgärd with a note, half write
a processläge), and GET the page again, which must show the note. The three requests go back to
back, with no reading time between them: harder on the server than a person is.

Open loop: each session is its own asyncio task on its own connection, started at its arrival
time whatever the earlier sessions are doing, so a slow server faces more sessions at once, as
it would in real life, instead of fewer arrivals. The first GET is timed from the session's
scheduled arrival (connecting included), so a client that falls behind adds to the figures
instead of hiding the server's latency; how late sessions started is printed beside them. The
arrivals come from a seeded random generator (--seed), so two runs (say, two versions of the
code) meet the same pattern. Every session has an owner and åtgärd of its own.

Targets, gated (exit status 1 when one is missed): p95 < 50 ms and p99 < 200 ms over all
requests, no errors, no lost updates.

Then a burst (--burst-owners, default 200; 0 skips it): that many owners, each with the form
already loaded (untimed), all POST at the same instant and then reload their page. No kommun
sends that; it checks that nothing breaks or gets lost when requests pile up. Its percentiles
are printed, and only errors and lost updates are gated.

Errors: any status other than 200, a POST answered without its receipt, a reload that does not
show the note, a broken connection or a session that takes longer than 30 s. Lost updates,
checked in the database afterwards: every posted note must be in its åtgärd's event history and
be its processläge (nothing here may be refused: each åtgärd is written by its owner once). CPU
time while measuring, per request: the `tracker serve` processes, this client, and the whole
machine (the rest is the database server, the kernel, and whatever else runs).

The server is `tracker serve` in a subprocess, with its default number of workers unless
--workers is given, on a fresh SQLite file and on PostgreSQL: the URL given with
--postgres-url (its tables are dropped and created again), or else a throwaway cluster started
through tests/support/postgres.py when the server binaries are installed. The subprocess
inherits PYTHONPATH, so `PYTHONPATH=<another checkout> python bench/web.py` measures that code.

The client is lean, so that its CPU does not crowd out the server's on a small machine:
HTTP/1.1 over plain asyncio streams (uvloop when installed), each request built once as bytes,
a response read only as far as its status, framing and body.

Usage: python bench/web.py [--rate 50] [--duration 60] [--burst-owners 200]
                           [--backend sqlite|postgresql|both] [--postgres-url URL]
                           [--workers N] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from alembic import command
from sqlalchemy import Engine, insert
from sqlmodel import SQLModel, select

# Last, so that a PYTHONPATH naming another checkout decides which tracker is imported here
# too; this checkout only adds tests.support.postgres when nothing else does.
ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))

import tracker  # noqa: E402
from config import load_settings  # noqa: E402
from tracker.db import make_engine  # noqa: E402
from tracker.migrate import alembic_config  # noqa: E402
from tracker.models import Action, ActionEvent, Area, Person, Plan  # noqa: E402
from tracker.web.links import owner_url  # noqa: E402

SECRET = "bench-web-" + "s" * 40
FORM_RE = re.compile(
    # The page's form posts to its own card (#atgard-N); a browser sends no fragment.
    rb'<form method="post" action="(?P<action>/ansvarig/[^"#]+/atgard/\d+)(?:#atgard-\d+)?" '
    rb'class="update">\s*'
    rb'<input type="hidden" name="csrf" value="(?P<csrf>[0-9a-f]+)">\s*'
    rb'<input type="hidden" name="version" value="(?P<version>\d+)">'
)
PAGE, POST, RELOAD = "GET sidan", "POST ändring", "GET omladdning"
P95_TARGET_MS, P99_TARGET_MS = 50.0, 200.0
SESSION_TIMEOUT_S = 30.0
WARM_UP_SESSIONS = 4  # before measuring: templates compiled, connection pools filled
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Owner:
    id: int  # the person's id and their åtgärd's: one each
    get: bytes  # GET of the owner's page, through their signed link
    note: str
    trigger: str  # "starta", or "" to write a processläge only
    post: bytes = b""  # the update, built from the form the page gave
    posted: bool = False  # the POST was sent, so its note must be in the database


@dataclass
class CpuClock:
    """CPU seconds used so far: by the server's processes, this client, the whole machine."""

    server: list[float]
    client: float
    machine: float

    @classmethod
    def read(cls, pids: list[int]) -> CpuClock:
        return cls([cpu_of(p) for p in pids], time.process_time(), machine_busy())

    def since(self, start: CpuClock) -> CpuClock:
        server = [a - b for a, b in zip(self.server, start.server, strict=True)]
        return CpuClock(server, self.client - start.client, self.machine - start.machine)


@dataclass
class Run:
    """What one measurement saw."""

    title: str
    kinds: tuple[str, ...]
    latencies: dict[str, list[float]] = field(init=False)  # seconds, per kind of request
    errors: list[str] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)  # how late each session started
    sessions: int = 0  # finished without an error
    wall: float = 0.0
    lost: int = 0
    cpu: CpuClock | None = None

    def __post_init__(self) -> None:
        self.latencies = {kind: [] for kind in self.kinds}

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def all_latencies(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]


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
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers from our server
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        self.writer.close()


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


def prepare_update(owner: Owner, page: bytes) -> bool:
    """The owner's POST, from the form on their page; False when the page has no form."""
    form = FORM_RE.search(page)
    if form is None:
        return False
    fields = {
        "csrf": form["csrf"].decode(),
        "version": form["version"].decode(),
        "trigger": owner.trigger,
        "text": owner.note,
    }
    owner.post = post_request(form["action"].decode(), fields)
    return True


# --- the database -------------------------------------------------------------------------


def seed(engine: Engine, n: int, base_url: str) -> list[Owner]:
    """n owners, each with one åtgärd not yet started, written straight into fresh tables."""
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    # Marked as migrated: `tracker serve` starts only on a database whose schema is the code's.
    command.stamp(alembic_config(engine), "head")
    now = datetime.now(UTC)
    ids = range(1, n + 1)
    people = [
        Person(id=i, name=f"Ägare {i}", email=f"agare{i}@bench.example", created_at=now)
        for i in ids
    ]
    with engine.begin() as conn:
        plan = {"id": 1, "title": "Bänkplan", "forvaltning": "F", "created_at": now}
        conn.execute(insert(Plan), [plan])
        conn.execute(insert(Area), [{"id": 1, "plan_id": 1, "title": "Område", "position": 1}])
        conn.execute(
            insert(Person),
            [{**p.model_dump(), "forvaltning": "F"} for p in people],
        )
        conn.execute(insert(Action), [action_row(i, now) for i in ids])
    settings = load_settings(secret_key=SECRET, public_base_url=base_url)
    run_mark = time.time_ns()  # notes no earlier run on the same database can have written
    return [
        Owner(
            id=i,
            get=get_request(
                owner_url(settings, person, now=now, action_id=i).removeprefix(base_url)
            ),
            note=f"Processläge från ägare {i}: pågår enligt tidsplan ({run_mark}).",
            trigger="starta" if i % 2 else "",
        )
        for i, person in zip(ids, people, strict=True)
    ]


def action_row(i: int, now: datetime) -> dict[str, object]:
    """Owner i's åtgärd (same id), not yet started."""
    return {
        "id": i,
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


def count_lost(engine: Engine, owners: list[Owner]) -> int:
    """Posted notes missing from their åtgärd's history, or not its processläge."""
    with engine.connect() as conn:
        events = {(a, t) for a, t in conn.execute(select(ActionEvent.action_id, ActionEvent.text))}
        notes = {i: n for i, n in conn.execute(select(Action.id, Action.progress_note))}
    posted = [o for o in owners if o.posted]
    return len([o for o in posted if (o.id, o.note) not in events or notes.get(o.id) != o.note])


# --- the server and CPU accounting --------------------------------------------------------


@dataclass
class Server:
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(database_url: str, port: int, workers: int | None) -> Iterator[Server]:
    """`tracker serve` in a subprocess; yields once it answers (every worker, if several)."""
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_SECRET_KEY": SECRET,
        "TRACKER_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TRACKER_ENVIRONMENT": "test",
    }
    command = [str(Path(sys.executable).with_name("tracker")), "serve", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    # The server's log goes to a file: a pipe nobody reads would fill up and stall it.
    with tempfile.TemporaryDirectory(prefix="tracker-bench-serve-") as tmp:
        log_path = Path(tmp) / "serve.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [*command, "--no-access-log"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                # `tracker serve` runs one process unless told otherwise.
                wait_until_up(proc, port, log_path, workers or 1)
                yield Server(port, proc)
            finally:
                proc.terminate()  # SIGTERM: as systemd stops it
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def wait_until_up(proc: subprocess.Popen[bytes], port: int, log_path: Path, workers: int) -> None:
    """Returns once the server answers and every worker has started, so that no worker's
    start-up (a second of CPU) falls inside a measurement."""
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"tracker serve stopped: {log_path.read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/logga-in")
            status = conn.getresponse().status
            conn.close()
            started = log_path.read_text(errors="replace").count("Application startup complete")
            if status == 200 and started >= workers:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"tracker serve did not answer within 60 s: {log_path.read_text()}")
        time.sleep(0.1)


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


# --- the owners' requests -----------------------------------------------------------------


async def post_and_reload(conn: Connection, owner: Owner, run: Run) -> bool:
    """POST the update, then GET the page again; True when both did what they should."""
    owner.posted = True
    t0 = time.perf_counter()
    status, body = await conn.request(owner.post)
    run.latencies[POST].append(time.perf_counter() - t0)
    if status != 200 or b"Sparat" not in body:
        run.errors.append(f"ägare {owner.id}: POST {status} utan kvitto")
        return False
    t0 = time.perf_counter()
    status, body = await conn.request(owner.get)
    run.latencies[RELOAD].append(time.perf_counter() - t0)
    if status != 200 or owner.note.encode() not in body:
        run.errors.append(f"ägare {owner.id}: omladdning {status}, processläget syns inte")
        return False
    return True


@asynccontextmanager
async def failures_recorded(owner: Owner, run: Run) -> AsyncIterator[None]:
    """A broken connection or a request that never ends counts as that owner's error."""
    try:
        async with asyncio.timeout(SESSION_TIMEOUT_S):
            yield
    except TimeoutError:
        run.errors.append(f"ägare {owner.id}: inte klar inom {SESSION_TIMEOUT_S:.0f} s")
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        run.errors.append(f"ägare {owner.id}: {type(exc).__name__}: {exc}")


async def session(port: int, owner: Owner, arrival: float, run: Run) -> None:
    """One owner's visit: page, update, reload. Timed from the scheduled `arrival`."""
    run.lags.append(time.perf_counter() - arrival)
    conn: Connection | None = None
    async with failures_recorded(owner, run):
        try:
            conn = await Connection.open(port)
            status, body = await conn.request(owner.get)
            run.latencies[PAGE].append(time.perf_counter() - arrival)
            if status != 200 or not prepare_update(owner, body):
                run.errors.append(f"ägare {owner.id}: sidan {status}, inget formulär")
                return
            if await post_and_reload(conn, owner, run):
                run.sessions += 1
        finally:
            if conn is not None:
                conn.close()


async def update_at_once(conn: Connection, owner: Owner, run: Run) -> None:
    async with failures_recorded(owner, run):
        if await post_and_reload(conn, owner, run):
            run.sessions += 1


def poisson_arrivals(rate: float, duration: float, rng: random.Random) -> list[float]:
    """Arrival times (s from the start) of a Poisson process of `rate` a second."""
    arrivals, t = [], rng.expovariate(rate)
    while t < duration:
        arrivals.append(t)
        t += rng.expovariate(rate)
    return arrivals


async def open_loop(srv: Server, owners: list[Owner], arrivals: list[float], run: Run) -> None:
    """Each owner's session started at its arrival time, however the others are doing."""
    pids = srv.pids()
    cpu_start = CpuClock.read(pids)
    start = time.perf_counter() + 0.05
    tasks = []
    for owner, at in zip(owners, arrivals, strict=True):
        delay = start + at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(session(srv.port, owner, start + at, run)))
    await asyncio.gather(*tasks)
    run.wall = time.perf_counter() - start
    run.cpu = CpuClock.read(pids).since(cpu_start)


async def burst(srv: Server, owners: list[Owner], run: Run) -> None:
    """All owners' pages loaded first (untimed), then every POST at the same instant."""
    conns = [await Connection.open(srv.port) for _ in owners]
    try:
        ready = []
        for conn, owner in zip(conns, owners, strict=True):
            status, body = await conn.request(owner.get)
            if status == 200 and prepare_update(owner, body):
                ready.append((conn, owner))
            else:
                run.errors.append(f"ägare {owner.id}: sidan {status}, inget formulär")
        await asyncio.sleep(0.2)  # let the server settle (pools returned, GC) before the clock
        pids = srv.pids()
        cpu_start = CpuClock.read(pids)
        start = time.perf_counter()
        await asyncio.gather(*(update_at_once(conn, owner, run) for conn, owner in ready))
        run.wall = time.perf_counter() - start
        run.cpu = CpuClock.read(pids).since(cpu_start)
    finally:
        for conn in conns:
            conn.close()


async def warm_up(srv: Server, owners: list[Owner]) -> None:
    """A few whole sessions, one after another and not measured."""
    scratch = Run("uppvärmning", (PAGE, POST, RELOAD))
    for owner in owners:
        await session(srv.port, owner, time.perf_counter(), scratch)
    if scratch.errors:
        raise RuntimeError(f"uppvärmningen misslyckades: {scratch.errors}")


# --- the report ---------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """The p-th percentile in ms (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[k] * 1000


def report(run: Run) -> None:
    wall = max(run.wall, 1e-9)
    print(f"\n== {run.title} ==")
    print(
        f"  {run.sessions} sessioner klara på {run.wall:.1f} s: "
        f"{run.sessions / wall:.1f} sessioner/s, {run.requests / wall:.0f} anrop/s"
    )
    if run.lags:
        print(
            f"  klientens försening vid sessionernas start: p99 {pct(run.lags, 99):.1f} ms, "
            f"max {max(run.lags) * 1000:.1f} ms"
        )
    print(f"  {'':16} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  (ms)")
    for name, values in [*run.latencies.items(), ("alla", run.all_latencies())]:
        print(
            f"  {name:16} {pct(values, 50):8.1f} {pct(values, 95):8.1f} {pct(values, 99):8.1f}"
            f" {max(values, default=float('nan')) * 1000:8.1f}"
        )
    print(f"  fel: {len(run.errors)}, förlorade uppdateringar: {run.lost}")
    for error in run.errors[:10]:
        print(f"    {error}")
    if run.cpu is not None:
        n = max(run.requests, 1)
        server = sum(run.cpu.server)
        per_process = ""
        busy = [c for c in run.cpu.server if c > 0]
        if len(busy) > 1:
            per_process = " (" + " + ".join(f"{c / n * 1000:.2f}" for c in busy) + ")"
        print(
            f"  CPU per anrop: server {server / n * 1000:.2f} ms{per_process}, "
            f"klient {run.cpu.client / n * 1000:.2f} ms, "
            f"hela maskinen {run.cpu.machine / n * 1000:.2f} ms"
        )


def gate(run: Run, latency: bool) -> bool:
    """Print the targets and whether each was met; True when all were."""
    every = run.all_latencies()
    checks = []
    if latency:
        p95, p99 = pct(every, 95), pct(every, 99)
        checks += [
            (f"p95 < {P95_TARGET_MS:.0f} ms", f"{p95:.1f} ms", p95 < P95_TARGET_MS),
            (f"p99 < {P99_TARGET_MS:.0f} ms", f"{p99:.1f} ms", p99 < P99_TARGET_MS),
        ]
    checks += [
        ("0 fel", str(len(run.errors)), not run.errors),
        ("0 förlorade uppdateringar", str(run.lost), run.lost == 0),
    ]
    for target, seen, ok in checks:
        print(f"  mål {target}: {seen}, {'uppfyllt' if ok else 'MISSAT'}")
    return all(ok for _, _, ok in checks)


# --- one database -------------------------------------------------------------------------


def bench(backend: str, database_url: str, args: argparse.Namespace) -> bool:
    """Open loop, then burst, against one server on one database; True when the gates hold."""
    port = free_port()
    arrivals = poisson_arrivals(args.rate, args.duration, random.Random(args.seed))
    engine = make_engine(database_url)
    try:
        owners = seed(
            engine, WARM_UP_SESSIONS + len(arrivals) + args.burst_owners, f"http://127.0.0.1:{port}"
        )
        warm = owners[:WARM_UP_SESSIONS]
        steady = owners[WARM_UP_SESSIONS : WARM_UP_SESSIONS + len(arrivals)]
        stormed = owners[WARM_UP_SESSIONS + len(arrivals) :]
        processes = f"--workers {args.workers}" if args.workers else "standardantal webbprocesser"
        with server(database_url, port, args.workers) as srv:
            asyncio.run(warm_up(srv, warm))

            title = (
                f"{backend}, {processes}: öppen belastning, {args.rate:g} sessioner/s "
                f"(Poisson) i {args.duration:g} s, {len(arrivals)} sessioner"
            )
            steady_run = Run(title, (PAGE, POST, RELOAD))
            asyncio.run(open_loop(srv, steady, arrivals, steady_run))
            steady_run.lost = count_lost(engine, steady)
            report(steady_run)
            ok = gate(steady_run, latency=True)

            if stormed:
                title = f"{backend}, {processes}: topp, {len(stormed)} ägare i samma ögonblick"
                burst_run = Run(title, (POST, RELOAD))
                asyncio.run(burst(srv, stormed, burst_run))
                burst_run.lost = count_lost(engine, stormed)
                report(burst_run)
                ok = gate(burst_run, latency=False) and ok
        return ok
    finally:
        engine.dispose()


def event_loop_policy() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="Sessioner per sekund.")
    parser.add_argument("--duration", type=float, default=60.0, help="Sekunder.")
    parser.add_argument(
        "--burst-owners",
        type=int,
        default=200,
        help="Ägare som sparar i samma ögonblick efter den öppna belastningen (0: ingen topp).",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TRACKER_BENCH_POSTGRES_URL"),
        help="PostgreSQL-databas att mäta på; dess tabeller tas bort och skapas på nytt.",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="`tracker serve --workers N`; utan den körs tracker serve med sitt standardvärde.",
    )
    parser.add_argument("--seed", type=int, default=1, help="Slumpfrö för ankomsterna.")
    args = parser.parse_args()
    event_loop_policy()
    print(f"tracker från {Path(tracker.__file__).parent}")

    results = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="tracker-bench-web-") as tmp:
            results.append(bench("SQLite", f"sqlite:///{tmp}/bench.db", args))
    if args.backend in ("postgresql", "both"):
        from tests.support.postgres import find_bindir, start_postgres

        if args.postgres_url:
            results.append(bench("PostgreSQL", args.postgres_url, args))
        elif find_bindir() is not None:
            pg = start_postgres()
            try:
                results.append(bench("PostgreSQL", pg.url, args))
            finally:
                pg.stop()
        else:
            print("\nPostgreSQL: hoppas över (ingen --postgres-url och inga serverprogram)")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
