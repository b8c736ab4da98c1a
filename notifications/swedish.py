"""Swedish month names and dates, independent of the process locale (which is often C)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)

WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")

SHORT_MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def month_name(month: int) -> str:
    return MONTHS[month - 1]


def month_year(d: date) -> str:
    """'mars 2018', as in "Klart till mars 2018"."""
    return f"{MONTHS[d.month - 1]} {d.year}"


def short_month_year(d: date) -> str:
    """'mar 2018': for chart labels where space is short."""
    return f"{SHORT_MONTHS[d.month - 1]} {d.year}"


def long_date(d: date) -> str:
    """'10 januari 2018'."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def weekday_date(d: date) -> str:
    """'lördag 12 december 2026'."""
    return f"{WEEKDAYS[d.weekday()]} {long_date(d)}"


def count(n: int, one: str, many: str) -> str:
    """'1 åtgärd', '15 åtgärder': the number with the word that agrees with it."""
    return f"{n} {one if n == 1 else many}"


def iso_date(d: date) -> str:
    """'2018-01-10': the form Swedish documents sign with."""
    return d.isoformat()


def either(words: Sequence[str]) -> str:
    """'”Starta” eller ”Slutför”', '”A”, ”B” eller ”C”': quoted choices as a sentence names
    them; "" for none."""
    quoted = [f"”{w}”" for w in words]
    if len(quoted) < 2:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} eller {quoted[-1]}"


def listing(words: Sequence[str], joined: str = "och") -> str:
    """'A', 'A och B', 'A, B och C': words as a sentence lists them; "" for none. `joined`
    "eller" where a negative or a choice is meant: "Inga åtgärder eller kontroller ännu"."""
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {joined} {words[-1]}"


def greeting(name: str, email: str, end: str = "!") -> str:
    """'Hej Anna Berg!', and 'Hej!' for someone known only by their address: a person added
    without a name is named by it until they get one, and a mail does not greet an
    address. `end`: what follows a name ('Hej Anna Berg,' in a digest)."""
    given = name.strip()
    if not given or given.casefold() == email.strip().casefold():
        return "Hej!"
    return f"Hej {given}{end}"
