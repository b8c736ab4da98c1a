"""Rendering an återrapport from a snapshot, in the hard cases: an empty plan, an åtgärd
without dates, very long texts, markup characters; and the same bytes every time."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, date, datetime

import lxml.html
import pytest
from pypdf import PdfReader

from tests.support.documents import (
    docx_rows,
    docx_text,
    find_in_order,
    html_rows,
    pdf_pages,
    pdf_text,
    squash,
)
from tracker.domain.report import (
    ActionSnap,
    AreaSnap,
    IssueSnap,
    PlanSnap,
    Snapshot,
    StateInfo,
)
from tracker.services.reports import render

STATES = (
    StateInfo("ej_paborjat", "Ej påbörjat", initial=True),
    StateInfo("pagar", "Pågår"),
    StateInfo("klar", "Klar", done=True),
    StateInfo("utvarderad", "Utvärderad", done=True, final=True),
)
AT = datetime(2018, 1, 10, 10, 0, tzinfo=UTC)
NASTY = 'Ekonomi & styrning <b>fet</b> "citat" </style></td> <script>alert(1)</script>'


def snap(*areas: AreaSnap, plan: PlanSnap | None = None) -> Snapshot:
    return Snapshot(
        plan=plan or PlanSnap(id=1, title="Åtgärdsplan", ort="Piteå", forvaltning="Förvaltningen"),
        as_of=date(2018, 1, 10),
        cutoff=AT,
        built_at=AT,
        period=date(2018, 1, 1),
        next_report_on=None,
        workflows={"atgard": STATES},
        areas=areas,
    )


def act(i: int, **kw: object) -> ActionSnap:
    values: dict[str, object] = {
        "id": i,
        "text": f"Åtgärd {i}",
        "tidsplan": "",
        "due_on": None,
        "evaluate_on": None,
        "next_report_on": None,
        "workflow": "atgard",
        "state": "pagar",
        "note": "",
        **kw,
    }
    return ActionSnap(**values)  # type: ignore[arg-type]


def test_a_plan_without_actions_renders_in_every_format() -> None:
    docs = render(snap())
    assert [r.kind for r in html_rows(docs["html"].decode())] == ["none"]
    assert "Planen har inga åtgärder." in docs["html"].decode()
    assert "Planen har inga åtgärder." in pdf_text(docs["pdf"])
    assert "Planen har inga åtgärder." in docx_text(docs["docx"])
    assert "planen har 0 åtgärder" in pdf_text(docs["pdf"])


def test_an_action_without_dates_says_only_its_state() -> None:
    docs = render(snap(AreaSnap("Område", "", (act(1), act(2, state="ej_paborjat")))))
    for rows in (html_rows(docs["html"].decode()), docx_rows(docs["docx"])):
        assert [(r.tidsplan, r.processlage) for r in rows] == [
            ("", "Pågår."),
            ("", "Ej påbörjat."),
        ]
    assert find_in_order(pdf_text(docs["pdf"]), ["Åtgärd 1", "Pågår.", "Åtgärd 2"]) == []


def test_markup_characters_are_text_in_every_format() -> None:
    plan = PlanSnap(id=1, title=f"Plan {NASTY}", dnr='BUN "2018" <1>', ort="Piteå")
    docs = render(
        snap(
            AreaSnap(NASTY, NASTY, (act(1, text=NASTY, tidsplan=NASTY, note=NASTY),)),
            plan=plan,
        )
    )
    html = docs["html"].decode()
    assert "<script>" not in html and "<b>fet</b>" not in html
    assert "&lt;script&gt;" in html
    doc = lxml.html.fromstring(html)
    assert doc.xpath("//script") == [] and doc.xpath("//b") == []
    assert doc.xpath("//h1")[0].text_content() == f"Plan {NASTY}"
    rows = html_rows(html)
    assert [r.kind for r in rows] == ["section", "action"]
    assert rows[1].area == rows[1].action == rows[1].tidsplan == NASTY
    assert rows[1].processlage == f"Pågår enligt tidsplan. {NASTY}"
    docx_action = docx_rows(docs["docx"])[1]
    assert docx_action.action == NASTY and docx_action.processlage.endswith(NASTY)
    text = pdf_text(docs["pdf"])
    assert squash(NASTY) in squash(text)
    # The Dnr with quotes is in the running head (a CSS string) as written.
    assert 'Utkast till återrapport, Dnr BUN "2018" <1>' in text


def test_very_long_texts_break_across_pages_and_lose_nothing() -> None:
    sentence = "Förvaltningen följer upp arbetet med skolledarna varje månad. "
    long_note = sentence * 160
    long_word = "Kvalitetsredovisningsunderlagssammanställning" * 6
    docs = render(
        snap(
            AreaSnap(
                "Område " + "med ett mycket långt namn " * 10,
                "",
                (act(1, text=long_word + " " + sentence * 40, note=long_note, tidsplan="Löpande"),),
            )
        )
    )
    rows = html_rows(docs["html"].decode())
    assert squash(rows[0].processlage) == squash("Pågår enligt tidsplan. " + long_note)
    assert docx_rows(docs["docx"])[0].processlage.count("varje månad") == 160
    pages = pdf_pages(docs["pdf"])
    assert pages >= 3
    text = pdf_text(docs["pdf"])
    assert text.count("varje") >= 200  # every sentence of the åtgärd and the processläge
    assert squash(long_word) in squash(text)
    reader = PdfReader(io.BytesIO(docs["pdf"]))
    width = float(reader.pages[0].mediabox.width)
    assert 590 < width < 600  # A4


def test_rendering_a_snapshot_twice_gives_the_same_bytes() -> None:
    snapshot = snap(AreaSnap("Område", "", (act(1, due_on=date(2018, 3, 31), note="Igång."),)))
    issued = snapshot.issued(IssueSnap(1, datetime(2018, 1, 12, 8, 30, tzinfo=UTC), "Malin"))
    first = render(issued)
    second = render(issued)
    for fmt in ("html", "pdf", "docx"):
        assert hashlib.sha256(first[fmt]).digest() == hashlib.sha256(second[fmt]).digest(), fmt
    meta = PdfReader(io.BytesIO(first["pdf"])).metadata
    assert meta is not None and meta["/CreationDate"] == "D:20180112083000Z"
    with zipfile.ZipFile(io.BytesIO(first["docx"])) as z:
        assert {i.date_time for i in z.infolist()} == {(2018, 1, 12, 8, 30, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2018-01-12T08:30:00Z" in core


def test_control_characters_pasted_into_a_text_are_dropped() -> None:
    docs = render(snap(AreaSnap("Område\x0b", "", (act(1, note="Före\x01\x0b efter\x08."),))))
    assert "Pågår. Före efter." in {r.processlage for r in docx_rows(docs["docx"])}
    assert html_rows(docs["html"].decode())[0].processlage == "Pågår. Före efter."
    assert "\x01" not in docs["html"].decode()
    assert squash("Pågår. Före efter.") in squash(pdf_text(docs["pdf"]))


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_a_draft_is_marked_as_not_approved(fmt: str) -> None:
    data = render(snap(AreaSnap("Område", "", (act(1),))), (fmt,))[fmt]
    text = {
        "html": lambda: lxml.html.fromstring(data.decode()).text_content(),
        "pdf": lambda: pdf_text(data),
        "docx": lambda: docx_text(data),
    }[fmt]()
    assert "UTKAST – INTE GODKÄNT" in text


def test_typst_markup_in_a_text_is_shown_as_written() -> None:
    code = "#set page(fill: red) $x^2$ *fet* _kursiv_ [hak] @ref <etikett> // inte kommentar \\"
    docs = render(snap(AreaSnap(code, "", (act(1, text=code, note=code),))), ("pdf",))
    text = squash(pdf_text(docs["pdf"]))
    assert text.count(squash(code)) == 3  # area, åtgärd and processläge, each verbatim


def test_the_pdf_is_archival_accessible_and_uses_only_the_bundled_fonts() -> None:
    data = render(snap(AreaSnap("Område", "", (act(1),))), ("pdf",))["pdf"]
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "<pdfaid:conformance>A" in xmp
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
    assert bool(root["/MarkInfo"]["/Marked"]) and str(root["/Lang"]).startswith("sv")
    fonts = {
        str(font["/BaseFont"]).split("+", 1)[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and fonts <= {
        "LiberationSans",
        "LiberationSans-Bold",
        "LiberationSans-Italic",
        "LiberationSans-BoldItalic",
    }


def test_the_docx_shows_the_chart_as_a_picture_with_a_text_alternative() -> None:
    data = render(snap(AreaSnap("Område", "", (act(1), act(2, state="klar")))), ("docx",))["docx"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        [png] = [n for n in z.namelist() if n.startswith("word/media/")]
        assert z.read(png).startswith(b"\x89PNG")
        body = z.read("word/document.xml").decode()
    assert 'descr="Nu' in body  # the chart's description: the counts at each report
