"""When a decision in minutes is due: Swedish date phrases, read against the meeting's date.

The phrases and what they mean (the product's own rules):

- "senast 15 mars", "den 23 mars", "till 2 april 2021", "11/2", "2021-03-31": that day. Without
  a year it is the meeting's year, or the next year when that day has passed at the meeting.
- "i mars", "senast mars 2021", "till slutet av mars": the month's last day.
- "vecka 12", "v. 12", "senast v12": the Friday of that ISO week (the end of the working week).
- "till våren" 31 March, "till sommaren" 30 June, "till hösten" 30 September, "till jul"
  20 December, "till årsskiftet" 31 December: "till" a season means by the time it comes.
  "Under hösten" or "hösten 2021" means within it, so its end, as in a tidsplan
  (tracker.domain.tidsplan): våren 30 June, hösten 31 December.
- "till nästa LG", "på nästa FSG", "inför kommande möte": the next meeting, whose date the
  minutes do not give: no date, the phrase kept.
- "fr.o.m. hösten 2017", "med start hösten 2020": when work starts, not when it is due;
  "prognos per 2020-12-31": a date the figures are for.

Matching is done on folded text (tracker.domain.minutes_people.fold: no accents, OCR digits
read back) so "nésta", "nasta" and "nästa" are one word; the phrase returned is as written.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from notifications.swedish import MONTHS
from tracker.domain.minutes_people import fold

_MONTH_NUMBERS: dict[str, int] = {fold(name): i for i, name in enumerate(MONTHS, start=1)}
for _i, _short in enumerate(
    ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"), start=1
):
    _MONTH_NUMBERS[_short] = _i
_MONTHS_RE = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))
_WEEKDAY = r"(?:mandag|tisdag|onsdag|torsdag|fredag|lordag|sondag)(?:en)?"
# Before a date: these make it the due date ("senast", "till"), or a start ("fr.o.m.").
_DUE_WORD = r"(?:senast|till|den|fore|innan|i|under)"
_NOT_DUE_BEFORE = re.compile(
    r"(?:fr\.?\s?o\.?\s?m\.?|fran\s+och\s+med|fran|med\s+start|start|startar|inleds|borjar"
    r"|\bper)\s*$"
)

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(rf"(?:\b{_DUE_WORD}\s+)?\b(?P<y>20\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b")),
    (
        "day_month",
        re.compile(
            rf"(?:\b{_DUE_WORD}\s+)?(?:{_WEEKDAY}\s+)?(?:den\s+)?\b(?P<d>\d{{1,2}})(?::e|:a)?\s+"
            rf"(?P<m>{_MONTHS_RE})\b\.?(?:\s+(?P<y>20\d\d)\b)?"
        ),
    ),
    (
        "numeric",
        re.compile(
            rf"(?:\b{_DUE_WORD}\s+)?(?:{_WEEKDAY}\s+)?\b(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})\b"
        ),
    ),
    (
        "week",
        re.compile(
            rf"(?:\b{_DUE_WORD}\s+)?\b(?:vecka|v\.?)\s?(?P<w>\d{{1,2}})\b(?:\s+(?P<y>20\d\d)\b)?"
        ),
    ),
    (
        "next_meeting",
        re.compile(
            r"\b(?:till|pa|infor|vid|under)\s+(?:det\s+|ett\s+)?(?:n.sta|kommande)\s+"
            r"(?:[a-z]{2,4}[\s-]?m.tet|[a-z]{2,4}[\s-]?m.te|m.tet|m.te|\w+)"
        ),
    ),
    (
        "season_by",
        re.compile(
            r"\b(?:till|fore|innan|senast)\s+(?P<s>varen|sommaren|hosten|jul|arsskiftet)\b"
            r"(?:\s+(?P<y>20\d\d)\b)?"
        ),
    ),
    (
        "season_in",
        re.compile(r"\b(?:under\s+)?(?P<s>varen|hosten|vt|ht)[\s-]?(?P<y>20\d\d|\d\d)\b"),
    ),
    (
        "month",
        re.compile(
            rf"\b(?:senast|till|i|under|fore|innan)\s+(?:slutet\s+av\s+|utgangen\s+av\s+)?"
            rf"(?P<m>{_MONTHS_RE})\b(?:\s+(?P<y>20\d\d)\b)?"
        ),
    ),
]
_BY_SEASON = {"varen": (3, 31), "sommaren": (6, 30), "hosten": (9, 30), "jul": (12, 20)}
_BY_SEASON["arsskiftet"] = (12, 31)
_IN_SEASON = {"varen": (6, 30), "vt": (6, 30), "hosten": (12, 31), "ht": (12, 31)}


@dataclass(frozen=True)
class Due:
    """The date a phrase stands for (None when it names no day: "till nästa LG") and the
    phrase as written."""

    on: date | None
    text: str


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    return int(raw) if len(raw) == 4 else 2000 + int(raw)


def _roll(day_month: tuple[int, int], year: int | None, meeting_on: date | None) -> date | None:
    """A day in the given year, else the meeting's year, or the next one when it has passed."""
    month, day = day_month
    if year is not None:
        return date(year, month, day)
    if meeting_on is None:
        return None
    value = date(meeting_on.year, month, day)
    return value if value >= meeting_on else date(meeting_on.year + 1, month, day)


