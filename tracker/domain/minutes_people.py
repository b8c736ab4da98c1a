"""Names in minutes: folding away accents and OCR damage, the participant list, and matching a
name as written ("Tony", "Lilas", "Bj6rn") against the people the product knows.

Matching never guesses: a name is matched only when exactly one person fits it. An exact
comparison of folded names comes first; only when nobody fits exactly is a name compared with
the OCR confusions below, letter by letter, so "Maria" never becomes "Marie" (a/e is no OCR
confusion) while "Sjéberg" does become "Sjöberg".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Letters that the OCR of a scanned Swedish page puts in place of another: (read, meant).
# Seen in the Helsingborg minutes: "6vergripande", "férvaltningen", "forutsittningar",
# "dndrade", "14ngsiktigt", "fr&n".
_OCR_PAIRS = frozenset(
    {
        ("6", "ö"),
        ("6", "o"),
        ("0", "o"),
        ("0", "ö"),
        ("é", "ö"),
        ("é", "å"),
        ("é", "ä"),
        ("i", "ä"),
        ("d", "ä"),
        ("1", "l"),
        ("4", "å"),
        ("&", "å"),
        ("&", "a"),
    }
)
_PARTY = re.compile(r"\s*\([^)]*\)")
# A name as minutes write one: capitalised words, "Ann-Christine", "Boman Hansson".
_NAME_WORD = r"[A-ZÅÄÖÉ][a-zåäöéüæøA-ZÅÄÖ]+(?:-[A-ZÅÄÖ][a-zåäöéüæø]+)?"
_FULL_NAME = re.compile(rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,3}}")
_PARTICIPANT_HEADER = re.compile(
    r"^\W*(?:övriga\s+)?(?:närvarande|deltagare|närvarolista|ledamöter)\b\s*[:|]?",
    re.IGNORECASE,
)
# Column headings and words that look like names in a participant table.
_NOT_NAMES = frozenset({"enligt bifogad", "ej tjänstgörande", "övriga närvarande"})


def _strip_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base[:1] if base else ch


def fold(text: str) -> str:
    """Lower case without accents, with the OCR's digits for letters read back: one character
    for each character, so a position in the folded text is the same in the original."""
    out = []
    for i, ch in enumerate(text):
        low = ch.lower()
        if low in "6014" and _between_letters(text, i):
            low = {"6": "o", "0": "o", "1": "l", "4": "a"}[low]
        elif low == "&" and _between_letters(text, i):
            low = "a"
        out.append(_strip_char(low))
    return "".join(out)


def _between_letters(text: str, i: int) -> bool:
    """A digit inside a word ("l6nesystem") or starting one ("6vergripande")."""
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return after.isalpha() and (before.isalpha() or not before.isalnum())


def clean_name(name: str) -> str:
    """A name without its party ("Hampe Klein (M)") or role in brackets, spaces collapsed."""
    return " ".join(_PARTY.sub("", name).split()).strip(" ,.:;")


@dataclass(frozen=True)
class Candidate:
    """Someone a name may refer to: the full name, and the e-mail when the product knows them."""

    name: str
    email: str


def participants(text: str) -> list[str]:
    """The full names in the minutes' own lists ("Närvarande", "Deltagare", "Närvarolista",
    "Övriga närvarande"), in order, each once."""
    lines = text.splitlines()
    found: list[str] = []
    for i, line in enumerate(lines):
        header = _PARTICIPANT_HEADER.match(line.strip())
        if not header:
            continue
        block = [line.strip()[header.end() :]]
        started = bool(block[0].strip(" |-"))
        for following in lines[i + 1 : i + 60]:
            content = following.strip().strip("|").replace("|", " ").strip(" -")
            if not content:
                if started and not following.strip().startswith("|"):
                    break
                continue
            if _PARTICIPANT_HEADER.match(following.strip()) and started:
                break
            started = True
            block.append(following.strip())
        # "Tony Mufic, Peter ..., Lolitha\nNilsson": a list with commas wraps its names; a
        # list without has a name a line.
        joined = (" " if any("," in b or "|" in b for b in block) else "\n").join(block)
        for chunk in re.split(r"[,|\n]", _PARTY.sub("", joined)):
            for m in _FULL_NAME.finditer(chunk):
                name = clean_name(m.group(0))
                if name.lower() in _NOT_NAMES or name in found:
                    continue
                found.append(name)
    return found


def _ocr_equal(written: str, meant: str) -> bool:
    """Letter by letter, equal after folding or an OCR confusion of one for the other."""
    if len(written) != len(meant):
        return False
    for w, m in zip(written.lower(), meant.lower(), strict=True):
        if fold(w) == fold(m) or (w, m) in _OCR_PAIRS:
            continue
        return False
    return True


def _folded_equal(a: str, b: str) -> bool:
    return fold(a) == fold(b)


def _forms(written: str) -> list[str]:
    """The name as written, and without a genitive s ("Lilas förslag" -> "Lila")."""
    name = clean_name(written)
    forms = [name]
    if name.endswith("s") and len(name) > 3 and " " not in name:
        forms.append(name[:-1])
    return forms


def _fits(written: str, full: str, compare: str) -> bool:
    """Does the written name (one word or more) name this full name?"""
    words = full.split()
    w_words = written.split()
    same = _folded_equal if compare == "exact" else _ocr_equal
    if len(w_words) == 1:
        # A first name, or a surname on its own.
        return same(written, words[0]) or (len(words) > 1 and same(written, words[-1]))
    if len(w_words) == len(words):
        return all(same(a, b) for a, b in zip(w_words, words, strict=True))
    # "Maria Boman" for "Maria Boman Hansson": the first name and the next names in order.
    return len(w_words) < len(words) and all(
        same(a, b) for a, b in zip(w_words, words, strict=False)
    )


def match_name(
    written: str, known: Sequence[Candidate], listed: Iterable[str]
) -> tuple[Candidate | None, str]:
    """The known person a name written in minutes refers to, and the full name it stands for.

    Returns (person, full name): the person is None when no known person fits it alone; the
    full name is "" when nobody, known or listed in the minutes, fits it alone. A name two
    people fit (two Marias) is matched to neither.
    """
    listed = list(listed)
    for compare in ("exact", "ocr"):
        for form in _forms(written):
            if not form:
                continue
            names = [n for n in listed if _fits(form, n, compare)]
            if len(names) > 1:
                return None, ""
            if len(names) == 1:
                # The minutes say who was there: the known person must be that one.
                full = names[0]
                people = [
                    k for k in known if fold(k.name) == fold(full) or _ocr_equal(full, k.name)
                ]
                return (people[0], people[0].name) if len(people) == 1 else (None, full)
            people = [k for k in known if _fits(form, k.name, compare)]
            if len(people) == 1:
                return people[0], people[0].name
            if len(people) > 1:
                return None, ""
    return None, ""
