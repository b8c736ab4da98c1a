"""API tokens made, listed and revoked, from the command line and the service, on SQLite and
PostgreSQL: the token is printed once and the database holds only its SHA-256."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select as core_select
from sqlmodel import SQLModel, select
from typer.testing import CliRunner

from tracker.app import App
from tracker.cli import cli
from tracker.errors import NotFound, Refused
from tracker.models import ApiToken, Person
from tracker.services import api_tokens, people

TOKEN = re.compile(r"^atp_[A-Za-z0-9_-]{43}$", re.MULTILINE)


def tracker(db_url: str, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--database", db_url, *args])
    assert result.exit_code == code, result.output
    return result.output


def everything_stored(app: App) -> str:
    """Every value of every table, as text: what a copy of the database gives away."""
    with app.engine.connect() as conn:
        return "\n".join(
            repr(tuple(row))
            for table in SQLModel.metadata.sorted_tables
            for row in conn.execute(core_select(table))
        )


@pytest.fixture
def forvaltningar(app: App, now: datetime) -> None:
    """The förvaltningar the tokens read: a token is made only for one that someone is in."""
    with app.transaction() as s:
        for forvaltning in ("BUN", "X"):
            people.ensure_person(
                s, f"{forvaltning.lower()}@pitea.example", now=now, forvaltning=forvaltning
            )


def test_a_token_for_a_forvaltning_no_one_is_in_is_refused_with_the_likely_one(
    app: App, db_url: str, forvaltningar: None
) -> None:
    out = tracker(db_url, "api-token", "create", "--namn", "BI", "--forvaltning", "bun", code=1)
    assert (
        "Förvaltningen 'bun' finns inte: ingen plan eller person hör till den. Menar du BUN?"
        in (out)
    )
    out = tracker(db_url, "api-token", "create", "--namn", "BI", "--forvaltning", "Kultur", code=1)
    assert "Förvaltningar: BUN, X." in out
    with app.transaction() as s:
        assert s.exec(select(ApiToken)).all() == []


def test_a_token_made_on_the_command_line_is_printed_once_and_stored_only_as_its_hash(
    app: App, db_url: str, forvaltningar: None
) -> None:
    out = tracker(db_url, "api-token", "create", "--namn", "Intranätet", "--forvaltning", "BUN")
    [secret] = TOKEN.findall(out)
    assert out.startswith("API-nyckel 1 (BUN):\n")
    assert "Spara nyckeln nu: den visas inte igen." in out
    with app.transaction() as s:
        token = s.exec(select(ApiToken)).one()
        assert (token.name, token.forvaltning, token.read_all) == ("Intranätet", "BUN", False)
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        reader = api_tokens.authenticate(s, secret, now=token.created_at)
    assert reader is not None and (reader.forvaltning, reader.role) == ("BUN", "board")
    stored = everything_stored(app)
    assert token.token_hash in stored
    assert secret not in stored and secret.removeprefix("atp_")[:16] not in stored
    if db_url.startswith("sqlite:///"):
        files = Path(db_url.removeprefix("sqlite:///")).parent.glob("*.db*")
        assert all(secret.encode() not in f.read_bytes() for f in files)
    listed = tracker(db_url, "api-token", "list")
    assert "Intranätet" in listed and "BUN" in listed and secret not in listed


def test_the_list_shows_scope_use_and_revocation_and_revoking_stops_the_token(
    app: App, db_url: str, now: datetime, forvaltningar: None
) -> None:
    every = TOKEN.findall(tracker(db_url, "api-token", "create", "--namn", "Statistik", "--alla"))
    one = TOKEN.findall(
        tracker(db_url, "api-token", "create", "--namn", "BI", "--forvaltning", "X")
    )
    with app.transaction() as s:
        assert api_tokens.authenticate(s, every[0], now=now) is not None
    assert (
        tracker(db_url, "api-token", "revoke", "1") == "API-nyckel 1 (Statistik) är återkallad.\n"
    )
    with app.transaction() as s:
        assert api_tokens.authenticate(s, every[0], now=now) is None
        assert api_tokens.authenticate(s, one[0], now=now) is not None
    lines = tracker(db_url, "api-token", "list").splitlines()
    assert lines[0].split() == [
        "Nr",
        "Namn",
        "Får",
        "läsa",
        "Skapad",
        "Senast",
        "använd",
        "Återkallad",
    ]
    # Live ones first.
    assert lines[1].split()[:3] == ["2", "BI", "X"]
    assert lines[2].split()[:4] == ["1", "Statistik", "Alla", "förvaltningar"]
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
    # Made, used (when authenticate ran, at `now`), and for the first one revoked.
    assert len(stamp.findall(lines[1])) == 2 and lines[1].endswith("–")
    assert len(stamp.findall(lines[2])) == 3
    assert now.astimezone(app.tz).strftime("%Y-%m-%d %H:%M") in lines[2]
    as_json = tracker(db_url, "api-token", "list", "--json")
    assert '"read_all": true' in as_json and every[0] not in as_json
    again = tracker(db_url, "api-token", "revoke", "1", code=1)
    assert "API-nyckeln ”Statistik” är redan återkallad." in again
    assert "Ingen API-nyckel med nummer 9." in tracker(db_url, "api-token", "revoke", "9", code=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--namn", "X"], "Ange antingen --forvaltning FÖRVALTNING eller --alla."),
        (["--namn", "X", "--forvaltning", "BUN", "--alla"], "Ange antingen --forvaltning"),
        (["--namn", "  ", "--alla"], "Ge nyckeln ett namn"),
        (["--namn", "x" * 101, "--alla"], "Namnet får vara högst 100 tecken."),
    ],
)
def test_a_token_needs_a_name_and_exactly_one_scope(
    app: App, db_url: str, args: list[str], message: str
) -> None:
    assert message in tracker(db_url, "api-token", "create", *args, code=1)
    with app.transaction() as s:
        assert s.exec(select(ApiToken)).all() == []


def test_the_service_refuses_what_the_table_could_not_hold(
    app: App, now: datetime, chef: Person, forvaltningar: None
) -> None:
    with app.transaction() as s:
        with pytest.raises(Refused, match="inte båda"):
            api_tokens.create_token(s, name="A", forvaltning="BUN", read_all=True, now=now)
        with pytest.raises(Refused, match="Välj vilken förvaltning"):
            api_tokens.create_token(s, name="A", forvaltning=" ", read_all=False, now=now)
        with pytest.raises(NotFound, match="Ingen API-nyckel med nummer 5"):
            api_tokens.revoke_token(s, 5, now=now)
        made = api_tokens.create_token(
            s, name="A\nB", forvaltning="BUN", read_all=False, now=now, created_by=chef
        )
    assert made.token.name == "A B"
    with app.transaction() as s:
        [row] = api_tokens.list_tokens(s)
    assert (row.created_by, row.scope) == ("Malin Westling", "BUN")


def test_a_token_of_another_kind_or_with_the_prefix_alone_reads_as_no_one(
    app: App, now: datetime
) -> None:
    with app.transaction() as s:
        secret = api_tokens.create_token(s, name="A", forvaltning="", read_all=True, now=now).secret
        assert api_tokens.authenticate(s, secret.removeprefix("atp_"), now=now) is None
        assert api_tokens.authenticate(s, "atp_", now=now) is None
        assert api_tokens.authenticate(s, secret + "x" * 300, now=now) is None
        reader = api_tokens.authenticate(s, secret, now=now)
    # Read-all: a reader of no single förvaltning, which tracker.domain.roles reads as all.
    assert reader is not None and reader.forvaltning == "" and reader.id is None
