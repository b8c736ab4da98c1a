"""Searching and sorting a plan's åtgärder as the plan page lists them: pure rules on plain
values, so the page, a test and any later list agree on what matches and in what order."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Listed:
    """What the rules read of one åtgärd."""

    text: str
    owner_name: str
    owner_email: str
    progress_note: str
    area_title: str
    # The state's place in its workflow (ej påbörjat first), and its label for ties.
    state_rank: int
    state_label: str
    due_on: date | None
    evaluate_on: date | None
    progress_at: datetime | None
    # Where it stands in the plan: area position, position in the area, id.
    plan_order: tuple[int, int, int]

    def searched(self) -> tuple[str, ...]:
        """The fields a search looks in; nothing else (not the tidsplan, not the state)."""
        return (self.text, self.owner_name, self.owner_email, self.progress_note, self.area_title)


# The sort choices: query value -> the Swedish label of the column.
SORTS: dict[str, str] = {
    "klart": "Klart till",
    "utvarderas": "Utvärderas",
    "lage": "Läge",
    "ansvarig": "Ansvarig",
    "processlage": "Senaste processläge",
}
DESCENDING = "fallande"


def fold(text: str) -> str:
    """Text as searches compare it: case and Unicode composition ignored (an "å" typed as
    "a" plus a ring is the same letter), but å, ä and ö stay letters of their own."""
    return unicodedata.normalize("NFC", text).casefold()


def search_terms(query: str) -> tuple[str, ...]:
    return tuple(fold(word) for word in query.split())


def matches(terms: Sequence[str], item: Listed) -> bool:
    """Every word of the query is found in one of the searched fields (not necessarily the
    same one): "Anna rutin" finds Anna's åtgärd about a rutin."""
    haystack = [fold(field) for field in item.searched()]
    return all(any(term in field for field in haystack) for term in terms)


# Swedish alphabetical order: å, ä, ö come after z, in that order (Unicode puts ä before å).
_SWEDISH = str.maketrans({"å": "z\U0010fff1", "ä": "z\U0010fff2", "ö": "z\U0010fff3"})


def swedish_key(text: str) -> str:
    return fold(text).translate(_SWEDISH)


# Each gives a comparable value, or None for an item without one.
_Key = Callable[[Listed], Any]
_KEYS: dict[str, _Key] = {
    "klart": lambda i: i.due_on,
    "utvarderas": lambda i: i.evaluate_on,
    "lage": lambda i: (i.state_rank, swedish_key(i.state_label)),
    "ansvarig": lambda i: swedish_key(i.owner_name) if i.owner_name else None,
    "processlage": lambda i: i.progress_at,
}


def arrange(
    items: Sequence[T],
    fields: Callable[[T], Listed],
    *,
    query: str = "",
    sort: str = "",
    descending: bool = False,
) -> list[T]:
    """The items that match the query, in the chosen column's order (plan order when none or
    an unknown one is chosen). An item without a value in the column (no date, no owner)
    comes last either way; equal ones keep their plan order."""
    terms = search_terms(query)
    kept = [(fields(item), item) for item in items]
    if terms:
        kept = [(f, item) for f, item in kept if matches(terms, f)]
    kept.sort(key=lambda pair: pair[0].plan_order)
    key = _KEYS.get(sort)
    if key is not None:
        with_value = [pair for pair in kept if key(pair[0]) is not None]
        without = [pair for pair in kept if key(pair[0]) is None]
        # A stable sort on plan-ordered items: ties keep plan order, descending too.
        with_value.sort(key=lambda pair: key(pair[0]), reverse=descending)
        kept = with_value + without
    return [item for _, item in kept]
