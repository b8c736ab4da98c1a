"""Granskningar: the status of a rekommendation rolled up from the åtgärder that answer it,
reading a granskning from a CSV or XLSX file, and matching a file's rekommendationer to those a
granskning already has. Pure: the service reads the data and passes plain values in."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from tracker.domain.import_rows import EmailCheck, match_key
from tracker.domain.problems import FileRefused, Problem
from tracker.domain.reading import ReadLimits, read_sheet
from tracker.domain.tables import Row


def recommendation_line(audit_title: str, number: int) -> str:
    """ "Från ”Granskning av ekonomiskt bistånd”, rekommendation 2": where an åtgärd answering
    a rekommendation came from, as tracker.domain.protokoll.source_line says it of a decision;
    the granskning named as in the follow-up's sentences (granskning_in_sentence)."""
    return f"Från {granskning_in_sentence(audit_title)}, rekommendation {number}"


# --- the rollup ---------------------------------------------------------------------------


class AnswerStatus(StrEnum):
    """How far the åtgärder answering a rekommendation have come."""

    unanswered = "ej_besvarad"
    not_started = "ej_paborjat"
    in_progress = "pagar"
    done = "klar"
    evaluated = "utvarderad"


ANSWER_LABELS = {
    AnswerStatus.unanswered: "Ej besvarad",
    AnswerStatus.not_started: "Ej påbörjad",
    AnswerStatus.in_progress: "Pågår",
    AnswerStatus.done: "Alla åtgärder klara",
    AnswerStatus.evaluated: "Utvärderad",
}


@dataclass(frozen=True)
class LinkedAction:
    """What the rollup needs of one answering åtgärd: from its workflow state and schedule."""

    started: bool  # out of its workflow's initial state
    done: bool  # the state counts as finished (klar, utvärderad, utgår)
    final: bool  # nothing is left (utvärderad, utgår)
    withdrawn: bool  # utgår
    late: bool  # försenad or utvärdering försenad on the day asked about


@dataclass(frozen=True)
class Rollup:
    status: AnswerStatus
    late: bool
    total: int
    withdrawn: int
    # What answers the rekommendation, by its workflows' nouns (tracker.domain.nouns.plural):
    # "beslut" for a nämnd's decisions, "åtgärder och beslut" for both; and the one item
    # when it is alone ("beslutet").
    items: str = "åtgärder"
    the_item: str = "åtgärden"
    # The one withdrawn item, when only one is, is a neuter word ("beslutet"): "klart".
    neuter_withdrawn: bool = False

    @property
    def label(self) -> str:
        """ "Alla beslut klara" where ANSWER_LABELS names åtgärder; the others as they are."""
        if self.status is AnswerStatus.done:
            return f"Alla {self.items} klara"
        return ANSWER_LABELS[self.status]

    @property
    def note(self) -> str:
        """What the label alone does not say: withdrawn åtgärder count as done."""
        if not self.withdrawn:
            return ""
        if self.withdrawn == self.total:
            return f"alla {self.items} utgår" if self.total > 1 else f"{self.the_item} utgår"
        done = "klara" if self.withdrawn > 1 else "klart" if self.neuter_withdrawn else "klar"
        return f"varav {self.withdrawn} utgår och räknas som {done}"

    @property
    def text(self) -> str:
        """The status as one line: "Pågår, försenad", "Alla åtgärder klara (varav 1 utgår ...)"."""
        text = self.label + (", försenad" if self.late else "")
        return f"{text} ({self.note})" if self.note else text


def rollup(
    actions: Iterable[LinkedAction],
    *,
    items: str = "åtgärder",
    the_item: str = "åtgärden",
    neuter_withdrawn: bool = False,
) -> Rollup:
    """A rekommendation's status from its åtgärder: none is "Ej besvarad"; all evaluated (a
    withdrawn one counting as evaluated, so long as one is not withdrawn) "Utvärderad"; all done
    (withdrawn counting as done) "Alla åtgärder klara"; none started or done "Ej påbörjad";
    otherwise "Pågår". Late when any åtgärd is. `items` and `the_item` name what answers by
    its nouns ("beslut", "beslutet"), so the lines read "Alla beslut klara (beslutet utgår)"."""
    answering = list(actions)
    withdrawn = sum(1 for a in answering if a.withdrawn)
    late = any(a.late for a in answering)
    total = len(answering)
    if not answering:
        status = AnswerStatus.unanswered
    elif all(a.final for a in answering) and withdrawn < total:
        status = AnswerStatus.evaluated
    elif all(a.done for a in answering):
        status = AnswerStatus.done
    elif not any(a.started or a.done for a in answering):
        status = AnswerStatus.not_started
    else:
        status = AnswerStatus.in_progress
    return Rollup(
        status=status,
        late=late,
        total=total,
        withdrawn=withdrawn,
        items=items,
        the_item=the_item,
        neuter_withdrawn=neuter_withdrawn,
    )


