"""Decisions from a protokoll under review: merging, the rule that a kept decision needs an
owner, how its source is named, who may draft them, and `tracker protokoll list`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from tracker.app import App
from tracker.cli import cli
from tracker.domain.protokoll import (
    Draft,
    DraftRefused,
    apply_merges,
    check_kept,
    drafts_from_json,
    drafts_to_json,
    source_line,
)
from tracker.domain.roles import Role, may_draft_from_minutes
from tracker.models import Action, Person
from tracker.services import protokoll

EDUCATION = "Utbildningsförvaltningen"


def draft(what: str, *, item: str = "5", owner_id: int | None = 1, who: str = "") -> Draft:
    return Draft(
        who=who,
        who_email="",
        who_flagged=bool(who) and owner_id is None,
        what=what,
        due_on=None,
        due_text="",
        reports_to="",
        quote=f"”{what}”",
        item=item,
        owner_id=owner_id,
    )


def test_a_merged_draft_keeps_both_texts_and_quotes_and_the_first_owner() -> None:
    first = draft("Läsa kvalitetsrapporten", owner_id=None, who="Alla i LG")
    second = replace_due(draft("Lägga in frågeställningar", item="6", owner_id=7))
    third = draft("Ta fram filmer", item="6")
    merged = apply_merges([first, second, third], {1})
    assert len(merged) == 2 and merged[1] == third
    one = merged[0]
    assert one.what == "Läsa kvalitetsrapporten Lägga in frågeställningar"
    assert one.quote == "”Läsa kvalitetsrapporten”\n”Lägga in frågeställningar”"
    assert (one.item, one.owner_id, one.due_on, one.who) == (
        "5, 6",
        7,
        date(2021, 3, 23),
        "Alla i LG",
    )
    # The first draft has nothing before it to be merged with.
    assert apply_merges([first, second], {0}) == [first, second]


def replace_due(d: Draft) -> Draft:
    return Draft(**{**d.__dict__, "due_on": date(2021, 3, 23)})


def test_a_kept_draft_needs_an_owner_and_a_text_and_a_dropped_one_nothing() -> None:
    named = draft("Läsa kvalitetsrapporten", owner_id=None, who="Alla i LG")
    with pytest.raises(DraftRefused) as refused:
        check_kept([draft("Stämma av frågan"), named])
    assert refused.value.message.startswith(
        "Beslut 2: okänd ansvarig (protokollet skriver ”Alla i LG”)"
    )
    assert refused.value.field_id == "owner-1"
    with pytest.raises(DraftRefused) as empty:
        check_kept([draft("  ")])
    assert empty.value.field_id == "what-0"
    dropped = Draft(**{**named.__dict__, "keep": False})
    assert check_kept([draft("Stämma av frågan"), dropped]) == [draft("Stämma av frågan")]
    with pytest.raises(DraftRefused, match="Behåll minst ett beslut"):
        check_kept([dropped])


def test_drafts_survive_being_stored_as_json() -> None:
    drafts = [replace_due(draft("Stämma av frågan med Daniel")), draft("Ta fram filmer")]
    assert drafts_from_json(drafts_to_json(drafts)) == drafts


def test_the_source_names_a_paragraph_as_written_and_a_bare_number_as_a_punkt() -> None:
    day = date(2021, 2, 9)
    assert (
        source_line("Ledningsgruppen", day, "3")
        == "Från protokoll Ledningsgruppen 2021-02-09, punkt 3"
    )
    assert source_line("KSPU", day, "§ 7:2") == "Från protokoll KSPU 2021-02-09, § 7:2"
    assert source_line("Ledningsgruppen", day, None) == "Från protokoll Ledningsgruppen 2021-02-09"


@dataclass(frozen=True)
class P:
    id: int | None
    role: str
    forvaltning: str = ""


@pytest.mark.parametrize(
    ("person", "forvaltning", "allowed"),
    [
        (P(1, Role.admin), EDUCATION, True),
        (P(2, Role.chef, EDUCATION), EDUCATION, True),
        (P(2, Role.chef, EDUCATION), None, True),
        (P(3, Role.chef, "Kultur- och fritidsförvaltningen"), EDUCATION, False),
        (P(4, Role.chef), EDUCATION, True),
        (P(5, Role.board, EDUCATION), EDUCATION, False),
        (P(5, Role.board, EDUCATION), None, False),
        (P(6, Role.owner, EDUCATION), None, False),
    ],
)
def test_chefs_and_admins_draft_decisions_of_their_own_forvaltning(
    person: P, forvaltning: str | None, allowed: bool
) -> None:
    assert may_draft_from_minutes(person, forvaltning) is allowed


def test_protokoll_list_shows_each_with_its_drafts_and_state(
    app: App, db_url: str, now: datetime, chef: Person
) -> None:
    with app.transaction() as s:
        protokoll.save_protokoll(
            s,
            forvaltning=EDUCATION,
            body="Ledningsgruppen",
            meeting_on=date(2021, 2, 9),
            title="Ledningsgruppen 2021-02-09",
            text="…",
            filename="lg.txt",
            drafts=[draft("Stämma av frågan"), draft("Ta fram filmer")],
            now=now,
            actor=chef,
        )
    result = CliRunner().invoke(cli, ["--database", db_url, "protokoll", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["Nr", "Datum", "Organ", "Rubrik", "Förvaltning", "Beslut", "Läge"]
    assert lines[1].split() == [
        "1", "2021-02-09", "Ledningsgruppen", "Ledningsgruppen", "2021-02-09",
        "Utbildningsförvaltningen", "2", "Att", "granska",
    ]  # fmt: skip


def _stored(app: App, chef: Person, now: datetime) -> int:
    """A protokoll under review with two drafts, both the chef's: its id."""
    with app.transaction() as s:
        row = protokoll.save_protokoll(
            s,
            forvaltning=EDUCATION,
            body="Ledningsgruppen",
            meeting_on=date(2021, 2, 9),
            title="Ledningsgruppen 2021-02-09",
            text="…",
            filename="lg.txt",
            drafts=[
                draft("Stämma av frågan", owner_id=chef.id),
                draft("Ta fram filmer", owner_id=chef.id),
            ],
            now=now,
            actor=chef,
        )
        assert row.id is not None
        return row.id


