"""Decisions drafted from a protokoll or a ledningsgrupp's minutes: pure, text in, drafts out.

`read_minutes` turns a file (text, DOCX, PDF with a text layer) into text; `extract_decisions`
finds what the minutes decide or hand out, in the phrasings minutes use:

- under a heading "Beslut" / "Utskottets beslut": each numbered point or sentence;
- "X beslutar om ...", "X tog beslut om ..." (X is the meeting: nobody is named to do it);
- "X återkommer (med besked) till Y", "X tar fram ...", "X får i uppdrag att ...",
  "... ger X i uppdrag att ...", "uppdrar åt X att ...";
- "Uppgift: ...", "Nästa steg: ..." (each "Namn gör ..." in it a task of its own);
- "... läggs in på ... mötet", "... redovisas ... senast ...", "... skickas till ...".

Who: the capitalised words opening the clause ("Tony", "Alla i LG"), matched against the
known people and the minutes' participant list (tracker.domain.minutes_people); a name that
fits nobody alone stays as written and is flagged. By when: tracker.domain.minutes_dates,
against the meeting's date (the minutes' own, when their head gives one with a year).
Item: the "§ 7:2" or numbered point ("5") the text stands under.

The text is matched folded (no accents, OCR digits read back, one character for one) so
"aterkommer", "6vergripande" and "nésta" are read; quotes are cut from the text as written.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from xml.parsers import expat

import docx
from docx.table import Table
from lxml import etree

from tracker.domain.minutes_dates import find_due, meeting_date
from tracker.domain.minutes_people import Candidate, fold, match_name, participants
from tracker.domain.pdf_text import SECONDS as PDF_SECONDS
from tracker.domain.pdf_text import PdfUnreadable, pdf_pages
from tracker.domain.problems import FileRefused, Problem
from tracker.domain.reading import WEB_LIMITS, PackedKind, check_parts, decode


@dataclass(frozen=True)
class KnownPerson:
    """Someone the product knows, to match the minutes' names against."""

    name: str
    email: str


@dataclass(frozen=True)
class DraftDecision:
    """One decision the minutes state, proposed for the chef to confirm."""

    # Who is to carry it out, as the minutes write it ("Tony", "Alla i LG").
    who: str
    # The known person matched, "" when none was: the name then stays as written, flagged.
    who_email: str
    who_flagged: bool
    what: str
    due_on: date | None
    # The phrase the date came from, as written ("senast 15 mars", "till nästa LG").
    due_text: str
    # To whom it reports back ("Maria"), "" when the minutes do not say.
    reports_to: str
    # The sentence or lines it was found in, as written.
    quote: str
    # The item it came from: "§ 45", "3", or "" when the minutes number nothing.
    item: str
    # The full name `who` stands for (the known person's, or the participant list's), ""
    # when nobody fits it alone.
    who_name: str = ""


# --- reading a file ------------------------------------------------------------------------

# Minutes are some ten pages; a scanned 100-page protokoll with a text layer is a few MB.
MAX_MINUTES_BYTES = 20 * 1024 * 1024


def _refused(filename: str, message: str) -> FileRefused:
    return FileRefused(filename, [Problem(message)])


# A .docx is a zip archive of XML parts, read whole by python-docx: a file of a few hundred
# kilobytes can unpack to gigabytes. Its parts are held to the limits of a workbook uploaded
# in the web (tracker.domain.reading), and its XML elements, each a node in python-docx's
# tree, to far more than a protokoll has: some 100 000 for a hundred pages.
WORD_DOCUMENT = PackedKind("dokumentet", "packat", "ett dokument från Word", "Word")
MAX_WORD_ELEMENTS = 500_000
_CHUNK = 64 * 1024


