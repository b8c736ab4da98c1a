"""Acceptance: the shipped Piteå example, compiled as of 2018-01-10, reproduces the content of
the real återrapport (shared/seeds/pitea-atgardsplan-2018-01-10.txt) in HTML, PDF and DOCX.

The expected texts below are copied from the seed document. Where the seed's cell held
several åtgärder (the second utvecklingsområde), the example file splits them into rows, and
each text is expected in its own row. The status sentence and "Ny återrapport juni 2018." are
generated: the seed's "Pågår." for an åtgärd that is on time reads "Pågår enligt tidsplan."
here, the rule the issue sets; every other sentence is the seed's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

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

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pitea-2018.csv"
NEXT = "Ny återrapport juni 2018."
UPPDRAGET = (
    "Uppdraget utförs av konsult i samband med fördjupad utredning kring grundskolans "
    "ledningsorganisation. Utredningen väntas vara klar i april 2018. Därefter kan en "
    "strategisk plan utarbetas."
)
SECTION = "Möjliga utvecklingsområden som granskningsrapporten påtalar"


@dataclass(frozen=True)
class Expected:
    area: str
    action: tuple[str, ...]
    tidsplan: str
    # In order: status sentence, narrative, "Ny återrapport ..." when the åtgärd is not done.
    processlage: tuple[str, ...]


SKAPA = (
    "Skapa rutiner och system för det systematiska kvalitetsarbetet som effektiviserar "
    "arbetet och ger rektor förutsättningar att fokusera på analysen"
)
OVERSYN = (
    "Förvaltningen genomför en översyn över rektorernas administrativa stöd och "
    "ansvarsområden i syfte att se om organisationsförändringar bör genomföras."
)

ROWS = [
    Expected(
        "Försäkra sig om att rektor får ett kvalificerat stöd i ekonomiska frågor",
        (
            "Ett tydligare upplägg för förvaltningens stöd i ekonomiska frågor (kopplat till "
            "budgetårets olika faser) kommer att utarbetas i dialog med skolledarna. Vi kommer "
            "framför allt att se över gränssytorna mellan ekonomer, administratörer och rektorer "
            "både vad gäller ekonomi och andra inrapporteringar (t ex SCB, Skolverket m fl.). "
            "Kompetensutveckling kring hjälpsystem, rapporteringssystem och ändrade arbetssätt "
            "kommer att erbjudas.",
        ),
        "Klart till mars 2018. Utvärderas oktober 2018.",
        (
            "Pågår enligt tidsplan.",
            "Förvaltningen ser över hanteringen av barn- och elevpengar, tidsplan för "
            "avstämning av budgetutbetalningar, innehåll i ersättningar m.m.",
            "Skolledarna har framfört önskemål om tydligare struktur i ekonomistyrningen vilket "
            "förvaltningen försöker efterleva och bygga strukturer för.",
            NEXT,
        ),
    ),
    Expected(
        SKAPA,
        (
            "Nytt administrativt system för rapportering och uppföljning (Stratsys",
            "Styrning och Ledning",
            "håller redan på att implementeras. Genom detta system kommer kvalitetsarbetet att "
            "bli mer överskådligt för skolledarna. Kopplingen mellan mål och uppföljning kommer "
            "att förtydligas samt sammanställas i ett och samma program. Förvaltningens "
            "kvalitetscontroller kommer även lättare kunna bistå skolledarna ute i verksamheten "
            "genom den gemensamma programvaran.",
        ),
        "Administrativt system implementeras våren 2018.",
        (
            "Pågår enligt tidsplan.",
            "Tyvärre har implementeringen av administrativt system dragit ut på tiden. Vi "
            "räknar dock med att kunna genomföra utbildning i systemet under första kvartalet "
            "2018 och förhoppningsvis kunna rapportera delåret i ”skarpt läge” i systemet.",
            NEXT,
        ),
    ),
    Expected(
        SKAPA,
        (
            "Förvaltningens kvalitetscontroller håller redan på att se över hur rutinerna för "
            "det systematiska kvalitetsarbetet ska bli enklare och hur processen kring "
            "förvaltningens systematiska kvalitetsarbete kan bli mer transparent med ökad "
            "delaktighet för bl a skolledarna.",
        ),
        "Nya rutiner för det systematiska kvalitetsarbetet klara januari 2018.",
        (
            "Klar.",
            "De nya riktlinjerna för utbildningsförvaltningens systematiska kvalitetsarbete är "
            "klara och implementerade. Kvalitetsrapporten ”",
            "Utbildning, arbete och näringsliv",
            "” utgår från de nya rutinerna och kommer att presenteras för nämnden i februari.",
        ),
    ),
    Expected(
        SKAPA,
        (
            "Utbildning och utvecklat stöd kring analys av underlag till kommunens skolledare "
            "inleds under våren 2018 och kommer att bli en återkommande del av det systematiska "
            "kvalitetsarbetet.",
        ),
        "Utvärderas oktober 2018.",
        (
            "Pågår enligt tidsplan.",
            "En tydligare samverkan mellan förvaltning och verksamheter pågår och processen i "
            "analysarbetet känns mer levande än tidigare.",
            NEXT,
        ),
    ),
    Expected(
        "Klargöra ansvarsfördelningen i fastighets- och lokalfrågor mellan nämnden och "
        "Fastighets- och serviceförvaltningen",
        (
            "Förnyade kontakter tas mellan förvaltningsledningarna (inklusive nämndsordförande) "
            "för båda förvaltningarna med syfte att i samråd utforma riktlinjer som tydliggör "
            "ansvarsfördelningen.",
        ),
        "Klart december 2017. Utvärderas september 2018.",
        ("Ej påbörjat.", NEXT),
    ),
    Expected(
        "Utforma en plan för rektorernas ledarskapsutveckling",
        (
            "Rektoreernas nuvarande ledarskaps- och kompetensutveckling analyseras, därefter "
            "utformas en tydlig och strategisk plan för rektors utveckling som inbegriper såväl "
            "förutsättningar för nyanställda rektor som de som har lång arbetslivserfarenhet i "
            "kommunen.",
        ),
        "Klart januari 2018. Utvärderas januari 2019.",
        ("Pågår enligt tidsplan.", UPPDRAGET, NEXT),
    ),
    Expected(
        "Tydliggöra lektors uppdrag i organisationen",
        (
            "Från och med höstterminen 2017 har lektor/vetenskaplig ledare, i samråd med "
            "områdescheferna och gymnasiechef, utformat en plan för hur lektor ska kunna bidra "
            "med information och kunskapsutveckling för kommunens skolledare. Insatsen syftar "
            "till att stödja skolledarnas roll i den praktiska skolforskningen.",
            "Samtliga skolledare deltar, tillsammans med lektor/vetenskaplig ledare, "
            "flexitforskare och forskare från Umeå Universitet, i utbildningsinsatsen som pågår "
            "under tre år med ca 3-4 träffar per läsår.",
        ),
        "Pågår hösten 2017 – hösten 2020 och utvärderas löpande under utbildningens gång.",
        (
            "Klar.",
            "Insatsen pågår och samtliga skolledare inom förskola, grundskola och gymnasium "
            "deltar. Åtgärden i denna plan anses därför vara avslutad.",
        ),
    ),
    Expected(
        "Genomföra en översyn av rektorernas administrativa stöd",
        (OVERSYN,),
        "Klart juni 2018.",
        ("Pågår enligt tidsplan.", UPPDRAGET, NEXT),
    ),
    Expected(
        "Genomföra en översyn av rektorernas ansvarsområden",
        (OVERSYN,),
        "Klart juni 2018.",
        ("Pågår enligt tidsplan.", UPPDRAGET, NEXT),
    ),
    Expected(
        "Förbättra rutinerna för informationsöverföring inom organisationen",
        (
            "Förvaltningens ledningsgrupp får i uppdrag att förtydliga och förenkla "
            "informationsöverföringen inom förvaltningen och mellan dess olika verksamheter och "
            "enheter.",
        ),
        "Klart januari 2018 Utvärderas juni 2018.",
        ("Ej påbörjat.", NEXT),
    ),
    Expected(
        "Förbättra introduktionen av administrativa system för rektorerna",
        (
            "Bristen åtgärdas inom ramen för den strategiska plan för rektors utveckling som "
            "kommer att tas fram (se tidigare punkt).",
        ),
        "Klart januari 2018. Utvärderas januari 2019.",
        ("Pågår enligt tidsplan.", UPPDRAGET, NEXT),
    ),
]
# The section heading comes before this row.
SECTION_BEFORE = 5

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


@pytest.fixture
def documents(app: App, now: datetime) -> dict[str, bytes]:
    """The Piteå example imported on the report's date, compiled as of 2018-01-10."""
    with app.transaction() as s:
        result = importing.import_file(s, app.registry, EXAMPLE, now=now)
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
    kinds = [r.kind for r in rows]
    assert kinds == ["action"] * SECTION_BEFORE + ["section"] + ["action"] * (
        len(ROWS) - SECTION_BEFORE
    )
    assert squash(rows[SECTION_BEFORE].area) == squash(SECTION)
    actions = [r for r in rows if r.kind == "action"]
    for got, want in zip(actions, ROWS, strict=True):
        assert squash(got.area) == squash(want.area)
        assert find_in_order(got.action, list(want.action)) == [], got.action
        assert squash(got.tidsplan) == squash(want.tidsplan)
        assert find_in_order(got.processlage, list(want.processlage)) == [], got.processlage
        # Nothing else in the cell: the sentences and the narrative make up all of it.
        assert len(squash(got.processlage)) == len(squash("".join(want.processlage)))


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
        expected.extend([*row.action, row.tidsplan, *row.processlage])
    expected.extend(FOOTER)
    assert find_in_order(text, expected) == []
    assert "Sida 1 av" in text
