"""A throwaway PostgreSQL cluster in a temporary directory, on a loopback port.

Used when TRACKER_TEST_POSTGRES_URL is not given. initdb refuses to run as root, so as root
the cluster runs as the `postgres` system user (created by Debian's package).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PostgresServer:
    url: str
    datadir: Path
    bindir: Path
    runas: list[str]

    def stop(self) -> None:
        subprocess.run(
            [
                *self.runas,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-m",
                "immediate",
                "stop",
            ],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def find_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(bindir: Path, runas: list[str], root: Path, datadir: Path) -> int:
    """Start the cluster on a free port; the port it listens on. A port found free can be
    taken before the server binds it (two test processes start theirs at once): then again
    on another."""
    for attempt in range(3):
        port = _free_port()
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        started = subprocess.run(
            [
                *runas,
                str(bindir / "pg_ctl"),
                "-D",
                str(datadir),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ],
            capture_output=True,
        )
        if started.returncode == 0:
            return port
        if attempt == 2:
            started.check_returncode()
    raise AssertionError("unreachable")


def start_postgres() -> PostgresServer:
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    root = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
    datadir = root / "data"
    runas: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        runas = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *runas,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
        ],
        check=True,
        capture_output=True,
    )
    port = _start(bindir, runas, root, datadir)
    subprocess.run(
        [
            *runas,
            str(bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "tracker",
        ],
        check=True,
        capture_output=True,
    )
    return PostgresServer(
        url=f"postgresql://postgres@127.0.0.1:{port}/tracker",
        datadir=datadir,
        bindir=bindir,
        runas=runas,
    )