def _check_word_document(data: bytes, filename: str) -> None:
    """The archive's parts, then the XML elements in them, before python-docx unpacks and
    parses anything."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # zipfile raises many kinds for what is not a zip archive
        raise _not_word(filename) from exc
    with archive:
        parts = archive.infolist()
        check_parts(parts, filename, WEB_LIMITS, WORD_DOCUMENT)
        counted = [0]
        for info in parts:
            # Pictures and the like are not parsed by python-docx.
            if info.filename.lower().endswith((".xml", ".rels")):
                _count_elements(archive, info, counted, filename)


def _count_elements(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, counted: list[int], filename: str
) -> None:
    """Stream one part through expat, adding its elements to `counted[0]`."""

    def count(*_: object) -> None:
        counted[0] += 1
        if counted[0] > MAX_WORD_ELEMENTS:
            most = f"{MAX_WORD_ELEMENTS:,}".replace(",", " ")
            raise _refused(
                filename,
                f"dokumentet har fler än {most} XML-element; ett protokoll från Word har "
                "långt färre",
            )

    parser = expat.ParserCreate()
    parser.StartElementHandler = count
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except FileRefused:
        raise
    except Exception as exc:  # not XML; bad compressed data, a wrong checksum
        raise _not_word(filename) from exc


def _not_word(filename: str) -> FileRefused:
    return _refused(filename, "filen kan inte läsas som ett Word-dokument (.docx)")


def _docx_text(data: bytes, filename: str) -> str:
    _check_word_document(data, filename)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise _not_word(filename) from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            # A row as "| a | b |", as the minutes' text exports write tables.
            for row in block.rows:
                cells = [" ".join(cell.text.split()) for cell in row.cells]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _pdf_text(data: bytes, filename: str) -> str:
    try:
        pages = pdf_pages(data)
    except PdfUnreadable as exc:
        raise _refused(filename, _PDF_UNREADABLE[exc.reason]) from exc
    if not "".join(pages).strip():
        raise _refused(
            filename,
            "PDF-filen har ingen text, bara bilder (den är troligen inskannad); "
            "kör textigenkänning (OCR) på den eller ladda upp protokollet som text eller Word",
        )
    return "\n\n".join(pages)


_PDF_UNREADABLE = {
    "broken": "filen kan inte läsas som en PDF",
    "encrypted": "PDF-filen är lösenordsskyddad; spara den utan lösenord",
    "slow": (
        f"PDF-filen gick inte att läsa på {PDF_SECONDS:g} sekunder; spara den på nytt som PDF "
        "eller ladda upp protokollet som text eller Word"
    ),
}


def read_minutes(data: bytes, filename: str) -> str:
    """The text of a protokoll: plain text, DOCX, or a PDF with a text layer."""
    if len(data) > MAX_MINUTES_BYTES:
        raise _refused(filename, f"filen är större än {MAX_MINUTES_BYTES // 2**20} MB")
    suffix = PurePath(filename).suffix.lower()
    if data.startswith(b"%PDF") or suffix == ".pdf":
        text = _pdf_text(data, filename)
    elif suffix in (".docx", ".docm") or (data.startswith(b"PK") and suffix != ".txt"):
        text = _docx_text(data, filename)
    elif suffix in (".doc", ".odt", ".rtf", ".xlsx", ".xls"):
        raise _refused(
            filename, "protokoll läses som text (.txt), Word (.docx) eller PDF med textlager"
        )
    else:
        text = decode(data, filename).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise _refused(filename, "filen innehåller ingen text")
    return text


# --- the minutes' structure --------------------------------------------------------------

# "KSPU § 7:2", "§ 45", "Forts. KSPU § 7:4": a paragraph of a protokoll.
_PARAGRAPH = re.compile(
    r"^\s*(?:forts\.?\s+)?(?:[A-ZÅÄÖ]{2,8}\s+)?§\s*(\d+(?::\d+)?)\s*(?:$|[A-ZÅÄÖ])", re.I
)
# "5. Utvärdering av kvalitetsrapporter": a numbered point of a ledningsgrupp's minutes.
_NUMBERED = re.compile(r"^\s*(\d{1,2})[.)]\s+(\S.*)$")
# A bullet as written or as OCR reads one ("e", "o", "=").
_BULLET = re.compile(r"^\s*(?:[eo•\-*=–·]\s+|\d{1,2}[.)]\s+)(?=\S)")
_BESLUT_HEADING = re.compile(r"^(?:[a-z]+s\s+)?beslut\s*:?$")
# Not after a digit: "1. Extra anpassningar" is a numbered point, not a sentence's end.
_SENTENCE_END = re.compile(r"(?:(?<=[a-zA-ZåäöÅÄÖéü)\]\"”][.!?])|(?<=\b\d{4}[.!?]))\s+(?=[A-ZÅÄÖ])")
_LIST_INTRO = re.compile(r"(?::\s*$|\b(?:nedan|foljande)\b)")


@dataclass
class _Unit:
    """A paragraph, a bullet or a numbered point, its lines joined as written."""

    text: str
    item: str
    kind: str  # "text", "heading", "beslut", "item", "table"
    lines: int = 1
    numbered: bool = False


_BROKEN_WORD = re.compile(r"[a-zåäö]-")


def _join(pieces: list[str], line: str) -> None:
    """Add a line to a paragraph's pieces (joined once, when it is done: adding each line to
    one string copies the whole paragraph every time, hours for a long pasted text). Only the
    end of the text so far is looked at, for the same reason."""
    # "Organisation-" + "en" is one word broken at the line's end.
    if _BROKEN_WORD.fullmatch("".join(pieces[-2:])[-2:]) and line[:1].islower():
        pieces[-1] = pieces[-1][:-1]
        pieces.append(line)
    else:
        pieces.append(f" {line}")


def _items(lines: list[str]) -> tuple[list[str], set[int]]:
    """The item each line stands under, and which lines are the items' headings."""
    items: list[str] = []
    headings: set[int] = set()
    has_paragraphs = any(_PARAGRAPH.match(line) and len(line) < 80 for line in lines)
    current, number = "", 0
    titles: dict[str, str] = {}
    previous = ""
    for i, line in enumerate(lines):
        if has_paragraphs:
            m = _PARAGRAPH.match(line)
            if m and len(line) < 80 and "§§" not in line:
                current = f"§ {m.group(1)}"
                headings.add(i)
        else:
            m = _NUMBERED.match(line)
            if m and not line.rstrip().endswith((".", ":", ",")):
                title = fold(" ".join(m.group(2).split()))
                earlier = next((n for t, n in titles.items() if _similar(t, title, 0.7)), None)
                if earlier is not None:
                    # A summary at the end naming an earlier point ("1. VP uppdragen ...").
                    current = earlier
                    headings.add(i)
                elif (number == 0 or int(m.group(1)) == number + 1) and not _NUMBERED.match(
                    previous
                ):
                    # The first point may be any number: an extract starts where it starts.
                    number = int(m.group(1))
                    current = str(number)
                    titles[title] = current
                    headings.add(i)
        items.append(current)
        if line.strip():
            previous = line
    return items, headings