# --- reading a file ----------------------------------------------------------------------

TITLE_COLUMN = "Granskning"
AUDITOR_COLUMN = "Revisor"
DATE_COLUMN = "Datum"
DNR_COLUMN = "Dnr"
RECOMMENDATION_COLUMN = "Rekommendation"
RESPONSE_COLUMN = "Yttrande"
FORVALTNING_COLUMN = "Förvaltning"
BOARD_COLUMN = "Nämnd"
EMAIL_COLUMN = "E-post"
REQUIRED_COLUMNS = (TITLE_COLUMN, RECOMMENDATION_COLUMN)
COLUMNS = (
    TITLE_COLUMN,
    AUDITOR_COLUMN,
    DATE_COLUMN,
    DNR_COLUMN,
    RECOMMENDATION_COLUMN,
    RESPONSE_COLUMN,
    FORVALTNING_COLUMN,
    BOARD_COLUMN,
    EMAIL_COLUMN,
)
# The longest value each column takes, as the web forms do.
LIMITS = {
    TITLE_COLUMN: 500,
    AUDITOR_COLUMN: 200,
    DATE_COLUMN: 40,
    DNR_COLUMN: 100,
    RECOMMENDATION_COLUMN: 20_000,
    RESPONSE_COLUMN: 20_000,
    FORVALTNING_COLUMN: 200,
    BOARD_COLUMN: 200,
    EMAIL_COLUMN: 320,
}
# The granskning's own columns: given on its first row, empty or the same on the next ones.
_AUDIT_COLUMNS = (
    AUDITOR_COLUMN,
    DATE_COLUMN,
    DNR_COLUMN,
    FORVALTNING_COLUMN,
    BOARD_COLUMN,
    EMAIL_COLUMN,
)


@dataclass(frozen=True)
class ReadRecommendation:
    row: int
    text: str
    response: str


@dataclass
class ReadAudit:
    """A granskning as a file gives it, with its rekommendationer in the file's order."""

    row: int
    title: str
    auditor: str = ""
    report_on: date | None = None
    dnr: str = ""
    forvaltning: str = ""
    namnd: str = ""
    recipient_email: str = ""
    recommendations: list[ReadRecommendation] = field(default_factory=list)


def _key(text: str) -> str:
    return " ".join(str(text).replace("\ufeff", "").split()).casefold()


