"""`tracker serve` with a secret key anyone can know (the default, printed in the source, or a
short one): it serves this machine only, and refuses to start, saying what to set, when others
can reach it, whatever TRACKER_ENVIRONMENT says. Run as the real command, on a migrated
database, so that a server that does not refuse starts and the test fails on the timeout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.web.test_serve_workers import _free_port, _get, _serving, _wait_for_port
from tracker.db import make_engine
from tracker.migrate import upgrade

# Long enough for the command to import and refuse on a busy machine.
TIMEOUT_S = 60
ADVICE = (
    "sätt TRACKER_SECRET_KEY till minst 32 slumpade tecken, till exempel det som "
    'python3 -c "import secrets; print(secrets.token_urlsafe(48))" skriver ut.'
)


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database serve would start on: its schema is the code's."""
    url = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'tracker.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _serve(tmp_path: Path, db_url: str, env: dict[str, str], *options: str) -> tuple[int, str]:
    """`tracker serve` with only `env` for settings: its exit status and what it printed."""
    log_path = tmp_path / "serve.log"
    args = ["--database", db_url, "serve", "--port", str(_free_port()), *options]
    with _serving(args, log_path, {"TRACKER_CONFIG": "", **env}) as proc:
        code = proc.wait(timeout=TIMEOUT_S)
    return code, log_path.read_text()


@pytest.mark.parametrize(
    ("env", "options", "says"),
    [
        (
            {},
            ["--host", "0.0.0.0"],
            "Webbappen startar inte med standardnyckeln när andra kan nå den "
            f"(den lyssnar på 0.0.0.0): {ADVICE}",
        ),
        (
            {"TRACKER_PUBLIC_BASE_URL": "https://atgarder.kommun.example"},
            [],
            "Webbappen startar inte med standardnyckeln när andra kan nå den "
            f"(den publika adressen är https://atgarder.kommun.example): {ADVICE}",
        ),
        (
            {"TRACKER_SECRET_KEY": "kort-nyckel-21-tecken", "TRACKER_ENVIRONMENT": "demo"},
            ["--host", "::"],
            "Webbappen startar inte med en hemlig nyckel på bara 21 tecken när andra kan nå "
            f"den (den lyssnar på ::): {ADVICE}",
        ),
    ],
    ids=["bound-to-every-address", "public-address", "short-key-bound-to-every-ipv6-address"],
)
def test_a_key_anyone_can_know_is_refused_when_others_can_reach_the_server(
    tmp_path: Path, db_url: str, env: dict[str, str], options: list[str], says: str
) -> None:
    code, out = _serve(tmp_path, db_url, env, *options)
    assert code == 1, out
    assert out.strip() == says


def test_the_default_key_serves_this_machine_as_the_developers_run_it(
    tmp_path: Path, db_url: str
) -> None:
    port = _free_port()
    env = {"TRACKER_CONFIG": "", "TRACKER_PUBLIC_BASE_URL": f"http://localhost:{port}"}
    log_path = tmp_path / "serve.log"
    args = ["--database", db_url, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with _serving([*args, "--workers", "1"], log_path, env) as proc:
        _wait_for_port(proc, port, log_path)
        assert _get(port, "/logga-in")[0] == 200


STRONG = "asgi-test-" + "n" * 40


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {"TRACKER_PUBLIC_BASE_URL": "https://atgarder.kommun.example"},
            "Webbappen startar inte med standardnyckeln när andra kan nå den "
            f"(den publika adressen är https://atgarder.kommun.example): {ADVICE}",
        ),
        (
            {"TRACKER_SECRET_KEY": "kort-nyckel-21-tecken"},
            "Webbappen startar inte med en hemlig nyckel på bara 21 tecken när andra kan nå "
            "den (adressen den lyssnar på bestäms av servern som startar den, till exempel "
            f"gunicorn): {ADVICE}",
        ),
        (
            {"TRACKER_SERVE_HOST": "0.0.0.0"},
            "Webbappen startar inte med standardnyckeln när andra kan nå den "
            f"(den lyssnar på 0.0.0.0): {ADVICE}",
        ),
    ],
    ids=["public-address", "bound-by-gunicorn", "worker-of-serve-on-every-address"],
)
def test_the_app_gunicorn_builds_refuses_a_known_key_by_the_same_rule_as_serve(
    db_url: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str
) -> None:
    """`tracker.web.asgi:app_from_env()`, which gunicorn calls in each worker: the worker does
    not boot, and gunicorn stops with the sentence in its log."""
    from config import SettingsError
    from tracker.web.asgi import app_from_env

    for name in [n for n in os.environ if n.startswith("TRACKER_")]:
        monkeypatch.delenv(name)
    for name, value in {"TRACKER_CONFIG": "", "TRACKER_DATABASE_URL": db_url, **env}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        app_from_env()
    assert str(refused.value) == says


@pytest.mark.parametrize(
    "env",
    [
        {
            "TRACKER_SECRET_KEY": STRONG,
            "TRACKER_PUBLIC_BASE_URL": "https://atgarder.kommun.example",
        },
        # A worker of `tracker serve --workers 2` on this machine only, as developers run it.
        {"TRACKER_SERVE_HOST": "127.0.0.1"},
    ],
    ids=["own-key-behind-a-proxy", "default-key-on-loopback"],
)
def test_the_app_gunicorn_builds_starts_with_an_own_key_or_on_this_machine_only(
    db_url: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    from tracker.web.asgi import app_from_env

    for name in [n for n in os.environ if n.startswith("TRACKER_")]:
        monkeypatch.delenv(name)
    for name, value in {"TRACKER_CONFIG": "", "TRACKER_DATABASE_URL": db_url, **env}.items():
        monkeypatch.setenv(name, value)
    assert app_from_env().title


def test_the_app_gunicorn_builds_refuses_a_schema_older_than_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `tracker serve` and `tracker scheduler` do (deploy.md, Uppgradering): started
    before `tracker db upgrade`, the worker does not boot and says what to run."""
    from tracker.errors import TrackerError
    from tracker.migrate import downgrade, revisions
    from tracker.web.asgi import app_from_env

    url = f"sqlite:///{tmp_path / 'gammal.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _, head = revisions(engine)
    downgrade(engine, "-1")
    current, _ = revisions(engine)
    engine.dispose()
    for name in [n for n in os.environ if n.startswith("TRACKER_")]:
        monkeypatch.delenv(name)
    env = {"TRACKER_CONFIG": "", "TRACKER_DATABASE_URL": url, "TRACKER_SECRET_KEY": STRONG}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(TrackerError) as refused:
        app_from_env()
    assert refused.value.message == (
        f"Databasens schema är {current}, programmet behöver {head}: kör 'tracker db upgrade' "
        "(med tjänstens miljö) innan webben, schemaläggaren och kommandona används."
    )
