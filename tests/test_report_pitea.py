"""Acceptance: the shipped Piteå example, compiled as of 2018-01-10, reproduces the real
återrapport (tests/data/pitea-atgardsplan-2018-01-10.txt, the seed) in HTML, PDF and DOCX.

The expected texts below are the seed's, cell by cell; the first test checks them against the
seed file itself, word for word, so that no text of the seed is left out or altered here. The
seed's processläge texts ("Pågår enligt tidsplan. ... Ny återrapport juni 2018.") are what the
förvaltning wrote, and the example carries them as its owners' notes: the report prints each
exactly, and adds nothing to it. What the tracker knows itself (when the note was written,
the state, late or not) stands apart in the same cell, and is checked apart.

Where the seed's cell held several åtgärder (the second utvecklingsområde), the example splits
them into rows, and each text is expected in its own row. The seed's italics are plain here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest

from tests.support.documents import (
    TableRow,
    docx_rows,
    find_in_order,
    html_rows,
    pdf_text,
    squash,
)
from tracker.app import App
from tracker.services import importing, reports

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "pitea-2018.csv"
SEED = Path(__file__).resolve().parent / "data" / "pitea-atgardsplan-2018-01-10.txt"

NEXT = "Ny återrapport juni 2018."
UPPDRAGET = (
    "Pågår. Uppdraget utförs av konsult i samband med fördjupad utredning kring grundskolans "
    "ledningsorganisation. Utredningen väntas vara klar i april 2018. Därefter kan en "
    "strategisk plan utarbetas. Ny återrapport juni 2018."
)
# The seed's section heading, colon and all.
SECTION = "Möjliga utvecklingsområden som granskningsrapporten påtalar:"
ON_TIME = "i tid"


@dataclass(frozen=True)
class Expected:
    area: str
    action: str
    tidsplan: str
    # The seed's processläge, paragraph by paragraph as the seed has them.
    processlage: tuple[str, ...]
    # What the tracker says beside it: the state, and against the tidsplan on 2018-01-10.
    state: str
    timing: str = ON_TIME

    @property
    def facts(self) -> str:
        return f"Registrerat läge: {self.state}. Mot tidsplanen: {self.timing}."


SKAPA = (
    "Skapa rutiner och system för det systematiska kvalitetsarbetet som effektiviserar "
    "arbetet och ger rektor förutsättningar att fokusera på analysen."
)
OVERSYN = (
    "Förvaltningen genomför en översyn över rektorernas administrativa stöd och "
    "ansvarsområden i syfte att se om organisationsförändringar bör genomföras."
)

ROWS = [
    Expected(
        "Försäkra sig om att rektor får ett kvalificerat stöd i ekonomiska frågor",
        "Ett tydligare upplägg för förvaltningens stöd i ekonomiska frågor (kopplat till "
        "budgetårets olika faser) kommer att utarbetas i dialog med skolledarna. Vi kommer "
        "framför allt att se över gränssytorna mellan ekonomer, administratörer och rektorer "
        "både vad gäller ekonomi och andra inrapporteringar (t ex SCB, Skolverket m fl.). "
        "Kompetensutveckling kring hjälpsystem, rapporteringssystem och ändrade arbetssätt "
        "kommer att erbjudas.",
        "Klart till mars 2018. Utvärderas oktober 2018.",
        (
            "Pågår enligt tidsplan.",
            "Förvaltningen ser över hanteringen av barn- och elevpengar, tidsplan för "
            "avstämning av budgetutbetalningar, innehåll i ersättningar m.m.",
            "Skolledarna har framfört önskemål om tydligare struktur i ekonomistyrningen vilket "
            "förvaltningen försöker efterleva och bygga strukturer för.",
            NEXT,
        ),
        "Pågår",
    ),
    Expected(
        SKAPA,
        "Nytt administrativt system för rapportering och uppföljning (Stratsys Styrning och "
        "Ledning) håller redan på att implementeras. Genom detta system kommer "
        "kvalitetsarbetet att bli mer överskådligt för skolledarna. Kopplingen mellan mål och "
        "uppföljning kommer att förtydligas samt sammanställas i ett och samma program. "
        "Förvaltningens kvalitetscontroller kommer även lättare kunna bistå skolledarna ute i "
        "verksamheten genom den gemensamma programvaran.",
        "Administrativt system implementeras våren 2018.",
        (
            "Pågår enligt tidsplan.",
            "Tyvärre har implementeringen av administrativt system dragit ut på tiden. Vi "
            "räknar dock med att kunna genomföra utbildning i systemet under första kvartalet "
            "2018 och förhoppningsvis kunna rapportera delåret i ”skarpt läge” i systemet.",
            NEXT,
        ),
        "Pågår",
    ),
    Expected(
        SKAPA,
        "Förvaltningens kvalitetscontroller håller redan på att se över hur rutinerna för det "
        "systematiska kvalitetsarbetet ska bli enklare och hur processen kring förvaltningens "
        "systematiska kvalitetsarbete kan bli mer transparent med ökad delaktighet för bl a "
        "skolledarna.",
        "Nya rutiner för det systematiska kvalitetsarbetet klara januari 2018.",
        (
            "De nya riktlinjerna för utbildningsförvaltningens systematiska kvalitetsarbete är "
            "klara och implementerade. Kvalitetsrapporten ”Utbildning, arbete och näringsliv” "
            "utgår från de nya rutinerna och kommer att presenteras för nämnden i februari.",
        ),
        "Klar",
    ),
    Expected(
        SKAPA,
        "Utbildning och utvecklat stöd kring analys av underlag till kommunens skolledare "
        "inleds under våren 2018 och kommer att bli en återkommande del av det systematiska "
        "kvalitetsarbetet.",
        "Utvärderas oktober 2018.",
        (
            "En tydligare samverkan mellan förvaltning och verksamheter pågår och processen i "
            "analysarbetet känns mer levande än tidigare.",
            "Pågår enligt tidsplan.",
            NEXT,
        ),
        "Pågår",
    ),
    Expected(
        "Klargöra ansvarsfördelningen i fastighets- och lokalfrågor mellan nämnden och "
        "Fastighets- och serviceförvaltningen",
        "Förnyade kontakter tas mellan förvaltningsledningarna (inklusive nämndsordförande) "
        "för båda förvaltningarna med syfte att i samråd utforma riktlinjer som tydliggör "
        "ansvarsfördelningen.",
        "Klart december 2017. Utvärderas september 2018.",
        (f"Ej påbörjat. {NEXT}",),
        "Ej påbörjat",
        # The writer says nothing of being late; the tracker does.
        "försenad sedan 2017-12-31",
    ),
    Expected(
        "Utforma en plan för rektorernas ledarskapsutveckling",
        "Rektoreernas nuvarande ledarskaps- och kompetensutveckling analyseras, därefter "
        "utformas en tydlig och strategisk plan för rektors utveckling som inbegriper såväl "
        "förutsättningar för nyanställda rektor som de som har lång arbetslivserfarenhet i "
        "kommunen.",
        "Klart januari 2018. Utvärderas januari 2019.",
        (UPPDRAGET,),
        "Pågår",
    ),
    Expected(
        "Tydliggöra lektors uppdrag i organisationen",
        "Från och med höstterminen 2017 har lektor/vetenskaplig ledare, i samråd med "
        "områdescheferna och gymnasiechef, utformat en plan för hur lektor ska kunna bidra "
        "med information och kunskapsutveckling för kommunens skolledare. Insatsen syftar "
        "till att stödja skolledarnas roll i den praktiska skolforskningen. "
        "Samtliga skolledare deltar, tillsammans med lektor/vetenskaplig ledare, "
        "flexitforskare och forskare från Umeå Universitet, i utbildningsinsatsen som pågår "
        "under tre år med ca 3-4 träffar per läsår.",
        "Pågår hösten 2017 – hösten 2020 och utvärderas löpande under utbildningens gång.",
        (
            "Insatsen pågår och samtliga skolledare inom förskola, grundskola och gymnasium "
            "deltar. Åtgärden i denna plan anses därför vara avslutad.",
        ),
        "Klar",
    ),
    Expected(
        "Genomföra en översyn av rektorernas administrativa stöd",
        OVERSYN,
        "Klart juni 2018.",
        (UPPDRAGET,),
        "Pågår",
    ),
    Expected(
        "Genomföra en översyn av rektorernas ansvarsområden",
        OVERSYN,
        "Klart juni 2018.",
        (UPPDRAGET,),
        "Pågår",
    ),
    Expected(
        "Förbättra rutinerna för informationsöverföring inom organisationen",
        "Förvaltningens ledningsgrupp får i uppdrag att förtydliga och förenkla "
        "informationsöverföringen inom förvaltningen och mellan dess olika verksamheter och "
        "enheter.",
        "Klart januari 2018 Utvärderas juni 2018.",
        (f"Ej påbörjat. {NEXT}",),
        "Ej påbörjat",
    ),
    Expected(
        "Förbättra introduktionen av administrativa system för rektorerna",
        "Bristen åtgärdas inom ramen för den strategiska plan för rektors utveckling som "
        "kommer att tas fram (se tidigare punkt).",
        "Klart januari 2018. Utvärderas januari 2019.",
        (UPPDRAGET,),
        "Pågår",
    ),
]
# The section heading comes before this row.
SECTION_BEFORE = 5
# Every processläge was imported, so written, on the report's date.
NOTE_LINE = "Skrivet 2018-01-10."

BACKGROUND = [
    "Åtgärdsplan för att stärka grundskolans ledningsfunktion",
    "KPMG fick av Piteå kommuns revisorer i uppdrag att granska grundskolans "
    "ledningsfunktion/rektors uppdrag våren 2017. Granskningen fokuserade på såväl organisation "
    "som ledningsstöd. Efter granskningens genomförande fattade Barn- och utbildningsnämnden "
    "beslut om att ställa sig bakom förvaltningens förslag till åtgärder för att möta "
    "granskningens rekommendationer och påtalade förbättringsområden, samt begärde återrapport "
    "på förvaltningens åtgärder i enlighet med nedanstående åtgärdsplan.",
    "Här återrapporteras även nuvarande läge i processen.",
]
FOOTER = ["Piteå 2018-01-10", "Malin Westling, förvaltningschef", "Utbildningsförvaltningen"]


def _words(text: str) -> Counter[str]:
    return Counter(text.replace("•", " ").split())


def _seed_table_words() -> Counter[str]:
    """Every word of the seed's table, from its header row to the signature: without its
    markup (which sits inside words: ”<i>Utbildning), the page headers (the date alone on a
    line) and the page breaks' separator rows. The seed is a PDF's text, so a cell split by a
    page break comes back in pieces and out of order: words are compared, not sentences."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    start = lines.index("Utvecklingsområde\tÅtgärd\tTidsplan\tProcessläge")
    end = lines.index("Piteå 2018-01-10")
    kept = [
        line
        for line in lines[start + 1 : end]
        if line.strip() != "2018-01-10" and not re.fullmatch(r"[-\t ]+", line)
    ]
    return _words(re.sub(r"<[^>]+>", "", "\n".join(kept)))


