from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from workflows import (
    TEXT_BOX,
    DefinitionError,
    TransitionRefused,
    Workflow,
    default_registry,
    load_definition,
)
from workflows.registry import SHIPPED_DIR, WorkflowRegistry

STATES = ["ej_paborjat", "pagar", "klar", "utvarderad", "utgar"]
TRIGGERS = ["starta", "slutfor", "utvardera", "ateroppna", "utga"]

# The default åtgärd workflow as the issue states it: (trigger, from) -> (to, roles, needs text).
LEGAL = {
    ("starta", "ej_paborjat"): ("pagar", {"owner", "chef"}, False),
    ("slutfor", "pagar"): ("klar", {"owner", "chef"}, True),
    ("utvardera", "klar"): ("utvarderad", {"chef"}, True),
    ("ateroppna", "klar"): ("pagar", {"chef"}, True),
    # Withdrawing: from the open states only, by the chef, with a reason; nothing leaves it.
    ("utga", "ej_paborjat"): ("utgar", {"chef"}, True),
    ("utga", "pagar"): ("utgar", {"chef"}, True),
}


@pytest.fixture(scope="module")
def atgard() -> Workflow:
    return default_registry().get("atgard")


@pytest.mark.parametrize(("trigger", "state"), list(itertools.product(TRIGGERS, STATES)))
@pytest.mark.parametrize("role", ["owner", "chef"])
def test_every_transition_of_the_default_workflow(
    atgard: Workflow, trigger: str, state: str, role: str
) -> None:
    legal = LEGAL.get((trigger, state))
    if legal is None:
        with pytest.raises(TransitionRefused, match="går inte när åtgärden är"):
            atgard.fire(state, trigger, roles={role}, text="text")
        return
    dest, roles, needs_text = legal
    if role not in roles:
        with pytest.raises(TransitionRefused, match="Bara chef"):
            atgard.fire(state, trigger, roles={role}, text="text")
        return
    if needs_text:
        with pytest.raises(TransitionRefused, match="kräver en text"):
            atgard.fire(state, trigger, roles={role}, text="   ")
    assert atgard.fire(state, trigger, roles={role}, text="Gjort") == dest


def test_unknown_trigger_is_refused_with_the_possible_ones(atgard: Workflow) -> None:
    with pytest.raises(TransitionRefused, match=r"Okänd händelse .hoppa.\. Möjliga: starta"):
        atgard.fire("pagar", "hoppa", roles={"chef"})


def test_a_refusal_names_the_box_each_of_its_reasons_is_about(atgard: Workflow) -> None:
    kontroll = default_registry().get("kontroll")
    answered = {"urval": "Alla beslut i mars", "metod": "Genomläsning"}
    with pytest.raises(TransitionRefused) as described:
        kontroll.fire(
            "planerad",
            "genomfor",
            roles={"owner"},
            answers=answered | {"resultat": "Utan anmärkning", "avvikelse": "Två saknades."},
        )
    assert described.value.fields == {"avvikelse": described.value.reason}
    with pytest.raises(TransitionRefused) as missing:
        kontroll.fire("planerad", "genomfor", roles={"owner"}, answers={"resultat": "Avvikelse"})
    assert missing.value.fields == {
        f: f"Rapportera kontrollen kräver ett svar på '{label}'."
        for f, label in [
            ("avvikelse", "Beskriv avvikelsen"),
            ("urval", "Urval: vad och hur många som kontrollerades"),
            ("metod", "Metod som användes"),
        ]
    }
    # The transition's own text has its box too; who may fire it is about no box.
    with pytest.raises(TransitionRefused) as untold:
        atgard.fire("pagar", "slutfor", roles={"owner"}, text=" ")
    assert untold.value.fields == {TEXT_BOX: untold.value.reason}
    with pytest.raises(TransitionRefused) as not_yours:
        atgard.fire("klar", "utvardera", roles={"owner"}, text="Bra")
    assert not_yours.value.fields == {}


def test_buttons_follow_state_and_role(atgard: Workflow) -> None:
    assert [t.trigger for t in atgard.available("klar", {"owner"})] == []
    assert [t.trigger for t in atgard.available("klar", {"chef"})] == ["utvardera", "ateroppna"]
    assert [t.trigger for t in atgard.available("ej_paborjat", {"owner"})] == ["starta"]
    assert atgard.available("utvarderad", {"chef", "owner"}) == ()


def test_state_given_as_label_or_identifier(atgard: Workflow) -> None:
    d = atgard.definition
    assert d.resolve_state("Pågår") == "pagar"
    assert d.resolve_state("pagar") == "pagar"
    assert d.resolve_state("ej påbörjat.") == "ej_paborjat"
    assert d.resolve_state("avslutad") is None


