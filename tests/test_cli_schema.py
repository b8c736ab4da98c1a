"""The web, the scheduler and every command run only on a database whose schema is the
code's: started before `tracker db upgrade` (a first install, or after an upgrade), they
refuse with what to do, instead of serving 500 errors, failing every job or ending in a
traceback. A SQLite file that is not there is refused, not made."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from tracker.db import make_engine
from tracker.migrate import alembic_config, upgrade

TRACKER = str(Path(sys.executable).parent / "tracker")
# Long enough for the command to import and refuse on a busy machine; a command that does not
# refuse runs until it is stopped, and the test fails on the timeout.
TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str], **env: str) -> subprocess.Popen[str]:
    """The command in a session of its own, so that a server that did start is stopped with
    every worker process it spawned."""
    return subprocess.Popen(
        [TRACKER, *args],
        env={**os.environ, "TRACKER_CONFIG": "", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    proc = _start(args)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _revisions(engine: Engine) -> tuple[str, str]:
    """The code's newest schema revision and the one before it."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    head = script.get_current_head()
    assert head is not None
    before = script.get_revision(head).down_revision
    assert isinstance(before, str)
    return head, before


@pytest.mark.parametrize(
    "command", [["serve", "--workers", "1"], ["serve", "--workers", "2"], ["scheduler"]]
)
def test_a_database_never_upgraded_is_refused_with_what_to_run(
    tmp_path: Path, command: list[str]
) -> None:
    port = ["--port", str(_free_port())] if command[0] == "serve" else []
    (tmp_path / "tom.db").touch()
    done = _run(["--database", str(tmp_path / "tom.db"), *command, *port])
    assert done.returncode == 1
    assert "Databasen har inget schema" in done.stderr
    assert "kör 'tracker db upgrade'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_database_a_version_behind_is_refused_with_both_versions(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    engine = make_engine(f"sqlite:///{db}")
    head, before = _revisions(engine)
    upgrade(engine, before)
    engine.dispose()
    done = _run(["--database", str(db), "serve", "--workers", "1", "--port", str(_free_port())])
    assert done.returncode == 1
    assert f"Databasens schema är {before}, programmet behöver {head}" in done.stderr


def test_the_scheduler_on_a_current_schema_starts_without_alembics_lines(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    engine.dispose()
    proc = _start(["--database", str(db), "scheduler"])
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Schemaläggaren körs" in line:
                break
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = "".join(lines) + rest + err
    assert "Schemaläggaren körs" in output
    assert "alembic" not in output, output


@pytest.mark.parametrize(
    "command",
    [
        ["person", "add", "chef@pitea.example", "--name", "Malin Westling", "--role", "chef"],
        ["plan", "list"],
        ["db", "backup", "kopia.db"],
        ["serve", "--workers", "1"],
    ],
)
def test_a_database_file_that_is_not_there_is_refused_and_not_made(
    tmp_path: Path, command: list[str]
) -> None:
    """As when a command is run without the service's settings: it would otherwise make an
    empty database of its own, and the person added there could never log in."""
    missing = tmp_path / "var" / "tracker.db"
    done = _run(["--database", str(missing), *command])
    assert done.returncode == 1
    assert f"Databasfilen {missing} finns inte." in done.stderr
    assert "'tracker init'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not missing.parent.exists()


def test_a_command_on_an_older_schema_says_what_to_run_and_a_backup_is_still_taken(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tracker.db"
    engine = make_engine(f"sqlite:///{db}")
    head, before = _revisions(engine)
    upgrade(engine, before)
    engine.dispose()
    done = _run(["--database", str(db), "plan", "list"])
    assert done.returncode == 1
    assert f"Databasens schema är {before}, programmet behöver {head}" in done.stderr
    assert "Traceback" not in done.stderr
    # The upgrade's own order (docs/deploy.md): a backup first, then the upgrade.
    assert _run(["--database", str(db), "db", "backup", str(tmp_path / "kopia.db")]).returncode == 0
    assert _run(["--database", str(db), "db", "upgrade"]).returncode == 0
    assert _run(["--database", str(db), "plan", "list"]).returncode == 0


def test_init_makes_the_database_where_none_was(tmp_path: Path) -> None:
    db = tmp_path / "ny" / "tracker.db"
    assert _run(["--database", str(db), "init"]).returncode == 0
    assert _run(["--database", str(db), "plan", "list"]).returncode == 0


def test_check_on_a_database_file_that_is_not_there_says_so_and_makes_nothing(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "var" / "tracker.db"
    done = _run(["--database", str(missing), "check"])
    assert done.returncode == 1
    assert f"databasfilen {missing} finns inte" in done.stdout + done.stderr
    assert not missing.parent.exists()


def test_a_database_upgraded_by_a_later_version_is_refused_with_how_to_go_back(
    db_url: str,
) -> None:
    """Gone back to this version without restoring the copy taken before the upgrade
    (docs/deploy.md): an upgrade cannot help, so no command says to run one, and the upgrade
    itself refuses in Swedish instead of ending in Alembic's traceback."""
    engine = make_engine(db_url)
    head, _ = _revisions(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        newer = f"Databasens schema är 9999, nyare än programmets {head}"
        for command in (["plan", "list"], ["db", "upgrade"], ["check"]):
            done = _run(["--database", db_url, *command])
            assert done.returncode == 1, command
            said = done.stdout + done.stderr
            assert newer in said or f"schemat är 9999, nyare än programmets {head}" in said
            assert "återställ säkerhetskopian" in said
            assert "kör 'tracker db upgrade'" not in said
            assert "Traceback" not in said
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                ("9999",)
            ]
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        engine.dispose()
