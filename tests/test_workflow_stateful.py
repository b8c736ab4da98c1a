"""Any sequence of events keeps an action inside its definition, and the history replays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from config import load_settings
from tests.support.schema import create_schema
from tracker.app import App
from tracker.db import make_engine
from tracker.errors import Refused
from tracker.models import Action, Person, Role
from tracker.services import actions, people, plans
from workflows import default_registry

REGISTRY = default_registry()
TRIGGERS = [t.trigger for t in REGISTRY.get("atgard").definition.transitions] + ["hoppa"]


class ActionLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        settings = load_settings(environment="test", database_url="sqlite://")
        engine = make_engine("sqlite://")
        create_schema(engine)
        self.app = App(settings=settings, engine=engine, registry=REGISTRY)
        self.now = datetime(2018, 1, 10, tzinfo=UTC)
        with self.app.transaction() as s:
            plan = plans.create_plan(s, now=self.now, title="P", forvaltning="F")
            area = plans.ensure_area(s, plan, "Område")
            self.owner = people.ensure_person(s, "agare@example.se", now=self.now)
            self.chef = Person(
                name="Chef",
                email="chef@example.se",
                role=Role.chef.value,
                forvaltning="F",
                created_at=self.now,
            )
            s.add(self.chef)
            action = plans.add_action(s, REGISTRY, area, now=self.now, text="Å", owner=self.owner)
            assert action.id is not None
            self.action_id = action.id

    @rule(
        trigger=st.sampled_from(TRIGGERS), as_chef=st.booleans(), text=st.sampled_from(["", "Skäl"])
    )
    def fire(self, trigger: str, as_chef: bool, text: str) -> None:
        self.now += timedelta(minutes=1)
        actor = self.chef if as_chef else self.owner
        try:
            with self.app.transaction() as s:
                actions.move(s, REGISTRY, self.action_id, trigger, actor, now=self.now, text=text)
        except Refused:
            pass

    @rule(text=st.text(min_size=1, max_size=20))
    def note(self, text: str) -> None:
        self.now += timedelta(minutes=1)
        try:
            with self.app.transaction() as s:
                actions.note_progress(s, self.action_id, self.owner, text, now=self.now)
        except Refused:
            assert not text.strip()

    @invariant()
    def state_is_in_definition_and_history_replays(self) -> None:
        with self.app.transaction() as s:
            action = s.get(Action, self.action_id)
            assert action is not None
            history = actions.history(s, self.action_id)
        definition = REGISTRY.get("atgard").definition
        assert action.state in {x.id for x in definition.states}
        assert actions.replay(definition.initial, history) == action.state
        assert action.version == len(history)


ActionLifecycle.TestCase.settings = hsettings(
    max_examples=40, stateful_step_count=25, deadline=None
)
test_action_lifecycle = ActionLifecycle.TestCase