def test_timers_are_loaded_from_the_definition(atgard: Workflow) -> None:
    timers = {t.id: t for t in atgard.definition.timers}
    assert (timers["fore_klart_14"].kind, timers["fore_klart_14"].days) == ("before", 14)
    assert (timers["forsenad"].kind, timers["forsenad"].days) == ("every_after", 7)
    assert timers["eskalering"].recipient == "chef"
    assert timers["fore_utvardering"].date == "evaluate_on"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "eget.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_toml_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "eget"\nlabel = "Eget"\ninitial = \n')
    with pytest.raises(DefinitionError) as err:
        load_definition(path)
    assert str(path) in str(err.value)
    assert "line 3" in str(err.value)


def test_definition_with_unknown_state_names_the_key(tmp_path: Path) -> None:
    base = (SHIPPED_DIR / "protokoll.toml").read_text(encoding="utf-8")
    path = _write(tmp_path, base.replace('dest = "aterrapporterad"', 'dest = "klar"'))
    with pytest.raises(DefinitionError, match=r"transitions\[0\]\.dest: okänt tillstånd 'klar'"):
        load_definition(path)


def test_definition_with_wrong_type_names_the_key(tmp_path: Path) -> None:
    base = (SHIPPED_DIR / "atgard.toml").read_text(encoding="utf-8")
    path = _write(tmp_path, base.replace("days = 14\n", 'days = "fjorton"\n', 1))
    with pytest.raises(DefinitionError, match=r"timers\[0\]\.days"):
        load_definition(path)


def test_a_new_workflow_is_a_file_not_code(tmp_path: Path) -> None:
    _write(
        tmp_path,
        """
name = "uppdrag"
label = "Uppdrag"
initial = "givet"
[[states]]
id = "givet"
label = "Givet"
[[states]]
id = "redovisat"
label = "Redovisat"
done = true
final = true
[[transitions]]
trigger = "redovisa"
label = "Redovisa"
source = ["givet"]
dest = "redovisat"
roles = ["owner"]
""",
    )
    registry = WorkflowRegistry.from_dirs([SHIPPED_DIR, tmp_path])
    assert "uppdrag" in registry.names()
    assert registry.get("uppdrag").fire("givet", "redovisa", roles={"owner"}) == "redovisat"


def test_two_files_with_the_same_workflow_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "kopia.toml").write_bytes((SHIPPED_DIR / "atgard.toml").read_bytes())
    with pytest.raises(DefinitionError, match="definierat två gånger"):
        WorkflowRegistry.from_dirs([SHIPPED_DIR, tmp_path])


def test_withdrawn_is_done_and_final_in_every_shipped_workflow_that_has_it() -> None:
    registry = default_registry()
    for name in ("atgard", "protokoll"):
        wf = registry.get(name)
        withdrawn = [s for s in wf.definition.states if s.withdrawn]
        assert [s.label for s in withdrawn] == ["Utgår"]
        assert withdrawn[0].done and withdrawn[0].final
        assert wf.available(withdrawn[0].id, {"owner", "chef", "admin"}) == ()
        assert wf.is_withdrawn(withdrawn[0].id)
    with pytest.raises(TransitionRefused, match="Låt utgå kräver en text: Varför utgår beslutet"):
        registry.get("protokoll").fire("tilldelad", "utga", roles={"chef"}, text="")


def test_a_withdrawn_state_that_is_not_finished_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "halv.toml"
    path.write_text(
        'name = "halv"\nlabel = "Halv"\ninitial = "a"\n'
        '[[states]]\nid = "a"\nlabel = "A"\n'
        '[[states]]\nid = "b"\nlabel = "B"\ndone = true\nwithdrawn = true\n',
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError, match=r"states\[1\].*withdrawn = true kräver"):
        load_definition(path)


def test_a_name_that_would_read_as_two_states_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dubbel.toml"
    path.write_text(
        'name = "dubbel"\nlabel = "Dubbel"\ninitial = "a"\n'
        '[[states]]\nid = "a"\nlabel = "Ej påbörjat"\naliases = ["Klart"]\n'
        '[[states]]\nid = "b"\nlabel = "Klart"\ndone = true\n',
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError, match=r"samma namn på flera tillstånd.*'klart'"):
        load_definition(path)


def test_a_filter_by_state_offers_each_state_of_the_workflows_in_use_once() -> None:
    registry = default_registry()
    assert registry.state_choices({"kontroll", "atgard"}) == [
        ("ej_paborjat", "Ej påbörjat"),
        ("pagar", "Pågår"),
        ("klar", "Klar"),
        ("utvarderad", "Utvärderad"),
        # One state id, two labels: a withdrawn åtgärd and a kontroll not done.
        ("utgar", "Utgår / Görs inte"),
        ("planerad", "Planerad"),
        ("genomford", "Genomförd"),
        ("bedomd", "Bedömd"),
    ]
    assert registry.state_choices(set()) == registry.state_choices({"atgard"})


def test_counts_across_workflows_are_columns_by_label_in_the_workflows_order() -> None:
    registry = default_registry()
    present = {"Tilldelad", "Pågår", "Utgår", "Ej påbörjat"}
    assert registry.labels_in_order(present) == ["Ej påbörjat", "Pågår", "Utgår", "Tilldelad"]
