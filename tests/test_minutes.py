"""Decisions drafted from minutes: reading text, Word and PDF, the phrasings and date phrases
minutes use, names matched through OCR damage and never invented, the seed minutes' recall, and
`tracker protokoll draft`."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import time
import zipfile
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import ModuleType

import docx
import pytest
import typst
from typer.testing import CliRunner

from tracker.cli import cli
from tracker.domain.minutes import (
    DraftDecision,
    KnownPerson,
    extract_decisions,
    read_minutes,
)
from tracker.domain.minutes_dates import find_due
from tracker.domain.minutes_people import Candidate, match_name
from tracker.domain.pdf_text import PdfUnreadable, pdf_pages
from tracker.domain.problems import FileRefused
from tracker.reports.typst_compile import FONTS

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "minutes"
HELSINGBORG = DATA / "helsingborg-ledningsgrupp-2021-02-09-ocr.txt"
MEETING = date(2021, 2, 9)
KNOWN = [
    KnownPerson("Tony Mufic", "tony.mufic@helsingborg.example"),
    KnownPerson("Maria Boman Hansson", "maria.boman.hansson@helsingborg.example"),
    KnownPerson("Marie Krantz", "marie.krantz@helsingborg.example"),
    KnownPerson("Björn Sjöberg", "bjorn.sjoberg@helsingborg.example"),
    KnownPerson("Åsa Lindén", "asa.linden@helsingborg.example"),
]


def drafts(text: str, meeting_on: date | None = MEETING) -> list[DraftDecision]:
    return extract_decisions(text, known=KNOWN, meeting_on=meeting_on)


def one(text: str, meeting_on: date | None = MEETING) -> DraftDecision:
    [found] = drafts(text, meeting_on)
    return found


def pdf(source: str) -> bytes:
    return typst.compile(
        source.encode(), font_paths=[str(FONTS)], ignore_system_fonts=True, format="pdf"
    )


# --- reading ---------------------------------------------------------------------------


def test_plain_text_is_read_as_utf8_or_windows_1252() -> None:
    text = "3. Budget\nTony återkommer till Maria.\n"
    assert read_minutes(text.encode("utf-8"), "lg.txt") == text
    assert read_minutes(text.encode("cp1252"), "lg.txt") == text
    assert read_minutes(text.replace("\n", "\r\n").encode("utf-8-sig"), "lg.txt") == text


def test_a_word_document_is_read_with_its_tables() -> None:
    document = docx.Document()
    document.add_paragraph("Närvarande:")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Tony Mufic"
    table.rows[0].cells[1].text = "Skoldirektör"
    document.add_paragraph("5. Kvalitetsrapporter")
    document.add_paragraph("Tony återkommer med besked till Maria senast 15 mars.")
    out = io.BytesIO()
    document.save(out)
    text = read_minutes(out.getvalue(), "protokoll.docx")
    assert "| Tony Mufic | Skoldirektör |" in text
    [found] = drafts(text)
    assert (found.item, found.who_email, found.due_on) == (
        "5",
        "tony.mufic@helsingborg.example",
        date(2021, 3, 15),
    )


def test_a_pdf_with_a_text_layer_is_read() -> None:
    data = pdf("= Ledningsgrupp\n\nTony återkommer med besked till Maria senast 15 mars.")
    text = read_minutes(data, "protokoll.pdf")
    assert "Tony återkommer med besked till Maria senast 15 mars." in text
    assert one(text).reports_to == "Maria"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "tomt.txt", "filen innehåller ingen text"),
        (b" \n\n \t", "tomt.txt", "filen innehåller ingen text"),
        (pdf("#rect(width: 4cm, height: 2cm, fill: black)"), "skannad.pdf", "ingen text"),
        (b"%PDF-1.7 trasig", "trasig.pdf", "kan inte läsas som en PDF"),
        (b"PK\x03\x04 trasig", "trasig.docx", "kan inte läsas som ett Word-dokument"),
    ],
)
def test_a_file_without_text_is_refused_in_swedish(
    data: bytes, filename: str, message: str
) -> None:
    with pytest.raises(FileRefused) as refused:
        read_minutes(data, filename)
    assert message.lower() in refused.value.message.lower()
    assert refused.value.message.startswith(f"{filename} importerades inte")


def word_document(body: bytes, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A Word document whose body (document.xml's <w:body>) holds `body`."""
    made = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Tony tar fram en ny rutin.")
    document.save(made)
    source = zipfile.ZipFile(made)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + body, 1)
            target.writestr(info.filename, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        # 20 MB of spaces in some 20 kB: a zip bomb's ratio, refused before it is unpacked.
        (
            lambda: word_document(b" " * 20_000_000),
            "gånger sin packade storlek; ett dokument från Word",
        ),
        # 600 000 empty paragraphs, not packed at all: a tree python-docx would build whole.
        (
            lambda: word_document(b"<w:p/>" * 600_000, zipfile.ZIP_STORED),
            "fler än 500 000 XML-element; ett protokoll från Word har långt färre",
        ),
    ],
)
def test_a_word_document_that_unpacks_to_too_much_is_refused_before_it_is_read(
    make: Callable[[], bytes], message: str
) -> None:
    with pytest.raises(FileRefused) as refused:
        read_minutes(make(), "protokoll.docx")
    [problem] = refused.value.problems
    assert message in str(problem)


