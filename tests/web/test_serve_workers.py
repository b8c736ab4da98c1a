"""`tracker serve --workers N`: uvicorn's worker processes serve the app built from what the
command line said, and SIGTERM stops them all with exit status 0 (what systemd expects)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from config import load_settings
from tests.support import builders
from tracker.app import bootstrap
from tracker.db import make_engine
from tracker.migrate import upgrade
from tracker.web.links import owner_url

SECRET = "serve-test-" + "s" * 40
TRACKER = str(Path(sys.executable).with_name("tracker"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    """The environment without TRACKER_*: what the server knows comes from its options."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}


@contextmanager
def _serving(
    args: list[str], log_path: Path, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`tracker <args>` in its own process group, so that nothing it started outlives a
    failed test."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [TRACKER, *args],
            env={**_env(), **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# The port opens when a worker listens: on a machine busy with the rest of the suite, a
# worker slowed as in the test below has taken more than 30 s to get there.
PORT_WAIT_S = 90


def _wait_for_port(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + PORT_WAIT_S
    while True:
        assert proc.poll() is None, log_path.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"the port did not open within {PORT_WAIT_S} s"
            time.sleep(0.1)


def _get(port: int, path: str) -> tuple[int, str]:
    # Long enough for a worker still starting: the parent listens before the workers accept.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _workers(pid: int) -> list[int]:
    """uvicorn's worker processes under `pid` (interpreters started by multiprocessing's spawn)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children += [int(c) for c in (task / "children").read_text().split()]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def test_two_workers_serve_the_database_and_config_given_and_stop_on_sigterm(
    tmp_path: Path,
) -> None:
    port = _free_port()
    db_url = f"sqlite:///{tmp_path / 'serve.db'}"
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'[tracker]\nenvironment = "test"\nsecret_key = "{SECRET}"\n'
        f'public_base_url = "http://127.0.0.1:{port}"\n'
    )
    engine = make_engine(db_url)
    upgrade(engine)  # as `tracker db upgrade`: serve starts on no other schema
    engine.dispose()
    app = bootstrap(load_settings(config, database_url=db_url))
    now = datetime.now(UTC)
    anna = builders.person(app, "anna.berg@pitea.example", "Anna Berg", now=now)
    _, area = builders.plan(app, now=now)
    act = builders.action(app, area, "Ta fram rutin för handläggning", now=now, owner=anna)
    owner_path = owner_url(app.settings, anna, now=now, action_id=act.id).split(str(port), 1)[1]
    app.engine.dispose()

    log_path = tmp_path / "serve.log"
    args = ["--config", str(config), "--database", db_url, "serve", "--port", str(port)]
    with _serving([*args, "--workers", "2", "--no-access-log"], log_path) as proc:
        _wait_for_port(proc, port, log_path)
        # The owner's page only opens when the workers got both the secret (from the config
        # file) and the database (from --database) the command line named.
        for _ in range(10):
            status, page = _get(port, owner_path)
            assert status == 200, page
            assert "Anna Berg" in page and "Ta fram rutin för handläggning" in page
        workers = _workers(proc.pid)
        assert len(workers) == 2, log_path.read_text()

        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, log_path.read_text()
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "a worker outlived it"


def test_the_development_mail_receiver_is_refused_with_several_workers(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'serve.db'}"
    config = tmp_path / "tracker.toml"
    config.write_text('[tracker]\nenvironment = "development"\ndev_mail_receiver = true\n')
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    log_path = tmp_path / "serve.log"
    args = ["--config", str(config), "--database", db_url, "serve", "--port", str(_free_port())]
    with _serving([*args, "--workers", "2"], log_path) as proc:
        code = proc.wait(timeout=30)
    assert code == 1
    assert "e-postmottagaren kan bara köras med en webbprocess" in log_path.read_text()


# Imported by every Python process started with this directory on PYTHONPATH: a worker
# process (spawned with --multiprocessing-fork) takes this long before it can answer its
# parent, as on a loaded machine where importing the app takes seconds.
SLOW_WORKER_START = """
import sys, time
if "--multiprocessing-fork" in sys.argv:
    time.sleep(8)
"""


def test_workers_slow_to_start_are_waited_for_and_not_killed_as_hung(tmp_path: Path) -> None:
    port = _free_port()
    db_url = f"sqlite:///{tmp_path / 'serve.db'}"
    config = tmp_path / "tracker.toml"
    config.write_text(f'[tracker]\nenvironment = "test"\nsecret_key = "{SECRET}"\n')
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(SLOW_WORKER_START)

    log_path = tmp_path / "serve.log"
    args = ["--config", str(config), "--database", db_url, "serve", "--port", str(port)]
    with _serving([*args, "--workers", "2"], log_path, {"PYTHONPATH": str(slow)}) as proc:
        _wait_for_port(proc, port, log_path)
        status, _ = _get(port, "/logga-in")
        assert status == 200
        assert "died" not in log_path.read_text(), log_path.read_text()
