"""`tracker person ...` and `tracker serve`'s refusals, against a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from config import load_settings
from tests.support.schema import create_schema
from tests.web.helpers import form_to, path_of, text_of
from tracker.app import bootstrap
from tracker.cli import cli
from tracker.db import make_engine
from tracker.errors import Refused
from tracker.models import Person
from tracker.web.main import create_app

NOW = datetime(2018, 1, 10, 9, 0, tzinfo=UTC)
ENV = {"TRACKER_SECRET_KEY": "cli-test-" + "k" * 40, "TRACKER_PUBLIC_BASE_URL": "http://testserver"}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "cli.db")
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()
    with time_machine.travel(NOW, tick=False):
        yield path


def run(db: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--database", db, *args], env={**ENV, **(env or {})})
    return result.exit_code, result.output


def web_client(db: str) -> TestClient:
    settings = load_settings(
        database_url=f"sqlite:///{db}",
        secret_key=ENV["TRACKER_SECRET_KEY"],
        public_base_url="http://testserver",
    )
    return TestClient(create_app(bootstrap(settings), clock=lambda: NOW))


def test_person_add_and_login_link_let_a_chef_in(db: str) -> None:
    code, out = run(
        db,
        "person",
        "add",
        "Malin.Westling@pitea.example",
        "--name",
        "Malin Westling",
        "--role",
        "chef",
        "--forvaltning",
        "Utbildningsförvaltningen",
    )
    assert code == 0, out
    assert "Malin Westling <malin.westling@pitea.example>: Chef, Utbildningsförvaltningen." in out
    code, url = run(db, "person", "login-link", "malin.westling@pitea.example")
    assert code == 0, url
    assert url.startswith("http://testserver/logga-in/")
    with web_client(db) as client:
        form = form_to(client.get(path_of(url.strip())).text, "/logga-in/")
        assert client.post(form.action, data=form.data()).url.path == "/start"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("ansvarig", "Ansvarig"), ("Nämnd", "Nämnd (läsare)"), ("administratör", "Administratör")],
)
def test_a_role_is_taken_as_the_pages_name_it(db: str, typed: str, shown: str) -> None:
    code, out = run(db, "person", "add", "anna.berg@pitea.example", "--role", typed)
    assert code == 0, out
    assert f"anna.berg@pitea.example>: {shown}." in out


def test_an_unknown_role_is_refused_with_the_roles_in_swedish(db: str) -> None:
    code, out = run(db, "person", "add", "anna.berg@pitea.example", "--role", "rektor")
    assert code != 0
    assert "'rektor' är ingen roll; välj ansvarig, chef, nämnd eller administratör." in out


def test_adding_a_known_address_again_keeps_the_name_and_person_set_renames(db: str) -> None:
    run(db, "person", "add", "anna.berg@pitea.example", "--name", "Anna Berg")
    code, out = run(db, "person", "add", "anna.berg@pitea.example", "--name", "Annika Bergström")
    assert code == 0, out
    assert "Anna Berg <anna.berg@pitea.example>: Ansvarig." in out
    assert (
        "Namnet Annika Bergström som skrevs in användes inte, eftersom anna.berg@pitea.example "
        "redan hör till Anna Berg. Ändra namnet med tracker person set anna.berg@pitea.example "
        "--name NAMN."
    ) in out
    code, out = run(db, "person", "set", "anna.berg@pitea.example", "--name", "Anna  Bergström")
    assert code == 0, out
    assert "anna.berg@pitea.example heter nu Anna Bergström (tidigare Anna Berg)." in out
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        [anna] = s.exec(select(Person)).all()
    engine.dispose()
    assert anna.name == "Anna Bergström"


def test_moving_a_chef_to_another_forvaltning_keeps_the_role(db: str) -> None:
    run(db, "person", "add", "sara@pitea.example", "--role", "chef", "--forvaltning", "Social")
    code, out = run(db, "person", "add", "sara@pitea.example", "--forvaltning", "Kultur")
    assert code == 0, out
    assert "sara@pitea.example>: Chef, Kultur." in out
    code, out = run(db, "person", "add", "sara@pitea.example", "--role", "nämnd")
    assert code == 0, out
    assert "sara@pitea.example>: Nämnd (läsare), Kultur." in out


def test_revoke_links_refuses_earlier_links_and_new_ones_work(db: str) -> None:
    run(db, "person", "add", "anna.berg@pitea.example", "--name", "Anna Berg")
    code, old = run(db, "person", "link", "anna.berg@pitea.example")
    assert code == 0
    with web_client(db) as client:
        assert client.get(path_of(old.strip())).status_code == 200
        code, out = run(db, "person", "revoke-links", "anna.berg@pitea.example")
        assert code == 0
        assert "återkallade" in out
        page = client.get(path_of(old.strip()))
        assert page.status_code == 403
        assert "Länken har återkallats." in text_of(page.text)
        _, new = run(db, "person", "link", "anna.berg@pitea.example")
        assert client.get(path_of(new.strip())).status_code == 200


def test_an_owner_gets_no_login_link(db: str) -> None:
    run(db, "person", "add", "anna.berg@pitea.example")
    code, out = run(db, "person", "login-link", "anna.berg@pitea.example")
    assert code == 1
    assert "ansvarig utan inloggning" in out
    code, out = run(db, "person", "link", "anna.berg@pitea.example", "--action", "1")
    assert code == 1


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"TRACKER_SECRET_KEY": "byt-mig-utvecklingsnyckel"}, "standardnyckeln"),
        ({"TRACKER_DEV_MAIL_RECEIVER": "true"}, "utvecklingsmottagaren"),
    ],
)
def test_serve_refuses_unsafe_production_settings(db: str, env: dict[str, str], says: str) -> None:
    code, out = run(db, "serve", env={"TRACKER_ENVIRONMENT": "production", **env})
    assert code == 1
    assert "Produktionsläge vägrar starta" in out
    assert says in out


def test_person_set_turns_a_chefs_daily_summary_on_and_off(db: str) -> None:
    run(db, "person", "add", "malin.westling@pitea.example", "--role", "chef")

    def chosen() -> bool:
        engine = make_engine(f"sqlite:///{db}")
        with Session(engine) as s:
            person = s.exec(select(Person)).one()
        engine.dispose()
        return person.daily_summary

    code, out = run(db, "person", "set", "malin.westling@pitea.example", "--daily-summary")
    assert code == 0, out
    assert "Dagssammanfattning för malin.westling@pitea.example: på." in out
    assert chosen()
    code, out = run(db, "person", "set", "malin.westling@pitea.example", "--no-daily-summary")
    assert code == 0, out
    assert "av." in out
    assert not chosen()


def test_person_set_refuses_a_daily_summary_for_an_owner(db: str) -> None:
    run(db, "person", "add", "anna.berg@pitea.example", "--name", "Anna Berg")
    args = ["--database", db, "person", "set", "anna.berg@pitea.example", "--daily-summary"]
    result = CliRunner().invoke(cli, args, env=ENV)
    # The command's entry point prints a TrackerError's message and exits with 1.
    assert isinstance(result.exception, Refused)
    assert "dagssammanfattningen är för dem som leder planer" in result.exception.message


def test_a_new_person_in_a_known_forvaltning_spelled_otherwise_is_refused(db: str) -> None:
    """As on the web: the new person would belong to none of its plans, which are matched by
    the förvaltning's exact name."""
    run(db, "person", "add", "anna@pitea.example", "--forvaltning", "Utbildningsförvaltningen")
    typed = ["person", "add", "bo@pitea.example", "--forvaltning", "utbildningsförvaltningen"]
    result = CliRunner().invoke(cli, ["--database", db, *typed], env=ENV)
    assert isinstance(result.exception, Refused)
    assert "Menar du Utbildningsförvaltningen?" in result.exception.message
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        assert s.exec(select(Person).where(Person.email == "bo@pitea.example")).first() is None
    engine.dispose()
