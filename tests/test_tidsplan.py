from __future__ import annotations

from datetime import date

import pytest

from tracker.domain.tidsplan import parse_date, parse_tidsplan


@pytest.mark.parametrize(
    ("text", "due_on", "evaluate_on"),
    [
        ("Klart till mars 2018", date(2018, 3, 31), None),
        ("Klart december 2017", date(2017, 12, 31), None),
        ("Klart juni 2018.", date(2018, 6, 30), None),
        ("Klart till februari 2020", date(2020, 2, 29), None),
        ("Utvärderas oktober 2018", None, date(2018, 10, 31)),
        ("Klart januari 2018 Utvärderas juni 2018.", date(2018, 1, 31), date(2018, 6, 30)),
        (
            "Klart till mars 2018. Utvärderas oktober 2018.",
            date(2018, 3, 31),
            date(2018, 10, 31),
        ),
        (
            "Klart december 2017. Utvärderas september 2018.",
            date(2017, 12, 31),
            date(2018, 9, 30),
        ),
        ("våren 2018", date(2018, 6, 30), None),
        ("hösten 2020", date(2020, 12, 31), None),
        ("vt 2019", date(2019, 6, 30), None),
        ("vt19", date(2019, 6, 30), None),
        ("ht-20", date(2020, 12, 31), None),
        ("Vårterminen 2019", date(2019, 6, 30), None),
        ("Administrativt system implementeras våren 2018.", date(2018, 6, 30), None),
        (
            "Pågår hösten 2017 – hösten 2020 och utvärderas löpande under utbildningens gång.",
            date(2020, 12, 31),
            None,
        ),
        ("2018-03-15", date(2018, 3, 15), None),
        ("Klart till 2018-03-15. Utvärderas 2018-10-01.", date(2018, 3, 15), date(2018, 10, 1)),
        ("Klart 31 mars 2018", date(2018, 3, 31), None),
        ("Klart till 2018-03", date(2018, 3, 31), None),
        ("första kvartalet 2018", date(2018, 3, 31), None),
        ("mars–juni 2018", date(2018, 6, 30), None),
        ("Klart mars 2018 till juni 2018", date(2018, 6, 30), None),
        ("Klart jan 2019", date(2019, 1, 31), None),
        ("Utvärderas löpande", None, None),
        ("", None, None),
    ],
)
def test_tidsplan_as_people_write_it_gives_its_dates(
    text: str, due_on: date | None, evaluate_on: date | None
) -> None:
    parsed = parse_tidsplan(text)
    assert (parsed.due_on, parsed.evaluate_on, parsed.problems) == (due_on, evaluate_on, [])
    assert parsed.text == text


def test_text_is_kept_exactly_as_written() -> None:
    text = "Klart till mars 2018.\nUtvärderas  oktober 2018."
    parsed = parse_tidsplan(text)
    assert parsed.text == text
    assert parsed.due_on == date(2018, 3, 31)
    assert parsed.evaluate_on == date(2018, 10, 31)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("snart", "inget datum hittades i 'snart'"),
        ("Klart sommaren 2018", "kunde inte tolka 'sommaren 2018' som ett datum"),
        ("Klart till 2018-02-30", "ogiltigt datum '2018-02-30'"),
        ("Klart mars", "'mars' saknar årtal"),
        ("Klart 2018", "'2018' är bara ett årtal"),
        ("Klart till 31/3 2018", "kunde inte tolka '31/3 2018' som ett datum"),
        ("Inleds våren 2018", "anger bara när arbetet börjar (våren 2018)"),
    ],
)
def test_what_cannot_be_read_is_reported_and_no_date_is_guessed(text: str, problem: str) -> None:
    parsed = parse_tidsplan(text)
    assert parsed.due_on is None
    assert parsed.evaluate_on is None
    assert any(p.startswith(problem) for p in parsed.problems), parsed.problems
    assert parsed.text == text