def _state(app: App, protokoll_id: int) -> tuple[list[str], int, datetime | None, int]:
    """The saved drafts' texts, the version, the confirmation and the number of åtgärder."""
    with app.transaction() as s:
        row = protokoll.get_protokoll(s, protokoll_id)
        texts = [d.what for d in protokoll.drafts_of(row)]
        return texts, row.version, row.confirmed_at, len(s.exec(select(Action)).all())


def test_a_save_from_a_page_loaded_before_someone_elses_save_is_refused_and_changes_nothing(
    app: App, now: datetime, chef: Person
) -> None:
    protokoll_id = _stored(app, chef, now)
    with app.transaction() as s:
        row = protokoll.get_protokoll(s, protokoll_id)
        first = [replace(d, what=f"Först: {d.what}") for d in protokoll.drafts_of(row)]
        protokoll.save_drafts(s, row, first, seen=1)
    saved = (["Först: Stämma av frågan", "Först: Ta fram filmer"], 2, None, 0)
    assert _state(app, protokoll_id) == saved
    # A page showing version 1 is stale now.
    with app.transaction() as s, pytest.raises(protokoll.DraftsChanged) as refused:
        row = protokoll.get_protokoll(s, protokoll_id)
        protokoll.save_drafts(s, row, [draft("Sen", owner_id=chef.id)] * 2, seen=1)
    assert refused.value.message == protokoll.DRAFTS_CHANGED
    assert _state(app, protokoll_id) == saved
    # Both read version 2 before either wrote: the second write matches no row.
    with app.transaction() as late, pytest.raises(protokoll.DraftsChanged):
        stale = protokoll.get_protokoll(late, protokoll_id)
        with app.transaction() as early:
            row = protokoll.get_protokoll(early, protokoll_id)
            protokoll.save_drafts(early, row, [draft("Tidig", owner_id=chef.id)] * 2, seen=2)
        protokoll.save_drafts(late, stale, [draft("Sen", owner_id=chef.id)] * 2, seen=2)
    assert _state(app, protokoll_id) == (["Tidig", "Tidig"], 3, None, 0)


