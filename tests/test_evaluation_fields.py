"""An evaluation that asks structured fields, declared in the workflow file: the file is
checked, the rule refuses a missing answer, the answers are kept with the transition's event,
and the återrapport prints them beside the förväntad effekt as of its date."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.support.documents import docx_text, pdf_text, squash
from tracker.app import App
from tracker.domain.roles import PlanScope
from tracker.errors import Refused
from tracker.models import ActionEvent, Person
from tracker.services import actions, people, plans, reports
from workflows import DefinitionError, WorkflowRegistry, default_registry, load_definition
from workflows.registry import SHIPPED_DIR

SBS_FIELDS = [
    ("problem", "Vilket var problemet?"),
    ("mal", "Vilket var målet?"),
    ("forbattringar", "Vilka förbättringar syns?"),
    ("ej_uppnatt", "Vilka mål nåddes inte, och varför?"),
]
ANSWERS = {
    "problem": "Låg måluppfyllelse i matematik i åk 9.",
    "mal": "Fler elever med godkänt i matematik.",
    "forbattringar": "Andelen med godkänt steg från 72 till 78 procent.",
    "ej_uppnatt": "Målet 85 procent nåddes inte: lärarbyten under våren.",
}


def _definition(tmp_path: Path, fields: str) -> Path:
    path = tmp_path / "eget.toml"
    path.write_text(
        'name = "eget"\nlabel = "Eget"\ninitial = "a"\n'
        '[[states]]\nid = "a"\nlabel = "A"\n[[states]]\nid = "b"\nlabel = "B"\n'
        '[[transitions]]\ntrigger = "klar"\nlabel = "Klar"\nsource = ["a"]\ndest = "b"\n'
        f'roles = ["chef"]\nfields = {fields}\n',
        encoding="utf-8",
    )
    return path


def test_the_sbs_workflow_asks_the_delredovisning_fields_and_atgard_keeps_one_text() -> None:
    registry = default_registry()
    sbs = registry.get("sbs").definition.transition("utvardera")
    assert sbs is not None
    assert [(f.id, f.label) for f in sbs.fields][:4] == SBS_FIELDS
    assert all(f.required for f in sbs.fields[:4])
    atgard = registry.get("atgard").definition.transition("utvardera")
    assert atgard is not None
    assert atgard.fields == [] and atgard.requires_text == "Vad visar utvärderingen?"
    # The same states as the default, so an SBS plan reads as any other.
    assert [s.id for s in registry.get("sbs").definition.states] == [
        s.id for s in registry.get("atgard").definition.states
    ]
    assert load_definition(SHIPPED_DIR / "sbs.toml").name == "sbs"


def test_fields_are_read_with_required_by_default(tmp_path: Path) -> None:
    d = load_definition(
        _definition(
            tmp_path,
            '[{ id = "problem", label = "Problem?" }, '
            '{ id = "mer", label = "Mer?", required = false }]',
        )
    )
    t = d.transition("klar")
    assert t is not None
    assert [(f.id, f.required) for f in t.fields] == [("problem", True), ("mer", False)]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ('[{ id = "a", label = "A" }, { id = "a", label = "B" }]', "samma id förekommer"),
        ('[{ id = "Stor bokstav", label = "A" }]', "ogiltigt id 'Stor bokstav'"),
        ('[{ id = "a" }]', r"fields\[0\]\.label: nyckeln saknas"),
        ('[{ id = "a", label = "A", kravs = true }]', r"fields\[0\]\.kravs: okänd nyckel"),
        ('[{ id = "a", label = "  " }]', "label får inte vara tom"),
    ],
)
def test_a_broken_field_is_refused_naming_the_file_and_key(
    tmp_path: Path, fields: str, message: str
) -> None:
    path = _definition(tmp_path, fields)
    with pytest.raises(DefinitionError, match=message) as err:
        load_definition(path)
    assert str(path) in str(err.value)
    assert "transitions[0]" in str(err.value) and "fields" in str(err.value)


class _Row:
    """The columns decide_move reads of an åtgärd."""

    def __init__(self, owner_id: int) -> None:
        self.id = 7
        self.state = "klar"
        self.version = 3
        self.owner_id = owner_id
        self.workflow = "sbs"


class _Plan:
    forvaltning = "Utbildningsförvaltningen"
    chef_id = None


def _owner() -> Person:
    return Person(
        id=5, name="Anna Berg", email="anna@x.example", forvaltning="", created_at=datetime.now(UTC)
    )


def test_the_rule_refuses_an_evaluation_with_a_required_field_left_empty() -> None:
    registry: WorkflowRegistry = default_registry()
    plan: PlanScope = _Plan()
    partial = {**ANSWERS, "forbattringar": "  "}
    with pytest.raises(Refused) as err:
        actions.decide_move(
            registry, _Row(5), plan, "utvardera", _owner(), now=datetime.now(UTC), answers=partial
        )
    assert "Vilka förbättringar syns?" in err.value.message
    assert "Vilket var problemet?" not in err.value.message
    change = actions.decide_move(
        registry, _Row(5), plan, "utvardera", _owner(), now=datetime.now(UTC), answers=ANSWERS
    )
    assert change.to_state == "utvarderad"
    stored = json.loads(change.answers_json or "")
    assert [(a["id"], a["label"], a["value"]) for a in stored][:4] == [
        (i, label, ANSWERS[i]) for i, label in SBS_FIELDS
    ]


def test_a_transition_without_fields_keeps_no_answers() -> None:
    row = _Row(5)
    row.workflow = "atgard"
    change = actions.decide_move(
        default_registry(),
        row,
        _Plan(),
        "ateroppna",
        Person(
            id=9,
            name="C",
            email="c@x.example",
            role="chef",
            forvaltning=_Plan.forvaltning,
            created_at=datetime.now(UTC),
        ),
        now=datetime.now(UTC),
        text="Mer behövs.",
        answers={"problem": "x"},
    )
    assert change.answers_json is None


def _sbs_action(app: App, now: datetime, chef: Person) -> tuple[int, int, Person]:
    with app.transaction() as s:
        plan = plans.create_plan(
            s, now=now, title="Samverkan för bästa skola", forvaltning=chef.forvaltning
        )
        owner = people.ensure_person(s, "anna.berg@osteraker.example", now=now, name="Anna Berg")
        area = plans.ensure_area(s, plan, "Insats 2 Kompetensutveckling av pedagoger")
        action = plans.add_action(
            s,
            app.registry,
            area,
            now=now,
            workflow="sbs",
            owner=owner,
            text="Etablera en ny samverkansmodell för kompetensutveckling",
            expected_effect="Fler elever når godkänt i matematik.",
            due_on=date(2018, 6, 30),
        )
        assert plan.id is not None and action.id is not None
        return plan.id, action.id, owner


def test_the_service_stores_the_answers_with_the_event(
    app: App, now: datetime, chef: Person
) -> None:
    _, action_id, owner = _sbs_action(app, now, chef)
    with app.transaction() as s:
        actions.move(s, app.registry, action_id, "starta", owner, now=now)
        actions.move(s, app.registry, action_id, "slutfor", owner, now=now, text="Genomfört.")
    with app.transaction() as s, pytest.raises(Refused, match="Vilket var målet"):
        actions.move(
            s,
            app.registry,
            action_id,
            "utvardera",
            owner,
            now=now,
            answers={**ANSWERS, "mal": ""},
        )
    with app.transaction() as s:
        change = actions.move(
            s, app.registry, action_id, "utvardera", owner, now=now, answers=ANSWERS
        )
    with app.transaction() as s:
        event = s.exec(select(ActionEvent).where(ActionEvent.id == change.event_id)).one()
        assert event.trigger == "utvardera" and event.to_state == "utvarderad"
        kept = {a["id"]: a["value"] for a in json.loads(event.answers_json or "")}
        assert {k: kept[k] for k in ANSWERS} == ANSWERS
        assert kept["fortsattning"] == ""  # optional, left empty


def test_the_report_prints_the_answers_beside_the_expected_effect_as_of_its_date(
    app: App, now: datetime, chef: Person
) -> None:
    plan_id, action_id, owner = _sbs_action(app, now, chef)
    june = datetime(2018, 6, 20, 10, 0, tzinfo=UTC)
    with app.transaction() as s:
        actions.move(s, app.registry, action_id, "starta", owner, now=now)
        actions.move(s, app.registry, action_id, "slutfor", owner, now=now, text="Genomfört.")
        actions.move(s, app.registry, action_id, "utvardera", owner, now=june, answers=ANSWERS)

    def snap(as_of: date) -> reports.Snapshot:
        with app.transaction() as s:
            return reports.build_snapshot(
                s,
                app.registry,
                plan_id,
                as_of=as_of,
                now=june + timedelta(days=30),
                tz=app.tz,
                draft_days=14,
            )

    before = snap(date(2018, 6, 19)).actions()[0]
    assert before.state == "klar" and before.evaluation == ()
    assert before.expected_effect == "Fler elever når godkänt i matematik."
    after = snap(date(2018, 6, 30))
    assert dict(after.actions()[0].evaluation)["Vilket var problemet?"] == ANSWERS["problem"]
    # The archived JSON gives the same snapshot back.
    assert reports.Snapshot.from_json(after.to_json()) == after
    docs = reports.render(after)
    html = squash(docs["html"].decode("utf-8"))
    for text in (
        squash("Förväntad effekt: Fler elever når godkänt i matematik."),
        squash(f"Vilka mål nåddes inte, och varför? {ANSWERS['ej_uppnatt']}"),
    ):
        assert text in squash(_plain_html(html))
        assert text in squash(pdf_text(docs["pdf"]))
        assert text in squash(docx_text(docs["docx"]))
    # The report before the evaluation has the expected effect but no answers.
    earlier = reports.render(snap(date(2018, 6, 19)), ("pdf",))
    assert "Vilket var problemet?" not in pdf_text(earlier["pdf"])
    assert "Förväntad effekt" in pdf_text(earlier["pdf"])


def _plain_html(html: str) -> str:
    import lxml.html

    return lxml.html.fromstring(html).text_content()