def _expected_words() -> Counter[str]:
    """The words of ROWS as the seed prints them: an area once however many rows it has."""
    texts = [SECTION]
    previous_area = ""
    for row in ROWS:
        if row.area != previous_area:
            texts.append(row.area)
            previous_area = row.area
        texts += [row.action, row.tidsplan, *row.processlage]
    return _words(" ".join(texts))


def test_the_expected_texts_are_every_word_of_the_seeds_table_and_nothing_else() -> None:
    seed = _seed_table_words()
    expected = _expected_words()
    assert seed - expected == Counter(), "in the seed, not expected"
    assert expected - seed == Counter(), "expected, not in the seed"
    assert sum(seed.values()) > 700


@pytest.fixture
def documents(app: App, now: datetime) -> dict[str, bytes]:
    """The Piteå example imported on the report's date, compiled as of 2018-01-10."""
    with app.transaction() as s:
        result = importing.import_file(s, app.registry, app.settings, EXAMPLE, now=now)
    with app.transaction() as s:
        snapshot = reports.build_snapshot(
            s,
            app.registry,
            result.plan_id,
            as_of=date(2018, 1, 10),
            now=now + timedelta(hours=3),
            tz=app.tz,
            draft_days=app.settings.report_draft_days_before,
        )
    return reports.render(snapshot)


