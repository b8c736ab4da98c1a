from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from typer.testing import CliRunner

from tracker.cli import cli


@pytest.fixture
def smtp_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def _run(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, env=env)
    return result.exit_code, result.output


def test_check_passes_on_a_ready_installation(tmp_path: Path, smtp_port: int) -> None:
    db = str(tmp_path / "t.db")
    env = {"TRACKER_SECRET_KEY": "k" * 40, "TRACKER_SMTP_PORT": str(smtp_port)}
    assert _run(["--database", db, "init"], env)[0] == 0
    code, out = _run(["--database", db, "check"], env)
    assert code == 0, out
    assert out.count("OK") == 5
    assert "OK  Återrapport (PDF):" in out


def test_check_names_each_problem(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    env = {"TRACKER_SMTP_PORT": str(closed_port), "TRACKER_PUBLIC_BASE_URL": "intranat"}
    code, out = _run(["--database", str(tmp_path / "t.db"), "check"], env)
    assert code == 1
    assert "kör 'tracker db upgrade'" in out
    assert "Connection refused" in out
    assert "'intranat' är ingen http(s)-adress" in out
    # As `tracker serve` and deploy.md say it.
    assert (
        "FEL Hemlig nyckel: standardnyckeln används, och tracker serve startar inte med den när "
        "andra kan nå webben; sätt TRACKER_SECRET_KEY till minst 32 slumpade tecken, till "
        'exempel det som python3 -c "import secrets; print(secrets.token_urlsafe(48))" skriver ut'
    ) in out
