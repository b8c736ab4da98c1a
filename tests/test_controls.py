from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.control_file import ControlPlan, RiskNote, read_control_file
from tracker.domain.controls import (
    Cadence,
    Frequency,
    next_occurrence,
    occurrences,
    opens_on,
    parse_frequency,
)
from tracker.domain.problems import FileRefused, Problem
from tracker.domain.reading import WEB_LIMITS
from tracker.domain.risk import DEFAULT_SCALE
from tracker.domain.workdays import WorkCalendar
from tracker.services.people import valid_email

CAL = WorkCalendar()


def dates_of(text: str, year: int) -> list[date]:
    return occurrences(parse_frequency(text), year, CAL)


# --- frequencies -------------------------------------------------------------------------

PERIODIC = [
    ("månadsvis", Cadence.MONTHLY),
    ("varje månad", Cadence.MONTHLY),
    ("månatligen", Cadence.MONTHLY),
    ("kvartalsvis", Cadence.QUARTERLY),
    ("varje kvartal", Cadence.QUARTERLY),
    ("per kvartal", Cadence.QUARTERLY),
    ("per tertial", Cadence.TERTIAL),
    ("tertialvis", Cadence.TERTIAL),
    ("varje tertial", Cadence.TERTIAL),
    ("halvårsvis", Cadence.HALF_YEARLY),
    ("varje halvår", Cadence.HALF_YEARLY),
    ("två gånger per år", Cadence.HALF_YEARLY),
    ("årligen", Cadence.YEARLY),
    ("en gång per år", Cadence.YEARLY),
    ("årsvis", Cadence.YEARLY),
]


@pytest.mark.parametrize(("text", "cadence"), PERIODIC)
def test_every_periodic_phrase_is_understood(text: str, cadence: Cadence) -> None:
    assert parse_frequency(text) == Frequency(cadence)


@pytest.mark.parametrize(
    "text",
    ["Månadsvis", "MÅNADSVIS", "  varje   månad ", "manadsvis", "manatligen", "Manadsvis."],
)
def test_case_whitespace_and_lost_accents_do_not_matter(text: str) -> None:
    assert parse_frequency(text) == Frequency(Cadence.MONTHLY)


WEEKLY = [
    ("varje vecka", 1),
    ("veckovis", 1),
    ("en gång i veckan", 1),
    ("per vecka", 1),
    ("En gång per vecka", 1),
    ("en gang i veckan", 1),
    ("varannan vecka", 2),
    ("var annan vecka", 2),
    ("var andra vecka", 2),
    ("var 2:a vecka", 2),
    ("var tredje vecka", 3),
    ("var 3:e vecka", 3),
    ("Var fjärde vecka", 4),
    ("var fjarde vecka", 4),
    ("var 4e vecka", 4),
    ("var sjätte vecka", 6),
]


@pytest.mark.parametrize(("text", "every_weeks"), WEEKLY)
def test_every_weekly_phrase_is_understood(text: str, every_weeks: int) -> None:
    assert parse_frequency(text) == Frequency(Cadence.WEEKLY, every_weeks=every_weeks)


@pytest.mark.parametrize(
    ("text", "cadence"),
    [
        ("halvarsvis", Cadence.HALF_YEARLY),
        ("TVA GANGER PER AR", Cadence.HALF_YEARLY),
        ("arligen", Cadence.YEARLY),
        ("en gang per ar", Cadence.YEARLY),
        ("arsvis", Cadence.YEARLY),
    ],
)
def test_phrases_without_a_ring_or_dots_are_understood(text: str, cadence: Cadence) -> None:
    assert parse_frequency(text).cadence == cadence


def test_monthly_is_due_on_the_last_working_day_of_each_month() -> None:
    assert dates_of("månadsvis", 2025) == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),  # Valborgsmässoafton is a working day
        date(2025, 5, 30),  # 31 May is a Saturday
        date(2025, 6, 30),
        date(2025, 7, 31),
        date(2025, 8, 29),  # 31 August is a Sunday
        date(2025, 9, 30),
        date(2025, 10, 31),
        date(2025, 11, 28),  # 30 November is a Sunday
        date(2025, 12, 30),  # 31 December is nyårsafton, closed
    ]


