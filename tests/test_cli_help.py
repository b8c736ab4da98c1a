"""`tracker --help` and every command's help, and the parser's errors, are Swedish: Typer's and
Click's own words too. The commands are read from the app's own tree, so a new one is covered."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from tracker.cli import cli
from tracker.cli.swedish import SwedishGroup

ENGLISH = (
    "Usage:",
    "Show this message and exit",
    "Options",
    "Commands",
    "Arguments",
    "Error",
    "Missing argument",
    "Missing option",
    "No such option",
    "No such command",
    "Invalid value",
    "Did you mean",
    "Possible options",
    "Try '",
    "for help",
    "[default:",
    "[required]",
    "[OPTIONS]",
    "COMMAND [ARGS]",
    "<bool>",
    "<str>",
    "<int",
    "<path>",
    "Input should",
    "is not",
)
# Click's placeholders, as whole words ("FRITEXT" is Swedish).
PLACEHOLDERS = re.compile(r"\b(TEXT|INTEGER|BOOLEAN|FLOAT|PATH|FILENAME|DIRECTORY)\b")


def command_paths() -> Iterator[tuple[str, ...]]:
    root = typer.main.get_command(cli)

    def walk(command: object, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield path
        if isinstance(command, SwedishGroup):
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))

    return walk(root, ())


def tracker(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), prog_name="tracker")
    return result.exit_code, result.output


def english_in(text: str) -> list[str]:
    return [word for word in ENGLISH if word in text] + PLACEHOLDERS.findall(text)


def test_the_walk_finds_every_command_group_and_command() -> None:
    paths = set(command_paths())
    assert {("person",), ("person", "link"), ("plan", "import"), ("demo",)} <= paths
    assert len(paths) >= 30


@pytest.mark.parametrize("path", list(command_paths()), ids=" ".join)
def test_help_is_swedish(path: tuple[str, ...]) -> None:
    code, out = tracker(*path, "--help")
    assert code == 0, out
    assert out.startswith(f"Användning: tracker {' '.join(path)}".rstrip())
    assert "--help  " in out and "Visa den här hjälpen och avsluta." in out
    assert english_in(out) == [], out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["person", "link"], "Fel: Argumentet 'EPOST' saknas."),
        (["person", "link", "a@b.example", "--bogus"], "Fel: Det finns ingen flagga --bogus."),
        (
            ["action", "list", "--plan", "x"],
            "Fel: Ogiltigt värde för '--plan': ska vara ett heltal.",
        ),
        (["action", "list", "--plan", "0"], "Fel: Ogiltigt värde för '--plan': ska vara minst 1."),
        (["action", "list", "--plan"], "Fel: Flaggan --plan behöver ett värde."),
        (["action", "history", "1", "2"], "Fel: För många argument: 2."),
        (["persn"], "Fel: Det finns inget kommando 'persn'. Menade du 'person'?"),
        (["person", "add", "a@b.example", "--role", "kung"], "'kung' är ingen roll; välj ansvarig"),
        (["plan", "import", "finns-inte.csv"], "'finns-inte.csv' finns inte."),
        (["action", "assign", "1"], "Fel: Flaggan '--owner' saknas."),
    ],
)
def test_usage_errors_are_swedish(args: list[str], says: str) -> None:
    code, out = tracker(*args)
    assert code == 2, out
    assert says in out
    assert english_in(out) == [], out


def test_an_error_points_to_the_command_s_help_in_swedish() -> None:
    _, out = tracker("person", "link")
    assert out.startswith("Användning: tracker person link [FLAGGOR] EPOST\n")
    assert "Skriv 'tracker person link --help' för hjälp." in out


def test_a_group_without_a_command_shows_its_help() -> None:
    _, out = tracker("person")
    assert out.startswith("Användning: tracker person [FLAGGOR] KOMMANDO [ARGUMENT]...")
    assert "Kommandon:" in out and english_in(out) == []
