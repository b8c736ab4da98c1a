"""The risk scale, the matrix as SVG and table, and the example internkontrollplan."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tracker.domain.risk import (
    BLACK,
    DEFAULT_SCALE,
    MIN_CONTRAST,
    WHITE,
    OutOfScale,
    RiskScale,
    RiskScaleError,
    band_of,
    contrast_ratio,
    readable_text_colour,
    relative_luminance,
    risk_value,
)
from tracker.domain.risk_matrix import (
    RISK_ROW_HEADERS,
    PlacedRisk,
    matrix_svg,
    matrix_table,
    risk_rows,
)

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "internkontroll-skola.csv"
HEADERS = [
    "Process",
    "Risk",
    "Sannolikhet",
    "Konsekvens",
    "Kontrollmoment",
    "Metod",
    "Frekvens",
    "Ansvarig",
    "E-post",
]

# The default 4 × 4 matrix, written out by hand: (value, band) for sannolikhet 4 down to 1,
# konsekvens 1 to 4, so a change to the bands shows here cell by cell.
EXPECTED_4X4 = {
    4: [(4, "Medel"), (8, "Hög"), (12, "Mycket hög"), (16, "Mycket hög")],
    3: [(3, "Låg"), (6, "Medel"), (9, "Hög"), (12, "Mycket hög")],
    2: [(2, "Låg"), (4, "Medel"), (6, "Medel"), (8, "Hög")],
    1: [(1, "Låg"), (2, "Låg"), (3, "Låg"), (4, "Medel")],
}

FIVE = {
    "levels": 5,
    "likelihood": ["Mycket osannolik", "Osannolik", "Möjlig", "Sannolik", "Mycket sannolik"],
    "consequence": ["Försumbar", "Lindrig", "Kännbar", "Allvarlig", "Mycket allvarlig"],
    "bands": [
        {"upto": 4, "label": "Låg", "colour": "#2E7D32"},
        {"upto": 9, "label": "Medel", "colour": "#fdd835"},
        {"upto": 16, "label": "Hög", "colour": "#ef6c00"},
        {"upto": 25, "label": "Mycket hög", "colour": "#c62828"},
    ],
}


def _bands(*bands: dict[str, Any]) -> dict[str, Any]:
    return {"bands": list(bands)}


# --- the scale ----------------------------------------------------------------------------


def test_default_scale_has_skr_labels_and_four_bands() -> None:
    assert DEFAULT_SCALE.levels == 4
    assert DEFAULT_SCALE.likelihood == ("Osannolik", "Mindre sannolik", "Möjlig", "Sannolik")
    assert DEFAULT_SCALE.consequence == ("Försumbar", "Lindrig", "Kännbar", "Allvarlig")
    assert [(b.start, b.upto, b.label) for b in DEFAULT_SCALE.bands] == [
        (1, 3, "Låg"),
        (4, 6, "Medel"),
        (7, 9, "Hög"),
        (10, 16, "Mycket hög"),
    ]
    assert RiskScale.from_dict({}) == DEFAULT_SCALE


@pytest.mark.parametrize("likelihood", [4, 3, 2, 1])
def test_every_cell_of_the_default_matrix_has_its_value_and_band(likelihood: int) -> None:
    for consequence, (value, label) in enumerate(EXPECTED_4X4[likelihood], start=1):
        assert risk_value(likelihood, consequence) == value
        assert band_of(value).label == label
        assert DEFAULT_SCALE.band_of(DEFAULT_SCALE.risk_value(likelihood, consequence)).label == (
            label
        )


@pytest.mark.parametrize(
    ("likelihood", "consequence", "message"),
    [
        (0, 1, "Sannolikhet ska vara mellan 1 och 4, inte 0."),
        (5, 1, "Sannolikhet ska vara mellan 1 och 4, inte 5."),
        (1, 0, "Konsekvens ska vara mellan 1 och 4, inte 0."),
        (1, 5, "Konsekvens ska vara mellan 1 och 4, inte 5."),
        (True, 1, "Sannolikhet ska vara ett heltal, inte True."),
        (1, "3", "Konsekvens ska vara ett heltal, inte '3'."),
        (2.0, 1, "Sannolikhet ska vara ett heltal, inte 2.0."),
    ],
)
def test_risk_value_refuses_levels_outside_the_scale(
    likelihood: Any, consequence: Any, message: str
) -> None:
    with pytest.raises(OutOfScale) as exc:
        risk_value(likelihood, consequence)
    assert exc.value.message == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Riskvärdet ska vara mellan 1 och 16, inte 0."),
        (17, "Riskvärdet ska vara mellan 1 och 16, inte 17."),
        (-3, "Riskvärdet ska vara mellan 1 och 16, inte -3."),
        (False, "Riskvärdet ska vara ett heltal, inte False."),
    ],
)
def test_band_of_refuses_values_outside_the_scale(value: Any, message: str) -> None:
    with pytest.raises(OutOfScale) as exc:
        band_of(value)
    assert exc.value.message == message


def test_band_text_colours_reach_wcag_aa() -> None:
    for band in DEFAULT_SCALE.bands:
        assert band.text_colour in (BLACK, WHITE)
        assert contrast_ratio(band.text_colour, band.colour) >= MIN_CONTRAST
        assert band.contrast >= MIN_CONTRAST
    # Worked out by hand from the WCAG formula: white on the green, black on the yellow.
    assert [b.text_colour for b in DEFAULT_SCALE.bands] == [WHITE, BLACK, BLACK, WHITE]


def test_contrast_ratio_matches_the_wcag_reference_values() -> None:
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert contrast_ratio("#777777", WHITE) == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#767676", WHITE) == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#123456", "#123456") == pytest.approx(1.0)
    assert relative_luminance(WHITE) == pytest.approx(1.0)
    assert relative_luminance(BLACK) == 0.0


@pytest.mark.parametrize("background", ["#777777", "#767676", "#ff0000", "#0000ff", "#00ff00"])
def test_the_chosen_text_colour_is_the_one_with_more_contrast(background: str) -> None:
    chosen = readable_text_colour(background)
    other = WHITE if chosen == BLACK else BLACK
    assert contrast_ratio(chosen, background) >= contrast_ratio(other, background)
    assert contrast_ratio(chosen, background) >= MIN_CONTRAST


def test_a_five_level_scale_can_be_configured() -> None:
    scale = RiskScale.from_dict(FIVE)
    assert scale.levels == 5
    assert scale.max_value == 25
    assert scale.likelihood_label(5) == "Mycket sannolik"
    assert scale.consequence_label(5) == "Mycket allvarlig"
    assert scale.risk_value(5, 5) == 25
    assert scale.band_of(25).label == "Mycket hög"
    assert scale.band_of(5).label == "Medel"
    assert scale.band_of(4).label == "Låg"
    # Colours are stored in one spelling.
    assert scale.bands[0].colour == "#2e7d32"
    with pytest.raises(OutOfScale):
        scale.risk_value(6, 1)
    # The default functions stay on the 4-level scale.
    with pytest.raises(OutOfScale):
        risk_value(5, 5)
    assert risk_value(5, 5, scale) == 25
    assert band_of(20, scale).label == "Mycket hög"


def test_a_given_text_colour_with_enough_contrast_is_kept() -> None:
    scale = RiskScale.from_dict(
        _bands(
            {"upto": 8, "label": "Låg", "colour": "#ffffff", "text_colour": "#1A1A1A"},
            {"upto": 16, "label": "Hög", "colour": "#c62828"},
        )
    )
    assert scale.bands[0].text_colour == "#1a1a1a"
    assert scale.bands[1].text_colour == WHITE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"niva": 4}, "Okänd nyckel i riskskalan: niva."),
        ({"levels": "4"}, "Antalet nivåer (levels) ska vara ett heltal, inte '4'."),
        ({"levels": True}, "Antalet nivåer (levels) ska vara ett heltal, inte True."),
        ({"levels": 1}, "Antalet nivåer (levels) ska vara mellan 2 och 10, inte 1."),
        ({"levels": 11}, "Antalet nivåer (levels) ska vara mellan 2 och 10, inte 11."),
        ({"levels": 5}, "Skalan har 5 nivåer men sannolikhet har 4 etiketter"),
        (
            {"consequence": ["a", "b", "c"]},
            "Skalan har 4 nivåer men konsekvens har 3 etiketter",
        ),
        ({"likelihood": "Osannolik"}, "Etiketterna för sannolikhet ska vara en lista med texter."),
        ({"likelihood": ["a", "", "c", "d"]}, "Etiketten för sannolikhet nivå 2 saknas"),
        ({"likelihood": ["a", 2, "c", "d"]}, "Etiketten för sannolikhet nivå 2 saknas"),
        ({"consequence": ["a", "b", "a", "d"]}, "Två nivåer för konsekvens har samma etikett."),
        ({"bands": []}, "Riskskalan behöver minst ett färgband (bands)."),
        ({"bands": ["grön"]}, "Färgband 1 ska vara en tabell med upto, label och colour."),
        (
            _bands({"upto": 16, "label": "Låg", "colour": "#2e7d32", "color": "#000000"}),
            "Färgband 1 har okänd nyckel: color.",
        ),
        (_bands({"upto": 16, "label": "Låg"}), "Färgband 1 saknar colour."),
        (
            _bands({"upto": "16", "label": "Låg", "colour": "#2e7d32"}),
            "Färgband 1: upto ska vara ett heltal, inte '16'.",
        ),
        (
            _bands(
                {"upto": 6, "label": "Låg", "colour": "#2e7d32"},
                {"upto": 6, "label": "Hög", "colour": "#c62828"},
            ),
            "Färgband 2: upto = 6 ska vara större än föregående bands gräns (6)",
        ),
        (
            _bands(
                {"upto": 16, "label": "Låg", "colour": "#2e7d32"},
                {"upto": 20, "label": "Hög", "colour": "#c62828"},
            ),
            "Färgband 2 börjar på 17, över det högsta riskvärdet 16",
        ),
        (
            _bands(
                {"upto": 3, "label": "Låg", "colour": "#2e7d32"},
                {"upto": 12, "label": "Hög", "colour": "#c62828"},
            ),
            "Färgbanden slutar på 12 men riskvärdet kan bli 16",
        ),
        (_bands({"upto": 16, "label": " ", "colour": "#2e7d32"}), "Färgband 1 saknar etikett"),
        (
            _bands({"upto": 16, "label": "Låg", "colour": "green"}),
            "Färgband 1 (Låg): färgen 'green' ska skrivas #rrggbb",
        ),
        (
            _bands({"upto": 16, "label": "Låg", "colour": "#2e7d3"}),
            "Färgband 1 (Låg): färgen '#2e7d3' ska skrivas #rrggbb",
        ),
        (
            _bands({"upto": 16, "label": "Låg", "colour": "#fdd835", "text_colour": "#ffffff"}),
            "Färgband 1 (Låg): textfärgen #ffffff på #fdd835 har kontrasten 1.",
        ),
        (
            _bands(
                {"upto": 8, "label": "Låg", "colour": "#2e7d32"},
                {"upto": 16, "label": "Låg", "colour": "#c62828"},
            ),
            "Två färgband har samma etikett.",
        ),
    ],
)
def test_a_broken_scale_is_refused_in_swedish(data: dict[str, Any], message: str) -> None:
    with pytest.raises(RiskScaleError) as exc:
        RiskScale.from_dict(data)
    assert exc.value.message.startswith(message)


# --- the matrix ---------------------------------------------------------------------------

RISKS = [
    PlacedRisk(3, "Inköp utanför avtal", 3, 3),
    PlacedRisk(1, "Betyg sätts inte enligt rutin", 2, 4),
    PlacedRisk(2, "Kränkande behandling anmäls inte", 3, 4),
    PlacedRisk(4, "Delegationsbeslut anmäls inte", 2, 3),
    PlacedRisk(5, "Attest", 2, 3),
]


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _texts(root: ET.Element, cls: str) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG}text") if t.get("class") == cls]


def _all_text(element: ET.Element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def test_matrix_svg_is_an_accessible_image_with_swedish_title_and_description() -> None:
    root = _parse(matrix_svg(DEFAULT_SCALE, RISKS))
    assert root.get("role") == "img"
    assert root.get("lang") == "sv"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert title.text == "Riskmatris: sannolikhet och konsekvens"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # The description alone tells what the picture shows, risk by risk in number order.
    assert desc.text is not None
    assert "konsekvens 1–4 på den vågräta axeln" in desc.text
    assert "5 risker är placerade" in desc.text
    assert (
        "1. Betyg sätts inte enligt rutin: sannolikhet 2 (Mindre sannolik), konsekvens 4 "
        "(Allvarlig), riskvärde 8, Hög." in desc.text
    )
    assert desc.text.index("1. Betyg") < desc.text.index("2. Kränkande")


def test_matrix_svg_has_one_text_per_cell_with_value_and_band() -> None:
    root = _parse(matrix_svg(DEFAULT_SCALE, RISKS))
    cells = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cell"]
    assert len(cells) == 16
    for cell in cells:
        likelihood = int(cell.get("data-sannolikhet", "0"))
        consequence = int(cell.get("data-konsekvens", "0"))
        value, label = EXPECTED_4X4[likelihood][consequence - 1]
        texts = _texts(cell, "cell")
        assert len(texts) == 1
        assert _all_text(texts[0]) == f"{value} {label}"
        band = DEFAULT_SCALE.band_of(value)
        rect = cell.find(f"{SVG}rect")
        assert rect is not None and rect.get("fill") == band.colour
        assert texts[0].get("fill") == band.text_colour


def test_matrix_svg_places_each_risk_as_one_numbered_marker_in_its_cell() -> None:
    root = _parse(matrix_svg(DEFAULT_SCALE, RISKS))
    placed: dict[tuple[int, int], list[str]] = {}
    for cell in (g for g in root.iter(f"{SVG}g") if g.get("class") == "cell"):
        key = (int(cell.get("data-sannolikhet", "0")), int(cell.get("data-konsekvens", "0")))
        placed[key] = [_all_text(t) for t in _texts(cell, "marker")]
    assert placed[(2, 4)] == ["1"]
    assert placed[(3, 4)] == ["2"]
    assert placed[(3, 3)] == ["3"]
    assert placed[(2, 3)] == ["4", "5"]
    assert sum(len(v) for v in placed.values()) == len(RISKS)
    for marker in _texts(root, "marker"):
        # Readable when printed: at least 12 px (about 9 pt) and bold.
        assert int(marker.get("font-size", "0")) >= 12
        assert marker.get("font-weight") == "bold"


def test_matrix_svg_puts_konsekvens_across_and_the_highest_sannolikhet_on_top() -> None:
    root = _parse(matrix_svg(DEFAULT_SCALE, []))
    position = {}
    for cell in (g for g in root.iter(f"{SVG}g") if g.get("class") == "cell"):
        rect = cell.find(f"{SVG}rect")
        assert rect is not None
        key = (int(cell.get("data-sannolikhet", "0")), int(cell.get("data-konsekvens", "0")))
        position[key] = (float(rect.get("x", "0")), float(rect.get("y", "0")))
    assert position[(4, 1)][1] < position[(1, 1)][1]
    assert position[(1, 1)][0] < position[(1, 4)][0]
    axis = [_all_text(t) for t in _texts(root, "axis")]
    assert axis == [
        "4 Sannolik",
        "3 Möjlig",
        "2 Mindre sannolik",
        "1 Osannolik",
        "1 Försumbar",
        "2 Lindrig",
        "3 Kännbar",
        "4 Allvarlig",
    ]
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert "Inga risker är placerade." in desc.text


def test_matrix_svg_escapes_hostile_names_and_has_no_script_or_references() -> None:
    hostile = PlacedRisk(1, "</title><script>alert(\"x\")</script> & 'a' <b>\x00\x0b", 4, 4)
    svg = matrix_svg(DEFAULT_SCALE, [hostile])
    root = _parse(svg)
    assert "<script" not in svg
    assert not any(el.tag == f"{SVG}script" for el in root.iter())
    assert not re.search(r"href|url\(|https?://(?!www\.w3\.org/2000/svg\")", svg)
    marker = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "marker")
    title = marker.find(f"{SVG}title")
    assert title is not None
    # The name comes back as written, minus the characters XML cannot hold.
    assert title.text == "1. </title><script>alert(\"x\")</script> & 'a' <b>"
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert '<script>alert("x")</script>' in desc.text


def test_matrix_svg_is_byte_identical_for_the_same_input() -> None:
    first = matrix_svg(DEFAULT_SCALE, RISKS)
    assert matrix_svg(DEFAULT_SCALE, RISKS) == first
    # The order the risks come in does not matter either.
    assert matrix_svg(DEFAULT_SCALE, list(reversed(RISKS))) == first


def test_matrix_svg_grows_cells_for_many_risks_in_one() -> None:
    crowded = [PlacedRisk(n, f"Risk {n}", 4, 4) for n in range(1, 13)]
    root = _parse(matrix_svg(DEFAULT_SCALE, crowded))
    cell = next(
        g
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "cell"
        and g.get("data-sannolikhet") == "4"
        and g.get("data-konsekvens") == "4"
    )
    rect = cell.find(f"{SVG}rect")
    assert rect is not None
    bottom = float(rect.get("y", "0")) + float(rect.get("height", "0"))
    circles = list(cell.iter(f"{SVG}circle"))
    assert len(circles) == 12
    for circle in circles:
        assert float(circle.get("cy", "0")) + float(circle.get("r", "0")) <= bottom


def test_matrix_svg_of_a_five_level_scale() -> None:
    scale = RiskScale.from_dict(FIVE)
    root = _parse(matrix_svg(scale, [PlacedRisk(1, "Allt brister", 5, 5)], id_prefix="rm-2"))
    assert len(_texts(root, "cell")) == 25
    assert len(_texts(root, "marker")) == 1
    assert root.find(f"{SVG}title[@id='rm-2-titel']") is not None


@pytest.mark.parametrize(
    ("risks", "message"),
    [
        ([PlacedRisk(1, "A", 5, 1)], "Risk 1 (A): Sannolikhet ska vara mellan 1 och 4, inte 5."),
        ([PlacedRisk(1, "A", 1, 0)], "Risk 1 (A): Konsekvens ska vara mellan 1 och 4, inte 0."),
        ([PlacedRisk(1, "A", 1, 1), PlacedRisk(1, "B", 2, 2)], "Två risker har numret 1."),
        ([PlacedRisk(0, "A", 1, 1)], "Risken 'A' ska ha ett nummer från 1, inte 0."),
    ],
)
def test_the_matrix_refuses_risks_off_the_scale(risks: list[PlacedRisk], message: str) -> None:
    for render in (matrix_svg, matrix_table, risk_rows):
        with pytest.raises(OutOfScale) as exc:
            render(DEFAULT_SCALE, risks)
        assert exc.value.message == message


def test_matrix_table_gives_the_same_facts_as_the_picture() -> None:
    table = matrix_table(DEFAULT_SCALE, RISKS)
    assert table.columns == ("1 Försumbar", "2 Lindrig", "3 Kännbar", "4 Allvarlig")
    assert [row.heading for row in table.rows] == [
        "4 Sannolik",
        "3 Möjlig",
        "2 Mindre sannolik",
        "1 Osannolik",
    ]
    for row, likelihood in zip(table.rows, (4, 3, 2, 1), strict=True):
        assert [(c.value, c.band.label) for c in row.cells] == EXPECTED_4X4[likelihood]
        assert all(c.likelihood == likelihood for c in row.cells)
    two = table.rows[2]
    assert two.cells[2].risks == (4, 5)
    assert two.cells[2].text == "6 Medel: risker 4, 5"
    assert two.cells[3].text == "8 Hög: risk 1"
    assert table.rows[3].cells[0].text == "1 Låg"
    assert table.rows[1].cells[3].band.text_colour == WHITE


def test_risk_rows_list_the_risks_in_number_order() -> None:
    rows = risk_rows(DEFAULT_SCALE, RISKS)
    assert len(RISK_ROW_HEADERS) == 6
    assert [r.number for r in rows] == ["1", "2", "3", "4", "5"]
    first = rows[0]
    assert (
        first.name,
        first.likelihood,
        first.consequence,
        first.value,
        first.band,
    ) == ("Betyg sätts inte enligt rutin", "2 Mindre sannolik", "4 Allvarlig", "8", "Hög")
    assert rows[1].band == "Mycket hög"


# --- the example plan ---------------------------------------------------------------------


def _example() -> list[dict[str, str]]:
    raw = EXAMPLE.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "the example is UTF-8 with BOM, like the exports"
    with EXAMPLE.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=";")
        assert reader.fieldnames == HEADERS
        return list(reader)


def test_the_example_internkontrollplan_reads_with_the_csv_module() -> None:
    rows = _example()
    assert 8 <= len(rows) <= 12
    for row in rows:
        assert None not in row, "a row with more cells than headers"
        assert all(value is not None for value in row.values()), "a row with too few cells"
        assert row["Sannolikhet"] in {"1", "2", "3", "4"}
        assert row["Konsekvens"] in {"1", "2", "3", "4"}
        assert row["Process"] and row["Risk"] and row["Ansvarig"]
        assert re.fullmatch(r"[a-z]+\.[a-z]+@pitea\.example", row["E-post"])
    risks = {row["Risk"] for row in rows}
    assert {
        "Betyg sätts inte enligt rutin",
        "Kränkande behandling anmäls inte",
        "Inköp utanför avtal",
    } <= risks
    accepted = [row for row in rows if not row["Kontrollmoment"]]
    assert len(accepted) == 1
    assert {row["Frekvens"] for row in rows} >= {
        "månadsvis",
        "varje kvartal",
        "per tertial",
        "halvårsvis",
        "årligen",
        "mars och oktober",
    }


def test_the_example_plan_renders_as_a_matrix() -> None:
    rows = _example()
    placed = [
        PlacedRisk(n, row["Risk"], int(row["Sannolikhet"]), int(row["Konsekvens"]))
        for n, row in enumerate(rows, start=1)
    ]
    root = _parse(matrix_svg(DEFAULT_SCALE, placed))
    assert len(_texts(root, "marker")) == len(rows)
    assert sum(len(c.risks) for r in matrix_table(DEFAULT_SCALE, placed).rows for c in r.cells) == (
        len(rows)
    )