def test_quarterly_2024_moves_over_easter_and_the_new_year_eve() -> None:
    # 31 March 2024 is påskdagen, 30 a Saturday and 29 långfredagen.
    assert dates_of("kvartalsvis", 2024) == [
        date(2024, 3, 28),
        date(2024, 6, 28),
        date(2024, 9, 30),
        date(2024, 12, 30),
    ]


def test_tertial_is_due_at_the_end_of_april_august_and_december() -> None:
    assert dates_of("per tertial", 2024) == [
        date(2024, 4, 30),
        date(2024, 8, 30),
        date(2024, 12, 30),
    ]


def test_half_yearly_is_due_at_the_end_of_june_and_december() -> None:
    assert dates_of("halvårsvis", 2024) == [date(2024, 6, 28), date(2024, 12, 30)]


def test_yearly_is_due_on_the_last_working_day_of_the_year() -> None:
    # 2023: 31 December is a Sunday, 30 a Saturday.
    assert dates_of("årligen", 2023) == [date(2023, 12, 29)]
    assert dates_of("årligen", 2025) == [date(2025, 12, 30)]


def test_weekly_is_due_on_the_last_working_day_of_each_iso_week_of_2026() -> None:
    found = dates_of("varje vecka", 2026)
    # 2026 begins on a Thursday, so it has 53 ISO weeks, each with one control.
    assert [d.isocalendar()[:2] for d in found] == [(2026, w) for w in range(1, 54)]
    assert found[:2] == [date(2026, 1, 2), date(2026, 1, 9)]
    fridays = {date.fromisocalendar(2026, w, 5) for w in range(1, 53)}
    # All the other weeks end on their Friday.
    assert {d for d in found if d not in fridays} == {
        date(2026, 4, 2),  # långfredagen 3 April
        date(2026, 4, 30),  # första maj
        date(2026, 6, 18),  # midsommarafton 19 June
        date(2026, 12, 23),  # julafton and juldagen, Thursday and Friday
        date(2026, 12, 30),  # nyårsafton, then 1 January 2027 and the weekend
    }


def test_the_weeks_of_easter_and_christmas_2026_move_to_the_working_day_before() -> None:
    found = set(dates_of("veckovis", 2026))
    # Week 14: skärtorsdagen is a working day, långfredagen not.
    assert date(2026, 4, 2) in found and date(2026, 4, 3) not in found
    # Week 15 begins with annandag påsk and ends on an ordinary Friday.
    assert date(2026, 4, 10) in found
    # Week 52: 24 and 25 December are Thursday and Friday.
    assert date(2026, 12, 23) in found


def test_a_week_across_the_new_year_stays_in_the_year_it_is_a_week_of() -> None:
    # Week 53 of 2026 runs to Sunday 3 January 2027: due in 2026, not counted again in 2027.
    assert dates_of("varje vecka", 2026)[-1] == date(2026, 12, 30)
    assert dates_of("varje vecka", 2027)[0] == date(2027, 1, 8)
    # Week 1 of 2026 begins on Monday 29 December 2025; 2025 ends with week 52.
    assert dates_of("varje vecka", 2025)[-1] == date(2025, 12, 23)
    assert dates_of("varje vecka", 2026)[0] == date(2026, 1, 2)


def test_a_week_that_would_move_back_into_the_year_before_moves_forward_instead() -> None:
    # A klämdag on Friday 2 January 2026 closes week 1's days in 2026; the control is made
    # on the first working day of 2026 rather than in 2025, as a date at the new year is.
    cal = WorkCalendar(extra_closed=[date(2026, 1, 2)])
    weekly = parse_frequency("varje vecka")
    assert occurrences(weekly, 2026, cal)[:2] == [date(2026, 1, 5), date(2026, 1, 9)]
    assert occurrences(weekly, 2025, cal)[-1] == date(2025, 12, 23)


def test_every_other_week_counts_from_week_one() -> None:
    found = dates_of("varannan vecka", 2026)
    assert [d.isocalendar().week for d in found] == list(range(1, 54, 2))
    assert found[:3] == [date(2026, 1, 2), date(2026, 1, 16), date(2026, 1, 30)]
    assert date(2026, 6, 18) in found  # week 25, midsommar
    # And again from week 1 the next year.
    assert dates_of("varannan vecka", 2027)[:2] == [date(2027, 1, 8), date(2027, 1, 22)]


