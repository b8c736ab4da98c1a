from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
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
    (tmp_path / "t.db").touch()  # a database without schema (a missing one is refused)
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


# --- each SMTP problem named in Swedish with the setting to look at, against real servers ---


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A server context with a certificate no CA vouches for, as an internal relay has."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def _password_is(expected: str) -> Any:
    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password.decode() == expected
        # handled=False: aiosmtpd then answers 535 itself.
        return AuthResult(success=ok, handled=False)

    return authenticate


@pytest.mark.parametrize(
    ("server", "settings", "says"),
    [
        (
            "none",
            {},
            "ingen e-postserver tar emot anslutningar på 127.0.0.1:{port} (…): "
            "kontrollera smtp_host och smtp_port och att servern är igång",
        ),
        (
            "login",
            {"TRACKER_SMTP_USER": "atgardsplan", "TRACKER_SMTP_PASSWORD": "fel"},
            "servern godtog inte inloggningen som 'atgardsplan' (…): "
            "kontrollera smtp_user och TRACKER_SMTP_PASSWORD",
        ),
        (
            "plain",
            {"TRACKER_SMTP_USER": "atgardsplan", "TRACKER_SMTP_PASSWORD": "hemligt"},
            "servern erbjuder ingen inloggning (SMTP AUTH extension not supported by server.): "
            'med smtp_user satt krävs oftast smtp_security = "starttls" (port 587) eller "tls" '
            "(port 465); lämna smtp_user tomt för en relä utan inloggning",
        ),
        (
            "plain",
            {"TRACKER_SMTP_SECURITY": "tls"},
            "krypteringen (TLS) kunde inte sättas upp (…): "
            'smtp_security = "tls" kräver en port där servern talar TLS direkt (oftast 465); '
            'för port 587 används "starttls"',
        ),
        (
            "starttls",
            {"TRACKER_SMTP_SECURITY": "starttls"},
            "serverns certifikat godtas inte (self-signed certificate): certifikatet ska vara "
            "utfärdat för 127.0.0.1 av en utfärdare som datorn litar på. Lägg kommunens "
            "CA-certifikat i systemets förtroendelager (/usr/local/share/ca-certificates och "
            "update-ca-certificates) eller ange filen med SSL_CERT_FILE i tjänstens miljö",
        ),
    ],
    ids=["nothing-listens", "wrong-password", "no-auth-offered", "tls-on-a-plain-port", "ca"],
)
def test_check_says_what_is_wrong_with_the_mail_server_and_what_to_set(
    tmp_path: Path, server: str, settings: dict[str, str], says: str
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    options: dict[str, Any] = {}
    if server == "login":
        options = {"authenticator": _password_is("hemligt"), "auth_require_tls": False}
    elif server == "starttls":
        options = {"tls_context": _self_signed(tmp_path), "require_starttls": True}
    controller = (
        None if server == "none" else Controller(Sink(), hostname="127.0.0.1", port=port, **options)
    )
    if controller is not None:
        controller.start()
    try:
        env = {"TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": str(port), **settings}
        code, out = _run(["--database", str(tmp_path / "t.db"), "check"], env)
    finally:
        if controller is not None:
            controller.stop()
    assert code == 1
    mode = settings.get("TRACKER_SMTP_SECURITY", "none")
    # "…": the library's own words (OpenSSL's, the server's), which the sentence quotes.
    line = f"FEL E-post (SMTP): 127.0.0.1:{port} ({mode}): {says.format(port=port)}"
    assert re.search("^" + re.escape(line).replace("…", ".+?") + "$", out, re.MULTILINE), out


def test_check_says_which_database_it_cannot_reach_and_what_to_look_at() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    url = f"postgresql://tracker:hemligt@127.0.0.1:{closed_port}/tracker"
    code, out = _run(["--database", url, "check"], {})
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith("FEL Databas"))
    # The password is not printed; the driver's sentence says what failed.
    assert line.startswith(
        "FEL Databas: kan inte ansluta till "
        f"postgresql+psycopg://tracker:***@127.0.0.1:{closed_port}/tracker (connection failed: "
    )
    assert "Connection refused" in line
    assert line.endswith(
        "): kontrollera TRACKER_DATABASE_URL (värd, port, databas, användare och lösenord) och "
        "att databasservern är igång"
    )


def test_check_names_a_misspelt_variable_that_nothing_reads(tmp_path: Path, smtp_port: int) -> None:
    db = str(tmp_path / "t.db")
    env = {
        "TRACKER_SECRET_KEY": "k" * 40,
        "TRACKER_SMTP_PORT": str(smtp_port),
        "TRACKER_SMTP_PASSWROD": "hemligt",
    }
    assert _run(["--database", db, "init"], env)[0] == 0
    code, out = _run(["--database", db, "check"], env)
    assert code == 1
    assert (
        "FEL Miljö: TRACKER_SMTP_PASSWROD är ingen inställning och läses inte (menade du "
        "TRACKER_SMTP_PASSWORD?): rätta namnet i tjänstens miljö (/etc/tracker/env) eller ta "
        "bort variabeln\n"
    ) in out


def test_check_without_the_services_environment_says_so_instead_of_advising_an_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run as root in a home directory, without tracker-admin: the default SQLite file there
    has no schema, and 'tracker db upgrade' would make a second database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    code, out = _run(["check"], {"TRACKER_CONFIG": ""})
    assert code == 1
    assert (
        "FEL Databas: sqlite:///var/tracker.db är standarddatabasen i katalogen du står i: "
        "varken en inställningsfil eller TRACKER_DATABASE_URL lästes. Kör kommandot som "
        "tjänsten, med dess miljö (tracker-admin i docs/deploy.md)\n"
    ) in out
    assert "tracker db upgrade" not in out
