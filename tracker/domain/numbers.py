"""A whole number as a form, a file or a package writes it: ASCII digits and nothing else."""

from __future__ import annotations


def plain_int(text: str, max_digits: int) -> int | None:
    """`text` as a number when it is 1 to `max_digits` ASCII digits; None for anything else.

    str.isdigit alone is no such check: it also takes "²", "①" and other digits that int()
    refuses with a ValueError, which a form or an uploaded file must never cause. The length
    bounds what int() is asked to convert and keeps the number within a database column."""
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None