def parse_date(value: str | date) -> date | None:
    """A Datum cell: an XLSX date, or ÅÅÅÅ-MM-DD; None when it is neither."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def read_audit_file(
    data: bytes, filename: str, limits: ReadLimits, valid_email: EmailCheck
) -> list[ReadAudit]:
    """The granskningar of a file, one rekommendation a row: Granskning;Revisor;Datum;Dnr;
    Rekommendation;Yttrande (Förvaltning, Nämnd and E-post optional). An empty Granskning
    continues the one above. FileRefused, naming each wrong row and column, if any is wrong:
    then nothing of the file is to be used. `valid_email` is the product's address rule
    (tracker.services.people.valid_email), passed in as for a plan import."""
    rows = iter(read_sheet(data, filename, limits)[0].rows)
    header = next((r for r in rows if not r.is_empty()), None)
    if header is None:
        raise FileRefused(filename, [Problem("filen är tom.")])
    reader = _AuditRows(_columns(filename, header), valid_email)
    for row in rows:
        if not row.is_empty():
            reader.read(row)
    if not reader.audits and not reader.problems:
        reader.problems.append(Problem("filen har ingen rekommendation.", header.number + 1))
    if reader.problems:
        raise FileRefused(filename, reader.problems)
    return reader.audits


def _columns(filename: str, header: Row) -> dict[str, int]:
    """Where each known column is; FileRefused when a required one is missing."""
    at: dict[str, int] = {}
    for index, cell in enumerate(header.cells):
        for name in COLUMNS:
            if _key(str(cell)) == _key(name) and name not in at:
                at[name] = index
    missing = [n for n in REQUIRED_COLUMNS if n not in at]
    if missing:
        names = " och ".join(missing)
        raise FileRefused(
            filename,
            [Problem(f"kolumnen {names} saknas i rubrikraden.", header.number)],
        )
    return at


class _AuditRows:
    """The rows of a granskning file read one by one, collecting every problem."""

    def __init__(self, at: dict[str, int], valid_email: EmailCheck) -> None:
        self.at = at
        self.valid_email = valid_email
        self.audits: list[ReadAudit] = []
        self.problems: list[Problem] = []
        self.current: ReadAudit | None = None

    def read(self, row: Row) -> None:
        raw = {n: row.cells[i] if i < len(row.cells) else "" for n, i in self.at.items()}
        text = {
            n: str(v).strip() if not isinstance(v, date) else v.isoformat() for n, v in raw.items()
        }
        self._lengths(text, row.number)
        fresh = self._which_audit(text.get(TITLE_COLUMN, ""), row.number)
        if self.current is None:
            self.problems.append(Problem("granskningens namn saknas.", row.number, TITLE_COLUMN))
            return
        self.problems += _audit_cells(self.current, raw, text, row.number, fresh, self.valid_email)
        recommendation = text.get(RECOMMENDATION_COLUMN, "")
        if not recommendation:
            self.problems.append(
                Problem("rekommendationens text saknas.", row.number, RECOMMENDATION_COLUMN)
            )
            return
        self.current.recommendations.append(
            ReadRecommendation(row.number, recommendation, text.get(RESPONSE_COLUMN, ""))
        )

    def _lengths(self, text: dict[str, str], number: int) -> None:
        for name, value in text.items():
            if len(value) > LIMITS[name]:
                self.problems.append(
                    Problem(f"högst {LIMITS[name]} tecken, här {len(value)}.", number, name)
                )

    def _which_audit(self, title: str, number: int) -> bool:
        """A new granskning starts where the title changes; whether this row started one."""
        if title and (self.current is None or title != self.current.title):
            self.current = ReadAudit(row=number, title=title)
            self.audits.append(self.current)
            return True
        return False


def _audit_cells(
    audit: ReadAudit,
    raw: dict[str, str | date],
    text: dict[str, str],
    row: int,
    fresh: bool,
    valid_email: EmailCheck,
) -> list[Problem]:
    """Take the granskning's own cells from its first row; on later rows they are empty or
    say the same."""
    problems: list[Problem] = []
    attributes = {
        AUDITOR_COLUMN: "auditor",
        DNR_COLUMN: "dnr",
        FORVALTNING_COLUMN: "forvaltning",
        BOARD_COLUMN: "namnd",
        EMAIL_COLUMN: "recipient_email",
    }
    for name in _AUDIT_COLUMNS:
        value = text.get(name, "")
        if not value:
            continue
        if name == DATE_COLUMN:
            day = parse_date(raw[name])
            if day is None:
                problems.append(Problem(f"'{value}' är inget datum (ÅÅÅÅ-MM-DD).", row, name))
                continue
            if fresh or audit.report_on is None:
                audit.report_on = day
            elif audit.report_on != day:
                problems.append(_differs(name, audit.row, row))
            continue
        if name == EMAIL_COLUMN and not valid_email(value):
            problems.append(Problem(f"ogiltig e-postadress '{value}'", row, name))
            continue
        attribute = attributes[name]
        known = getattr(audit, attribute)
        if fresh or not known:
            setattr(audit, attribute, value)
        elif known != value:
            problems.append(_differs(name, audit.row, row))
    return problems


def _differs(column: str, first: int, row: int) -> Problem:
    return Problem(
        f"granskningen har ett annat värde på rad {first}; lämna cellen tom eller skriv samma.",
        row,
        column,
    )


# --- importing into a granskning that exists ---------------------------------------------


@dataclass(frozen=True)
class KnownRecommendation:
    """A rekommendation the granskning already has, as the matching needs it."""

    id: int
    text: str
    response: str


@dataclass(frozen=True)
class RecommendationMerge:
    """What a file does to a granskning's rekommendationer. Nothing is ever removed: one the
    file leaves out may have åtgärder linked to it."""

    added: tuple[ReadRecommendation, ...]
    responses: tuple[tuple[int, str], ...]  # (the known one's id, the file's yttrande)
    unchanged: int
    not_in_file: int


def merge_recommendations(
    known: Sequence[KnownRecommendation], read: Sequence[ReadRecommendation]
) -> RecommendationMerge:
    """Match the file's rekommendationer to the known ones by text, whitespace not counting
    (as the plan import matches åtgärder), each known one at most once and in order, so a text
    given twice matches two. An unmatched text is added; a matched one takes the file's
    yttrande when the file gives one that differs; an empty Yttrande keeps what is there."""
    waiting: dict[str, list[KnownRecommendation]] = {}
    for k in known:
        waiting.setdefault(match_key(k.text), []).append(k)
    added: list[ReadRecommendation] = []
    responses: list[tuple[int, str]] = []
    unchanged = 0
    for r in read:
        same = waiting.get(match_key(r.text))
        if not same:
            added.append(r)
            continue
        found = same.pop(0)
        if r.response and match_key(r.response) != match_key(found.response):
            responses.append((found.id, r.response))
        else:
            unchanged += 1
    left = sum(len(v) for v in waiting.values())
    return RecommendationMerge(tuple(added), tuple(responses), unchanged, left)


# --- the follow-up document ----------------------------------------------------------------

DOCUMENT_TITLE = "Uppföljning av granskning"


@dataclass(frozen=True)
class DocAction:
    """An åtgärd as the follow-up shows it: the owner's words as written, the product's own
    facts (state, late or not) beside them."""

    plan: str
    area: str
    text: str
    tidsplan: str
    state: str
    progress_note: str
    progress_on: str  # the day the processläge was written, "" if never
    late: str  # "Försenad", "Utvärdering försenad" or ""


@dataclass(frozen=True)
class DocRecommendation:
    number: int
    text: str
    response: str
    status: str
    late: bool
    actions: tuple[DocAction, ...]
    # What answers it, by its workflows' nouns: "Åtgärder för rekommendation 1" over the
    # column "Åtgärd"; "Beslut" for a protokoll's decisions, "Åtgärd / beslut" for both.
    items: str = "åtgärder"
    column: str = "Åtgärd"


@dataclass(frozen=True)
class AuditDoc:
    """Everything the follow-up to the revisorer is rendered from, as plain text."""

    title: str
    audit_title: str
    auditor: str
    report_on: str
    dnr: str
    forvaltning: str
    namnd: str
    date_text: str
    place_date: str
    signer: str
    recommendations: tuple[DocRecommendation, ...]
    issued_line: str = ""
    # What answers the rekommendationer, all of them: "åtgärder", "åtgärder och beslut".
    items: str = "åtgärder"
    the_items: str = "åtgärderna"

    @property
    def heading_line(self) -> str:
        parts = [self.forvaltning, self.namnd, f"{self.title} {self.date_text}"]
        if self.dnr:
            parts.append(f"Dnr {self.dnr}")
        return " · ".join(p for p in parts if p)

    @property
    def intro(self) -> str:
        """'Granskning av ekonomiskt bistånd, utförd av KPMG (2024-03-01): ...'; a title that
        does not say it is a granskning is named as one: 'Granskningen ”Ekonomiskt bistånd”'.
        "utförd av": a bare "av KPMG" after a title ending in its own "av ..." reads as what
        was granskat."""
        title = self.audit_title.strip()
        named = (
            title[:1].upper() + title[1:] if says_granskning(title) else f"Granskningen ”{title}”"
        )
        by = f", utförd av {self.auditor}" if self.auditor else ""
        when = f" ({self.report_on})" if self.report_on else ""
        return (
            f"{named}{by}{when}: rekommendationerna, nämndens yttrande, {self.the_items} som "
            "svarar mot dem och deras läge."
        )

    @property
    def named_in_sentence(self) -> str:
        """The granskning inside a sentence: '”Granskning av ekonomiskt bistånd”', or
        'granskningen ”Ekonomiskt bistånd”' for a title that does not say it is one."""
        return granskning_in_sentence(self.audit_title)


# A word of the title that says what it names is a granskning ("Granskning av ...",
# "Fördjupad granskning av ...", "Granskningsrapport ..."), so the sentence need not say it again.
_GRANSKNING_WORD = re.compile(r"\bgransk", re.IGNORECASE)


def says_granskning(title: str) -> bool:
    return _GRANSKNING_WORD.search(title) is not None


def granskning_in_sentence(title: str) -> str:
    """'”Granskning av ekonomiskt bistånd”' for a title that says it is a granskning, else
    'granskningen ”Ekonomiskt bistånd”'."""
    title = title.strip()
    return f"”{title}”" if says_granskning(title) else f"granskningen ”{title}”"


def counts_by_status(recommendations: Sequence[DocRecommendation]) -> list[tuple[str, int]]:
    """How many rekommendationer have each status, in the order first met."""
    found: dict[str, int] = {}
    for r in recommendations:
        found[r.status] = found.get(r.status, 0) + 1
    return list(found.items())
