"""The report's pure parts: sentences, Swedish dates, the view composed from a snapshot, the
chart's geometry. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from notifications.swedish import long_date, month_year
from tracker.domain.report import (
    ActionSnap,
    AreaSnap,
    ChangeSnap,
    EarlierReport,
    IssueSnap,
    PlanSnap,
    Snapshot,
    StateInfo,
    compose,
    paragraphs,
    status_sentence,
)
from tracker.domain.schedule import ScheduleStatus
from tracker.reports.chart import layout

STATES = (
    StateInfo("ej_paborjat", "Ej påbörjat", initial=True),
    StateInfo("pagar", "Pågår"),
    StateInfo("klar", "Klar", done=True),
    StateInfo("utvarderad", "Utvärderad", done=True, final=True),
)
BY_ID = {s.id: s for s in STATES}
AT = datetime(2018, 1, 10, 10, 0, tzinfo=UTC)


def action(i: int, state: str, **kw: object) -> ActionSnap:
    values: dict[str, object] = {
        "id": i,
        "text": f"Åtgärd {i}",
        "tidsplan": "",
        "due_on": None,
        "evaluate_on": None,
        "next_report_on": None,
        "workflow": "atgard",
        "state": state,
        "note": "",
        **kw,
    }
    return ActionSnap(**values)  # type: ignore[arg-type]


def snapshot(*areas: AreaSnap, **kw: object) -> Snapshot:
    values: dict[str, object] = {
        "plan": PlanSnap(id=1, title="Plan", ort="Piteå", signatory_name="Malin Westling"),
        "as_of": date(2018, 1, 10),
        "cutoff": AT,
        "built_at": AT,
        "period": date(2018, 1, 1),
        "next_report_on": date(2018, 6, 30),
        "workflows": {"atgard": STATES},
        "areas": areas,
        **kw,
    }
    return Snapshot(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "schedule", "due_on", "has_schedule", "sentence"),
    [
        ("ej_paborjat", ScheduleStatus.on_track, date(2018, 3, 31), True, "Ej påbörjat."),
        ("ej_paborjat", ScheduleStatus.overdue, date(2017, 12, 31), True, "Ej påbörjat."),
        ("pagar", ScheduleStatus.on_track, date(2018, 3, 31), True, "Pågår enligt tidsplan."),
        (
            "pagar",
            ScheduleStatus.overdue,
            date(2018, 3, 31),
            True,
            "Pågår, försenad: skulle vara klart mars 2018.",
        ),
        ("pagar", ScheduleStatus.on_track, None, True, "Pågår enligt tidsplan."),
        ("pagar", ScheduleStatus.on_track, None, False, "Pågår."),
        ("klar", ScheduleStatus.evaluation_overdue, date(2018, 3, 31), True, "Klar."),
        ("utvarderad", ScheduleStatus.on_track, date(2018, 3, 31), True, "Utvärderad."),
    ],
)
def test_the_status_sentence_depends_on_state_and_schedule(
    state: str, schedule: ScheduleStatus, due_on: date | None, has_schedule: bool, sentence: str
) -> None:
    assert status_sentence(BY_ID[state], schedule, due_on, has_schedule=has_schedule) == sentence


def test_dates_and_months_are_swedish() -> None:
    assert month_year(date(2018, 3, 1)) == "mars 2018"
    assert month_year(date(2018, 8, 31)) == "augusti 2018"
    assert long_date(date(2018, 1, 10)) == "10 januari 2018"


def test_processlage_is_status_then_the_owners_text_then_the_next_report() -> None:
    view = compose(
        snapshot(
            AreaSnap(
                "Område",
                "",
                (
                    action(1, "pagar", due_on=date(2017, 12, 31), note="Första.\nAndra."),
                    action(2, "pagar", due_on=date(2018, 3, 31), next_report_on=date(2018, 12, 1)),
                    action(3, "klar", due_on=date(2018, 3, 31), note="Klart."),
                ),
            )
        )
    )
    rows = [r for r in view.rows if r.kind == "action"]
    assert [p.text for p in rows[0].processlage] == [
        "Pågår, försenad: skulle vara klart december 2017.",
        "Första.",
        "Andra.",
        "Ny återrapport juni 2018.",
    ]
    # The åtgärd's own next report, being later than this report's month, wins.
    assert rows[1].processlage[-1].text == "Ny återrapport december 2018."
    # A finished åtgärd has nothing more to report.
    assert [p.text for p in rows[2].processlage] == ["Klar.", "Klart."]
    assert rows[0].first_of_area and rows[0].area_title == "Område"
    assert not rows[1].first_of_area and rows[1].area_title == ""


def test_summary_counts_states_and_schedule_and_lists_the_late() -> None:
    view = compose(
        snapshot(
            AreaSnap(
                "Ekonomi",
                "",
                (
                    action(1, "ej_paborjat", due_on=date(2017, 12, 31), text="Sen åtgärd"),
                    action(2, "pagar", due_on=date(2018, 3, 31)),
                    action(3, "klar", evaluate_on=date(2017, 11, 30)),
                ),
            ),
            AreaSnap("Tomt", "Möjliga utvecklingsområden", ()),
        )
    )
    assert view.total == 3
    assert [(c.label, c.count) for c in view.by_state] == [
        ("Ej påbörjat", 1),
        ("Pågår", 1),
        ("Klar", 1),
        ("Utvärderad", 0),
    ]
    assert [(c.label, c.count) for c in view.by_schedule] == [
        ("På rätt spår", 1),
        ("Försenad", 1),
        ("Utvärdering försenad", 1),
    ]
    assert [(o.area_title, o.action, o.detail) for o in view.overdue] == [
        ("Ekonomi", "Sen åtgärd", "Ej påbörjat; skulle vara klart december 2017")
    ]
    assert [r.kind for r in view.rows] == ["action"] * 3 + ["section", "empty_area"]


def test_changes_since_the_last_report_name_state_moves_and_new_notes() -> None:
    view = compose(
        snapshot(
            AreaSnap("Område", "", (action(1, "pagar"), action(2, "klar"), action(3, "pagar"))),
            earlier=(EarlierReport(1, date(2017, 6, 10), {"ej_paborjat": 2}),),
            changes=(
                ChangeSnap(1, "ej_paborjat", "pagar", new_note=True),
                ChangeSnap(2, "pagar", "pagar", new_note=True),
                ChangeSnap(3, None, "pagar", new_note=False),
            ),
        )
    )
    assert view.changes_intro == "Sedan återrapport nr 1 (2017-06-10):"
    assert [c.detail for c in view.changes] == [
        "Ej påbörjat → Pågår, nytt processläge",
        "Nytt processläge",
        "Ny åtgärd (Pågår)",
    ]
    assert [p.label for p in view.chart.points] == ["Nr 1", "Nu"]
    assert view.chart.points[0].counts == (2, 0, 0, 0)
    assert view.chart.points[1].counts == (0, 2, 1, 0)


def test_the_first_report_says_so_and_an_issued_one_carries_its_number() -> None:
    draft = snapshot(AreaSnap("Område", "", (action(1, "pagar"),)))
    assert compose(draft).changes_intro == "Detta är planens första återrapport."
    issued = compose(draft.issued(IssueSnap(3, AT, "Malin Westling")))
    assert issued.heading == "Återrapport nr 3"
    assert issued.issued_line == "Återrapport nr 3. Godkänd 2018-01-10 av Malin Westling."
    assert issued.created == AT


def test_a_snapshot_survives_json_unchanged() -> None:
    snap = snapshot(
        AreaSnap("Område & <co>", "Sektion", (action(1, "pagar", due_on=date(2018, 3, 31)),)),
        earlier=(EarlierReport(1, date(2017, 6, 10), {"pagar": 1}),),
        changes=(ChangeSnap(1, "ej_paborjat", "pagar", new_note=True),),
    ).issued(IssueSnap(2, AT, "Malin"))
    text = snap.to_json()
    assert Snapshot.from_json(text) == snap
    assert Snapshot.from_json(text).to_json() == text


def test_bullet_lines_become_list_items() -> None:
    assert paragraphs("Inledning\n• Ett\n\n- Två\n-minus") == (
        paragraphs("Inledning")[0],
        *paragraphs("• Ett"),
        *paragraphs("- Två"),
        *paragraphs("-minus"),
    )
    assert [p.bullet for p in paragraphs("Inledning\n• Ett\n- Två\n-minus")] == [
        False,
        True,
        True,
        False,
    ]


def test_the_chart_scales_to_the_largest_report_and_labels_the_current_one() -> None:
    earlier = tuple(
        EarlierReport(n, date(2016 + n // 2, 6 if n % 2 else 12, 10), {"pagar": n})
        for n in range(1, 21)
    )
    view = compose(snapshot(AreaSnap("Område", "", (action(1, "pagar"),)), earlier=earlier))
    geometry = layout(view.chart)
    assert len(geometry.bars) == 21
    assert geometry.bars[-1].show_label and geometry.bars[-1].current
    # 20 earlier reports do not fit a label each: some are left out, never the current one.
    assert 0 < sum(b.show_label for b in geometry.bars) < 21
    tallest = min(b.top for b in geometry.bars)
    assert tallest == geometry.bars[19].top  # report nr 20 has 20 åtgärder pågår
    assert geometry.ticks[-1].value >= 20


def test_an_empty_plan_still_has_a_chart_and_zero_counts() -> None:
    view = compose(snapshot())
    assert view.total == 0 and view.rows == ()
    geometry = layout(view.chart)
    assert geometry.bars[0].segments == ()
    assert geometry.ticks[0].value == 0
