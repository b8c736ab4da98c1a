"""Workflow definitions: states, transitions, timers, validated on load.

A definition file is TOML. A broken file is refused with the file, the key (or line) and
what is wrong, so a municipality editing its own workflow sees where to look.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

Role = Literal["owner", "chef", "admin", "system"]
DateField = Literal["due_on", "evaluate_on", "next_report_on", "report_update_by"]
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class DefinitionError(ValueError):
    """A definition file that cannot be used, with where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StateDef(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    # Other ways a plan file writes the state, read on import as the label is ("Ej påbörjad"
    # as well as "Ej påbörjat"; "Pågående" for "Pågår"). Shown nowhere.
    aliases: tuple[str, ...] = ()
    # Counts as done for the schedule: a due date passed in this state is not "försenad".
    done: bool = False
    final: bool = False
    # The åtgärd was withdrawn (struck from the plan, "Utgår"): kept with its history and its
    # reason, but never late, never reminded of, and shown as withdrawn in the återrapport.
    withdrawn: bool = False

    @model_validator(mode="after")
    def _withdrawn_is_finished(self) -> StateDef:
        # A withdrawn åtgärd has nothing left to do: were it not done and final, the schedule
        # and the reminders would still chase it.
        if self.withdrawn and not (self.done and self.final):
            raise ValueError("withdrawn = true kräver också done = true och final = true")
        return self


class FieldDef(_Strict):
    """One question a transition asks besides its text (an evaluation's "Vilket var
    problemet?"): answered on the form, kept with the transition's event, printed in the
    återrapport."""

    id: str
    label: str
    # Each field must be answered unless the file says `required = false`.
    required: bool = True
    # The answers allowed, as shown ("Utan anmärkning", "Avvikelse"): one is chosen.
    choices: list[str] = Field(default_factory=list)
    # Asked only when another field has this answer ({ resultat = "Avvikelse" }): required
    # then, and left out otherwise.
    required_if: dict[str, str] | None = None

    @field_validator("id")
    @classmethod
    def _id_is_identifier(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(
                f"ogiltigt id '{value}': skriv små bokstäver a–z, siffror och _, "
                "och börja med en bokstav"
            )
        return value

    @field_validator("label")
    @classmethod
    def _label_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("label får inte vara tom")
        return value

    def choice(self, answer: str) -> str | None:
        """The choice an answer names, as the file writes it (any case, spaces trimmed);
        None for none of them."""
        wanted = " ".join(answer.split()).casefold()
        return next((c for c in self.choices if c.casefold() == wanted), None)


class OpensActionDef(_Strict):
    """A transition whose answer opens a new åtgärd in the same plan: a control that found
    a deviation ("Avvikelse") opens the åtgärd that corrects it, in the plan's list for
    them, linked to the åtgärd it came from."""

    # The answer that opens it: { resultat = "Avvikelse" }.
    when: dict[str, str] = Field(min_length=1, max_length=1)
    # The field whose answer becomes the new åtgärd's text.
    text_field: str
    # The utvecklingsområde (list) of the plan it is put in; made when missing.
    area: str = Field(min_length=1)
    workflow: str = "atgard"
    # Klart till: this many days after the answer; the chef may move it.
    due_days: int = Field(default=30, ge=1, le=366)


class TransitionDef(_Strict):
    trigger: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    source: list[str] = Field(min_length=1)
    dest: str
    roles: list[Role] = Field(min_length=1)
    # When set, the transition needs a text; the value is the question put to the user.
    requires_text: str | None = None
    # What the history and the receipt call it once done, in the past tense ("Startad");
    # the button's label when not given.
    done_label: str | None = None
    # Questions the transition asks besides its text, each with its own box on the form.
    fields: list[FieldDef] = Field(default_factory=list)
    opens_action: OpensActionDef | None = None

    @model_validator(mode="after")
    def _field_ids_unique(self) -> TransitionDef:
        ids = [f.id for f in self.fields]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(
                "fields: samma id förekommer flera gånger: " + ", ".join(f"'{i}'" for i in repeated)
            )
        return self

    @model_validator(mode="after")
    def _conditions_name_choices(self) -> TransitionDef:
        """A condition (required_if, opens_action.when) names an earlier field with choices,
        and one of those choices: a typo would otherwise make it never hold."""
        problems: list[str] = []
        by_id = {f.id: f for f in self.fields}
        conditions = [(f"fields '{f.id}' required_if", f.required_if) for f in self.fields]
        if self.opens_action is not None:
            conditions.append(("opens_action.when", self.opens_action.when))
            if self.opens_action.text_field not in by_id:
                problems.append(
                    f"opens_action.text_field: okänt fält '{self.opens_action.text_field}'"
                )
        for where, condition in conditions:
            for field_id, value in (condition or {}).items():
                named = by_id.get(field_id)
                if named is None or not named.choices:
                    problems.append(f"{where}: '{field_id}' är inget fält med choices")
                elif named.choice(value) is None:
                    problems.append(f"{where}: '{value}' är inget av valen för '{field_id}'")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def past_label(self) -> str:
        return self.done_label or self.label

    @property
    def has_form(self) -> bool:
        """Whether the transition asks something (a text or fields): its own form then."""
        return self.requires_text is not None or bool(self.fields)

    def asks(self, f: FieldDef, answers: Mapping[str, str] | None) -> bool:
        """Whether the field is asked, given the other answers (its required_if holds)."""
        given = answers or {}
        for other_id, value in (f.required_if or {}).items():
            other = next((o for o in self.fields if o.id == other_id), None)
            if other is None or other.choice(given.get(other_id, "")) != other.choice(value):
                return False
        return True

    def missing_fields(self, answers: Mapping[str, str] | None) -> list[FieldDef]:
        """The required fields left empty in `answers` (by field id)."""
        given = answers or {}
        return [
            f
            for f in self.fields
            if f.required and self.asks(f, answers) and not given.get(f.id, "").strip()
        ]

    def answered_unasked(
        self, answers: Mapping[str, str] | None
    ) -> list[tuple[FieldDef, str, str]]:
        """The fields answered although their required_if does not hold, each with the choice
        made and the one that would ask it: ('Beskriv avvikelsen', 'Utan anmärkning',
        'Avvikelse'). Such an answer would be dropped; likelier the choice is the mistake.
        A condition on a field left unchosen is missing_fields' to name, not this one's."""
        given = answers or {}
        out = []
        for f in self.fields:
            if not given.get(f.id, "").strip():
                continue
            for other_id, value in (f.required_if or {}).items():
                other = next(o for o in self.fields if o.id == other_id)
                chosen = other.choice(given.get(other_id, ""))
                wanted = other.choice(value)
                if chosen is not None and wanted is not None and chosen != wanted:
                    out.append((f, chosen, wanted))
                    break
        return out

    def wrong_choices(self, answers: Mapping[str, str] | None) -> list[FieldDef]:
        """The fields with choices whose answer is none of them (an empty one is missing)."""
        given = answers or {}
        return [
            f
            for f in self.fields
            if f.choices and given.get(f.id, "").strip() and f.choice(given[f.id]) is None
        ]

    def opens_action_for(self, answers: Mapping[str, str] | None) -> OpensActionDef | None:
        """The åtgärd these answers open, when the transition opens one on them."""
        opens = self.opens_action
        if opens is None:
            return None
        given = answers or {}
        for field_id, value in opens.when.items():
            f = next(x for x in self.fields if x.id == field_id)
            if f.choice(given.get(field_id, "")) != f.choice(value):
                return None
        return opens


class LevelDef(_Strict):
    """One level an unanswered escalation climbs to: "chef" is the plan's chef; any other
    level is held per förvaltning (or for the whole kommun) by a person an admin names."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)


# The first level of every escalation: the chef the plan names, else its förvaltning's chefs.
CHEF_LEVEL = "chef"


class TimerDef(_Strict):
    """When an action in some states wants a message, relative to one of its dates.

    kind "before": once, `days` before the date. "after": once, `days` after it.
    "every_after": from the day after the date, whenever none went out in the last `days`
    days, while still in `states`.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["before", "after", "every_after"]
    date: DateField
    days: int = Field(ge=0)
    states: list[str] = Field(min_length=1)
    recipient: Literal["owner", "chef"] = "owner"
    label: str
    # Only for date "report_update_by": sent only to owners whose processläge was not
    # written since the call to update for this report went out.
    unless_updated: bool = False
    # An escalation (recipient "chef") that waits for an answer: when nobody acknowledges it
    # within this many working days it goes one level up `levels`, up to the top one.
    acknowledge_within: int | None = Field(default=None, ge=1, le=60)
    levels: list[LevelDef] | None = None

    @model_validator(mode="after")
    def _every_needs_interval(self) -> TimerDef:
        if self.kind == "every_after" and self.days < 1:
            raise ValueError("every_after behöver days >= 1")
        if self.date == "report_update_by" and self.kind == "every_after":
            raise ValueError("report_update_by går bara med kind before eller after")
        if self.unless_updated and self.date != "report_update_by":
            raise ValueError("unless_updated gäller bara date = report_update_by")
        return self

    @model_validator(mode="after")
    def _escalation_keys(self) -> TimerDef:
        problems: list[str] = []
        if self.acknowledge_within is not None:
            if self.recipient != "chef":
                problems.append('acknowledge_within gäller bara en eskalering (recipient = "chef")')
            if self.kind != "after":
                problems.append('acknowledge_within kräver kind = "after"')
        if self.levels is not None:
            if self.acknowledge_within is None:
                problems.append("levels kräver acknowledge_within")
            ids = [level.id for level in self.levels]
            if not ids or ids[0] != CHEF_LEVEL:
                problems.append(f'levels: den första nivån ska vara "{CHEF_LEVEL}"')
            if len(set(ids)) != len(ids):
                problems.append("levels: samma nivå förekommer flera gånger")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def awaits_answer(self) -> bool:
        """Whether this escalation waits for a chef to acknowledge it."""
        return self.acknowledge_within is not None

    def escalation_levels(self) -> tuple[LevelDef, ...]:
        """The levels the escalation climbs, the plan's chef first."""
        return tuple(self.levels) if self.levels else (LevelDef(id=CHEF_LEVEL, label="Chef"),)


class ScheduleDef(_Strict):
    """A report workflow's timetable, counted back from the secretary's deadline before the
    nämnd's meeting (see tracker.domain.report_schedule)."""

    draft_working_days: int = Field(default=3, ge=0, le=60)
    update_working_days: int = Field(default=1, ge=0, le=60)


class OccurrencesDef(_Strict):
    """A workflow whose åtgärder the scheduler opens from a frequency (a kontrollmoment's
    "månadsvis"): each occurrence is opened this many days before the day it is due, so its
    owner has it in the digest in good time."""

    open_days_before: int = Field(default=14, ge=0, le=120)


class NounDef(_Strict):
    """What one item of a workflow is called wherever it is counted or named: in the owner's
    e-mail ("1 kontroll att uppdatera"), on its page ("Kontroll 20"), in a receipt ("sidan med
    kontrollen"). All four forms are given, since Swedish forms them irregularly (beslut,
    beslut, beslutet, besluten)."""

    one: str = Field(min_length=1)
    many: str = Field(min_length=1)
    the_one: str = Field(min_length=1)
    the_many: str = Field(min_length=1)
    # "ett beslut": a word agreeing with one of them takes the neuter form ("försenat").
    neuter: bool = False

    @property
    def title(self) -> str:
        """The singular as a page's heading starts with it: "Kontroll"."""
        return self.one[:1].upper() + self.one[1:]

    @property
    def yours(self) -> str:
        """A page's heading for one of them: "Din kontroll", "Ditt beslut"."""
        return f"{'Ditt' if self.neuter else 'Din'} {self.one}"

    @property
    def your(self) -> str:
        """One of them inside a sentence: "din kontroll", "ditt beslut"."""
        return f"{'ditt' if self.neuter else 'din'} {self.one}"

    @property
    def a(self) -> str:
        """One of them, not yet named: "en kontroll", "ett beslut"."""
        return f"{'ett' if self.neuter else 'en'} {self.one}"

    @property
    def it(self) -> str:
        """The pronoun that stands for one of them: "den" (kontrollen), "det" (beslutet)."""
        return "det" if self.neuter else "den"

    def late(self, n: int) -> str:
        """'försenad', 'försenat' or 'försenade', agreeing with n of these."""
        if n != 1:
            return "försenade"
        return "försenat" if self.neuter else "försenad"


# Every workflow's items are åtgärder unless its [digest.noun] says otherwise.
DEFAULT_NOUN = NounDef(one="åtgärd", many="åtgärder", the_one="åtgärden", the_many="åtgärderna")


class DigestDef(_Strict):
    """The headings an owner's e-mail gives this workflow's items, where the åtgärd's own
    ("Klart-datum närmar sig", "Försenade") would read wrong: a control is not "klar", it is
    done ("Kontroller att göra"). A section left out keeps the åtgärd's heading. `noun`: what
    an item is called, in the mail and on every page that names or counts it."""

    overdue: str | None = Field(default=None, min_length=1)
    due_soon: str | None = Field(default=None, min_length=1)
    evaluation_overdue: str | None = Field(default=None, min_length=1)
    evaluation_soon: str | None = Field(default=None, min_length=1)
    noun: NounDef = DEFAULT_NOUN


class WorkflowDefinition(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    initial: str
    states: list[StateDef] = Field(min_length=1)
    transitions: list[TransitionDef] = Field(default_factory=list)
    timers: list[TimerDef] = Field(default_factory=list)
    schedule: ScheduleDef | None = None
    occurrences: OccurrencesDef | None = None
    digest: DigestDef | None = None

    def digest_heading(self, section: str) -> str | None:
        """This workflow's heading for a section of the owner's e-mail (by the section's
        name: "overdue", "due_soon", ...), None to use the åtgärd's own."""
        return getattr(self.digest, section, None) if self.digest else None

    @property
    def noun(self) -> NounDef:
        """What one of this workflow's items is called ("kontroll"); "åtgärd" by default."""
        return self.digest.noun if self.digest else DEFAULT_NOUN

    @model_validator(mode="after")
    def _references_exist(self) -> WorkflowDefinition:
        known = {s.id for s in self.states}
        problems = [
            *self._state_problems(),
            *self._transition_problems(known),
            *self._timer_problems(known),
        ]
        if self.initial not in known:
            problems.append(f"initial: okänt tillstånd '{self.initial}'")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _state_problems(self) -> list[str]:
        problems = []
        if len({s.id for s in self.states}) != len(self.states):
            problems.append("states: samma id förekommer flera gånger")
        # An import reads a state by any of its names: one name must mean one state.
        names = [
            n for st in self.states for n in {x.casefold() for x in (st.id, st.label, *st.aliases)}
        ]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            problems.append(
                "states: samma namn på flera tillstånd (id, label eller aliases): "
                + ", ".join(f"'{n}'" for n in repeated)
            )
        return problems

    def _transition_problems(self, known: set[str]) -> list[str]:
        problems = []
        seen: set[tuple[str, str]] = set()
        for i, t in enumerate(self.transitions):
            for src in t.source:
                if src not in known:
                    problems.append(f"transitions[{i}].source: okänt tillstånd '{src}'")
                if (t.trigger, src) in seen:
                    problems.append(
                        f"transitions[{i}]: '{t.trigger}' från '{src}' är redan definierad"
                    )
                seen.add((t.trigger, src))
            if t.dest not in known:
                problems.append(f"transitions[{i}].dest: okänt tillstånd '{t.dest}'")
        return problems

    def _timer_problems(self, known: set[str]) -> list[str]:
        problems = [
            f"timers[{i}].states: okänt tillstånd '{st}'"
            for i, timer in enumerate(self.timers)
            for st in timer.states
            if st not in known
        ]
        if len({t.id for t in self.timers}) != len(self.timers):
            problems.append("timers: samma id förekommer flera gånger")
        return problems

    def state(self, state_id: str) -> StateDef:
        for s in self.states:
            if s.id == state_id:
                return s
        raise KeyError(state_id)

    def transition(self, trigger: str) -> TransitionDef | None:
        for t in self.transitions:
            if t.trigger == trigger:
                return t
        return None

    def label_of(self, state_id: str) -> str:
        return self.state(state_id).label

    def resolve_state(self, text: str) -> str | None:
        """A state given as its identifier, its Swedish label or one of its aliases (any
        case)."""
        return self._state_names.get(text.strip().casefold().rstrip("."))

    @cached_property
    def _state_names(self) -> dict[str, str]:
        # Asked once for each row of an import: bench/core.py's 200,000 rows spent some 5 %
        # of their time going through the states' names one by one. The check of the
        # definition refuses two states sharing a name, so each name has one state.
        return {
            name.casefold(): s.id
            for s in reversed(self.states)
            for name in (s.id, s.label, *s.aliases)
        }


# Pydantic's own wording for the mistakes a person editing a file makes most, in Swedish.
_MESSAGES = {
    "missing": "nyckeln saknas",
    "extra_forbidden": "okänd nyckel",
    "string_type": "ska vara en text",
    "bool_type": "ska vara true eller false",
    "list_type": "ska vara en lista",
}


def _message(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "value_error":
        # Our own validators' messages are Swedish already.
        return str(error["msg"]).removeprefix("Value error, ")
    return _MESSAGES.get(kind, error["msg"])


def _format_validation(path: Path, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in e["loc"])
        loc = loc.replace(".[", "[") or "(filen)"
        lines.append(f"{path}: {loc}: {_message(e)}")
    return "\n".join(lines)


def parse_definition(text: str, source: Path) -> WorkflowDefinition:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already names the line and column.
        raise DefinitionError(f"{source}: ogiltig TOML: {exc}") from exc
    try:
        return WorkflowDefinition.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(_format_validation(source, exc)) from exc


def load_definition(path: Path) -> WorkflowDefinition:
    return parse_definition(path.read_text(encoding="utf-8"), path)
