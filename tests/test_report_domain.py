"""The report's pure parts: late or not, Swedish dates, the view composed from a snapshot, the
chart's geometry. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from notifications.swedish import listing, long_date, month_year
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
    short_text,
    timing,
)
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
    ("state", "due_on", "evaluate_on", "text", "late"),
    [
        # Every state short of done is late after its due date, "Ej påbörjat" included.
        ("ej_paborjat", date(2018, 3, 31), None, "i tid", False),
        ("ej_paborjat", date(2017, 12, 31), None, "försenad sedan 2017-12-31", True),
        ("pagar", date(2018, 3, 31), None, "i tid", False),
        ("pagar", date(2017, 12, 31), None, "försenad sedan 2017-12-31", True),
        ("pagar", None, None, "inget datum i tidsplanen", False),
        # Done is not late for its due date, but may be for its evaluation.
        ("klar", date(2017, 12, 31), None, "i tid", False),
        (
            "klar",
            date(2017, 10, 31),
            date(2017, 12, 31),
            "utvärdering försenad sedan 2017-12-31",
            True,
        ),
        ("utvarderad", date(2017, 10, 31), date(2017, 12, 31), "i tid", False),
        # The due date itself is still on time.
        ("pagar", date(2018, 1, 10), None, "i tid", False),
    ],
)
def test_late_is_decided_by_state_and_dates_and_says_since_when(
    state: str, due_on: date | None, evaluate_on: date | None, text: str, late: bool
) -> None:
    got = timing(
        action(1, state, due_on=due_on, evaluate_on=evaluate_on), BY_ID[state], date(2018, 1, 10)
    )
    assert (got.text, got.is_late) == (text, late)


def test_dates_and_months_are_swedish() -> None:
    assert month_year(date(2018, 3, 1)) == "mars 2018"
    assert month_year(date(2018, 8, 31)) == "augusti 2018"
    assert long_date(date(2018, 1, 10)) == "10 januari 2018"


def test_a_listing_joins_with_och_or_with_eller_for_a_negative_or_a_choice() -> None:
    assert listing(["åtgärder", "kontroller", "beslut"]) == "åtgärder, kontroller och beslut"
    assert listing(["åtgärder", "kontroller"], joined="eller") == "åtgärder eller kontroller"
    assert listing(["a", "b", "c"], joined="eller") == "a, b eller c"
    assert listing(["åtgärder"], joined="eller") == "åtgärder"


def test_the_owners_processlage_is_as_written_and_the_trackers_facts_stand_apart() -> None:
    note = "Pågår enligt tidsplan.\nFörsta.\n• Andra."
    view = compose(
        snapshot(
            AreaSnap(
                "Område",
                "",
                (
                    action(
                        1, "pagar", due_on=date(2017, 12, 31), note=note, note_on=date(2017, 11, 2)
                    ),
                    action(2, "pagar", due_on=date(2018, 3, 31), next_report_on=date(2018, 12, 1)),
                    action(3, "klar", due_on=date(2018, 3, 31), note="Klart.", note_on=AT.date()),
                ),
            )
        )
    )
    rows = [r for r in view.rows if r.kind == "action"]
    # The writer's words, paragraph by paragraph, and nothing else.
    assert rows[0].note == paragraphs(note)
    assert rows[0].note_line == "Skrivet 2017-11-02."
    # Even though the writer says "enligt tidsplan", the tracker says it is late.
    assert [(f.label, f.value) for f in rows[0].facts] == [
        ("Registrerat läge", "Pågår"),
        ("Mot tidsplanen", "försenad sedan 2017-12-31"),
    ]
    assert (rows[1].note, rows[1].note_line) == ((), "Inget processläge ännu.")
    # The åtgärd's own next report, later than this report's month, is a fact of its own.
    assert [(f.label, f.value) for f in rows[1].facts][-1] == ("Nästa återrapport", "december 2018")
    # The plan's next report is said once, in the summary.
    assert view.next_report_line == "Nästa återrapport: juni 2018."
    assert [p.text for p in rows[2].note] == ["Klart."]
    assert [f.value for f in rows[2].facts] == ["Klar", "i tid"]
    assert rows[0].first_of_area and rows[0].area_title == "Område"
    assert not rows[1].first_of_area and rows[1].area_title == "Område"


def test_the_tracker_writes_no_text_into_a_processlage() -> None:
    """The sentences the report once made up ("Pågår enligt tidsplan.", "Ny återrapport ...")
    are the writer's to write: with no note, the note is empty in every state."""
    view = compose(
        snapshot(
            AreaSnap(
                "Område",
                "",
                tuple(
                    action(i, s.id, due_on=date(2018, 3, 31), evaluate_on=date(2018, 10, 31))
                    for i, s in enumerate(STATES, start=1)
                ),
            )
        )
    )
    rows = [r for r in view.rows if r.kind == "action"]
    assert [r.note for r in rows] == [()] * len(STATES)
    assert {r.note_line for r in rows} == {"Inget processläge ännu."}


