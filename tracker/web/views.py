"""What a page shows about an åtgärd, computed once in Python so templates stay plain."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from tracker.domain.evaluation import Answer, answers_from_json
from tracker.domain.listing import Listed
from tracker.domain.schedule import SCHEDULE_LABELS, ScheduleStatus, schedule_status
from tracker.errors import Refused, TrackerError
from tracker.models import Action, Area, Person, Plan
from tracker.services import actions as action_service
from workflows import DEFAULT_NOUN, TEXT_BOX, NounDef, WorkflowRegistry
from workflows.definition import TransitionDef

EVENT_LABELS = {
    action_service.CREATED: "Skapad",
    action_service.ASSIGNED: "Ny ansvarig",
    action_service.PROGRESS: "Processläge sparat",
    action_service.EDITED: "Ändrad",
    action_service.IMPORTED: "Importerad",
    action_service.MOVED: "Flyttad",
    action_service.RESCHEDULED: "Ny tidplan",
    action_service.ESCALATED: "Eskalerad",
    action_service.ACKNOWLEDGED: "Eskalering kvitterad",
    action_service.INDICATOR_ADDED: "Indikator tillagd",
    action_service.INDICATOR_EDITED: "Indikator ändrad",
    action_service.INDICATOR_REMOVED: "Indikator borttagen",
    action_service.MEASURED: "Mätvärde",
    action_service.VALUE_REMOVED: "Mätvärde borttaget",
}


@dataclass(frozen=True)
class ActionView:
    action: Action
    owner: Person | None
    state_label: str
    schedule: ScheduleStatus
    schedule_label: str
    area_title: str = ""
    plan_title: str = ""
    transitions: Sequence[TransitionDef] = field(default_factory=tuple)
    # Struck from the plan ("Utgår"): shown as such, never as late, and takes no processläge.
    withdrawn: bool = False
    # The state's place in its workflow, for sorting by läge.
    state_rank: int = 0
    # What it is called, by its workflow: "Kontroll 20", "Beslut 20", "Åtgärd 20".
    noun: NounDef = DEFAULT_NOUN

    @property
    def late(self) -> bool:
        return self.schedule is not ScheduleStatus.on_track


def action_view(
    registry: WorkflowRegistry,
    action: Action,
    owner: Person | None,
    today: date,
    *,
    roles: Collection[str] = (),
    area: Area | None = None,
    plan: Plan | None = None,
    area_title: str = "",
    plan_title: str = "",
) -> ActionView:
    wf = registry.get(action.workflow)
    state = wf.definition.state(action.state)
    status = schedule_status(
        done=state.done,
        final=state.final,
        due_on=action.due_on,
        evaluate_on=action.evaluate_on,
        today=today,
    )
    return ActionView(
        action=action,
        owner=owner,
        state_label=state.label,
        schedule=status,
        schedule_label=SCHEDULE_LABELS[status],
        area_title=area.title if area is not None else area_title,
        plan_title=plan.title if plan is not None else plan_title,
        transitions=wf.available(action.state, roles) if roles else (),
        withdrawn=state.withdrawn,
        state_rank=wf.definition.states.index(state),
        noun=wf.definition.noun,
    )


def listed(view: ActionView, area: Area) -> Listed:
    """What searching and sorting read of an åtgärd on the plan page."""
    action, owner = view.action, view.owner
    return Listed(
        text=action.text,
        owner_name=owner.name if owner is not None else "",
        owner_email=owner.email if owner is not None else "",
        progress_note=action.progress_note,
        area_title=area.title,
        state_rank=view.state_rank,
        state_label=view.state_label,
        due_on=action.due_on,
        evaluate_on=action.evaluate_on,
        progress_at=action.progress_at,
        plan_order=(area.position, action.position, action.id or 0),
    )


class EventLike(Protocol):
    """What a page shows of a change: an ActionEvent of the history, or the Change a service
    has just written."""

    @property
    def at(self) -> datetime: ...
    @property
    def trigger(self) -> str: ...
    @property
    def from_state(self) -> str | None: ...
    @property
    def to_state(self) -> str | None: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class EventView:
    event: EventLike
    label: str
    from_label: str | None
    to_label: str | None

    @property
    def changed_state(self) -> bool:
        return self.from_label is not None and self.from_label != self.to_label

    @property
    def answers(self) -> tuple[Answer, ...]:
        """The answers to the transition's fields, as asked then."""
        return answers_from_json(getattr(self.event, "answers_json", None))


def event_views(
    registry: WorkflowRegistry, action: Action, events: Sequence[EventLike]
) -> list[EventView]:
    definition = registry.get(action.workflow).definition

    def label_of(state: str | None) -> str | None:
        if state is None:
            return None
        try:
            return definition.label_of(state)
        except KeyError:
            return state

    views = []
    for ev in events:
        t = definition.transition(ev.trigger)
        # Past tense: the history and the receipt say what happened ("Startad").
        label = t.past_label if t is not None else EVENT_LABELS.get(ev.trigger, ev.trigger)
        views.append(EventView(ev, label, label_of(ev.from_state), label_of(ev.to_state)))
    return views


def draft_key(registry: WorkflowRegistry, action: Action, trigger: str) -> str:
    """Which form on the page gets back the text a refused POST carried: the transition's own
    form when it asks for a text, else the processläge form."""
    t = registry.get(action.workflow).definition.transition(trigger) if trigger else None
    return f"{action.id}:{trigger}" if t is not None and t.has_form else f"{action.id}:"


def refusals_by_box(
    registry: WorkflowRegistry, action: Action, trigger: str, exc: TrackerError
) -> dict[str, str]:
    """The parts of a refusal about single boxes, keyed as drafts_of keys what was typed in
    them, for the form to say each beside its box; empty when none is about one box."""
    fields = exc.fields if isinstance(exc, Refused) else {}
    keys = {TEXT_BOX: draft_key(registry, action, trigger)}
    return {keys.get(box, f"{action.id}:{trigger}:{box}"): why for box, why in fields.items()}


def typed_texts(text: str, answers: Mapping[str, str]) -> list[str]:
    """What a refused POST carried, for a page that has no form to put it back in: the
    text and each answer as typed, the empty left out."""
    return [typed for typed in (text, *answers.values()) if typed.strip()]


def typed_in(form: int | str, fields: Mapping[str, str]) -> dict[str, str]:
    """A refused form's fields as typed, keyed "<form>:<field>" so that a page with several
    forms puts each value back in the box of the form it came from."""
    return {f"{form}:{name}": value for name, value in fields.items()}


def drafts_of(
    registry: WorkflowRegistry,
    action: Action,
    trigger: str,
    text: str,
    answers: Mapping[str, str],
) -> dict[str, str]:
    """What a refused POST carried, each in the box it was typed in: the text (draft_key) and
    the answers to the transition's fields."""
    drafts = {draft_key(registry, action, trigger): text}
    t = registry.get(action.workflow).definition.transition(trigger) if trigger else None
    for f in t.fields if t is not None else ():
        drafts[f"{action.id}:{trigger}:{f.id}"] = answers.get(f.id, "")
    return drafts