def test_two_due_dates_leave_the_due_date_empty_but_keep_the_evaluation() -> None:
    parsed = parse_tidsplan(
        "Administrativt system implementeras våren 2018. Nya rutiner för det systematiska "
        "kvalitetsarbetet klara januari 2018. Utvärderas oktober 2018."
    )
    assert parsed.due_on is None
    assert parsed.evaluate_on == date(2018, 10, 31)
    assert parsed.problems == [
        "flera datum för klart (våren 2018, januari 2018); inget av dem valdes"
    ]


def test_evaluation_without_a_date_is_reported_but_the_due_date_kept() -> None:
    parsed = parse_tidsplan("Klart till mars 2018. Utvärderas senare.")
    assert parsed.due_on == date(2018, 3, 31)
    assert parsed.problems == ["'Utvärderas' följs inte av något datum"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("mars 2018", date(2018, 3, 31)),
        ("2018-03-15", date(2018, 3, 15)),
        ("ht-20", date(2020, 12, 31)),
        ("Klart juni 2018", date(2018, 6, 30)),
        ("hösten 2017 – hösten 2020", date(2020, 12, 31)),
        ("", None),
    ],
)
def test_a_date_cell_reads_one_date(text: str, value: date | None) -> None:
    parsed = parse_date(text)
    assert (parsed.value, parsed.problems) == (value, [])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("snart", "kunde inte tolka 'snart' som ett datum"),
        ("mars 2018 och juni 2018", "flera datum (mars 2018, juni 2018) där ett väntades"),
        ("2018-13-01", "ogiltigt datum '2018-13-01'"),
    ],
)
def test_a_date_cell_that_cannot_be_read_says_why(text: str, problem: str) -> None:
    parsed = parse_date(text)
    assert parsed.value is None
    assert parsed.problems == [problem]


@pytest.mark.parametrize(
    ("text", "label", "due_on"),
    [
        ("Klart till 1900-01-01", "1900-01-01", None),
        ("Klart mars 1999", "mars 1999", None),
        ("Klart till 2018-03-31. Utvärderas 2101-01-31.", "2101-01-31", date(2018, 3, 31)),
        ("Klart hösten 2200", "hösten 2200", None),
    ],
)
def test_a_year_outside_2000_to_2100_is_reported_in_a_tidsplan_and_not_read(
    text: str, label: str, due_on: date | None
) -> None:
    parsed = parse_tidsplan(text)
    assert f"orimligt årtal i '{label}' (ange ett år från 2000 till 2100)" in parsed.problems
    assert (parsed.due_on, parsed.evaluate_on) == (due_on, None)


@pytest.mark.parametrize("text", ["1900-01-01", "december 1999", "2101-01-01", "vt 2200"])
def test_a_date_cell_outside_2000_to_2100_is_refused_with_the_same_reason(text: str) -> None:
    parsed = parse_date(text)
    assert parsed.value is None
    assert parsed.problems == [f"orimligt årtal i '{text}' (ange ett år från 2000 till 2100)"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("2000-01-01", date(2000, 1, 1)), ("december 2100", date(2100, 12, 31))],
)
def test_the_first_and_last_plausible_years_are_read(text: str, value: date) -> None:
    assert (parse_date(text).value, parse_date(text).problems) == (value, [])


@pytest.mark.parametrize(
    "text",
    [
        "2018-03-31T12:00:00",
        "2018-03-31T00:00",
        "2018-03-31T12:00:00.000",
        "2018-03-31T12:00:00Z",
        "2018-03-31T23:30:00+01:00",
    ],
)
def test_a_date_with_a_time_of_day_is_read_as_that_date(text: str) -> None:
    assert (parse_date(text).value, parse_date(text).problems) == (date(2018, 3, 31), [])
    parsed = parse_tidsplan(f"Klart till {text}. Utvärderas 2018-10-31T00:00:00.")
    assert (parsed.due_on, parsed.evaluate_on, parsed.problems) == (
        date(2018, 3, 31),
        date(2018, 10, 31),
        [],
    )
