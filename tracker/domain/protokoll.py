"""Decisions drafted from a protokoll, as the chef reviews them: kept or dropped, merged,
given an owner; and the rule that nothing unclear becomes an åtgärd. Pure: plain values in,
plain values out (the drafts themselves come from tracker.domain.minutes)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from tracker.domain.minutes import DraftDecision
from tracker.errors import Refused

# Limits on what a review form carries: more drafts than this is not one meeting's minutes.
MAX_DRAFTS = 200
WHAT_LIMIT = 2000
REPORTS_TO_LIMIT = 200
BODY_LIMIT = 200
TITLE_LIMIT = 300
# The longest protokoll text kept, in characters (a long protokoll is some 100 000).
TEXT_LIMIT = 1_000_000

# The fields a refusal can be tied to, per draft: "owner-3", "what-3", "due_on-3".
OWNER_FIELD = "owner"
# An owner not yet registered, given by name and address instead of from the list.
OWNER_NAME_FIELD = "owner_name"
OWNER_EMAIL_FIELD = "owner_email"
WHAT_FIELD = "what"
DUE_FIELD = "due_on"
BODY_FIELD = "body"
TITLE_FIELD = "title"
DATE_FIELD = "meeting_on"
SOURCE_FIELD = "file"


@dataclass(frozen=True)
class Draft:
    """One decision under review: what the minutes said (who, quote, item) and what the chef
    made of it (owner, text, date, kept or not)."""

    # Who, as the minutes write it, and whether the extractor matched a known person.
    who: str
    who_email: str
    who_flagged: bool
    what: str
    due_on: date | None
    due_text: str
    reports_to: str
    quote: str
    item: str
    # The person chosen as owner (an id of a person the page offers), None when none is.
    owner_id: int | None = None
    keep: bool = True


class DraftRefused(Refused):
    """A draft that cannot become an åtgärd as it stands, tied to its field on the page."""

    def __init__(self, message: str, *, field: str, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.index = index

    @property
    def field_id(self) -> str:
        return self.field if self.index is None else f"{self.field}-{self.index}"


def from_decision(decision: DraftDecision, owner_id: int | None) -> Draft:
    return Draft(
        who=decision.who,
        who_email=decision.who_email,
        who_flagged=decision.who_flagged,
        what=decision.what,
        due_on=decision.due_on,
        due_text=decision.due_text,
        reports_to=decision.reports_to,
        quote=decision.quote,
        item=decision.item,
        owner_id=owner_id,
    )


def drafts_to_json(drafts: Sequence[Draft]) -> str:
    rows = []
    for d in drafts:
        row = asdict(d)
        row["due_on"] = d.due_on.isoformat() if d.due_on else None
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False)


def drafts_from_json(text: str) -> list[Draft]:
    rows: list[dict[str, Any]] = json.loads(text or "[]")
    drafts = []
    for row in rows:
        due = row.get("due_on")
        drafts.append(Draft(**{**row, "due_on": date.fromisoformat(due) if due else None}))
    return drafts


def merge(first: Draft, second: Draft) -> Draft:
    """`second` folded into `first`: both texts and quotes, the first's owner and date unless
    it has none, both items when they differ. Kept if either was."""
    items = [i for i in dict.fromkeys([first.item, second.item]) if i]
    return replace(
        first,
        what=" ".join(t for t in (first.what.strip(), second.what.strip()) if t),
        quote="\n".join(q for q in (first.quote, second.quote) if q),
        item=", ".join(items),
        owner_id=first.owner_id if first.owner_id is not None else second.owner_id,
        due_on=first.due_on or second.due_on,
        due_text=first.due_text or second.due_text,
        reports_to=first.reports_to or second.reports_to,
        who=first.who or second.who,
        keep=first.keep or second.keep,
    )


def apply_merges(drafts: Sequence[Draft], merge_into_previous: set[int]) -> list[Draft]:
    """The drafts with each one whose index is in `merge_into_previous` folded into the one
    before it (after that one's own merge); the first has nothing before it."""
    result: list[Draft] = []
    for i, draft in enumerate(drafts):
        if i in merge_into_previous and result:
            result[-1] = merge(result[-1], draft)
        else:
            result.append(draft)
    return result


def check_kept(drafts: Sequence[Draft]) -> list[Draft]:
    """The drafts to become åtgärder: those kept. Refused when none is, or when one kept has
    no text or no owner (an unknown name must be given an owner, or the draft dropped)."""
    kept = [(i, d) for i, d in enumerate(drafts) if d.keep]
    if not kept:
        raise DraftRefused(
            "Behåll minst ett beslut, eller lämna sidan om inget ska bli en åtgärd.",
            field="keep",
            index=0,
        )
    for i, d in kept:
        if not d.what.strip():
            raise DraftRefused(
                f"Beslut {i + 1}: skriv vad som ska göras, eller ta inte med beslutet.",
                field=WHAT_FIELD,
                index=i,
            )
        if d.owner_id is None:
            named = f" (protokollet skriver ”{d.who}”)" if d.who else ""
            raise DraftRefused(
                f"Beslut {i + 1}: okänd ansvarig{named} – välj ansvarig i listan, eller ta "
                "inte med beslutet.",
                field=OWNER_FIELD,
                index=i,
            )
    return [d for _, d in kept]


def item_label(item: str) -> str:
    """How an item is named in a sentence: "§ 45" as it is, a bare number as "punkt 3"."""
    text = item.strip()
    if not text:
        return ""
    return text if text.startswith("§") else f"punkt {text}"


def source_line(body: str, meeting_on: date, item: str | None) -> str:
    """ "Från protokoll Ledningsgruppen 2021-02-09, punkt 3"."""
    where = f"Från protokoll {body} {meeting_on.isoformat()}"
    label = item_label(item or "")
    return f"{where}, {label}" if label else where


def plan_title(body: str, meeting_on: date) -> str:
    """The plan a body's decisions of a year are gathered in: "Ledningsgruppen 2021"."""
    return f"{body.strip()} {meeting_on.year}"


def default_title(body: str, meeting_on: date) -> str:
    return f"{body.strip()} {meeting_on.isoformat()}"
