"""Reading form values a person typed: Swedish messages for what cannot be used."""

from __future__ import annotations

from datetime import date

from tracker.errors import Refused

# The page for a form that is missing a field or has one in the wrong format.
INCOMPLETE_TITLE = "Formuläret är inte komplett"
INCOMPLETE_MESSAGE = "Formuläret saknar en uppgift eller har fel format. Ingenting ändrades."


def parse_date(value: str, label: str) -> date | None:
    """An optional ÅÅÅÅ-MM-DD date (what <input type="date"> sends)."""
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused(f"{label}: skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2018-03-31.") from None


def required(value: str, label: str) -> str:
    text = value.strip()
    if not text:
        raise Refused(f"{label} måste fyllas i.")
    return text


def optional_int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None
