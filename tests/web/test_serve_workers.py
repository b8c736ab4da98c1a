"""`tracker serve --workers N`: N processes, each on its own socket of the same port, between
which the kernel spreads connections; SIGTERM stops them all."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import SQLModel

from tracker.db import make_engine

SECRET = "serve-test-" + "s" * 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workers(pid: int) -> list[int]:
    """The web processes under `pid` (not multiprocessing's resource tracker)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(c) for c in (task / "children").read_text().split()]
    return [c for c in found if b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()]


def _sockets(pid: int) -> int:
    return sum(1 for fd in Path(f"/proc/{pid}/fd").iterdir() if "socket" in os.readlink(fd))


def test_workers_share_the_connections_and_stop_together(tmp_path: Path) -> None:
    db = tmp_path / "serve.db"
    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": f"sqlite:///{db}",
        "TRACKER_SECRET_KEY": SECRET,
        "TRACKER_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TRACKER_ENVIRONMENT": "test",
    }
    tracker = Path(sys.executable).with_name("tracker")
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(tracker), "serve", "--port", str(port), "--workers", "2", "--no-access-log"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    connections: list[http.client.HTTPConnection] = []
    try:
        deadline = time.monotonic() + 30
        while (tmp_path / "serve.log").read_text().count("Application startup complete") < 2:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the workers did not start within 30 s"
            time.sleep(0.1)
        workers = _workers(proc.pid)
        assert len(workers) == 2
        before = {pid: _sockets(pid) for pid in workers}
        for _ in range(40):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/logga-in")
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            connections.append(conn)  # kept open: each holds a socket in its worker
        taken = [_sockets(pid) - before[pid] for pid in workers]
        assert sum(taken) == 40
        # Spread by the kernel's hash: fewer than 8 of 40 has odds of ~1 in 100,000. (Opened
        # one by one like this, uvicorn's shared socket spread them too; under a burst it did
        # not, which bench/web.py shows in each worker's CPU time.)
        assert min(taken) >= 8, taken
    finally:
        for conn in connections:
            conn.close()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        log.close()
    assert code == 0
