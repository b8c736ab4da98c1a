from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tracker.app import App
from tracker.errors import Conflict, Refused
from tracker.models import Action, Person, Plan
from tracker.services import actions, people, plans
from tracker.services.plans import ActionFilter


def _plan_with_action(
    app: App, now: datetime, chef: Person, title: str = "Åtgärdsplan"
) -> tuple[int, Person]:
    with app.transaction() as s:
        plan = plans.create_plan(s, now=now, title=title, forvaltning=chef.forvaltning)
        area = plans.ensure_area(s, plan, "Ekonomiskt stöd")
        owner = people.ensure_person(s, "Anna.Berg@pitea.example", now=now, name="Anna Berg")
        action = plans.add_action(
            s,
            app.registry,
            area,
            now=now,
            text="Ta fram upplägg",
            owner=owner,
            due_on=date(2018, 3, 31),
        )
        assert action.id is not None
        return action.id, owner


def test_owner_moves_action_and_every_change_writes_an_event(
    app: App, now: datetime, chef: Person
) -> None:
    action_id, owner = _plan_with_action(app, now, chef)
    with app.transaction() as s:
        actions.move(s, app.registry, action_id, "starta", owner, now=now, text="Igång")
    with app.transaction() as s:
        change = actions.move(
            s,
            app.registry,
            action_id,
            "slutfor",
            owner,
            now=now + timedelta(days=1),
            text="Upplägget är klart",
        )
    with app.transaction() as s:
        history = actions.history(s, action_id)
        action = s.get(Action, action_id)
        assert action is not None
        assert [e.trigger for e in history] == ["skapad", "starta", "slutfor"]
        assert action.state == "klar"
        assert action.progress_note == "Upplägget är klart"
        assert actions.replay("ej_paborjat", history) == action.state
        assert history[1].actor_label == "Anna Berg <anna.berg@pitea.example>"
        assert (change.event_id, change.version) == (history[-1].id, action.version)


def test_owner_may_not_evaluate_and_nothing_changes(app: App, now: datetime, chef: Person) -> None:
    action_id, owner = _plan_with_action(app, now, chef)
    with app.transaction() as s:
        actions.move(s, app.registry, action_id, "starta", owner, now=now)
        actions.move(s, app.registry, action_id, "slutfor", owner, now=now, text="Klart")
    with pytest.raises(Refused, match="Bara chef"), app.transaction() as s:
        actions.move(s, app.registry, action_id, "utvardera", owner, now=now, text="Bra")
    with app.transaction() as s:
        assert s.get(Action, action_id).state == "klar"  # type: ignore[union-attr]
        assert len(actions.history(s, action_id)) == 3


def test_two_updates_from_the_same_stale_read_cannot_both_win(
    app: App, now: datetime, chef: Person
) -> None:
    action_id, owner = _plan_with_action(app, now, chef)
    with app.transaction() as s:
        seen = s.get(Action, action_id).version  # type: ignore[union-attr]
    with app.transaction() as s:
        actions.note_progress(s, action_id, owner, "Första", now=now, expected_version=seen)
    with pytest.raises(Conflict), app.transaction() as s:
        actions.note_progress(s, action_id, chef, "Andra", now=now, expected_version=seen)
    with app.transaction() as s:
        action = s.get(Action, action_id)
        assert action is not None
        assert action.progress_note == "Första"
        assert [e.text for e in actions.history(s, action_id)][-1] == "Första"


def test_a_change_decided_on_a_row_read_before_another_change_is_not_written(
    app: App, now: datetime, chef: Person, caplog: pytest.LogCaptureFixture
) -> None:
    """A change is decided on the row the caller read and written only if the åtgärd still
    has that version, whatever the caller checked before: else Conflict, nothing written and
    nothing logged."""
    action_id, owner = _plan_with_action(app, now, chef)
    with app.transaction() as s:
        stale = actions.get_action(s, action_id)
        plan = s.get(Plan, stale.plan_id)
        assert plan is not None
    with app.transaction() as s:
        actions.note_progress(s, action_id, owner, "Först", now=now)
    for decided in (
        actions.decide_move(app.registry, stale, plan, "starta", owner, now=now, text="Sen"),
        actions.decide_note(stale, plan, owner, "Sen", now=now),
    ):
        caplog.clear()
        with (
            caplog.at_level("INFO", logger="tracker"),
            pytest.raises(Conflict),
            app.transaction() as s,
        ):
            actions.write(s, decided)
        assert not [r for r in caplog.records if r.getMessage() == "action.changed"]
    with app.transaction() as s:
        after = s.get(Action, action_id)
        assert after is not None
        assert (after.state, after.progress_note, after.version) == ("ej_paborjat", "Först", 2)
        assert [e.text for e in actions.history(s, action_id)][1:] == ["Först"]


def test_a_change_is_logged_once_and_only_after_its_commit(
    app: App, now: datetime, chef: Person, caplog: pytest.LogCaptureFixture
) -> None:
    action_id, owner = _plan_with_action(app, now, chef)
    with caplog.at_level("INFO", logger="tracker"):
        with pytest.raises(RuntimeError), app.transaction() as s:
            actions.note_progress(s, action_id, owner, "Rullas tillbaka", now=now)
            raise RuntimeError("fel efter ändringen")
        assert not [r for r in caplog.records if r.getMessage() == "action.changed"]
        with app.transaction() as s:
            actions.note_progress(s, action_id, owner, "Sparas", now=now)
            assert not [r for r in caplog.records if r.getMessage() == "action.changed"]
    logged = [r.__dict__["action_id"] for r in caplog.records if r.getMessage() == "action.changed"]
    assert logged == [action_id]


