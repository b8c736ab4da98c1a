"""Tidsplan as people write it: "Klart till mars 2018. Utvärderas oktober 2018."

The text is kept as written (it goes into the återrapport); the dates are read out of it where
that can be done without guessing:

- a month means its last day ("mars 2018" -> 2018-03-31),
- våren / vårterminen / vt means 30 June, hösten / höstterminen / ht means 31 December,
- a quarter means its last day ("första kvartalet 2018" -> 2018-03-31),
- a range ends at its end ("hösten 2017 – hösten 2020" -> 2020-12-31),
- an ISO date is itself, also with a time after it ("2018-03-31T12:00:00" -> 2018-03-31),
- every date lies between FIRST_YEAR and LAST_YEAR; another year is reported, not read.

A date belongs to the nearest keyword before it in the same sentence: "utvärderas" gives the
evaluation date, "klart", "pågår", "implementeras" and friends (or no keyword) the due date,
"inleds"/"från och med" a start date (not stored). What cannot be read is reported in Swedish
in `problems` and the date is left empty: two due dates, a season without a year, "sommaren
2018". Problems are lower-case phrases without a final full stop, so a caller can prefix them
("Rad 7, kolumn Tidsplan: ...").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Literal

from notifications.swedish import MONTHS

Kind = Literal["due", "evaluate", "start"]


_MONTHS: dict[str, int] = {name: i for i, name in enumerate(MONTHS, start=1)}
_MONTHS.update(
    {
        "jan": 1,
        "feb": 2,
        "mar": 3,
        "apr": 4,
        "jun": 6,
        "jul": 7,
        "aug": 8,
        "sep": 9,
        "sept": 9,
        "okt": 10,
        "nov": 11,
        "dec": 12,
    }
)
# Longest first, so "mars" is not read as "mar" + "s".
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_SPRING = ("våren", "vårterminen", "vt")
_AUTUMN = ("hösten", "höstterminen", "ht")
_SEASON = "|".join(sorted(_SPRING + _AUTUMN, key=len, reverse=True))
_QUARTER_WORDS = {"första": 1, "andra": 2, "tredje": 3, "fjärde": 4}

# The time of day some programs write after an ISO date ("2018-03-31T12:00:00", perhaps with
# fractions of a second or a zone): the date is the one written, the time is left out.
_TIME = r"(?:T\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"

_DATE_RE = re.compile(
    rf"""
    (?P<iso>\b(?P<iso_y>\d{{4}})-(?P<iso_m>\d{{1,2}})-(?P<iso_d>\d{{1,2}}){_TIME}\b)
    | (?P<dmy>\b(?P<dmy_d>\d{{1,2}})\s+(?P<dmy_m>{_MONTH})\.?\s+(?P<dmy_y>\d{{4}})\b)
    | (?P<mm>\b(?P<mm_from>{_MONTH})\.?\s*[–—-]\s*(?P<mm_m>{_MONTH})\.?\s+(?P<mm_y>\d{{4}})\b)
    | (?P<my>\b(?P<my_m>{_MONTH})\.?\s*(?:(?P<my_y>\d{{4}})|['’-]\s?(?P<my_yy>\d{{2}}))\b)
    | (?P<season>\b(?P<season_w>{_SEASON})\s*[-'’]?\s*(?P<season_y>\d{{4}}|\d{{2}})\b)
    | (?P<quarter>\b(?:(?P<q_word>första|andra|tredje|fjärde)\s+kvartalet
                      |kvartal\s+(?P<q_num>[1-4])
                      |q(?P<q_short>[1-4]))\s*(?P<q_y>\d{{4}})\b)
    | (?P<ym>\b(?P<ym_y>\d{{4}})-(?P<ym_m>\d{{2}})\b(?!-\d))
    """,
    re.IGNORECASE | re.VERBOSE,
)

_KEYWORD_RE = re.compile(
    r"""
    (?P<evaluate>\butvärder\w*)
    | (?P<start>\b(?:inleds|påbörjas|startar|start|från\s+och\s+med|fr\.\s?o\.\s?m\.))
    | (?P<due>\b(?:klar\w*|senast|färdig\w*|slutför\w*|avslutas|implementer\w*|genomför\w*
                 |pågår|levereras|tas\s+fram)\b)
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Between two dates, these make a range: "hösten 2017 – hösten 2020", "mars 2018 till juni 2018".
_RANGE_GAP_RE = re.compile(r"^\s*(?:[–—-]|till|t\.\s?o\.\s?m\.?|tom)\s*$", re.IGNORECASE)
# A sentence ends at a full stop followed by a capital letter, at ';', or at a line break.
# ("t.o.m. juni" is not a sentence end.)
_SENTENCE_END_RE = re.compile(r"\.\s+(?=[A-ZÅÄÖ])|;|\n")
# Dates that need none: "utvärderas löpande".
_ONGOING_RE = re.compile(
    r"\b(?:löpande|kontinuerligt|fortlöpande|återkommande|årligen|terminsvis|varje\s+\w+)\b",
    re.IGNORECASE,
)
# Left over after the dates are taken out: something that looks like a date but was not read.
_STRAY_YEAR_RE = re.compile(r"(?:(?P<pre>[\w/.]+)\s+)?\b(?P<year>(?:19|20)\d{2}\b(?:[-/]\d+)*)")
# Words before a bare year that are not part of a date: "klart 2018", "under 2018".
_FILLER_RE = re.compile(r"^(?:till|i|under|år|året|inom|före|efter|t\.?o\.?m\.?)$", re.I)
_STRAY_WORD_RE = re.compile(
    rf"\b(?:{'|'.join(MONTHS)}|{'|'.join(_SPRING[:2] + _AUTUMN[:2])})\b", re.IGNORECASE
)
_KIND_WORDS: dict[Kind, str] = {"due": "klart", "evaluate": "utvärdering", "start": "start"}
# Every date the product takes lies in these years (a plan's dates, a meeting's, a measured
# value's, a plan's year): outside them it is a typing error ("1018", "2108") or a
# spreadsheet's zero date (1899-12-30), and a deadline counted back from it could fall
# before year 1.
FIRST_YEAR = 2000
LAST_YEAR = 2100


@dataclass
class Tidsplan:
    """The text as written, and what could be read from it."""

    text: str
    due_on: date | None = None
    evaluate_on: date | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class DateValue:
    """One date read from a dedicated date column ("Klart till", "Utvärderas")."""

    text: str
    value: date | None = None
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    label: str
    value: date | None
    problem: str | None = None


def year_problem(value: date, label: str) -> str | None:
    """Why a date outside the plausible years is refused; None for one within them."""
    if FIRST_YEAR <= value.year <= LAST_YEAR:
        return None
    return f"orimligt årtal i '{label}' (ange ett år från {FIRST_YEAR} till {LAST_YEAR})"


def order_problem(due_on: date | None, evaluate_on: date | None) -> str | None:
    """An evaluation before the work is done: most likely a typing error, but it may be meant
    (an evaluation of a first step), so it is pointed out, never refused."""
    if due_on is None or evaluate_on is None or evaluate_on >= due_on:
        return None
    return f"utvärderingen {evaluate_on.isoformat()} ligger före klart-datumet {due_on.isoformat()}"


def date_problems(tidsplan: str, due_on: date | None, evaluate_on: date | None) -> list[str]:
    """What to look at in an åtgärd's dates as a person saved them: the återrapport prints the
    tidsplan's text beside lateness measured by the dates, so a text naming another date than
    the field contradicts itself in front of the nämnd."""
    parsed = parse_tidsplan(tidsplan)
    problems = [
        f"tidsplanen anger {said.isoformat()} men {label} är {given.isoformat()}"
        for label, given, said in (
            ("Klart till", due_on, parsed.due_on),
            ("Utvärderas", evaluate_on, parsed.evaluate_on),
        )
        if given is not None and said is not None and said != given
    ]
    if problem := order_problem(due_on, evaluate_on):
        problems.append(problem)
    return problems


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _label(text: str) -> str:
    return " ".join(text.split())


def _year(four: str | None, two: str | None) -> int:
    return int(four) if four else 2000 + int(two or "0")


def _value(m: re.Match[str]) -> date:
    """The date a match stands for; ValueError if it is no calendar date."""
    g = m.group
    if g("iso"):
        return date(int(g("iso_y")), int(g("iso_m")), int(g("iso_d")))
    if g("dmy"):
        return date(int(g("dmy_y")), _MONTHS[g("dmy_m").lower()], int(g("dmy_d")))
    if g("mm"):
        return _last_day(int(g("mm_y")), _MONTHS[g("mm_m").lower()])
    if g("my"):
        return _last_day(_year(g("my_y"), g("my_yy")), _MONTHS[g("my_m").lower()])
    if g("season"):
        word, raw = g("season_w").lower(), g("season_y")
        year = int(raw) if len(raw) == 4 else 2000 + int(raw)
        return date(year, 6, 30) if word in _SPRING else date(year, 12, 31)
    if g("quarter"):
        q = int(g("q_num") or g("q_short") or _QUARTER_WORDS[g("q_word").lower()])
        return _last_day(int(g("q_y")), q * 3)
    return _last_day(int(g("ym_y")), int(g("ym_m")))


def _find_dates(text: str) -> list[_Found]:
    found: list[_Found] = []
    for m in _DATE_RE.finditer(text):
        label = _label(m.group(0))
        try:
            value = _value(m)
        except ValueError:
            found.append(_Found(m.start(), m.end(), label, None, f"ogiltigt datum '{label}'"))
            continue
        if problem := year_problem(value, label):
            found.append(_Found(m.start(), m.end(), label, None, problem))
            continue
        found.append(_Found(m.start(), m.end(), label, value))
    return _merge_ranges(text, found)


def _merge_ranges(text: str, found: list[_Found]) -> list[_Found]:
    merged: list[_Found] = []
    for item in found:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev.problem is None
            and item.problem is None
            and _RANGE_GAP_RE.match(text[prev.end : item.start])
        ):
            merged[-1] = _Found(
                prev.start, item.end, _label(text[prev.start : item.end]), item.value
            )
        else:
            merged.append(item)
    return merged


def _strays(text: str, found: list[_Found]) -> list[str]:
    """What looks like a date but was not read, once the dates found are blanked out."""
    chars = list(text)
    for f in found:
        chars[f.start : f.end] = " " * (f.end - f.start)
    rest = "".join(chars)
    problems = []
    for m in _STRAY_YEAR_RE.finditer(rest):
        pre = m.group("pre")
        if pre is None or _FILLER_RE.match(pre) or _KEYWORD_RE.match(pre):
            problems.append(
                f"'{m.group('year')}' är bara ett årtal; skriv månad, termin eller datum"
            )
        else:
            problems.append(f"kunde inte tolka '{_label(m.group(0)).strip('.,')}' som ett datum")
    problems += [f"'{m.group(0)}' saknar årtal" for m in _STRAY_WORD_RE.finditer(rest)]
    return problems


def _sentence_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in _SENTENCE_END_RE.finditer(text))]


def _kind_at(pos: int, starts: list[int], keywords: list[tuple[int, int, Kind]]) -> Kind:
    sentence = max(s for s in starts if s <= pos)
    kind: Kind = "due"
    for start, _end, kw_kind in keywords:
        if sentence <= start < pos:
            kind = kw_kind
    return kind


def _keywords(text: str) -> list[tuple[int, int, Kind]]:
    out: list[tuple[int, int, Kind]] = []
    for m in _KEYWORD_RE.finditer(text):
        kind: Kind = "evaluate" if m.group("evaluate") else "start" if m.group("start") else "due"
        out.append((m.start(), m.end(), kind))
    return out


def _keyword_without_date(
    text: str, starts: list[int], keywords: list[tuple[int, int, Kind]], found: list[_Found]
) -> list[str]:
    """'Utvärderas' (or 'Klart') with no date after it in its clause, and not 'löpande'."""
    problems = []
    for i, (start, end, kind) in enumerate(keywords):
        if kind == "start":
            continue
        next_sentence = min((s for s in starts if s > start), default=len(text))
        next_keyword = keywords[i + 1][0] if i + 1 < len(keywords) else len(text)
        clause_end = min(next_sentence, next_keyword)
        clause = text[end:clause_end]
        has_date = any(start < f.start < clause_end for f in found)
        word = text[start:end].lower()
        if has_date or _ONGOING_RE.search(clause) or word == "pågår":
            continue
        if _STRAY_YEAR_RE.search(clause) or _STRAY_WORD_RE.search(clause):
            continue  # already reported as a date that could not be read
        problems.append(f"'{text[start:end]}' följs inte av något datum")
    return problems


def parse_tidsplan(text: str) -> Tidsplan:
    """Read the due and evaluation dates out of a tidsplan as written."""
    due_on, evaluate_on, problems = _parse_cached(text)
    return Tidsplan(text=text, due_on=due_on, evaluate_on=evaluate_on, problems=list(problems))


# A plan repeats the same few tidsplan texts; an import of thousands of rows reads each once.
@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> tuple[date | None, date | None, tuple[str, ...]]:
    result = _parse(text)
    return result.due_on, result.evaluate_on, tuple(result.problems)


def _parse(text: str) -> Tidsplan:
    result = Tidsplan(text=text)
    if not text.strip():
        return result
    found = _find_dates(text)
    keywords = _keywords(text)
    starts = _sentence_starts(text)
    by_kind: dict[Kind, list[_Found]] = {"due": [], "evaluate": [], "start": []}
    for f in found:
        if f.problem:
            result.problems.append(f.problem)
            continue
        by_kind[_kind_at(f.start, starts, keywords)].append(f)
    for kind in ("due", "evaluate"):
        items = by_kind[kind]
        if len(items) > 1:
            labels = ", ".join(f.label for f in items)
            result.problems.append(
                f"flera datum för {_KIND_WORDS[kind]} ({labels}); inget av dem valdes"
            )
        elif items:
            if kind == "due":
                result.due_on = items[0].value
            else:
                result.evaluate_on = items[0].value
    result.problems += _strays(text, found)
    result.problems += _keyword_without_date(text, starts, keywords, found)
    if not found and not result.problems and not _ONGOING_RE.search(text):
        result.problems.append(f"inget datum hittades i '{_label(text)}'")
    if by_kind["start"] and not by_kind["due"]:
        labels = ", ".join(f.label for f in by_kind["start"])
        result.problems.append(f"anger bara när arbetet börjar ({labels}), inte när det är klart")
    return result


def parse_date(text: str) -> DateValue:
    """One date in a cell of its own: "mars 2018", "2018-03-31", "ht-20", "Klart juni 2018"."""
    result = DateValue(text=text)
    if not text.strip():
        return result
    found = _find_dates(text)
    result.problems += [f.problem for f in found if f.problem]
    good = [f for f in found if f.problem is None]
    strays = _strays(text, found)
    if len(good) > 1:
        labels = ", ".join(f.label for f in good)
        result.problems.append(f"flera datum ({labels}) där ett väntades")
    elif good and not strays:
        result.value = good[0].value
    elif not result.problems:
        result.problems.append(f"kunde inte tolka '{_label(text)}' som ett datum")
    return result