def test_summary_table_and_late_list_agree_on_which_actions_are_late() -> None:
    """A plan with åtgärder in every state, some before and some past their dates: the count
    of late ones, the rows marked late and the list of försenade åtgärder are the same
    åtgärder."""
    as_of = date(2018, 1, 10)
    past, future = date(2017, 12, 31), date(2018, 6, 30)
    actions = [
        action(1, "ej_paborjat", due_on=past, text="Ej påbörjad, sen"),
        action(2, "ej_paborjat", due_on=future, text="Ej påbörjad, i tid"),
        action(3, "pagar", due_on=past, text="Pågår, sen"),
        action(4, "pagar", due_on=future, evaluate_on=past, text="Pågår, utvärdering passerad"),
        action(5, "klar", due_on=past, evaluate_on=past, text="Klar, utvärdering sen"),
        action(6, "klar", due_on=past, evaluate_on=future, text="Klar, utvärdering i tid"),
        action(7, "utvarderad", due_on=past, evaluate_on=past, text="Utvärderad"),
        action(8, "pagar", text="Pågår utan datum"),
    ]
    view = compose(snapshot(AreaSnap("Område", "", tuple(actions)), as_of=as_of))
    rows = {r.action[0].text: r for r in view.rows if r.kind == "action"}
    counts = {c.label: c.count for c in view.by_timing}

    late_rows = {text for text, r in rows.items() if r.timing is not None and r.timing.is_late}
    listed = {item.action for item in view.late}
    assert (
        late_rows
        == listed
        == {
            "Ej påbörjad, sen",
            "Pågår, sen",
            "Pågår, utvärdering passerad",
            "Klar, utvärdering sen",
        }
    )
    assert counts["Försenade"] + counts["Utvärdering försenad"] == len(listed)
    assert counts == {"I tid": 3, "Försenade": 2, "Utvärdering försenad": 2, "Utan datum": 1}
    # The row says what the list says.
    for item in view.late:
        facts = {f.label: f.value for f in rows[item.action].facts}
        assert item.detail == f"{facts['Registrerat läge']}, {facts['Mot tidsplanen']}"
    assert [i.detail for i in view.late][:1] == ["Ej påbörjat, försenad sedan 2017-12-31"]