def _similar(a: str, b: str, least: float) -> bool:
    """Most of the words the same (Jaccard), the OCR's misreadings aside."""
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= least


def _units(text: str) -> list[_Unit]:
    """The text cut into units: the points' headings, table rows, "Beslut" headings, and the
    paragraphs and bullets between them."""
    lines = text.splitlines()
    items, headings = _items(lines)
    units: list[_Unit] = []
    current: _Unit | None = None
    pieces: list[str] = []  # the text of `current`, a line at a time
    blank_before = True
    for i, line in enumerate(lines):
        stripped = line.strip()
        item = items[i]
        if not stripped:
            _finish(current, pieces)
            current, blank_before = None, True
            continue
        alone = _standing_alone(stripped, item, i in headings)
        if alone is not None:
            _finish(current, pieces)
            current = None
            units.append(alone)
            # A "Beslut" heading leaves the blank line before it to the paragraph after it.
            if alone.kind != "beslut":
                blank_before = False
            continue
        bullet = _BULLET.match(line)
        if current is not None and _continues(current, line, item, bullet):
            _join(pieces, stripped)
            current.lines += 1
        else:
            _finish(current, pieces)
            current = _paragraph(line, item, bullet, blank_before)
            pieces = [current.text]
            units.append(current)
        blank_before = False
    _finish(current, pieces)
    _mark_short_headings(units)
    return _attach_lists(units)


def _finish(unit: _Unit | None, pieces: list[str]) -> None:
    if unit is not None:
        unit.text = "".join(pieces)


def _standing_alone(stripped: str, item: str, heading: bool) -> _Unit | None:
    """A line that is a unit of its own: a point's heading, a table row or "Beslut"."""
    if heading:
        return _Unit(stripped, item, "item")
    if stripped.startswith("|"):
        return _Unit(stripped, item, "table")
    if _BESLUT_HEADING.match(fold(stripped)):
        return _Unit(stripped, item, "beslut")
    return None


def _continues(current: _Unit, line: str, item: str, bullet: re.Match[str] | None) -> bool:
    """Whether the line goes on with the paragraph before it."""
    return not (
        bullet is not None
        # After a page break the OCR starts a new heading indented: " Beslut".
        or (line[:1].isspace() and line.strip()[:1].isupper())
        or current.item != item
    )


def _paragraph(line: str, item: str, bullet: re.Match[str] | None, blank_before: bool) -> _Unit:
    """A paragraph or bullet that starts on this line; a numbered point keeps its number."""
    body = line.strip()
    numbered = False
    if bullet:
        numbered = bullet.group(0).strip()[:1].isdigit()
        if not numbered:
            body = line[bullet.end() :].strip()
    unit = _Unit(body, item, "text", numbered=numbered)
    unit.lines = 1 if blank_before else 0
    return unit


