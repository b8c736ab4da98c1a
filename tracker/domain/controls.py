"""Internkontroll: how often a control is made ("Frekvens" as people write it) and when.

A nämnd's yearly control plan says of each kontrollmoment how often it is made: "varje
vecka", "månadsvis", "per tertial", "årligen i mars", "mars och oktober", "15 mars och 15
oktober". This module reads that text into a Frequency and turns a Frequency into the dates of
one year. "Löpande" and "vid behov" say no when, so they are refused with what to write instead.

Date rules:
- A control is due at the end of the period it covers: månadsvis on the last day of each
  month, kvartalsvis of March, June, September and December, per tertial of April, August and
  December, halvårsvis of June and December, årligen of December (or of the month given:
  "årligen i mars"). A named month ("mars och oktober") is due on its last day too.
- A weekly control ("varje vecka", "varannan vecka", "var fjärde vecka") is due at the end of
  its ISO week. The year's weeks are the ISO weeks of that year; "varannan" and the like count
  from week 1 (weeks 1, 3, 5, ...), starting again each year. The last week may end in January
  of the next year: its end counts as 31 December, since 1 January and the weekend after it
  are never working days, so the week stays in its year.
- A given day ("15 mars") recurs every year; a day with a year ("2025-03-15", "15 mars 2025")
  happens in that year only. A day the month lacks in some year (29 februari) is the month's
  last day that year.
- Every date is then moved back to the working day on or before it (WorkCalendar.on_or_before):
  a control is made before the day it is due, not after. A date that would move back into the
  year before (1 januari is always closed) moves forward instead, to the first working day of
  its year, so that a year's controls stay in that year.
- Two dates that land on the same working day are one occurrence.

Pure: no clock is read; the year or the day to count from is a parameter.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from notifications.swedish import MONTHS
from tracker.domain.workdays import WorkCalendar


class Cadence(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    TERTIAL = "tertial"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    # Named months and days: the months, days and dates of the Frequency say when.
    GIVEN = "given"


# The months whose end a periodic control is due at. A yearly control with a month given
# uses that month instead.
PERIOD_ENDS: dict[Cadence, tuple[int, ...]] = {
    Cadence.MONTHLY: tuple(range(1, 13)),
    Cadence.QUARTERLY: (3, 6, 9, 12),
    Cadence.TERTIAL: (4, 8, 12),
    Cadence.HALF_YEARLY: (6, 12),
    Cadence.YEARLY: (12,),
}


@dataclass(frozen=True)
class Frequency:
    """When a control is due. `months`: month ends; `days`: (month, day) every year;
    `dates`: days of one year only. A periodic cadence has none of them (its period ends say
    when), except a yearly control with its month or day given ("årligen i mars")."""

    cadence: Cadence
    months: tuple[int, ...] = ()
    days: tuple[tuple[int, int], ...] = ()
    dates: tuple[date, ...] = ()
    # A weekly cadence only: every how many weeks ("varannan vecka" is 2).
    every_weeks: int = 1


def _fold(text: str) -> str:
    """Lower case without accents and with single spaces: "Månadsvis" and "manadsvis" are
    the same word, as a file that lost its å, ä and ö on the way writes it."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split()).strip(" .")


_PHRASES: dict[Cadence, tuple[str, ...]] = {
    Cadence.WEEKLY: (
        "veckovis",
        "varje vecka",
        "per vecka",
        "en gång i veckan",
        "en gång per vecka",
        "1 gång per vecka",
        "1 gång i veckan",
    ),
    Cadence.MONTHLY: (
        "månadsvis",
        "varje månad",
        "månatligen",
        "per månad",
        "en gång per månad",
        "en gång i månaden",
        "1 gång per månad",
    ),
    Cadence.QUARTERLY: (
        "kvartalsvis",
        "varje kvartal",
        "per kvartal",
        "en gång per kvartal",
        "en gång i kvartalet",
        "1 gång per kvartal",
    ),
    Cadence.TERTIAL: (
        "per tertial",
        "tertialvis",
        "varje tertial",
        "en gång per tertial",
        "1 gång per tertial",
    ),
    Cadence.HALF_YEARLY: (
        "halvårsvis",
        "varje halvår",
        "per halvår",
        "två gånger per år",
        "två gånger om året",
        "2 gånger per år",
    ),
    Cadence.YEARLY: (
        "årligen",
        "en gång per år",
        "en gång om året",
        "1 gång per år",
        "årsvis",
        "varje år",
        "per år",
    ),
}
_CADENCE_BY_PHRASE: dict[str, Cadence] = {
    _fold(phrase): cadence for cadence, phrases in _PHRASES.items() for phrase in phrases
}
_YEARLY = "|".join(
    sorted((re.escape(_fold(p)) for p in _PHRASES[Cadence.YEARLY]), key=len, reverse=True)
)
# "årligen i mars", "en gång per år i mars", "årligen den 15 mars".
_YEARLY_IN = re.compile(rf"(?:{_YEARLY}),? (?:i|under|den|per) (?P<when>.+)")

