"""Rendering an återrapport from a snapshot, in the hard cases: an empty plan, an åtgärd
without dates, very long texts, markup characters; the same bytes every time; and what a
reader sees: the writer's processläge apart from the tracker's facts, no chart in a first
report, a draft mark clear of the text around it, whole words in lists, an accessible HTML
page."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import unicodedata
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime

import lxml.etree
import lxml.html
import pytest
from pypdf import PdfReader

from tests.support.documents import (
    docx_language,
    docx_rows,
    docx_text,
    find_in_order,
    html_rows,
    pdf_layout,
    pdf_pages,
    pdf_text,
    spaced,
    squash,
    union,
)
from tracker.domain.report import (
    ActionSnap,
    AreaSnap,
    EarlierReport,
    IssueSnap,
    MeetingSnap,
    PlanSnap,
    Snapshot,
    StateInfo,
    compose,
    meeting_line,
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


def snap(
    *areas: AreaSnap, plan: PlanSnap | None = None, earlier: tuple[EarlierReport, ...] = ()
) -> Snapshot:
    return Snapshot(
        plan=plan or PlanSnap(id=1, title="Åtgärdsplan", ort="Piteå", forvaltning="Förvaltningen"),
        as_of=date(2018, 1, 10),
        cutoff=AT,
        built_at=AT,
        period=date(2018, 1, 1),
        next_report_on=None,
        workflows={"atgard": STATES},
        areas=areas,
        earlier=earlier,
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


def test_an_action_without_dates_or_note_gets_only_the_trackers_facts() -> None:
    docs = render(snap(AreaSnap("Område", "", (act(1), act(2, state="ej_paborjat")))))
    for rows in (html_rows(docs["html"].decode()), docx_rows(docs["docx"])):
        assert [(r.tidsplan, r.note, r.note_line, r.facts) for r in rows] == [
            (
                "",
                "",
                "Inget processläge ännu.",
                "Registrerat läge: Pågår. Mot tidsplanen: inget datum i tidsplanen.",
            ),
            (
                "",
                "",
                "Inget processläge ännu.",
                "Registrerat läge: Ej påbörjat. Mot tidsplanen: inget datum i tidsplanen.",
            ),
        ]
    assert (
        find_in_order(
            pdf_text(docs["pdf"]),
            ["Åtgärd 1", "Inget processläge ännu.", "Registrerat läge: Pågår.", "Åtgärd 2"],
        )
        == []
    )


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_the_tracker_never_writes_a_status_sentence_of_its_own(fmt: str) -> None:
    """On time, late, done: no state's words are put in the writer's mouth, in any format."""
    areas = AreaSnap(
        "Område",
        "",
        (
            act(1, due_on=date(2018, 3, 31), tidsplan="Klart mars 2018."),
            act(2, due_on=date(2017, 12, 31), state="ej_paborjat", note="Väntar på beslut."),
            act(3, due_on=date(2017, 12, 31), state="klar"),
        ),
    )
    data = render(snap(areas), (fmt,))[fmt]
    text = {
        "html": lambda: lxml.html.fromstring(data.decode()).text_content(),
        "pdf": lambda: pdf_text(data),
        "docx": lambda: docx_text(data),
    }[fmt]()
    squashed = squash(text)
    for made_up in ("enligt tidsplan", "Ny återrapport"):
        assert squash(made_up) not in squashed, made_up
    # A state is named only as the tracker's fact, under its label.
    for label in ("Pågår", "Ej påbörjat", "Klar"):
        named = squashed.count(squash(f"{label}."))
        assert named == squashed.count(squash(f"Registrerat läge: {label}.")) == 1, label
    assert squash("Registrerat läge: Ej påbörjat. Mot tidsplanen: försenad sedan 2017-12-31.") in (
        squashed
    )


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
    assert rows[1].area == rows[1].action == rows[1].tidsplan == rows[1].note == NASTY
    docx_action = docx_rows(docs["docx"])[1]
    assert docx_action.action == docx_action.note == NASTY
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
    assert rows[0].note == spaced(long_note)
    assert docx_rows(docs["docx"])[0].note.count("varje månad") == 160
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
    assert "Före efter." in {r.note for r in docx_rows(docs["docx"])}
    assert html_rows(docs["html"].decode())[0].note == "Före efter."
    assert "\x01" not in docs["html"].decode()
    assert squash("Före efter.") in squash(pdf_text(docs["pdf"]))


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
    assert_archival_with_bundled_fonts(data)


# Emoji (one of them joined from several code points, one with a skin tone, a flag), a
# character outside the BMP, zero-width and direction characters, a byte order mark, a
# combining accent and one no font has, Chinese, and a private-use character.
UNPRINTABLE = (
    "Läkare 🩺 glad 😀 👩‍👩‍👧 👍🏽 🇸🇪 𝕏 \U00010000 a\u200bb c\ufeffd \u202eomvänd\u202c "
    "e\u0301 a\u20ddb 漢字 \ue000 ✓"
)


def test_characters_no_font_has_give_an_archival_pdf_and_stay_in_html_and_docx() -> None:
    docs = render(snap(AreaSnap(UNPRINTABLE, "", (act(1, text=UNPRINTABLE, note=UNPRINTABLE),))))
    assert_archival_with_bundled_fonts(docs["pdf"])
    text = pdf_text(docs["pdf"])
    # Drawn by a bundled font: the stethoscope and the tick (Noto Sans Symbols 2), the
    # composed é; each of the rest is one box, a family or a flag one box as a reader sees it.
    assert squash("Läkare 🩺 glad □ □ 👍 □ □ □") in squash(text)
    assert "é" in text and "✓" in text and squash("a□b □□ □") in squash(text)
    assert not {"😀", "漢", "\ufeff", "\ue000"} & set(text)
    html = docs["html"].decode()
    assert html_rows(html)[0].action == spaced(UNPRINTABLE)
    assert "😀 👩‍👩‍👧 👍🏽 🇸🇪 𝕏" in html and "\ufeff" in html
    assert UNPRINTABLE in docx_text(docs["docx"])


def test_every_character_unicode_assigns_gives_an_archival_pdf() -> None:
    chars = [
        chr(c)
        for c in range(0x110000)
        if not 0xD800 <= c < 0xE000 and unicodedata.category(chr(c)) != "Cn"
    ]
    notes = [" ".join(chars[i : i + 20_000]) for i in range(0, len(chars), 20_000)]
    actions = tuple(act(i, note=note) for i, note in enumerate(notes, 1))
    assert_archival_with_bundled_fonts(
        render(snap(AreaSnap("Område", "", actions)), ("pdf",))["pdf"]
    )


def assert_archival_with_bundled_fonts(data: bytes) -> None:
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
        "NotoSansSymbols2-Regular",
        "NotoSansArabic-Regular",
    }


def test_word_checks_the_docx_as_swedish() -> None:
    data = render(snap(AreaSnap("Område", "", (act(1),))), ("docx",))["docx"]
    assert docx_language(data) == "sv-SE"


def test_the_docx_shows_the_chart_as_a_picture_with_a_text_alternative() -> None:
    earlier = (EarlierReport(1, date(2017, 6, 10), {"ej_paborjat": 2}),)
    area = AreaSnap("Område", "", (act(1), act(2, state="klar")))
    data = render(snap(area, earlier=earlier), ("docx",))["docx"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        [png] = [n for n in z.namelist() if n.startswith("word/media/")]
        assert z.read(png).startswith(b"\x89PNG")
        body = z.read("word/document.xml").decode()
    # The chart's description: the counts at each report.
    assert 'descr="Nr 1 (jun 2017): Ej påbörjat 2' in body and "; Nu (jan 2018)" in body


# --- what a reader sees ---------------------------------------------------------------------


def _texts(fmt: str, data: bytes) -> str:
    return {
        "html": lambda: lxml.html.fromstring(data.decode()).text_content(),
        "pdf": lambda: pdf_text(data),
        "docx": lambda: docx_text(data),
    }[fmt]()


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_a_first_report_has_no_chart_and_a_later_one_has(fmt: str) -> None:
    area = AreaSnap("Område", "", (act(1), act(2, state="klar")))
    first = render(snap(area), (fmt,))[fmt]
    earlier = (EarlierReport(1, date(2017, 6, 10), {"pagar": 2}),)
    later = render(snap(area, earlier=earlier), (fmt,))[fmt]
    assert "Utveckling över tid" not in _texts(fmt, first)
    assert "Utveckling över tid" in _texts(fmt, later)
    if fmt == "html":
        assert "<svg" not in first.decode() and "<svg" in later.decode()
    if fmt == "docx":
        with zipfile.ZipFile(io.BytesIO(first)) as z:
            assert not [n for n in z.namelist() if n.startswith("word/media/")]


LONG_TITLE = (
    "Åtgärdsplan för att stärka grundskolans ledningsfunktion och rektors pedagogiska "
    "ledarskap i hela kommunen"
)
LATE_TEXT = (
    "Förnyade kontakter tas mellan förvaltningsledningarna (inklusive nämndsordförande) för "
    "båda förvaltningarna med syfte att i samråd utforma riktlinjer som tydliggör "
    "ansvarsfördelningen."
)


def _late_plan() -> Snapshot:
    area = "Klargöra ansvarsfördelningen i fastighets- och lokalfrågor mellan nämnden och "
    return snap(
        AreaSnap(
            area + "Fastighets- och serviceförvaltningen",
            "",
            (
                act(1, state="ej_paborjat", due_on=date(2017, 12, 31), text=LATE_TEXT),
                act(2, due_on=date(2017, 11, 30), text="Kort åtgärd"),
                act(3, state="klar", evaluate_on=date(2017, 12, 1), text="Utvärdera: " + LATE_TEXT),
            ),
        ),
        plan=PlanSnap(id=1, title=LONG_TITLE, ort="Piteå", forvaltning="Förvaltningen"),
    )


def test_in_the_pdf_title_draft_mark_and_late_list_keep_clear_of_each_other() -> None:
    page = pdf_layout(render(_late_plan(), ("pdf",))["pdf"])
    lines = page.lines
    title = union([line.box for line in lines if line.size == 17])
    [mark_text] = [line for line in lines if line.text == "UTKAST – INTE GODKÄNT"]
    [mark] = [b for b in page.strokes if b.gap_to(mark_text.box) < 0]
    heading = next(i for i, line in enumerate(lines) if line.text == "Försenade åtgärder")
    end = next(i for i, line in enumerate(lines) if line.text.startswith("Förändringar sedan"))
    late = union([line.box for line in lines[heading + 1 : end]])
    below_mark = next(line.box for line in lines if line.box.top < mark.bottom)

    assert len({round(line.box.bottom) for line in lines if line.size == 17}) == 2  # it wraps
    gaps = {
        "title/mark": title.gap_to(mark),
        "mark/text below": mark.gap_to(below_mark),
        "mark/late list": mark.gap_to(late),
        "title/late list": title.gap_to(late),
    }
    # Clear space, not only no overlap: a frame touching a line reads as part of it.
    assert all(gap >= 4 for gap in gaps.values()), gaps


def test_a_listed_action_keeps_whole_words_in_the_text_and_across_pdf_lines() -> None:
    snapshot = _late_plan()
    listed = compose(snapshot).late
    assert [item.action[-1] for item in listed] == ["…", "d", "…"]
    for item, action in zip(listed, snapshot.actions(), strict=True):
        kept = item.action.removesuffix("…").split()
        assert kept == action.text.split()[: len(kept)], item
    page = pdf_layout(render(snapshot, ("pdf",))["pdf"])
    heading = next(i for i, line in enumerate(page.lines) if line.text == "Försenade åtgärder")
    end = next(i for i, line in enumerate(page.lines) if line.text.startswith("Förändringar"))
    # Lines joined by a space: a word broken at a line end (without a hyphen) would read as
    # two words and not be found.
    shown = spaced(" ".join(line.text for line in page.lines[heading + 1 : end]))
    for item in listed:
        assert spaced(f"{item.area_title}: {item.action} ({item.detail})") in shown, item
    assert len({round(line.box.bottom) for line in page.lines[heading + 1 : end]}) > 3


def _heading_levels(doc: lxml.html.HtmlElement) -> list[int]:
    return [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]


@pytest.mark.parametrize("earlier", [(), (EarlierReport(1, date(2017, 6, 10), {"pagar": 2}),)])
def test_the_html_report_passes_the_basic_accessibility_checks(
    earlier: tuple[EarlierReport, ...],
) -> None:
    snapshot = _late_plan()
    sections = (*snapshot.areas, AreaSnap("Tomt område", "Sektion", ()))
    html = render(snap(*sections, plan=snapshot.plan, earlier=earlier), ("html",))["html"]
    doc = lxml.html.fromstring(html.decode())

    assert doc.get("lang") == "sv"
    assert doc.findtext(".//title").strip()
    # All content inside one main landmark.
    [body] = doc.xpath("/html/body")
    assert [child.tag for child in body] == ["main"]
    levels = _heading_levels(doc)
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    for table in doc.iter("table"):
        assert table.xpath(".//th"), lxml.html.tostring(table)[:80]
        for th in table.xpath(".//th"):
            assert th.text_content().strip(), "an empty header cell"
            in_thead = th.getparent().getparent().tag == "thead"
            assert in_thead or th.get("scope") in ("row", "col", "rowgroup", "colgroup")
        for tr in table.xpath("./tbody/tr[td]"):
            assert tr.xpath("./th"), "a row of data without a header"
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids))
    for svg in doc.xpath("//svg"):
        assert svg.get("role") == "img"
        assert all(doc.get_element_by_id(i) is not None for i in svg.get("aria-labelledby").split())


DECIDED = PlanSnap(
    id=1,
    title="Åtgärdsplan",
    namnd="BUN",
    dnr="BUN 2017/112",
    decision_on=date(2017, 6, 14),
    decision_paragraph="§ 45",
)
DECISION = "Återrapport enligt beslut BUN 2017-06-14 § 45, Dnr BUN 2017/112"


def test_the_boards_decision_is_printed_under_the_heading_in_every_format() -> None:
    docs = render(snap(plan=DECIDED))
    html = lxml.html.fromstring(docs["html"].decode())
    [decision] = html.xpath("//h1/following-sibling::p[1]")
    assert decision.text_content() == DECISION
    assert find_in_order(pdf_text(docs["pdf"]), ["Åtgärdsplan", DECISION, "Sammanfattning"]) == []
    assert find_in_order(docx_text(docs["docx"]), ["Åtgärdsplan", DECISION, "Sammanfattning"]) == []


@pytest.mark.parametrize(
    ("plan", "line"),
    [
        (DECIDED, DECISION),
        (replace(DECIDED, dnr="Dnr BUN 2017/112"), DECISION),
        (replace(DECIDED, dnr="dnr: BUN 2017/112"), DECISION.replace("Dnr", "dnr:")),
        (replace(DECIDED, dnr=""), "Återrapport enligt beslut BUN 2017-06-14 § 45"),
        (
            replace(DECIDED, namnd="", decision_paragraph=""),
            DECISION.replace("BUN 2017-06-14 § 45", "2017-06-14"),
        ),
        (replace(DECIDED, decision_on=None), ""),
    ],
)
def test_the_decision_line_says_what_is_known_and_nothing_without_a_date(
    plan: PlanSnap, line: str
) -> None:
    assert compose(snap(plan=plan)).decision_line == line


def test_a_snapshot_archived_before_decisions_were_kept_still_renders() -> None:
    stored = json.loads(snap(plan=DECIDED).to_json())
    assert (stored["plan"]["decision_on"], stored["plan"]["decision_paragraph"]) == (
        "2017-06-14",
        "§ 45",
    )
    # The plan as snapshots were written before the decision was kept.
    del stored["plan"]["decision_on"], stored["plan"]["decision_paragraph"]
    old = Snapshot.from_json(json.dumps(stored))
    assert (old.plan.decision_on, old.plan.decision_paragraph) == (None, "")
    docs = render(old)
    assert "Återrapport enligt beslut" not in docs["html"].decode()
    assert "Återrapport enligt beslut" not in pdf_text(docs["pdf"])
    assert "Återrapport enligt beslut" not in docx_text(docs["docx"])
    # A plan without a decision is written as before, so its snapshots read the same.
    assert set(json.loads(snap().to_json())["plan"]) == set(stored["plan"])


BUN_MEETING = MeetingSnap("Barn- och utbildningsnämnden", date(2018, 6, 14))
MEETING = "Till Barn- och utbildningsnämndens sammanträde den 14 juni 2018"


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_the_meeting_the_report_goes_to_is_said_under_the_heading(fmt: str) -> None:
    snapshot = replace(snap(AreaSnap("Område", "", (act(1),)), plan=DECIDED), meeting=BUN_MEETING)
    text = _texts(fmt, render(snapshot, (fmt,))[fmt])
    assert find_in_order(text, ["Åtgärdsplan", MEETING, DECISION, "Sammanfattning"]) == []
    if fmt == "html":
        [line] = lxml.html.fromstring(render(snapshot, ("html",))["html"]).xpath(
            "//h1/following-sibling::p[1]"
        )
        assert line.text_content() == MEETING


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_a_report_at_no_meeting_names_none(fmt: str) -> None:
    """An extra report, or one to a nämnd without a sammanträdesplan."""
    snapshot = snap(AreaSnap("Område", "", (act(1),)), plan=DECIDED)
    text = _texts(fmt, render(snapshot, (fmt,))[fmt])
    assert "sammanträde" not in text
    assert find_in_order(text, ["Åtgärdsplan", DECISION, "Sammanfattning"]) == []


@pytest.mark.parametrize(
    ("board", "line"),
    [
        ("Barn- och utbildningsnämnden", MEETING),
        ("Kommunstyrelsen", "Till Kommunstyrelsens sammanträde den 14 juni 2018"),
        ("Kommunfullmäktige", "Till Kommunfullmäktiges sammanträde den 14 juni 2018"),
        ("Arbetsutskottet", "Till Arbetsutskottets sammanträde den 14 juni 2018"),
        # No genitive made by rule where the name does not end in the organ itself.
        (
            "Nämnden för teknik och service",
            "Till sammanträdet i Nämnden för teknik och service den 14 juni 2018",
        ),
        ("BUN", "Till sammanträdet i BUN den 14 juni 2018"),
        ("Kommunstyrelsen i Piteå", "Till sammanträdet i Kommunstyrelsen i Piteå den 14 juni 2018"),
    ],
)
def test_the_meeting_line_has_the_nämnds_genitive_only_where_it_can_be_made(
    board: str, line: str
) -> None:
    assert meeting_line(replace(BUN_MEETING, board=board)) == line


def test_a_snapshot_archived_before_meetings_were_kept_renders_to_the_same_bytes() -> None:
    with_meeting = replace(
        snap(AreaSnap("Område", "", (act(1, note="Pågår."),)), plan=DECIDED),
        meeting=BUN_MEETING,
        issue=IssueSnap(1, AT, "Malin Westling"),
    )
    stored = json.loads(with_meeting.to_json())
    assert stored["meeting"] == {"board": "Barn- och utbildningsnämnden", "held_on": "2018-06-14"}
    assert Snapshot.from_json(with_meeting.to_json()) == with_meeting
    # The snapshot as written before the meeting was kept.
    del stored["meeting"]
    old = Snapshot.from_json(json.dumps(stored))
    assert old.meeting is None
    docs = render(old)
    assert docs == render(replace(with_meeting, meeting=None))
    # Not a word of it, not even a style rule for it: the HTML is the bytes it was.
    assert b"meeting" not in docs["html"] and "sammanträde" not in pdf_text(docs["pdf"])
    assert "sammanträde" not in docx_text(docs["docx"])
    # A report at no meeting is written as before, so its snapshots read the same.
    assert set(json.loads(old.to_json())) == set(stored)


@pytest.mark.parametrize("issued", [False, True])
def test_every_format_carries_the_same_document_title_naming_the_report(issued: bool) -> None:
    """A nämnd member with several återrapporter of one plan open tells them apart by the
    title a reader or Word shows, whichever format was opened."""
    snapshot = replace(snap(AreaSnap("Område", "", (act(1),))), word_title_names_report=True)
    if issued:
        snapshot = snapshot.issued(IssueSnap(3, datetime(2018, 1, 12, 8, 30, tzinfo=UTC), "M"))
    snapshot = Snapshot.from_json(snapshot.to_json())  # as stored and read back
    docs = render(snapshot)
    heading = "Återrapport nr 3" if issued else "Utkast till återrapport"
    expected = f"Åtgärdsplan – {heading} 2018-01-10"
    meta = PdfReader(io.BytesIO(docs["pdf"])).metadata
    assert meta is not None and meta["/Title"] == expected
    assert lxml.html.fromstring(docs["html"]).findtext(".//title") == expected
    assert _word_title(docs["docx"]) == expected


def _word_title(docx: bytes) -> str | None:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        core = lxml.etree.fromstring(z.read("docProps/core.xml"))
    return core.findtext("{http://purl.org/dc/elements/1.1/}title")


def test_a_snapshot_archived_before_the_word_title_named_the_report_keeps_the_plans() -> None:
    """Rendered again, an issued report gives the bytes archived (tracker report verify): its
    stored snapshot has no word_title_names_report, and its Word file had the plan's title."""
    stored = json.loads(snap(AreaSnap("Område", "", (act(1),))).to_json())
    assert "word_title_names_report" not in stored
    docs = render(Snapshot.from_json(json.dumps(stored)))
    assert _word_title(docs["docx"]) == "Åtgärdsplan"