def _week_friday(week: int, year: int | None, meeting_on: date | None) -> date | None:
    if year is None:
        if meeting_on is None:
            return None
        year = meeting_on.year
        if date.fromisocalendar(year, week, 5) < meeting_on:
            year += 1
    return date.fromisocalendar(year, week, 5)


def _value(kind: str, m: re.Match[str], meeting_on: date | None) -> date | None:
    g = m.groupdict()
    if kind == "iso":
        return date(int(g["y"]), int(g["m"]), int(g["d"]))
    if kind in ("day_month", "numeric"):
        month = _MONTH_NUMBERS[g["m"]] if kind == "day_month" else int(g["m"])
        return _roll((month, int(g["d"])), _year(g.get("y")), meeting_on)
    if kind == "week":
        return _week_friday(int(g["w"]), _year(g.get("y")), meeting_on)
    if kind == "next_meeting":
        return None
    if kind == "season_by":
        return _roll(_BY_SEASON[g["s"]], _year(g.get("y")), meeting_on)
    if kind == "season_in":
        month, day = _IN_SEASON[g["s"]]
        return date(_year(g["y"]) or 0, month, day)
    # A month: its last day.
    month = _MONTH_NUMBERS[g["m"]]
    year = _year(g.get("y"))
    last = calendar.monthrange(year or 2001, month)[1]
    if year is None and month == 2 and meeting_on is not None:
        last = calendar.monthrange(meeting_on.year, 2)[1]
    return _roll((month, last), year, meeting_on)


def find_due(text: str, meeting_on: date | None) -> Due | None:
    """The due date a sentence gives, or None when it gives none. A phrase with "senast" or
    "till" wins over a bare date; otherwise the first one written."""
    folded = fold(text)
    found: list[tuple[int, int, str, re.Match[str]]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            if _NOT_DUE_BEFORE.search(folded[: m.start()]):
                continue
            if any(s <= m.start() < e or m.start() <= s < m.end() for s, e, _k, _m in found):
                continue
            found.append((m.start(), m.end(), kind, m))
    if not found:
        return None
    found.sort(key=lambda f: f[0])
    preferred = [f for f in found if re.match(r"(senast|till|fore|innan)\b", folded[f[0] :])]
    start, end, kind, m = (preferred or found)[0]
    try:
        value = _value(kind, m, meeting_on)
    except (ValueError, KeyError):
        value = None
    return Due(value, " ".join(text[start:end].split()).rstrip(".,"))


_LABELLED_DATE = re.compile(
    r"(?:sammantradesdatum|motesdatum|datum|tid)\b[\s|:]*(?:\w+dag(?:en)?\s+)?(?:den\s+)?"
    rf"(?:(?P<iso>20\d\d-\d\d-\d\d)|(?P<d>\d{{1,2}})\s+(?P<m>{_MONTHS_RE})\s+(?P<y>20\d\d))"
)
_ANY_DATE = re.compile(
    rf"(?:(?P<iso>\b20\d\d-\d\d-\d\d\b)|\b(?P<d>\d{{1,2}})\s+(?P<m>{_MONTHS_RE})\s+(?P<y>20\d\d)\b)"
)


def _date_of(m: re.Match[str]) -> date | None:
    try:
        if m.group("iso"):
            return date.fromisoformat(m.group("iso"))
        return date(int(m.group("y")), _MONTH_NUMBERS[m.group("m")], int(m.group("d")))
    except ValueError:
        return None


def meeting_date(header: str) -> date | None:
    """The meeting's own date from the minutes' head: a labelled one ("Sammanträdesdatum",
    "Datum", "Tid") first, else the first full date written. None when it has no year."""
    folded = fold(header)
    for pattern in (_LABELLED_DATE, _ANY_DATE):
        for m in pattern.finditer(folded):
            if (value := _date_of(m)) is not None:
                return value
    return None