_WHEN_AS_WRITTEN = re.compile(r".*\s(?:i|under|den|per)\s(?P<when>.+)", re.IGNORECASE | re.DOTALL)

_MONTH_NUMBERS: dict[str, int] = {_fold(name): i for i, name in enumerate(MONTHS, start=1)}
for _i, _short in enumerate(
    ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"), start=1
):
    _MONTH_NUMBERS.setdefault(_short, _i)
_MONTH_NUMBERS["sept"] = 9
_MONTH = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))
_MONTH_RE = re.compile(rf"(?:i |slutet av |utgången av )?(?P<m>{_MONTH})\.?")
_DAY_MONTH_RE = re.compile(rf"(?:den )?(?P<d>\d{{1,2}}):?e? (?P<m>{_MONTH})\.?(?: (?P<y>\d{{4}}))?")
_ISO_RE = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
# The separators of a list of months or days, in the text as written.
_SEPARATOR = re.compile(r"\s*(?:,|;|\bsamt\b|\boch\b|&)\s*", re.IGNORECASE)

# "varannan vecka", "var tredje vecka", "var 3:e vecka".
_ORDINALS: dict[str, int] = {
    "annan": 2,
    "andra": 2,
    "tredje": 3,
    "fjarde": 4,
    "femte": 5,
    "sjatte": 6,
    "sjunde": 7,
    "attonde": 8,
}
_EVERY_WEEKS = re.compile(r"var ?(?:(?P<word>[a-z]+)|(?P<n>\d{1,2})(?::?[ae])?) veckan?")
# Not a schedule: said of a control made when something happens, or all the time.
_NOT_A_SCHEDULE = re.compile(r"\b(?:fortlopande|lopande|kontinuerlig|kontinuerligt|vid behov)\b")

_EXAMPLES = (
    "Skriv till exempel varje vecka, varannan vecka, månadsvis, kvartalsvis, per tertial, "
    "halvårsvis, årligen, 'årligen i mars', 'mars och oktober' eller '15 mars och 15 oktober'."
)


def parse_frequency(text: str) -> Frequency:
    """ "Frekvens" as written -> Frequency. ValueError, in Swedish, naming what was not
    understood."""
    written = " ".join(text.split())
    folded = _fold(written)
    if not folded:
        raise ValueError("Frekvens saknas. " + _EXAMPLES)
    cadence = _CADENCE_BY_PHRASE.get(folded)
    if cadence is not None:
        return Frequency(cadence)
    if (weeks := _every_weeks(folded)) is not None:
        return Frequency(Cadence.WEEKLY, every_weeks=weeks)
    if _NOT_A_SCHEDULE.search(folded):
        raise ValueError(
            f"Frekvensen '{written}' är inget schema: skriv hur ofta kontrollen görs, till "
            "exempel månadsvis eller varje vecka, eller när den görs ('mars och oktober')."
        )
    yearly = _YEARLY_IN.fullmatch(folded)
    if yearly is not None:
        # The month as written, so that a message shows it with its å, ä and ö.
        as_written = _WHEN_AS_WRITTEN.fullmatch(written.strip(" ."))
        return _yearly_in(written, as_written["when"] if as_written else yearly["when"])
    return _given(written)


def _every_weeks(folded: str) -> int | None:
    """2 for "varannan vecka", 3 for "var tredje vecka" or "var 3:e vecka"; None for anything
    else. Once a week has its own phrases, so "var 1:a vecka" is not read."""
    m = _EVERY_WEEKS.fullmatch(folded)
    if m is None:
        return None
    weeks = _ORDINALS.get(m["word"]) if m["word"] else int(m["n"])
    # Beyond half a year the weeks no longer say how often: that is a month or a date.
    return weeks if weeks is not None and 2 <= weeks <= 26 else None


def _yearly_in(written: str, when: str) -> Frequency:
    """A yearly control at one given month or day: "årligen i mars"."""
    parts = [p for p in _SEPARATOR.split(when) if p]
    if len(parts) != 1:
        raise ValueError(
            f"'{written}': en årlig kontroll görs en gång; skriv månaderna utan 'årligen' "
            "('mars och oktober') om den görs flera gånger om året."
        )
    given = _given(when, written)
    return Frequency(Cadence.YEARLY, months=given.months, days=given.days, dates=given.dates)


