"""Searching and sorting a plan's åtgärder (tracker.domain.listing): pure rules, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from tracker.domain.listing import Listed, arrange, swedish_key

BASE = Listed(
    text="Ta fram rutin för handläggning",
    owner_name="Anna Berg",
    owner_email="anna.berg@pitea.example",
    progress_note="Går enligt tidsplan.",
    area_title="Ekonomiskt bistånd",
    state_rank=1,
    state_label="Pågår",
    due_on=date(2018, 3, 31),
    evaluate_on=date(2018, 10, 31),
    progress_at=datetime(2018, 1, 10, 9, tzinfo=UTC),
    plan_order=(1, 1, 1),
)
OTHER = Listed(
    text="Stickprov varje kvartal",
    owner_name="Bo Lind",
    owner_email="bo.lind@pitea.example",
    progress_note="",
    area_title="Intern kontroll",
    state_rank=0,
    state_label="Ej påbörjat",
    due_on=None,
    evaluate_on=None,
    progress_at=None,
    plan_order=(2, 1, 2),
)


def found(query: str, *items: Listed) -> list[str]:
    return [i.text for i in arrange(items or (BASE, OTHER), lambda i: i, query=query)]


@pytest.mark.parametrize(
    "query",
    [
        "rutin",  # the åtgärd's text
        "anna berg",  # the owner's name
        "anna.berg@pitea",  # the owner's address
        "enligt tidsplan",  # the processläge
        "bistånd",  # the utvecklingsområde
        "RUTIN BISTÅND",  # words in different fields, any case
    ],
)
def test_a_search_finds_by_each_field(query: str) -> None:
    assert found(query) == [BASE.text]


@pytest.mark.parametrize(
    "query",
    [
        "Pågår",  # the state's label is a filter of its own, not searched
        "2018-03-31",  # nor the dates
        "rutin kvartal",  # every word must be found
        "pagar",  # å is a letter of its own, not an a
    ],
)
def test_a_search_finds_nothing_by_anything_else(query: str) -> None:
    assert found(query) == []


def test_a_search_ignores_how_a_letter_is_composed() -> None:
    decomposed = "bista\u030and"  # "å" typed as "a" and a combining ring
    assert found(decomposed) == [BASE.text]


def test_no_query_keeps_everything_in_plan_order() -> None:
    assert found("", OTHER, BASE) == [BASE.text, OTHER.text]


def items_for_sorting() -> list[Listed]:
    return [
        replace(BASE, text="a", owner_name="Örjan", due_on=date(2018, 5, 1), plan_order=(1, 1, 1)),
        replace(BASE, text="b", owner_name="Åsa", due_on=None, plan_order=(1, 2, 2)),
        replace(BASE, text="c", owner_name="Ärla", due_on=date(2018, 2, 1), plan_order=(2, 1, 3)),
        replace(BASE, text="d", owner_name="", due_on=date(2018, 5, 1), plan_order=(2, 2, 4)),
        replace(BASE, text="e", owner_name="Zara", due_on=date(2018, 3, 1), plan_order=(3, 1, 5)),
    ]


def order(sort: str, descending: bool = False) -> str:
    got = arrange(items_for_sorting(), lambda i: i, sort=sort, descending=descending)
    return "".join(i.text for i in got)


def test_sorting_by_a_date_puts_those_without_one_last_and_keeps_plan_order_in_ties() -> None:
    assert order("klart") == "ceadb"
    assert order("klart", descending=True) == "adecb"


def test_sorting_by_owner_follows_the_swedish_alphabet_with_no_owner_last() -> None:
    # Z, then Å, Ä, Ö: Unicode would put Ä before Å.
    assert order("ansvarig") == "ebca" + "d"
    assert order("ansvarig", descending=True) == "acbe" + "d"


def test_sorting_by_state_follows_the_workflow_not_the_alphabet() -> None:
    items = [
        replace(BASE, text="klar", state_rank=2, state_label="Klar", plan_order=(1, 1, 1)),
        replace(BASE, text="ej", state_rank=0, state_label="Ej påbörjat", plan_order=(1, 2, 2)),
        replace(BASE, text="pagar", state_rank=1, state_label="Pågår", plan_order=(1, 3, 3)),
    ]
    got = arrange(items, lambda i: i, sort="lage")
    assert [i.text for i in got] == ["ej", "pagar", "klar"]


def test_sorting_by_latest_processlage_and_evaluation_date() -> None:
    early = datetime(2018, 1, 2, tzinfo=UTC)
    late = datetime(2018, 1, 9, tzinfo=UTC)
    items = [
        replace(BASE, text="x", progress_at=late, evaluate_on=None, plan_order=(1, 1, 1)),
        replace(
            BASE, text="y", progress_at=None, evaluate_on=date(2018, 6, 1), plan_order=(1, 2, 2)
        ),
        replace(
            BASE, text="z", progress_at=early, evaluate_on=date(2018, 5, 1), plan_order=(1, 3, 3)
        ),
    ]
    by = lambda sort, desc=False: [  # noqa: E731
        i.text for i in arrange(items, lambda i: i, sort=sort, descending=desc)
    ]
    assert by("processlage") == ["z", "x", "y"]
    assert by("processlage", True) == ["x", "z", "y"]
    assert by("utvarderas") == ["z", "y", "x"]


def test_an_unknown_sort_is_plan_order() -> None:
    assert order("inte-en-kolumn") == "abcde"


def test_swedish_key_orders_a_before_z_before_a_ring_a_umlaut_o_umlaut() -> None:
    names = ["Östen", "Ärla", "Åsa", "Zara", "anna"]
    assert sorted(names, key=swedish_key) == ["anna", "Zara", "Åsa", "Ärla", "Östen"]