def test_every_third_and_fourth_week_count_from_week_one() -> None:
    assert [d.isocalendar().week for d in dates_of("var tredje vecka", 2026)] == list(
        range(1, 54, 3)
    )
    fourth = dates_of("var fjärde vecka", 2026)
    assert [d.isocalendar().week for d in fourth] == list(range(1, 54, 4))
    assert fourth[:2] == [date(2026, 1, 2), date(2026, 1, 30)]
    assert fourth[-1] == date(2026, 12, 30)


def test_next_weekly_occurrence_crosses_the_new_year() -> None:
    weekly = parse_frequency("varje vecka")
    assert next_occurrence(weekly, date(2026, 12, 23), CAL) == date(2026, 12, 30)
    assert next_occurrence(weekly, date(2026, 12, 30), CAL) == date(2027, 1, 8)


def test_a_weekly_control_opens_on_the_monday_of_its_week() -> None:
    lead = timedelta(days=14)
    weekly = parse_frequency("varje vecka")
    assert opens_on(weekly, date(2026, 6, 18), lead) == date(2026, 6, 15)
    assert opens_on(weekly, date(2026, 6, 18), timedelta(0)) == date(2026, 6, 18)
    # Other frequencies open the whole lead before.
    monthly = parse_frequency("månadsvis")
    assert opens_on(monthly, date(2026, 6, 30), lead) == date(2026, 6, 16)


def test_valborg_is_a_working_day_so_april_ends_on_the_thirtieth() -> None:
    assert dates_of("årligen i april", 2026) == [date(2026, 4, 30)]


@pytest.mark.parametrize(
    "text", ["årligen i mars", "Årligen i Mars", "arligen i mars", "en gång per år i mars"]
)
def test_a_yearly_control_may_name_its_month(text: str) -> None:
    frequency = parse_frequency(text)
    assert frequency == Frequency(Cadence.YEARLY, months=(3,))
    assert occurrences(frequency, 2025, CAL) == [date(2025, 3, 31)]


def test_a_yearly_control_may_name_its_day() -> None:
    frequency = parse_frequency("årligen den 6 juni")
    assert frequency == Frequency(Cadence.YEARLY, days=((6, 6),))
    # Nationaldagen 2024 is a Thursday.
    assert occurrences(frequency, 2024, CAL) == [date(2024, 6, 5)]


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("mars och oktober", (3, 10)),
        ("mars, juni och oktober", (3, 6, 10)),
        ("Oktober och mars", (3, 10)),
        ("i mars och i oktober", (3, 10)),
        ("mars; okt", (3, 10)),
    ],
)
def test_named_months_are_due_at_their_ends(text: str, months: tuple[int, ...]) -> None:
    frequency = parse_frequency(text)
    assert frequency == Frequency(Cadence.GIVEN, months=months)


def test_named_months_move_to_the_working_day_before_their_end() -> None:
    # 30 June 2024 is a Sunday; 31 August 2024 a Saturday.
    assert dates_of("juni och augusti", 2024) == [date(2024, 6, 28), date(2024, 8, 30)]


def test_given_days_recur_every_year_and_move_back_over_a_weekend() -> None:
    frequency = parse_frequency("15 mars och 15 oktober")
    assert frequency == Frequency(Cadence.GIVEN, days=((3, 15), (10, 15)))
    # 15 March 2025 is a Saturday.
    assert occurrences(frequency, 2025, CAL) == [date(2025, 3, 14), date(2025, 10, 15)]
    assert occurrences(frequency, 2026, CAL) == [date(2026, 3, 13), date(2026, 10, 15)]


def test_given_dates_with_a_year_happen_in_that_year_only() -> None:
    frequency = parse_frequency("2025-03-15, 2025-10-15")
    assert frequency.dates == (date(2025, 3, 15), date(2025, 10, 15))
    assert occurrences(frequency, 2025, CAL) == [date(2025, 3, 14), date(2025, 10, 15)]
    assert occurrences(frequency, 2026, CAL) == []
    assert parse_frequency("15 mars 2025").dates == (date(2025, 3, 15),)


def test_julafton_moves_to_the_day_before() -> None:
    assert dates_of("24 december", 2025) == [date(2025, 12, 23)]


def test_new_years_day_moves_forward_to_stay_in_its_year() -> None:
    assert dates_of("1 januari", 2025) == [date(2025, 1, 2)]
    # 2022: Saturday 1, Sunday 2; Monday 3 is an ordinary working day, 6 is trettondedag jul.
    assert dates_of("1 januari", 2022) == [date(2022, 1, 3)]