def test_a_shortened_text_in_a_list_ends_between_words() -> None:
    text = "Förnyade kontakter tas mellan förvaltningsledningarna (inklusive nämndsordförande) " * 3
    for limit in range(20, 120):
        short = short_text(text, limit)
        assert len(short) <= limit and short.endswith("…")
        kept = short[:-1].split()
        assert kept == text.split()[: len(kept)], short
    assert short_text("Kort text.") == "Kort text."


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
    assert [(c.label, c.count) for c in view.by_timing] == [
        ("I tid", 1),
        ("Försenade", 1),
        ("Utvärdering försenad", 1),
    ]
    assert [(o.area_title, o.action, o.detail) for o in view.late] == [
        ("Ekonomi", "Sen åtgärd", "Ej påbörjat, försenad sedan 2017-12-31"),
        ("Ekonomi", "Åtgärd 3", "Klar, utvärdering försenad sedan 2017-11-30"),
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
    assert view.chart is not None
    assert [p.label for p in view.chart.points] == ["Nr 1", "Nu"]
    assert view.chart.points[0].counts == (2, 0, 0, 0)
    assert view.chart.points[1].counts == (0, 2, 1, 0)


def test_the_first_report_says_so_has_no_chart_and_an_issued_one_carries_its_number() -> None:
    draft = snapshot(AreaSnap("Område", "", (action(1, "pagar"),)))
    assert compose(draft).changes_intro == "Detta är planens första återrapport."
    # One bar shows no development over time.
    assert compose(draft).chart is None
    assert compose(draft.issued(IssueSnap(1, AT, "Malin Westling"))).chart is None
    issued = compose(draft.issued(IssueSnap(3, AT, "Malin Westling")))
    assert issued.heading == "Återrapport nr 3"
    assert issued.issued_line == "Återrapport nr 3. Godkänd 2018-01-10 av Malin Westling."
    assert issued.created == AT


def test_a_snapshot_survives_json_unchanged() -> None:
    snap = snapshot(
        AreaSnap(
            "Område & <co>",
            "Sektion",
            (
                action(
                    1, "pagar", due_on=date(2018, 3, 31), note="Igång.", note_on=date(2018, 1, 9)
                ),
            ),
        ),
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
    assert view.chart is not None
    geometry = layout(view.chart)
    assert len(geometry.bars) == 21
    assert geometry.bars[-1].show_label and geometry.bars[-1].current
    # 20 earlier reports do not fit a label each: some are left out, never the current one.
    assert 0 < sum(b.show_label for b in geometry.bars) < 21
    tallest = min(b.top for b in geometry.bars)
    assert tallest == geometry.bars[19].top  # report nr 20 has 20 åtgärder pågår
    assert geometry.ticks[-1].value >= 20


def test_an_empty_plan_still_has_a_chart_and_zero_counts() -> None:
    view = compose(snapshot(earlier=(EarlierReport(1, date(2017, 6, 10), {}),)))
    assert view.total == 0 and view.rows == ()
    assert view.chart is not None
    geometry = layout(view.chart)
    assert geometry.bars[0].segments == ()
    assert geometry.ticks[0].value == 0


WITHDRAWN = StateInfo("utgar", "Utgår", done=True, final=True, withdrawn=True)


def test_a_withdrawn_action_is_a_row_marked_with_its_reason_and_never_late() -> None:
    past = date(2017, 12, 31)
    reason = "Utgår: ersätts av den nya rutinen för ekonomiskt bistånd."
    view = compose(
        snapshot(
            AreaSnap(
                "Ekonomi",
                "",
                (
                    action(1, "utgar", due_on=past, evaluate_on=past, note=reason, note_on=past),
                    action(2, "pagar", due_on=past, text="Sen åtgärd"),
                ),
            ),
            workflows={"atgard": (*STATES, WITHDRAWN)},
        )
    )
    withdrawn, late = (r for r in view.rows if r.kind == "action")
    assert withdrawn.mark == "Åtgärden utgår."
    assert withdrawn.note == paragraphs(reason)
    assert withdrawn.note_line == "Skäl till att åtgärden utgår, skrivet 2017-12-31."
    assert [(f.label, f.value) for f in withdrawn.facts] == [
        ("Registrerat läge", "Utgår"),
        ("Mot tidsplanen", "utgår, räknas inte"),
    ]
    assert withdrawn.timing is not None and not withdrawn.timing.is_late
    assert late.mark == ""
    # Not among the late, counted apart from those on time, and listed per state.
    assert [o.action for o in view.late] == ["Sen åtgärd"]
    assert [(c.label, c.count) for c in view.by_timing] == [
        ("I tid", 0),
        ("Försenade", 1),
        ("Utvärdering försenad", 0),
        ("Utgår", 1),
    ]
    assert ("Utgår", 1) in [(c.label, c.count) for c in view.by_state]


def test_a_withdrawn_state_no_action_was_ever_in_is_left_out_of_counts_and_chart() -> None:
    def labels(*earlier: EarlierReport) -> tuple[list[str], list[str]]:
        view = compose(
            snapshot(
                AreaSnap("Ekonomi", "", (action(1, "pagar"),)),
                workflows={"atgard": (*STATES, WITHDRAWN)},
                earlier=earlier,
            )
        )
        assert view.chart is not None
        return [c.label for c in view.by_state], [s.label for s in view.chart.series]

    never = EarlierReport(1, date(2017, 6, 30), {"pagar": 1})
    once = EarlierReport(1, date(2017, 6, 30), {"pagar": 1, "utgar": 1})
    assert labels(never) == (["Ej påbörjat", "Pågår", "Klar", "Utvärderad"],) * 2
    assert labels(once) == (["Ej påbörjat", "Pågår", "Klar", "Utvärderad", "Utgår"],) * 2


def test_a_snapshot_without_withdrawn_states_writes_no_withdrawn_key_and_reads_back() -> None:
    plain = snapshot(AreaSnap("Ekonomi", "", (action(1, "pagar"),)))
    assert '"withdrawn"' not in plain.to_json()
    both = snapshot(
        AreaSnap("Ekonomi", "", (action(1, "utgar"),)), workflows={"atgard": (*STATES, WITHDRAWN)}
    )
    assert Snapshot.from_json(both.to_json()) == both
