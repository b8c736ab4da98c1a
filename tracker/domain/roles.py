"""Who may act on a plan and its åtgärder: the one rule every page, command and service asks.

A person's standing on a plan comes from their role and their förvaltning: an admin may do
everything everywhere; a chef of the plan's förvaltning (or of none, i.e. of every one), or
the chef the plan names, may edit it; a board reader of its förvaltning may read it. The owner
of an åtgärd may move it on, whatever their role. Nothing else counts.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    """A person's role in the product (stored on the person)."""

    admin = "admin"
    chef = "chef"
    owner = "owner"
    board = "board"


ROLE_LABELS = {
    Role.admin: "Administratör",
    Role.chef: "Chef",
    Role.owner: "Ansvarig",
    Role.board: "Nämnd (läsare)",
}

# Roles that log in to the chef and board pages; owners use their signed links.
LOGIN_ROLES = frozenset({Role.admin.value, Role.chef.value, Role.board.value})

# What a person may do with one plan; the workflow files name the first three as who may fire
# a transition.
ADMIN = "admin"
CHEF = "chef"
OWNER = "owner"
READER = "reader"


class Someone(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def role(self) -> str: ...
    @property
    def forvaltning(self) -> str: ...


class PlanScope(Protocol):
    @property
    def forvaltning(self) -> str: ...
    @property
    def chef_id(self) -> int | None: ...


def plan_roles(person: Someone | None, plan: PlanScope) -> frozenset[str]:
    """What `person` may do with `plan`: some of ADMIN, CHEF, READER; empty for nothing."""
    if person is None:
        return frozenset()
    if person.role == Role.admin:
        return frozenset({ADMIN, CHEF, READER})
    in_forvaltning = person.forvaltning in ("", plan.forvaltning)
    if person.role == Role.chef and (in_forvaltning or plan.chef_id == person.id):
        return frozenset({CHEF, READER})
    if person.role == Role.board and in_forvaltning:
        return frozenset({READER})
    return frozenset()


def action_roles(person: Someone, plan: PlanScope, owner_id: int | None) -> frozenset[str]:
    """The workflow roles `person` holds for an åtgärd of `plan` owned by `owner_id`."""
    roles = plan_roles(person, plan) - {READER}
    if owner_id is not None and owner_id == person.id:
        roles |= {OWNER}
    return roles


def may_read(person: Someone | None, plan: PlanScope) -> bool:
    return READER in plan_roles(person, plan)


def may_edit(person: Someone | None, plan: PlanScope) -> bool:
    return CHEF in plan_roles(person, plan)
