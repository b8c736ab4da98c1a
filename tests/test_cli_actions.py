"""`tracker action assign|move|history` as the README's tour uses them."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

from tests.support import builders as b
from tracker.app import App
from tracker.cli import cli

DAY = date(2018, 1, 10)


def tracker(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--database", db_url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_history_says_what_happened_and_who_had_the_action_before(
    app: App, db_url: str
) -> None:
    anna = b.person(app, "anna.berg@pitea.example", "Anna Berg", now=b.at(DAY))
    _, area = b.plan(app, now=b.at(DAY))
    action = b.action(app, area, "Rutin", now=b.at(DAY), owner=anna, state="ej_paborjat")
    number = str(action.id)
    tracker(db_url, "action", "assign", number, "--owner", "bo.ek@pitea.example", "--name", "Bo Ek")
    tracker(db_url, "action", "move", number, "starta", "--as", "bo.ek@pitea.example")
    history = tracker(db_url, "action", "history", number)
    assert (
        "Ny ansvarig  Ej påbörjat  Ej påbörjat  Ansvarig ändrad från Anna Berg "
        "<anna.berg@pitea.example> till Bo Ek <bo.ek@pitea.example>\n"
    ) in history
    assert "Startad      Ej påbörjat  Pågår" in history
