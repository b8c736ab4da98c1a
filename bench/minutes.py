"""Decisions drafted from minutes: recall and precision against a careful secretary's list.

For each seed minutes file in tests/data/minutes/ there is `<name>.expected.json`: the
decisions a careful secretary would list from reading the minutes (written by hand, before
the extractor was tuned), each with its item, who (as the minutes write it, "" when they name
nobody to do it), a short what, and the due phrase.

Matching rule. An expected decision is found when one extracted draft has
- the same item ("§ 7:2", "5"; compared as written),
- the same who, compared folded (case, accents and OCR digits ignored, a party mark such as
  "(M)" left out), "" matching only "",
- and an overlapping what: at least one content word in common, words compared folded by
  their first five letters, words shorter than four letters and a short list of function
  words left out.
Each draft counts for at most one expected decision (matched in order, first fit wins).
Recall is found / expected; precision is drafts that found one / drafts.

Held-out split, by file: the extractor's phrasings were tuned while looking at the
Helsingborg and Österåker files; the Östhammar file is the held-out one, and its figures are
printed apart.

Usage: python bench/minutes.py [--verbose]   (prints misses and extra drafts with -v)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.domain.minutes import DraftDecision, extract_decisions, read_minutes  # noqa: E402
from tracker.domain.minutes_people import clean_name, fold  # noqa: E402

DATA = ROOT / "tests" / "data" / "minutes"
TUNED_ON = ("helsingborg-ledningsgrupp-2021-02-09-ocr", "osteraker-kspu-protokoll-2020-05-13")
HELD_OUT = ("osthammar-central-ledningsgrupp-2017",)
_FUNCTION_WORDS = frozenset(
    {"till", "efter", "inom", "enligt", "under", "samt", "eller", "som", "med", "att", "for"}
)


@dataclass(frozen=True)
class Expected:
    item: str
    who: str
    what: str
    due_text: str


@dataclass(frozen=True)
class Score:
    expected: int
    drafts: int
    found: int
    right_drafts: int

    def __add__(self, other: Score) -> Score:
        return Score(
            self.expected + other.expected,
            self.drafts + other.drafts,
            self.found + other.found,
            self.right_drafts + other.right_drafts,
        )

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.right_drafts / self.drafts if self.drafts else 1.0


def content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", fold(text))
    return {w[:5] for w in words if len(w) >= 4 and w not in _FUNCTION_WORDS}


def same_who(a: str, b: str) -> bool:
    return fold(clean_name(a)) == fold(clean_name(b))


def fits(expected: Expected, draft: DraftDecision) -> bool:
    return (
        expected.item == draft.item
        and same_who(expected.who, draft.who)
        and bool(content_words(expected.what) & content_words(draft.what))
    )


def match(
    expected: Sequence[Expected], drafts: Sequence[DraftDecision]
) -> tuple[list[Expected], list[DraftDecision]]:
    """The expected decisions not found, and the drafts that found none."""
    unused = list(drafts)
    missed = []
    for e in expected:
        hit = next((d for d in unused if fits(e, d)), None)
        if hit is None:
            missed.append(e)
        else:
            unused.remove(hit)
    return missed, unused


def load(name: str) -> tuple[list[Expected], list[DraftDecision]]:
    spec = json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))
    meeting = date.fromisoformat(spec["meeting_on"]) if spec["meeting_on"] else None
    expected = [
        Expected(d["item"], d["who"], d["what"], d.get("due_text", "")) for d in spec["decisions"]
    ]
    text = read_minutes((DATA / f"{name}.txt").read_bytes(), f"{name}.txt")
    return expected, extract_decisions(text, known=[], meeting_on=meeting)


def score(name: str, verbose: bool = False) -> Score:
    expected, drafts = load(name)
    missed, extra = match(expected, drafts)
    if verbose:
        for e in missed:
            print(f"    missed  [{e.item}] {e.who or '-'}: {e.what}")
        for d in extra:
            print(f"    extra   [{d.item}] {d.who or '-'}: {d.what[:90]}")
    return Score(len(expected), len(drafts), len(expected) - len(missed), len(drafts) - len(extra))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    print(f"{'file':45} {'expected':>8} {'drafts':>6} {'recall':>7} {'precision':>9}")
    totals: dict[str, Score] = {}
    for group, names in (("tuned on", TUNED_ON), ("held out", HELD_OUT)):
        for name in names:
            s = score(name, args.verbose)
            print(f"{name:45} {s.expected:8} {s.drafts:6} {s.recall:7.2f} {s.precision:9.2f}")
            totals[group] = totals.get(group, Score(0, 0, 0, 0)) + s
    totals["overall"] = totals["tuned on"] + totals["held out"]
    print()
    for group, s in totals.items():
        print(f"{group:45} {s.expected:8} {s.drafts:6} {s.recall:7.2f} {s.precision:9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
