"""`tracker absence add`, `list` and `remove`, as the README describes them."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from tests.support import builders as b
from tests.test_cli_plans import tracker
from tracker.app import App
from tracker.models import Person, Role

TODAY = datetime(2018, 6, 1, 9, 0, tzinfo=UTC)


def add(db_url: str, email: str, first: str, *, code: int = 0) -> str:
    return tracker(
        db_url,
        "absence",
        "add",
        email,
        "--deputy",
        "dana@pitea.example",
        "--from",
        first,
        "--to",
        "2018-07-27",
        code=code,
    )


@time_machine.travel(TODAY, tick=False)
def test_absences_are_added_listed_and_removed_from_the_command_line(
    app: App, db_url: str, chef: Person
) -> None:
    b.person(app, "dana@pitea.example", "Dana Ersättare", now=TODAY, role=Role.chef)
    b.person(app, "bo.ek@pitea.example", "Bo Ek", now=TODAY)
    assert "Ingen frånvaro är inlagd." in tracker(db_url, "absence", "list")
    out = add(db_url, chef.email, "2018-07-02")
    assert "Malin Westling är borta 2018-07-02–2018-07-27; Dana Ersättare är ersättare." in out
    listed = tracker(db_url, "absence", "list")
    assert "Malin Westling <malin.westling@pitea.example>" in listed
    assert "2018-07-02" in listed and "2018-07-27" in listed

    assert "Bo Ek leder inga planer" in add(db_url, "bo.ek@pitea.example", "2018-07-02", code=1)
    assert "--from: skriv datumet som ÅÅÅÅ-MM-DD" in add(db_url, chef.email, "2 juli", code=1)

    number = out.split(":", 1)[0].removeprefix("Frånvaro ").strip()
    assert "är borttagen." in tracker(db_url, "absence", "remove", number)
    assert "Ingen frånvaro är inlagd." in tracker(db_url, "absence", "list")
    assert "Ingen frånvaro med nummer" in tracker(db_url, "absence", "remove", number, code=1)