def test_a_confirmation_from_a_page_loaded_before_someone_elses_save_creates_nothing(
    app: App, now: datetime, chef: Person
) -> None:
    protokoll_id = _stored(app, chef, now)
    with app.transaction() as s:
        row = protokoll.get_protokoll(s, protokoll_id)
        protokoll.save_drafts(s, row, [draft("Ändrad", owner_id=chef.id)] * 2, seen=1)
    with app.transaction() as s, pytest.raises(protokoll.DraftsChanged):
        row = protokoll.get_protokoll(s, protokoll_id)
        kept = [draft("Från den gamla sidan", owner_id=chef.id)]
        protokoll.confirm(s, app.registry, app.settings, row, kept, seen=1, now=now, actor=chef)
    assert _state(app, protokoll_id) == (["Ändrad", "Ändrad"], 2, None, 0)
    # Read at version 2 by both; a save lands first, so the confirmation creates nothing.
    with app.transaction() as late, pytest.raises(protokoll.DraftsChanged):
        stale = protokoll.get_protokoll(late, protokoll_id)
        with app.transaction() as early:
            row = protokoll.get_protokoll(early, protokoll_id)
            protokoll.save_drafts(early, row, [draft("Sparad", owner_id=chef.id)] * 2, seen=2)
        kept = [draft("Från den gamla sidan", owner_id=chef.id)]
        protokoll.confirm(
            late, app.registry, app.settings, stale, kept, seen=2, now=now, actor=chef
        )
    assert _state(app, protokoll_id) == (["Sparad", "Sparad"], 3, None, 0)
    # At the saved version it confirms; a second confirmation of that version, read before
    # the first was written, is told it was confirmed and creates nothing more.
    kept = [draft("Sparad", owner_id=chef.id)] * 2
    with app.transaction() as late, pytest.raises(protokoll.AlreadyConfirmed):
        stale = protokoll.get_protokoll(late, protokoll_id)
        with app.transaction() as early:
            row = protokoll.get_protokoll(early, protokoll_id)
            protokoll.confirm(
                early, app.registry, app.settings, row, kept, seen=3, now=now, actor=chef
            )
        protokoll.confirm(
            late, app.registry, app.settings, stale, kept, seen=3, now=now, actor=chef
        )
    assert _state(app, protokoll_id) == (["Sparad", "Sparad"], 4, now, 2)


def test_a_decision_may_go_to_everyone_the_people_page_lists_for_the_forvaltning(
    app: App, now: datetime, chef: Person
) -> None:
    from tests.support import builders as b
    from tracker.services import directory

    # Karin's förvaltning was never filled in; she is of it by her åtgärd in its plan.
    karin = b.person(app, "karin.lind@pitea.example", "Karin Lind", now=now, forvaltning="")
    b.person(app, "sara.berg@pitea.example", "Sara Berg", now=now, forvaltning=EDUCATION)
    b.person(app, "olle.ek@pitea.example", "Olle Ek", now=now, forvaltning="Kulturförvaltningen")
    _, area = b.plan(app, now=now, forvaltning=EDUCATION)
    b.action(app, area, "Se över elevpengen", now=now, owner=karin)
    with app.transaction() as s:
        choices = [p.email for p in protokoll.owner_choices(s, EDUCATION)]
        listed = [p.email for p in directory.visible_people(s, chef, EDUCATION)]
    assert choices == [
        "karin.lind@pitea.example",
        "malin.westling@pitea.example",
        "sara.berg@pitea.example",
    ]
    assert sorted(choices) == sorted(listed)