def _check_rows(rows: list[TableRow]) -> None:
    """Each cell holds exactly its seed text (whitespace and paragraph breaks aside), in the
    seed's row; the processläge cell holds the seed's text, then the date line, then the
    tracker's facts, each apart."""
    kinds = [r.kind for r in rows]
    assert kinds == ["action"] * SECTION_BEFORE + ["section"] + ["action"] * (
        len(ROWS) - SECTION_BEFORE
    )
    assert rows[SECTION_BEFORE].area == SECTION
    actions = [r for r in rows if r.kind == "action"]
    for got, want in zip(actions, ROWS, strict=True):
        assert squash(got.area) == squash(want.area)
        assert squash(got.action) == squash(want.action), got.action
        assert squash(got.tidsplan) == squash(want.tidsplan)
        assert squash(got.note) == squash(" ".join(want.processlage)), got.note
        assert got.note_line == NOTE_LINE
        assert got.facts == want.facts
        assert squash(got.processlage) == squash(got.note + NOTE_LINE + want.facts)


def test_the_html_report_has_every_seed_text_in_its_row(documents: dict[str, bytes]) -> None:
    html = documents["html"].decode("utf-8")
    _check_rows(html_rows(html))
    assert find_in_order(html, [*BACKGROUND, *FOOTER]) == []


