"""The set of workflow definitions in use: the shipped ones plus a municipality's own."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import cache
from pathlib import Path

from workflows.definition import DefinitionError, load_definition
from workflows.engine import Workflow

SHIPPED_DIR = Path(__file__).parent / "definitions"
DEFAULT_ACTION_WORKFLOW = "atgard"


class WorkflowRegistry:
    def __init__(self, workflows: Iterable[Workflow]) -> None:
        self._by_name: dict[str, Workflow] = {}
        for wf in workflows:
            if wf.name in self._by_name:
                raise DefinitionError(f"Arbetsflödet '{wf.name}' är definierat två gånger.")
            self._by_name[wf.name] = wf
        self._check_opened_workflows()

    def _check_opened_workflows(self) -> None:
        """A transition that opens an åtgärd names a workflow that is loaded too."""
        for wf in self._by_name.values():
            for t in wf.definition.transitions:
                opened = t.opens_action.workflow if t.opens_action else None
                if opened is not None and opened not in self._by_name:
                    raise DefinitionError(
                        f"Arbetsflödet '{wf.name}': '{t.trigger}' öppnar en åtgärd i det "
                        f"okända arbetsflödet '{opened}'."
                    )

    @classmethod
    def from_dirs(cls, dirs: Iterable[Path]) -> WorkflowRegistry:
        files = sorted(p for d in dirs for p in Path(d).glob("*.toml"))
        return cls(Workflow(load_definition(p)) for p in files)

    def get(self, name: str) -> Workflow:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(sorted(self._by_name))
            raise DefinitionError(f"Okänt arbetsflöde '{name}'. Kända: {known}.") from None

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def state_labels(self) -> dict[tuple[str, str], str]:
        """(workflow, state id) -> the state's Swedish label, for every loaded workflow."""
        return {
            (name, st.id): st.label
            for name in self.names()
            for st in self.get(name).definition.states
        }

    def labels_in_order(self, present: Collection[str]) -> list[str]:
        """The state labels among `present`, each once, in the order the workflows list
        their states: the columns of a table that counts items of several workflows by
        state. Counted by label, since workflows share states (sbs has the åtgärd's) and
        a column per workflow would say the same state twice."""
        out: list[str] = []
        for name in self.names():
            for st in self.get(name).definition.states:
                if st.label in present and st.label not in out:
                    out.append(st.label)
        return out

    def state_choices(self, workflows: Collection[str]) -> list[tuple[str, str]]:
        """(state id, label) of these workflows' states, each id once, for a filter by
        state: an id two workflows label differently ("Utgår", "Görs inte") is offered
        once with both labels. The default åtgärd workflow's when none is given."""
        used = [n for n in self.names() if n in workflows] or [DEFAULT_ACTION_WORKFLOW]
        labels: dict[str, list[str]] = {}
        for name in used:
            for st in self.get(name).definition.states:
                seen = labels.setdefault(st.id, [])
                if st.label not in seen:
                    seen.append(st.label)
        return [(state, " / ".join(names)) for state, names in labels.items()]


@cache
def default_registry() -> WorkflowRegistry:
    """The shipped definitions, loaded once per process."""
    return WorkflowRegistry.from_dirs([SHIPPED_DIR])


def registry_for(extra_dirs: Iterable[str]) -> WorkflowRegistry:
    extra = [Path(d) for d in extra_dirs]
    if not extra:
        return default_registry()
    return WorkflowRegistry.from_dirs([SHIPPED_DIR, *extra])