def _given(written: str, whole: str | None = None) -> Frequency:
    """A list of months and days: "mars, juni och oktober", "15 mars och 15 oktober",
    "2025-03-15, 2025-10-15". `whole`: the frequency it is part of, for the message."""
    months: list[int] = []
    days: list[tuple[int, int]] = []
    dates: list[date] = []
    parts = [p for p in _SEPARATOR.split(written.strip(" .")) if p.strip()]
    if not parts:
        raise ValueError(f"Frekvensen '{written}' förstods inte. " + _EXAMPLES)
    for part in parts:
        folded = _fold(part)
        if m := _MONTH_RE.fullmatch(folded):
            months.append(_MONTH_NUMBERS[m["m"]])
        elif m := _DAY_MONTH_RE.fullmatch(folded):
            month, day = _MONTH_NUMBERS[m["m"]], int(m["d"])
            if m["y"]:
                dates.append(_exact(part, int(m["y"]), month, day))
            else:
                days.append(_recurring(part, month, day))
        elif m := _ISO_RE.fullmatch(folded):
            dates.append(_exact(part, int(m["y"]), int(m["m"]), int(m["d"])))
        else:
            shown = whole or written
            within = f" i '{shown}'" if part.strip() != shown.strip() else ""
            raise ValueError(
                f"Frekvensen förstods inte: '{part.strip()}'{within} är varken en frekvens, "
                "en månad eller ett datum. " + _EXAMPLES
            )
    return Frequency(
        Cadence.GIVEN,
        months=tuple(sorted(set(months))),
        days=tuple(sorted(set(days))),
        dates=tuple(sorted(set(dates))),
    )


def _exact(part: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"Frekvensen anger '{part.strip()}', ett datum som inte finns.") from None


def _recurring(part: str, month: int, day: int) -> tuple[int, int]:
    # 29 februari exists in leap years, and is the last day of February in the others.
    if not 1 <= day <= calendar.monthrange(2024, month)[1]:
        raise ValueError(f"Frekvensen anger '{part.strip()}', ett datum som inte finns.")
    return (month, day)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _working(d: date, cal: WorkCalendar) -> date:
    """The working day on or before `d`, kept within its year."""
    moved = cal.on_or_before(d)
    return moved if moved.year == d.year else cal.on_or_after(d)


def _week_ends(year: int, every_weeks: int) -> list[date]:
    """The Sunday of ISO weeks 1, 1 + every_weeks, ... of `year`, the last week's as 31
    December when it ends in January: its days there are 1 January and a weekend."""
    last_week = date(year, 12, 28).isocalendar().week
    return [
        min(date.fromisocalendar(year, week, 7), date(year, 12, 31))
        for week in range(1, last_week + 1, every_weeks)
    ]


def occurrences(frequency: Frequency, year: int, cal: WorkCalendar) -> list[date]:
    """The working days in `year` the control is due on, in order, each once."""
    if frequency.cadence is Cadence.WEEKLY:
        return sorted({_working(d, cal) for d in _week_ends(year, frequency.every_weeks)})
    given = frequency.months or frequency.days or frequency.dates
    months = frequency.months if given else PERIOD_ENDS.get(frequency.cadence, ())
    due = [_month_end(year, m) for m in months]
    for month, day in frequency.days:
        due.append(date(year, month, min(day, calendar.monthrange(year, month)[1])))
    due += [d for d in frequency.dates if d.year == year]
    return sorted({_working(d, cal) for d in due})


def opens_on(frequency: Frequency, due_on: date, lead: timedelta) -> date:
    """The day a control due on `due_on` is opened for its owner: `lead` before, but a weekly
    control not before the Monday of its week, so that the owner has this week's control
    open and not the next ones' too."""
    earliest = due_on - lead
    if frequency.cadence is Cadence.WEEKLY:
        return max(earliest, due_on - timedelta(days=due_on.weekday()))
    return earliest


def next_occurrence(frequency: Frequency, after: date, cal: WorkCalendar) -> date | None:
    """The first occurrence later than `after` (the day the last control was made, or
    yesterday); None when the frequency has only dates, all of them passed."""
    for year in (after.year, after.year + 1):
        for d in occurrences(frequency, year, cal):
            if d > after:
                return d
    later = [d for d in frequency.dates if d.year > after.year + 1]
    if later:
        return occurrences(frequency, min(later).year, cal)[0]
    return None