def _mark_short_headings(units: list[_Unit]) -> None:
    """A short line alone, without a sentence's ending, is a heading ("Ekonomi", "Övrigt")."""
    for unit in units:
        if (
            unit.kind == "text"
            and unit.lines == 1
            and not unit.numbered
            and len(unit.text.split()) <= 6
            and not unit.text.endswith((".", ":", ";", ",", "!", "?"))
        ):
            unit.kind = "heading"


def _attach_lists(units: list[_Unit]) -> list[_Unit]:
    """A sentence that announces a list ("prioritera nedan tre uppdrag.", "följande:") takes
    the numbered points after it into its own text."""
    out: list[_Unit] = []
    for unit in units:
        prev = out[-1] if out else None
        if (
            unit.kind == "text"
            and unit.numbered
            and prev is not None
            and prev.kind == "text"
            and not prev.numbered
            and prev.item == unit.item
            and _LIST_INTRO.search(fold(_SENTENCE_END.split(prev.text)[-1]))
        ):
            prev.text = f"{prev.text} {unit.text}"
            continue
        out.append(unit)
    return out


# --- the decisions -----------------------------------------------------------------------

# Who opens a clause: capitalised words, "Alla i LG", "Lisbeth och Dan", "Hampe Klein (M)".
_SUBJECT = re.compile(
    r"^(?:[A-ZÅÄÖÉ][\w\-]*)(?:\s+(?:(?:i|och|&)\s+)?[A-ZÅÄÖÉ][\w\-]*)*(?:\s+\([A-ZÅÄÖ]{1,3}\))?"
)
# A finite verb after the subject: Swedish present tense ends in -r or -s (passive); a few
# past forms minutes use.
_FINITE = re.compile(r"^\s*(?:[a-z]+[rs]|tog|fick|gav|beslot)\b")
_DECIDES = re.compile(
    r"^\s*(?:beslutar|beslutade|beslot|har\s+beslutat|tog\s+beslut|fattar\s+beslut"
    r"|fattade\s+beslut)\b"
)
_GETS_TASK = re.compile(r"^\s*(?:far|ges|har\s+fatt)\s+(?:i\s+)?uppdrag(?:et)?\s+att\b")
_PRODUCES = re.compile(r"^\s*(?:tar|ska\s+ta)\s+fram\b")
_REPORTS_BACK = re.compile(
    r"\b[a-z]?terkommer\b(?:\s+med\s+(?:besked|svar|information|forslag|en\s+\w+))?"
    r"(?:\s+till\s+(?P<to>\S))?"
)
_GIVES_TASK = re.compile(r"\b(?:ger|gav)\s+(?P<x>.+?)\s+i\s+uppdrag(?:et)?\s+att\b")
_ASSIGNS = re.compile(r"\buppdrar\s+(?:at|till)\s+(?P<x>.+?)\s+att\b")
_TASK_LABEL = re.compile(
    r"\b(?:uppgift(?:er)?|n.sta\s+steg|atgard(?:er)?|uppdrag|att\s+gora)\s*:\s*"
)
_ON_AGENDA = re.compile(r"\bl.ggs\s+(?:in|upp)\b.*?\b(?:p[ad]|till|infor|i)\b")
_REPORTED = re.compile(r"\bredovisas\b(?:\s+(?:for|till|i)\s+(?P<to>\S))?.*\bsenast\b")
_SENT_TO = re.compile(r"\b(?:skickas|sands|lamnas|overlamnas)\s+(?:ut\s+)?till\s+(?P<to>\S)")
_CLAUSE_SPLIT = re.compile(r"[,;]\s+(?=[A-ZÅÄÖ])")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class _Raw:
    who: str
    what: str
    reports_to: str
    quote: str
    item: str
    due_source: str
    kind: str  # "decision", "task", "agenda"


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(" .,;:-–")


def _numberless(text: str) -> str:
    return re.sub(r"^\s*\d{1,2}[.)]\s+", "", text)


def _to_whom(sentence: str, start: int) -> str:
    """The name or word after "till" at `start`: "Maria", "Kommunstyrelsen", "nämnden"."""
    rest = sentence[start:]
    if rest[:1].isupper():
        m = _SUBJECT.match(rest)
        if m:
            return _clean(" ".join(m.group(0).split()[:3]))
    m = re.match(r"[\w\-]+", rest)
    return m.group(0) if m else ""