def test_the_docx_report_has_every_seed_text_in_its_row(documents: dict[str, bytes]) -> None:
    _check_rows(docx_rows(documents["docx"]))


def test_the_pdf_report_has_every_seed_text_in_reading_order(
    documents: dict[str, bytes],
) -> None:
    """The PDF holds the table cell by cell, row by row: in the extracted text each
    row's area, åtgärd, tidsplan and processläge follow each other, rows in plan order."""
    text = pdf_text(documents["pdf"])
    expected: list[str] = [*BACKGROUND]
    previous_area = ""
    for i, row in enumerate(ROWS):
        if i == SECTION_BEFORE:
            expected.append(SECTION)
        if row.area != previous_area:
            expected.append(row.area)
            previous_area = row.area
        expected.extend([row.action, row.tidsplan, *row.processlage, NOTE_LINE, row.facts])
    expected.extend(FOOTER)
    assert find_in_order(text, expected) == []
    assert "Sida 1 av" in text


def test_the_summary_says_what_the_rows_say(documents: dict[str, bytes]) -> None:
    """One åtgärd is past its date on 2018-01-10 (Ej påbörjat, due December 2017): the
    summary counts it, the list names it, its row says so; none of it in the writer's text."""
    text = lxml.html.fromstring(documents["html"].decode("utf-8")).text_content()
    late = [row for row in ROWS if row.timing != ON_TIME]
    assert [row.state for row in late] == ["Ej påbörjat"]
    summary = [
        "Nästa återrapport: juni 2018.",
        "Mot tidsplanen I tid 10 Försenade 1 Utvärdering försenad 0",
        "Försenade åtgärder",
        f"{late[0].area}: Förnyade kontakter tas mellan förvaltningsledningarna",
        "(Ej påbörjat, försenad sedan 2017-12-31)",
    ]
    assert find_in_order(text, summary) == []