def raw_pdf(content: bytes, *, filter_name: bytes = b"/FlateDecode") -> bytes:
    """A one-page PDF written by hand around `content`, the page's content stream: what a
    tool would not write, but anyone can upload."""
    stream = zlib.compress(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
        b"<< /Length %d /Filter %s >>\nstream\n%s\nendstream" % (len(stream), filter_name, stream),
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    out.seek(0, io.SEEK_END)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


SHOWN = b"BT /F1 12 Tf 72 700 Td (Tony tar fram en ny rutin.) Tj ET\n"


def test_a_pdf_written_by_hand_is_read() -> None:
    assert read_minutes(raw_pdf(SHOWN), "protokoll.pdf") == "Tony tar fram en ny rutin."


def test_a_pdf_broken_in_a_way_pypdf_does_not_expect_is_refused_in_swedish() -> None:
    # pypdf raises NotImplementedError for a filter it does not know, not PdfReadError.
    with pytest.raises(FileRefused) as refused:
        read_minutes(raw_pdf(SHOWN, filter_name=b"/FlateDecodX"), "trasig.pdf")
    assert str(refused.value.problems[0]) == "Filen kan inte läsas som en PDF"


def test_a_small_pdf_that_takes_long_to_read_is_stopped() -> None:
    # Some 30 kB that unpack to one page of 8 MB of text operators: half a minute of pypdf.
    slow = raw_pdf(SHOWN * (8_000_000 // len(SHOWN)))
    assert len(slow) < 50_000
    started = time.perf_counter()
    with pytest.raises(PdfUnreadable) as stopped:
        pdf_pages(slow, seconds=2)
    assert stopped.value.reason == "slow"
    assert time.perf_counter() - started < 10


def test_a_word_broken_at_a_line_s_end_is_joined_and_other_lines_get_a_space() -> None:
    [found] = extract_decisions(
        "Beslut\nTony tar fram en ny organisa-\ntion för\nskolan till den 1 mars.\n",
        known=[KnownPerson("Tony Mufic", "tony.mufic@helsingborg.example")],
        meeting_on=date(2021, 2, 9),
    )
    assert found.quote == "Tony tar fram en ny organisation för skolan till den 1 mars."


def test_a_long_text_of_short_lines_is_read_in_seconds() -> None:
    # Each line's cost must not grow with the paragraph so far: adding every line to one
    # string, and searching it whole for a broken word, took an hour for the 500 000 lines a
    # pasted protokoll may hold (100 000 of them: some 90 s).
    started = time.perf_counter()
    extract_decisions("x\n" * 100_000, known=[], meeting_on=date(2021, 2, 9))
    assert time.perf_counter() - started < 10


# --- phrasings ---------------------------------------------------------------------------


def test_aterkommer_med_besked_gives_who_and_to_whom() -> None:
    found = one(
        "6. Dialogverktyg\no Tony stämmer av frågan med Daniel och återkommer med besked till Maria"
    )
    assert (found.item, found.who, found.who_email, found.reports_to) == (
        "6",
        "Tony",
        "tony.mufic@helsingborg.example",
        "Maria",
    )
    assert found.what.startswith("stämmer av frågan med Daniel")
    assert found.quote.startswith("Tony stämmer av frågan")


def test_ocr_damaged_aterkommer_is_read() -> None:
    found = one("1. Info\no Tony stimmer av fragan och aterkommer med besked till Maria")
    assert (found.who, found.reports_to, found.who_flagged) == ("Tony", "Maria", False)


def test_uppgift_gives_one_task_per_person_named() -> None:
    found = drafts(
        "5. Kvalitetsrapporter\n"
        "e Punkten läggs in på LG mötet den 23 mars\n"
        "o Uppgift: Alla i LG uppmanas att läsa senaste kvalitetsrapporten, Tony lägger "
        "även in frågeställningar på dagordningen.\n"
    )
    assert [(d.who, d.due_on) for d in found] == [
        ("", date(2021, 3, 23)),
        ("Alla i LG", date(2021, 3, 23)),
        ("Tony", date(2021, 3, 23)),
    ]
    assert found[0].due_text == "den 23 mars"
    assert found[1].who_flagged and found[1].who_email == ""
    assert not found[2].who_flagged


@pytest.mark.parametrize(
    ("text", "who", "what"),
    [
        ("2. Budget\nÅsa Lindén får i uppdrag att ta fram en tidsplan.", "Åsa Lindén", "får i"),
        ("2. Budget\nNämnden ger Åsa i uppdrag att utreda frågan.", "Åsa", "utreda"),
        ("2. Budget\nMaria tar fram förslag och utser deltagare från LG", "Maria", "tar fram"),
        ("2. Budget\nNästa steg: Åsa bjuder in rektorerna.", "Åsa", "bjuder in"),
        ("2. Budget\nUppgift: skriv en sammanfattning.", "", "skriv"),
    ],
)
def test_task_phrasings(text: str, who: str, what: str) -> None:
    found = one(text)
    assert (found.item, found.who) == ("2", who)
    assert found.what.startswith(what)


def test_a_beslut_heading_makes_each_point_a_decision() -> None:
    found = drafts(
        "KSPU § 7:3\n\nProduktionsutskottets beslut\n\n"
        "1. Notera månadsuppföljningen till protokollet.\n"
        "2. Uppföljningen överlämnas till Kommunstyrelsen.\n\n"
        "Sammanfattning\n\nUtskottet redovisar ett resultat.\n"
    )
    assert [(d.item, d.who, d.reports_to) for d in found] == [
        ("§ 7:3", "", ""),
        ("§ 7:3", "", "Kommunstyrelsen"),
    ]
    assert found[0].quote == "1. Notera månadsuppföljningen till protokollet."
    assert found[0].what == "Notera månadsuppföljningen till protokollet"


def test_beslut_in_running_text_and_a_summary_repeating_it_once() -> None:
    found = drafts(
        "1. IKT\n\nCLG beslutar om IKT-organisationen fr.o.m. hösten 2017.\n\n"
        "2. Skolval\n\nMats gav en uppdatering.\n\n"
        "Beslut\n\n1. IKT\n\nCLG beslutar om IKT-organisationen fr.o.m. hösten 2017.\n"
    )
    assert [(d.item, d.due_on, d.due_text) for d in found] == [("1", None, "")]


def test_redovisas_senast_and_laggs_in_pa_nasta_mote() -> None:
    found = drafts(
        "4. Uppföljning\nUppdraget redovisas för nämnden senast 15 mars 2022.\n"
        "Punkten läggs in för information på nästa FSG.\n"
    )
    assert [(d.reports_to, d.due_on, d.due_text) for d in found] == [
        ("nämnden", date(2022, 3, 15), "senast 15 mars 2022"),
        ("", None, "på nästa FSG"),
    ]


def test_information_is_not_a_decision() -> None:
    assert drafts("3. Info\nVårt stöd och de lösningar vi tar fram bygger på erfarenhet.\n") == []
    assert drafts("3. Info\nPå förra mötet fick cheferna i uppdrag att göra en översyn.\n") == []


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "meeting_on", "due_on", "due_text"),
    [
        ("klart senast 15 mars", date(2021, 2, 9), date(2021, 3, 15), "senast 15 mars"),
        ("senast 15 mars", date(2021, 11, 2), date(2022, 3, 15), "senast 15 mars"),
        ("på mötet den 23 mars", date(2021, 2, 9), date(2021, 3, 23), "den 23 mars"),
        ("till 2 april 2023", None, date(2023, 4, 2), "till 2 april 2023"),
        ("senast måndag 18 maj", date(2020, 5, 13), date(2020, 5, 18), "senast måndag 18 maj"),
        ("till nästa LG", date(2021, 2, 9), None, "till nästa LG"),
        ("pa nésta FSG", date(2021, 2, 9), None, "pa nésta FSG"),
        ("tas i bruk till hösten", date(2021, 2, 9), date(2021, 9, 30), "till hösten"),
        ("till hösten", date(2021, 10, 9), date(2022, 9, 30), "till hösten"),
        ("klart under hösten 2021", None, date(2021, 12, 31), "under hösten 2021"),
        ("senast vecka 12", date(2021, 2, 9), date(2021, 3, 26), "senast vecka 12"),
        ("v. 3", date(2021, 2, 9), date(2022, 1, 21), "v. 3"),
        ("i mars", date(2021, 2, 9), date(2021, 3, 31), "i mars"),
        ("torsdag 11/2", date(2021, 2, 9), date(2021, 2, 11), "torsdag 11/2"),
        ("senast 2021-06-30", None, date(2021, 6, 30), "senast 2021-06-30"),
        ("den 23 mars", None, None, "den 23 mars"),
    ],
)
def test_date_phrases(
    text: str, meeting_on: date | None, due_on: date | None, due_text: str
) -> None:
    due = find_due(text, meeting_on)
    assert due is not None
    assert (due.on, due.text) == (due_on, due_text)


@pytest.mark.parametrize(
    "text", ["fr.o.m. hösten 2017", "med start hösten 2020", "prognos per 2020-12-31", "inget"]
)
def test_starts_and_dates_of_figures_are_not_due_dates(text: str) -> None:
    assert find_due(text, date(2020, 5, 13)) is None


def test_the_minutes_own_date_wins_over_the_one_given() -> None:
    text = "Tid: Onsdag den 13 maj 2020\n\n§ 4\n\nTony återkommer till Maria senast 18 maj.\n"
    assert one(text, date(2019, 1, 1)).due_on == date(2020, 5, 18)


# --- people ------------------------------------------------------------------------------

CANDIDATES = [Candidate(k.name, k.email) for k in KNOWN]


@pytest.mark.parametrize(
    ("written", "email"),
    [
        ("Tony", "tony.mufic@helsingborg.example"),
        ("tony mufic", "tony.mufic@helsingborg.example"),
        ("Bj6rn", "bjorn.sjoberg@helsingborg.example"),
        ("Sjéberg", "bjorn.sjoberg@helsingborg.example"),
        ("Asa", "asa.linden@helsingborg.example"),
        ("Asa Linden", "asa.linden@helsingborg.example"),
        ("Tonys", "tony.mufic@helsingborg.example"),
    ],
)
def test_ocr_damaged_and_accentless_names_are_matched(written: str, email: str) -> None:
    person, _full = match_name(written, CANDIDATES, [])
    assert person is not None and person.email == email


@pytest.mark.parametrize("written", ["Daniel", "Mari", "Alla i LG", "Marie Boman"])
def test_a_name_nobody_fits_alone_is_not_matched(written: str) -> None:
    assert match_name(written, CANDIDATES, []) == (None, "")


def test_maria_is_never_taken_for_marie() -> None:
    only_marie = [Candidate("Marie Krantz", "marie.krantz@helsingborg.example")]
    assert match_name("Maria", only_marie, []) == (None, "")


def test_the_participant_list_decides_between_namesakes_and_is_no_known_person() -> None:
    known = [Candidate("Tony Mufic", "a@x.example"), Candidate("Tony Berg", "b@x.example")]
    assert match_name("Tony", known, ["Tony Berg", "Maria Boman Hansson"]) == (
        known[1],
        "Tony Berg",
    )
    # Listed at the meeting but not known to the product: the full name, no person.
    assert match_name("Maria", known, ["Tony Berg", "Maria Boman Hansson"]) == (
        None,
        "Maria Boman Hansson",
    )
    # A known Tony who was not at the meeting is not the Tony in the minutes.
    assert match_name("Tony", known[:1], ["Tony Berg"]) == (None, "Tony Berg")


def test_the_seed_minutes_never_invent_a_person() -> None:
    text = read_minutes(HELSINGBORG.read_bytes(), HELSINGBORG.name)
    found = extract_decisions(text, known=KNOWN, meeting_on=MEETING)
    emails = {k.email for k in KNOWN}
    assert found
    for d in found:
        assert d.who_email in emails or (d.who_email == "" and d.who_flagged)
        if d.who_email:
            [person] = [k for k in KNOWN if k.email == d.who_email]
            assert d.who_name == person.name
    by_who = {d.who: d for d in found}
    assert by_who["Tony"].who_email == "tony.mufic@helsingborg.example"
    assert by_who["Maria"].who_email == "maria.boman.hansson@helsingborg.example"
    # Matz was at the meeting (Deltagare) but is not known: his full name, flagged.
    assert (by_who["Matz"].who_flagged, by_who["Matz"].who_name) == (True, "Matz Ingvarsson")
    assert by_who["Alla i LG"].who_flagged


# --- the seed minutes --------------------------------------------------------------------


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_minutes", ROOT / "bench" / "minutes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_seed_minutes_decisions_are_found() -> None:
    module = bench()
    names = [*module.TUNED_ON, *module.HELD_OUT]
    total = sum((module.score(name) for name in names), module.Score(0, 0, 0, 0))
    assert total.expected >= 15
    assert total.recall >= 0.9
    assert total.precision >= 0.8


# --- the command -------------------------------------------------------------------------


def tracker(db_url: str, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--database", db_url, *args])
    assert result.exit_code == code, result.output
    return result.output


def test_protokoll_draft_prints_the_proposals_and_saves_nothing(
    db_url: str, tmp_path: Path
) -> None:
    tracker(db_url, "person", "add", "tony.mufic@helsingborg.example", "--name", "Tony Mufic")
    out = tracker(db_url, "protokoll", "draft", str(HELSINGBORG), "--datum", "2021-02-09")
    assert "   Vem: Tony (Tony Mufic <tony.mufic@helsingborg.example>)" in out
    assert "   Vem: Maria (okänd)" in out
    assert "   Återrapport till: Maria" in out
    assert "   När: 2021-03-23 (den 23 mars)" in out
    assert "   När: inget datum (pa nésta FSG)" in out
    assert "5. Punkt 4\n   Vem: (ingen angiven)\n" in out
    assert out.rstrip().endswith("förslag; ingenting sparades.")
    assert "Inga protokoll." in tracker(db_url, "protokoll", "list")

    data = json.loads(
        tracker(db_url, "protokoll", "draft", str(HELSINGBORG), "--json", "--datum", "2021-02-09")
    )
    tony = next(d for d in data if d["who"] == "Tony")
    assert tony["who_email"] == "tony.mufic@helsingborg.example"
    assert tony["item"] == "6" and tony["due_on"] is None
    assert tony["quote"].startswith("Tony stimmer av fragan med Daniel")
    due = next(d for d in data if d["due_text"] == "den 23 mars")
    assert due["due_on"] == "2021-03-23"
    assert all({"who", "what", "due_on", "quote", "item"} <= d.keys() for d in data)
    # The minutes give no year and none is given: the phrase is kept, the date is not guessed.
    undated = json.loads(tracker(db_url, "protokoll", "draft", str(HELSINGBORG), "--json"))
    assert [(d["due_on"], d["due_text"]) for d in undated if d["due_text"] == "den 23 mars"] == [
        (None, "den 23 mars")
    ] * 3

    empty = tmp_path / "tomt.txt"
    empty.write_bytes(b"")
    refused = tracker(db_url, "protokoll", "draft", str(empty), code=1)
    assert "Filen innehåller ingen text" in refused
    assert "ÅÅÅÅ-MM-DD" in tracker(
        db_url, "protokoll", "draft", str(HELSINGBORG), "--datum", "9 feb", code=1
    )
