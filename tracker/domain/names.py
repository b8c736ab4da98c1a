"""A person's name as typed: made safe to print in a page, a document or an e-mail."""

from __future__ import annotations

import unicodedata


def clean_name(text: str) -> str:
    """The name on one line: line breaks, tabs and other whitespace become one space, other
    control characters (NUL, ESC, DEL, …) go, and runs of spaces become one.

    A name is printed into the plain-text mail ("Hej Anna Berg!"); a line break in it would
    start a line of its own there, one that may look like a header ("Bcc: …").
    """
    kept = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) != "Cc")
    # str.split() breaks on every Unicode whitespace, CR, LF, tab and U+2028 included.
    return " ".join(kept.split())


def same_name(a: str, b: str) -> bool:
    """Whether two typed names name the same: "åsa öhman" is Åsa Öhman, not a new name."""
    return clean_name(a).casefold() == clean_name(b).casefold()