def test_overdue_list_holds_only_open_actions_past_due(
    app: App, now: datetime, chef: Person
) -> None:
    action_id, owner = _plan_with_action(app, now, chef)
    with app.transaction() as s:
        overdue_then = plans.list_actions(
            s, app.registry, ActionFilter(overdue_on=date(2018, 4, 1))
        )
        not_yet = plans.list_actions(s, app.registry, ActionFilter(overdue_on=date(2018, 3, 31)))
    assert [a.id for a in overdue_then] == [action_id]
    assert not_yet == []
    with app.transaction() as s:
        actions.move(s, app.registry, action_id, "starta", owner, now=now)
        actions.move(s, app.registry, action_id, "slutfor", owner, now=now, text="Klart")
        assert plans.list_actions(s, app.registry, ActionFilter(overdue_on=date(2018, 4, 1))) == []


def test_an_action_runs_through_the_protokoll_workflow(
    app: App, now: datetime, chef: Person
) -> None:
    with app.transaction() as s:
        plan = plans.create_plan(
            s, now=now, title="Protokoll BUN 2018-01-10", forvaltning=chef.forvaltning
        )
        area = plans.ensure_area(s, plan, "§ 12 Dnr 2018/15")
        owner = people.ensure_person(s, "per@pitea.example", now=now, name="Per")
        action = plans.add_action(
            s,
            app.registry,
            area,
            now=now,
            workflow="protokoll",
            owner=owner,
            text="Per stämmer av frågan och återkommer med besked till nämnden",
        )
        action_id = action.id
        assert action.state == "tilldelad"
    assert action_id is not None
    with pytest.raises(Refused, match="kräver en text"), app.transaction() as s:
        actions.move(s, app.registry, action_id, "aterrapportera", owner, now=now)
    with app.transaction() as s:
        actions.move(
            s,
            app.registry,
            action_id,
            "aterrapportera",
            owner,
            now=now,
            text="Besked lämnat på sammanträdet",
        )
        assert actions.get_action(s, action_id).state == "aterrapporterad"
        assert plans.list_actions(s, app.registry, ActionFilter(overdue_on=date(2030, 1, 1))) == []


def test_someone_neither_owner_nor_chef_is_refused(app: App, now: datetime, chef: Person) -> None:
    action_id, _ = _plan_with_action(app, now, chef)
    with app.transaction() as s:
        stranger = people.ensure_person(s, "annan@pitea.example", now=now)
    with pytest.raises(Refused, match="inte ansvarig"), app.transaction() as s:
        actions.move(s, app.registry, action_id, "starta", stranger, now=now)


def test_chef_of_another_forvaltning_has_no_chef_rights(
    app: App, now: datetime, chef: Person
) -> None:
    action_id, _ = _plan_with_action(app, now, chef)
    with app.transaction() as s:
        other = people.ensure_person(s, "chef@kultur.example", now=now, name="K")
        other.role = "chef"
        other.forvaltning = "Kulturförvaltningen"
        s.add(other)
    with pytest.raises(Refused), app.transaction() as s:
        actions.move(s, app.registry, action_id, "starta", other, now=now)


def test_a_change_rolled_back_leaves_neither_the_new_state_nor_its_event(
    app: App, now: datetime, chef: Person
) -> None:
    action_id, owner = _plan_with_action(app, now, chef)
    with pytest.raises(RuntimeError), app.transaction() as s:
        actions.move(s, app.registry, action_id, "starta", owner, now=now, text="Igång")
        raise RuntimeError("något annat i samma transaktion gick fel")
    with app.transaction() as s:
        action = s.get(Action, action_id)
        assert action is not None
        assert (action.state, action.version, action.progress_note) == ("ej_paborjat", 1, "")
        assert [e.trigger for e in actions.history(s, action_id)] == ["skapad"]


def test_a_change_is_stamped_with_the_instant_given_in_any_zone(
    app: App, now: datetime, chef: Person
) -> None:
    action_id, owner = _plan_with_action(app, now, chef)
    stockholm = now.astimezone(ZoneInfo("Europe/Stockholm")) + timedelta(microseconds=123)
    with app.transaction() as s:
        change = actions.move(s, app.registry, action_id, "starta", owner, now=stockholm, text="Ja")
    with app.transaction() as s:
        action = s.get(Action, action_id)
        assert action is not None
        event = actions.history(s, action_id)[-1]
        assert event.id == change.event_id
        for stamp in (event.at, action.updated_at, action.progress_at):
            assert stamp == stockholm
            assert stamp is not None and stamp.utcoffset() == timedelta(0)


def test_an_edit_changes_dates_and_the_event_says_what_changed(
    app: App, now: datetime, chef: Person
) -> None:
    action_id, _ = _plan_with_action(app, now, chef)
    with app.transaction() as s:
        change = actions.edit(
            s, action_id, now=now, actor=chef, due_on=date(2018, 9, 30), budget_sek=50_000
        )
        # The Action edit() loaded in this session shows what was written, not the old row.
        loaded = actions.get_action(s, action_id)
        assert (loaded.due_on, loaded.version, loaded.updated_at) == (date(2018, 9, 30), 2, now)
    assert change is not None and change.version == 2
    assert change.text == "due_on: 2018-03-31 → 2018-09-30; budget_sek: – → 50000"
    with app.transaction() as s:
        action = s.get(Action, action_id)
        assert action is not None
        assert (action.due_on, action.budget_sek, action.version) == (date(2018, 9, 30), 50_000, 2)
        assert actions.history(s, action_id)[-1].actor_label == (
            "Malin Westling <malin.westling@pitea.example>"
        )