def test_29_february_is_the_last_day_of_february_in_other_years() -> None:
    assert dates_of("29 februari", 2024) == [date(2024, 2, 29)]
    assert dates_of("29 februari", 2025) == [date(2025, 2, 28)]


def test_two_days_that_land_on_the_same_working_day_are_one_occurrence() -> None:
    # 14 and 15 June 2025 are a Saturday and a Sunday.
    assert dates_of("13 juni, 14 juni och 15 juni", 2025) == [date(2025, 6, 13)]


def test_a_closed_day_of_the_kommun_is_passed_over() -> None:
    cal = WorkCalendar(extra_closed=[date(2025, 3, 31)])
    assert occurrences(parse_frequency("årligen i mars"), 2025, cal) == [date(2025, 3, 28)]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("var 30:e vecka", "'var 30:e vecka'"),
        ("var 1:a vecka", "'var 1:a vecka'"),
        ("mars och blabla", "'blabla'"),
        ("varannan månad", "'varannan månad'"),
        ("31 april", "'31 april'"),
        ("2025-02-30", "'2025-02-30'"),
        ("årligen i mars och oktober", "'årligen i mars och oktober'"),
        ("Årligen i Påsk", "'Påsk' i 'Årligen i Påsk'"),
    ],
)
def test_what_is_not_understood_is_named_in_swedish(text: str, named: str) -> None:
    with pytest.raises(ValueError, match=r"Frekvens|årlig") as caught:
        parse_frequency(text)
    assert named in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["löpande", "Löpande under året", "vid behov", "Kontinuerligt", "lopande", "fortlöpande"],
)
def test_a_control_made_when_needed_is_refused_with_what_to_write_instead(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_frequency(text)
    assert str(caught.value) == (
        f"Frekvensen '{text}' är inget schema: skriv hur ofta kontrollen görs, till exempel "
        "månadsvis eller varje vecka, eller när den görs ('mars och oktober')."
    )


def test_an_empty_frequency_is_missing() -> None:
    with pytest.raises(ValueError, match="Frekvens saknas"):
        parse_frequency("  ")


# --- next occurrence ---------------------------------------------------------------------


def test_next_occurrence_is_the_first_one_after_the_day() -> None:
    quarterly = parse_frequency("kvartalsvis")
    assert next_occurrence(quarterly, date(2025, 3, 30), CAL) == date(2025, 3, 31)
    assert next_occurrence(quarterly, date(2025, 3, 31), CAL) == date(2025, 6, 30)


def test_next_occurrence_crosses_into_the_next_year() -> None:
    assert next_occurrence(parse_frequency("årligen"), date(2025, 12, 30), CAL) == date(
        2026, 12, 30
    )
    assert next_occurrence(parse_frequency("mars"), date(2025, 12, 1), CAL) == date(2026, 3, 31)


def test_next_occurrence_of_dates_all_passed_is_none() -> None:
    frequency = parse_frequency("2025-03-15, 2025-10-15")
    assert next_occurrence(frequency, date(2025, 5, 1), CAL) == date(2025, 10, 15)
    assert next_occurrence(frequency, date(2025, 10, 15), CAL) is None


def test_next_occurrence_finds_a_date_years_ahead() -> None:
    frequency = parse_frequency("2030-06-10")
    assert next_occurrence(frequency, date(2025, 1, 1), CAL) == date(2030, 6, 10)


# --- property ------------------------------------------------------------------------------

_months = st.lists(st.integers(1, 12), max_size=12).map(lambda m: tuple(sorted(set(m))))
_days = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 28)), max_size=6).map(
    lambda d: tuple(sorted(set(d)))
)
_dates = st.lists(st.dates(date(2000, 1, 1), date(2040, 12, 31)), max_size=6).map(
    lambda d: tuple(sorted(set(d)))
)
FREQUENCIES = st.one_of(
    st.builds(Frequency, st.just(Cadence.WEEKLY), every_weeks=st.integers(1, 26)),
    st.sampled_from([Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.TERTIAL, Cadence.HALF_YEARLY]).map(
        Frequency
    ),
    st.builds(Frequency, st.just(Cadence.YEARLY), _months.map(lambda m: m[:1])),
    st.builds(Frequency, st.just(Cadence.GIVEN), _months, _days, _dates),
)