def _subject(sentence: str) -> tuple[str, int]:
    """The capitalised words opening a clause, when a finite verb follows them."""
    m = _SUBJECT.match(sentence)
    if not m or not _FINITE.match(fold(sentence[m.end() :])):
        return "", 0
    return m.group(0), m.end()


def _in_sentence(sentence: str, item: str, in_beslut: bool) -> list[_Raw]:
    folded = fold(sentence)
    quote = _clean(sentence) + ("." if sentence.rstrip().endswith(".") else "")
    subject, end = _subject(sentence)
    after = folded[end:]

    def raw(who: str, what: str, kind: str, to: str = "", source: str = sentence) -> _Raw:
        return _Raw(_clean(who), _clean(_numberless(what)), to, quote, item, source, kind)

    if m := _TASK_LABEL.search(folded):
        out = []
        for clause in _CLAUSE_SPLIT.split(sentence[m.end() :]):
            who, at = _subject(clause)
            out.append(raw(who, clause[at:], "task", source=clause))
        return out
    if subject and _DECIDES.match(after):
        return [raw("", sentence[end:], "decision")]
    if subject and (_GETS_TASK.match(after) or _PRODUCES.match(after)):
        return [raw(subject, sentence[end:], "task")]
    if m := _REPORTS_BACK.search(folded):
        to = _to_whom(sentence, m.start("to")) if m.group("to") else ""
        return [raw(subject, sentence[end:], "task", to)]
    if m := _GIVES_TASK.search(folded) or _ASSIGNS.search(folded):
        return [raw(sentence[m.start("x") : m.end("x")], sentence[m.end() :], "task")]
    if _ON_AGENDA.search(folded):
        return [raw("", sentence, "agenda")]
    if m := _REPORTED.search(folded):
        to = _to_whom(sentence, m.start("to")) if m.group("to") else ""
        return [raw(subject, sentence[end:] if subject else sentence, "task", to)]
    if m := _SENT_TO.search(folded):
        return [raw("", sentence, "task", _to_whom(sentence, m.start("to")))]
    if in_beslut:
        return [raw("", sentence, "decision")]
    return []


def _words(text: str) -> set[str]:
    return set(_WORD.findall(fold(text)))


def _same(a: _Raw, b: _Raw) -> bool:
    """The same decision written twice (a summary of decisions at the end of the minutes)."""
    if fold(a.who) != fold(b.who):
        return False
    return _similar(a.quote, b.quote, 0.6)


def _raw_decisions(units: list[_Unit]) -> list[_Raw]:
    found: list[_Raw] = []
    in_beslut = False
    for unit in units:
        if unit.kind == "beslut":
            in_beslut = True
            continue
        if unit.kind != "text":
            in_beslut = in_beslut and unit.kind == "table"
            continue
        for sentence in _SENTENCE_END.split(unit.text):
            for candidate in _in_sentence(sentence, unit.item, in_beslut):
                if candidate.what and not any(_same(candidate, f) for f in found):
                    found.append(candidate)
    return found


def _header(text: str, units: list[_Unit]) -> str:
    """The minutes' head: what comes before the first item, at most some 2 000 characters."""
    first = next((u.text for u in units if u.kind == "item"), None)
    at = text.find(first) if first else -1
    return text[: at if 0 < at < 2000 else 2000]


def extract_decisions(
    text: str, *, known: Sequence[KnownPerson], meeting_on: date | None
) -> list[DraftDecision]:
    """The decisions the text states, in the order they appear."""
    units = _units(text)
    meeting = meeting_date(_header(text, units)) or meeting_on
    listed = participants(text)
    candidates = [Candidate(k.name, k.email) for k in known]
    raws = _raw_decisions(units)
    dues = {id(r): find_due(r.due_source, meeting) or find_due(r.quote, meeting) for r in raws}
    # A task with no date of its own, in a point put on a meeting's agenda, is for that meeting.
    for r in raws:
        if r.kind == "task" and dues[id(r)] is None:
            dues[id(r)] = next(
                (dues[id(a)] for a in raws if a.kind == "agenda" and a.item == r.item), None
            )
    drafts = []
    for r in raws:
        person, full = match_name(r.who, candidates, listed) if r.who else (None, "")
        due = dues[id(r)]
        drafts.append(
            DraftDecision(
                who=r.who,
                who_email=person.email if person else "",
                who_flagged=person is None,
                what=r.what,
                due_on=due.on if due else None,
                due_text=due.text if due else "",
                reports_to=r.reports_to,
                quote=r.quote,
                item=r.item,
                who_name=full,
            )
        )
    return drafts
