"""What a set of items is called in a sentence that counts or names them, by the nouns their
workflows give them ([digest.noun]): "2 åtgärder och 1 kontroll", "dina kontroller".

A mail or page listing items of several kinds names each kind rather than one neutral word:
"ärende", the nearest, means a registered case (diarieärende) to the people reading it, and
"punkt" says nothing of what is asked of them. Naming both also tells an owner what awaits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from notifications.swedish import count, listing
from workflows import DEFAULT_NOUN, NounDef, WorkflowRegistry


def nouns_of(registry: WorkflowRegistry, workflows: Iterable[str]) -> list[tuple[NounDef, int]]:
    """Each noun among the items (by their workflows' names) with how many it names, the
    åtgärd first and the others as their workflows are first met; workflows that share a
    noun (atgard and sbs) are counted together."""
    counted: Counter[NounDef] = Counter(registry.get(w).definition.noun for w in workflows)
    order = sorted(counted, key=lambda n: n != DEFAULT_NOUN)
    return [(noun, counted[noun]) for noun in order]


# A kontrollmoment of an internkontrollplan is no workflow's item, but is given to an owner
# along with them (a hand-over) and counted with them.
POINT = "kontrollmoment"


def counted(registry: WorkflowRegistry, workflows: Iterable[str], *, points: int = 0) -> str:
    """'1 åtgärd', '2 åtgärder och 1 kontroll', with `points` kontrollmoment last ('1 beslut
    och 2 kontrollmoment'); '0 åtgärder' for none."""
    words = [count(n, noun.one, noun.many) for noun, n in nouns_of(registry, workflows)]
    if points:
        words.append(count(points, POINT, POINT))
    return listing(words) or count(0, DEFAULT_NOUN.one, DEFAULT_NOUN.many)


def plural(
    registry: WorkflowRegistry,
    workflows: Iterable[str],
    *,
    definite: bool = False,
    first: str = "",
    joined: str = "och",
) -> str:
    """'åtgärder och kontroller' ('åtgärderna och kontrollerna' when `definite`), as in
    "dina åtgärder och kontroller"; the åtgärd's word for none. `first` opens the list:
    'Utvecklingsområden, åtgärder och beslut', not '... och åtgärder och beslut'. `joined`
    "eller" for a negative or a choice: "Inga åtgärder eller beslut ännu"."""
    found = [noun for noun, _ in nouns_of(registry, workflows)] or [DEFAULT_NOUN]
    words = [noun.the_many if definite else noun.many for noun in found]
    return listing([first, *words] if first else words, joined)


def late(registry: WorkflowRegistry, workflows: Iterable[str]) -> str:
    """'försenad', 'försenat' or 'försenade', agreeing with the late items counted."""
    found = nouns_of(registry, workflows)
    if len(found) == 1:
        noun, n = found[0]
        return noun.late(n)
    return DEFAULT_NOUN.late(sum(n for _, n in found) or 2)


def heading(registry: WorkflowRegistry, workflows: Iterable[str]) -> str:
    """The header of a table's column that names each item: 'Åtgärd', 'Beslut' for a plan
    of decisions alone, 'Åtgärd / kontroll' for a mix (each of its rows is one or the other,
    which a slash says and "åtgärder och kontroller" in a header would not); 'Åtgärd' for
    none."""
    found = [noun for noun, _ in nouns_of(registry, workflows)] or [DEFAULT_NOUN]
    words = " / ".join(noun.one for noun in found)
    return words[:1].upper() + words[1:]
