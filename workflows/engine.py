"""One `transitions` machine per workflow definition, shared by every record.

A SQLModel row cannot be a `transitions` model (pydantic refuses the trigger attributes), so a
record's state is copied into a small flow object, the trigger fires on it, and the caller
writes the resulting state back. `auto_transitions=False`: nothing bypasses the definition.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from transitions import EventData, Machine, MachineError

from workflows.definition import TransitionDef, WorkflowDefinition

# The key of TransitionRefused.fields for the transition's own text (requires_text); a field
# id starts with a letter, so none is empty.
TEXT_BOX = ""


class TransitionRefused(Exception):
    """An event that may not fire; `reason` is Swedish and shown to the user as is. `fields`:
    the part of it about one box of the form, by field id (TEXT_BOX for the transition's own
    text), so that a form can say it beside that box."""

    def __init__(self, reason: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fields = dict(fields or {})


@dataclass
class _Flow:
    status: str
    refusals: list[str] = field(default_factory=list)
    # By field id, the refusal about that box; its sentence is in `refusals` too.
    fields: dict[str, str] = field(default_factory=dict)

    def refuse(self, message: str, box: str | None = None) -> None:
        self.refusals.append(message)
        if box is not None:
            self.fields[box] = message


Condition = Callable[[EventData], bool]


def _flow(event: EventData) -> _Flow:
    model = event.model
    assert isinstance(model, _Flow)
    return model


def _role_condition(t: TransitionDef) -> Condition:
    allowed = frozenset(t.roles)
    who = " eller ".join(
        sorted(
            {"owner": "ansvarig", "chef": "chef", "admin": "admin", "system": "systemet"}[r]
            for r in allowed
        )
    )

    def role_allowed(event: EventData) -> bool:
        roles: Collection[str] = event.kwargs.get("roles", ())
        if allowed.intersection(roles):
            return True
        _flow(event).refuse(f"Bara {who} får välja '{t.label}'.")
        return False

    return role_allowed


def _text_condition(t: TransitionDef) -> Condition:
    def text_given(event: EventData) -> bool:
        text = event.kwargs.get("text") or ""
        if t.requires_text is None or text.strip():
            return True
        _flow(event).refuse(f"{t.label} kräver en text: {t.requires_text}", TEXT_BOX)
        return False

    return text_given


def _fields_condition(t: TransitionDef) -> Condition:
    def fields_answered(event: EventData) -> bool:
        answers = event.kwargs.get("answers")
        flow = _flow(event)
        missing = t.missing_fields(answers)
        wrong = t.wrong_choices(answers)
        unasked = t.answered_unasked(answers)
        for f in wrong:
            allowed = " eller ".join(f"'{c}'" for c in f.choices)
            flow.refuse(f"'{f.label}' ska vara {allowed}.", f.id)
        if missing:
            names = ", ".join(f"'{f.label}'" for f in missing)
            flow.refusals.append(f"{t.label} kräver ett svar på {names}")
            flow.fields.update(
                {f.id: f"{t.label} kräver ett svar på '{f.label}'." for f in missing}
            )
        # Refused rather than dropped: the text typed there would otherwise be lost unseen.
        for f, chosen, wanted in unasked:
            message = f"Du har fyllt i '{f.label}' men valt '{chosen}': välj '{wanted}'"
            flow.refuse(f"{message}, eller töm rutan.", f.id)
        return not missing and not wrong and not unasked

    return fields_answered


class Workflow:
    """A loaded definition with its machine."""

    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self.machine = Machine(
            model=None,
            states=[s.id for s in definition.states],
            initial=definition.initial,
            model_attribute="status",
            auto_transitions=False,
            send_event=True,
        )
        for t in definition.transitions:
            self.machine.add_transition(
                t.trigger,
                source=list(t.source),
                dest=t.dest,
                conditions=[_role_condition(t), _text_condition(t), _fields_condition(t)],
            )

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def initial(self) -> str:
        return self.definition.initial

    def fire(
        self,
        state: str,
        trigger: str,
        *,
        roles: Collection[str],
        text: str | None = None,
        answers: Mapping[str, str] | None = None,
    ) -> str:
        """Return the state after `trigger` from `state`, or raise TransitionRefused.
        `answers`: the transition's fields, by id."""
        if state not in self.machine.states:
            raise TransitionRefused(f"Okänt tillstånd '{state}' i arbetsflödet {self.name}.")
        t = self.definition.transition(trigger)
        if t is None or trigger not in self.machine.events:
            known = ", ".join(x.trigger for x in self.definition.transitions)
            raise TransitionRefused(f"Okänd händelse '{trigger}'. Möjliga: {known}.")
        flow = _Flow(status=state)
        try:
            fired = self.machine.events[trigger].trigger(
                flow, roles=roles, text=text, answers=answers
            )
        except MachineError as exc:
            now_possible = ", ".join(f"'{x.label}'" for x in self._from(state)) or "inget"
            raise TransitionRefused(
                f"'{t.label}' går inte när åtgärden är "
                f"'{self.definition.label_of(state)}'. Möjligt nu: {now_possible}."
            ) from exc
        if not fired:
            reason = " ".join(flow.refusals) or f"{t.label} är inte tillåten."
            raise TransitionRefused(reason, flow.fields)
        return flow.status

    def _from(self, state: str) -> list[TransitionDef]:
        return [t for t in self.definition.transitions if state in t.source]

    def available(self, state: str, roles: Collection[str]) -> tuple[TransitionDef, ...]:
        """Transitions that these roles may fire from `state`: the buttons a page shows."""
        return self._available(state, frozenset(roles))

    # The definition does not change once loaded, and every owner page asks this for each of
    # its åtgärder (through the machine, ~15 µs a time).
    @functools.lru_cache(maxsize=256)  # noqa: B019  (one Workflow per definition, kept for good)
    def _available(self, state: str, roles: frozenset[str]) -> tuple[TransitionDef, ...]:
        names = set(self.machine.get_triggers(state))
        return tuple(
            t
            for t in self.definition.transitions
            if t.trigger in names and state in t.source and roles.intersection(t.roles)
        )

    def is_done(self, state: str) -> bool:
        return self.definition.state(state).done

    def is_withdrawn(self, state: str) -> bool:
        return self.definition.state(state).withdrawn