@given(frequency=FREQUENCIES, year=st.integers(2000, 2040))
def test_every_occurrence_is_a_working_day_of_its_year_sorted_once(
    frequency: Frequency, year: int
) -> None:
    found = occurrences(frequency, year, CAL)
    assert all(CAL.is_working(d) and d.year == year for d in found)
    assert found == sorted(set(found))


@given(frequency=FREQUENCIES, after=st.dates(date(2000, 1, 1), date(2039, 12, 31)))
def test_next_occurrence_is_an_occurrence_after_the_day(frequency: Frequency, after: date) -> None:
    found = next_occurrence(frequency, after, CAL)
    if found is not None:
        assert found > after
        assert found in occurrences(frequency, found.year, CAL)
        assert not [d for d in occurrences(frequency, after.year, CAL) if after < d < found]


@given(year=st.integers(2000, 2040))
def test_each_iso_week_of_the_year_has_one_weekly_control_in_that_year(year: int) -> None:
    weeks = date(year, 12, 28).isocalendar().week
    found = dates_of("varje vecka", year)
    assert [d.isocalendar()[:2] for d in found] == [(year, w) for w in range(1, weeks + 1)]
    assert all(d.year == year for d in found)


# --- the plan file -------------------------------------------------------------------------

HEADER = [
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
ROWS = [
    [
        "Inköp",
        "Köp utanför avtal",
        "3",
        "2",
        "Granska leverantörsfakturor mot avtal",
        "Stickprov om 20 fakturor",
        "Kvartalsvis",
        "Åsa Öberg",
        "Asa.Oberg@pitea.example",
    ],
    ["", "Köp utanför avtal", "", "", "Följ upp avtalstrohet", "Rapport", "årligen i mars", "", ""],
    ["", "Jäv vid upphandling", "2", "4", "", "", "", "", ""],
    [
        "Löner",
        "Felaktiga utbetalningar",
        "2",
        "3",
        "Kontroll av löneändringar",
        "Stickprov",
        "15 mars och 15 oktober",
        "Pär Ström",
        "par.strom@pitea.example",
    ],
]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", header: list[str] = HEADER) -> bytes:
    lines = [";".join(header), *(";".join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list[str | int]], header: list[str] = HEADER) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Internkontroll"
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.create_sheet("Anteckningar").append(["inget här"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(data: bytes, filename: str = "kontrollplan.csv") -> ControlPlan:
    return read_control_file(data, filename, valid_email=valid_email, limits=WEB_LIMITS)


def refusal(data: bytes, filename: str = "kontrollplan.csv") -> list[Problem]:
    with pytest.raises(FileRefused) as caught:
        read(data, filename)
    assert caught.value.filename == filename
    return caught.value.problems


def check_plan(plan: ControlPlan) -> None:
    assert [p.name for p in plan.processes] == ["Inköp", "Löner"]
    purchase, salaries = plan.processes
    assert [(r.name, r.likelihood, r.consequence) for r in purchase.risks] == [
        ("Köp utanför avtal", 3, 2),
        ("Jäv vid upphandling", 2, 4),
    ]
    first, second = purchase.risks[0].controls
    assert first.text == "Granska leverantörsfakturor mot avtal"
    assert first.method == "Stickprov om 20 fakturor"
    assert first.frequency == Frequency(Cadence.QUARTERLY)
    assert first.frequency_text == "Kvartalsvis"
    assert (first.owner_name, first.owner_email) == ("Åsa Öberg", "asa.oberg@pitea.example")
    assert first.row == 2
    assert second.frequency == Frequency(Cadence.YEARLY, months=(3,))
    assert (second.owner_name, second.owner_email) == (None, None)
    assert purchase.risks[1].controls == []
    (salary,) = salaries.risks[0].controls
    assert salary.frequency.days == ((3, 15), (10, 15))
    assert salary.owner_name == "Pär Ström"


def test_a_semicolon_csv_in_utf8_is_read_in_file_order() -> None:
    check_plan(read(csv_bytes(ROWS)))


def test_a_csv_in_utf8_with_bom_is_read() -> None:
    check_plan(read(b"\xef\xbb\xbf" + csv_bytes(ROWS)))


def test_a_csv_in_windows_1252_is_read() -> None:
    check_plan(read(csv_bytes(ROWS, "cp1252")))


def test_an_xlsx_is_read_from_its_internkontroll_sheet() -> None:
    rows: list[list[str | int]] = [list(r) for r in ROWS]
    rows[0][2], rows[0][3] = 3, 2  # numbers, as Excel keeps them
    plan = read(xlsx_bytes(rows), "kontrollplan.xlsx")
    check_plan(plan)
    assert plan.warnings == [Problem("bara bladet 'Internkontroll' lästes", place="Arbetsboken")]


def test_headers_are_matched_loosely_and_unknown_ones_are_warnings() -> None:
    header = [h.upper() + ":" for h in HEADER] + ["Kommentar"]
    plan = read(csv_bytes([[*r, "x"] for r in ROWS], header=header))
    assert len(plan.processes) == 2
    assert plan.warnings == [
        Problem("okänd rubrik 'Kommentar' i kolumn J; kolumnen lästes inte", 1)
    ]


def test_a_formula_quote_written_by_an_export_is_taken_off() -> None:
    rows = [list(ROWS[0])]
    rows[0][5] = "'=stickprov"
    (control,) = read(csv_bytes(rows)).processes[0].risks[0].controls
    assert control.method == "=stickprov"


def test_a_missing_header_is_refused_naming_the_column() -> None:
    header = [h for h in HEADER if h != "Frekvens"]
    problems = refusal(csv_bytes([r[:6] + r[7:] for r in ROWS], header=header))
    assert problems == [Problem("saknas i rubrikraden (rad 1)", column="Frekvens")]


@pytest.mark.parametrize("value", ["5", "0", "hög", "2,5"])
def test_a_rating_outside_1_to_4_is_refused_with_row_and_column(value: str) -> None:
    rows = [list(r) for r in ROWS]
    rows[3][2] = value
    problems = refusal(csv_bytes(rows))
    assert problems == [Problem(f"'{value}' är inte en siffra från 1 till 4", 5, "Sannolikhet")]
    assert f"Rad 5, kolumn Sannolikhet: '{value}'" in str(problems[0])


def test_a_new_risk_without_a_rating_is_refused() -> None:
    rows = [list(r) for r in ROWS]
    rows[2][3] = ""
    assert refusal(csv_bytes(rows)) == [Problem("saknas för risken (ange 1–4)", 4, "Konsekvens")]


def test_the_same_risk_with_another_rating_is_refused() -> None:
    rows = [list(r) for r in ROWS]
    rows[1][2] = "4"
    (problem,) = refusal(csv_bytes(rows))
    assert (problem.row, problem.column) == (3, "Sannolikhet")
    assert "rad 2" in problem.message


def test_a_frequency_not_understood_is_refused_with_the_parsers_message() -> None:
    rows = [list(r) for r in ROWS]
    rows[0][6] = "varannan månad"
    (problem,) = refusal(csv_bytes(rows))
    assert (problem.row, problem.column) == (2, "Frekvens")
    with pytest.raises(ValueError) as caught:
        parse_frequency("varannan månad")
    assert problem.message == str(caught.value)


def test_a_weekly_frequency_is_read_from_the_file() -> None:
    rows = [list(r) for r in ROWS]
    rows[3][6] = "Varannan vecka"
    salary = read(csv_bytes(rows)).processes[1].risks[0].controls[0]
    assert salary.frequency == Frequency(Cadence.WEEKLY, every_weeks=2)
    assert salary.frequency_text == "Varannan vecka"


def test_a_running_control_is_refused_with_row_column_and_what_to_write() -> None:
    rows = [list(r) for r in ROWS]
    rows[3][6] = "Löpande"
    (problem,) = refusal(csv_bytes(rows))
    assert (problem.row, problem.column) == (5, "Frekvens")
    assert "skriv hur ofta kontrollen görs, till exempel månadsvis eller varje vecka" in (
        problem.message
    )
    assert str(problem).startswith("Rad 5, kolumn Frekvens: Frekvensen 'Löpande' är inget schema")


def test_a_kontrollmoment_without_a_frequency_is_refused() -> None:
    rows = [list(r) for r in ROWS]
    rows[3][6] = ""
    assert refusal(csv_bytes(rows)) == [Problem("saknas för kontrollmomentet", 5, "Frekvens")]


def test_a_bad_email_is_refused() -> None:
    rows = [list(r) for r in ROWS]
    rows[0][8] = "asa.oberg"
    assert refusal(csv_bytes(rows)) == [Problem("ogiltig e-postadress 'asa.oberg'", 2, "E-post")]


def test_a_name_without_an_address_is_refused() -> None:
    rows = [list(r) for r in ROWS]
    rows[0][8] = ""
    assert refusal(csv_bytes(rows)) == [Problem("saknas för ansvarig 'Åsa Öberg'", 2, "E-post")]


def test_a_row_without_risk_is_refused() -> None:
    rows = [list(r) for r in ROWS]
    rows[1][1] = ""
    assert refusal(csv_bytes(rows)) == [Problem("saknas", 3, "Risk")]


def test_a_first_row_without_process_is_refused() -> None:
    rows = [list(r) for r in ROWS]
    rows[0][0] = ""
    # The rows after it continue its process, so they have none either.
    assert refusal(csv_bytes(rows)) == [Problem("saknas", n, "Process") for n in (2, 3, 4)]


def test_a_frequency_without_a_kontrollmoment_is_refused() -> None:
    rows = [list(r) for r in ROWS]
    rows[2][6] = "årligen"
    (problem,) = refusal(csv_bytes(rows))
    assert (problem.row, problem.column) == (4, "Kontrollmoment")
    assert "Frekvens" in problem.message


def test_the_same_kontrollmoment_twice_for_a_risk_is_refused() -> None:
    rows = [list(r) for r in ROWS]
    rows[1][4] = ROWS[0][4]
    (problem,) = refusal(csv_bytes(rows))
    assert (problem.row, problem.column) == (3, "Kontrollmoment")
    assert "rad 2" in problem.message


def test_every_problem_of_the_file_is_listed_in_row_order() -> None:
    rows = [list(r) for r in ROWS]
    rows[3][3] = "9"
    rows[0][8] = "fel"
    rows[1][1] = ""
    problems = refusal(csv_bytes(rows))
    assert [(p.row, p.column) for p in problems] == [(2, "E-post"), (3, "Risk"), (5, "Konsekvens")]


def test_an_xlsx_refusal_names_row_and_column() -> None:
    rows: list[list[str | int]] = [list(r) for r in ROWS]
    rows[2][2] = 7
    problems = refusal(xlsx_bytes(rows), "kontrollplan.xlsx")
    assert problems == [Problem("'7' är inte en siffra från 1 till 4", 4, "Sannolikhet")]


def test_a_file_with_only_a_header_has_no_risks() -> None:
    assert refusal(csv_bytes([])) == [Problem("filen innehåller inga risker")]


def test_a_risk_without_a_kontrollmoment_keeps_how_it_is_handled() -> None:
    rows = [list(r) for r in ROWS]
    rows[2][5:9] = ["Risken accepteras", "", "Åsa Öberg", "asa.oberg@pitea.example"]
    risk = read(csv_bytes(rows)).processes[0].risks[1]
    assert risk.controls == []
    assert risk.notes == [RiskNote(4, "Risken accepteras", "Åsa Öberg", "asa.oberg@pitea.example")]


def test_the_risk_scale_of_the_municipality_sets_the_highest_rating() -> None:
    rows = [list(r) for r in ROWS]
    rows[3][2] = "5"
    data = csv_bytes(rows)
    plan = read_control_file(data, "k.csv", valid_email=valid_email, limits=WEB_LIMITS, levels=5)
    assert plan.processes[1].risks[0].likelihood == 5
    assert refusal(data, "k.csv")[0].message == "'5' är inte en siffra från 1 till 4"


def test_the_shipped_example_plan_reads_whole_on_the_default_risk_scale() -> None:
    example = Path(__file__).parent.parent / "examples" / "internkontroll-skola.csv"
    plan = read_control_file(
        example.read_bytes(),
        example.name,
        valid_email=valid_email,
        limits=WEB_LIMITS,
        levels=DEFAULT_SCALE.levels,
    )
    risks = [r for p in plan.processes for r in p.risks]
    names = {r.name for r in risks}
    assert {
        "Betyg sätts inte enligt rutin",
        "Kränkande behandling anmäls inte",
        "Inköp utanför avtal",
    } <= names
    assert sum(len(r.controls) for r in risks) == 9
    assert sum(len(r.notes) for r in risks) == 1
    assert not plan.warnings
    for r in risks:
        DEFAULT_SCALE.band_of(DEFAULT_SCALE.risk_value(r.likelihood, r.consequence))
