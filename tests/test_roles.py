"""The rules about people: who may give which role to whom, and have whose link sent."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tracker.domain.roles import (
    Role,
    chefs_of,
    may_change_role,
    may_give_role,
    may_send_link,
    roles_to_give,
)

EDUCATION = "Utbildningsförvaltningen"
CULTURE = "Kultur- och fritidsförvaltningen"


@dataclass(frozen=True)
class P:
    id: int | None
    role: str
    forvaltning: str = ""


@dataclass(frozen=True)
class PlanOf:
    forvaltning: str
    chef_id: int | None = None


ADMIN = P(1, Role.admin, "")
CHEF = P(2, Role.chef, EDUCATION)
OTHER_CHEF = P(3, Role.chef, CULTURE)
BOARD = P(4, Role.board, EDUCATION)
OWNER_HERE = P(5, Role.owner, EDUCATION)
OWNER_NOWHERE = P(6, Role.owner, "")
ADMIN_HERE = P(7, Role.admin, EDUCATION)
CO_CHEF = P(8, Role.chef, EDUCATION)


def test_only_an_admin_gives_the_admin_role() -> None:
    assert Role.admin in roles_to_give(ADMIN)
    assert set(roles_to_give(CHEF)) == {Role.owner, Role.chef, Role.board}
    assert roles_to_give(BOARD) == ()
    assert roles_to_give(OWNER_HERE) == ()


@pytest.mark.parametrize(
    ("user", "person", "plans", "allowed"),
    [
        (ADMIN, CHEF, [], True),
        (ADMIN, ADMIN_HERE, [], True),
        (CHEF, OWNER_HERE, [], True),
        (CHEF, CO_CHEF, [], True),
        (CHEF, BOARD, [], True),
        # An admin of the chef's förvaltning is not the chef's to change.
        (CHEF, ADMIN_HERE, [], False),
        (OTHER_CHEF, OWNER_HERE, [], False),
        # Of no förvaltning: by the åtgärder they own in the chef's plans.
        (CHEF, OWNER_NOWHERE, [PlanOf(EDUCATION)], True),
        (CHEF, OWNER_NOWHERE, [PlanOf(CULTURE)], False),
        (OTHER_CHEF, OWNER_NOWHERE, [PlanOf(EDUCATION)], False),
        # Never one's own, and never as a reader or an owner.
        (CHEF, CHEF, [], False),
        (ADMIN, ADMIN, [], False),
        (BOARD, OWNER_HERE, [], False),
        (OWNER_HERE, OWNER_NOWHERE, [], False),
    ],
)
def test_who_may_change_whose_role(user: P, person: P, plans: list[PlanOf], allowed: bool) -> None:
    assert may_change_role(user, person, plans) is allowed


@pytest.mark.parametrize(
    ("user", "person", "plans", "allowed"),
    [
        (ADMIN, OWNER_NOWHERE, [], True),
        (CHEF, OWNER_HERE, [], True),
        (CHEF, CO_CHEF, [], True),
        (CHEF, OWNER_NOWHERE, [PlanOf(EDUCATION)], True),
        (CHEF, OWNER_NOWHERE, [], False),
        (OTHER_CHEF, OWNER_HERE, [], False),
        # A reader sees plans but sends nothing.
        (BOARD, OWNER_HERE, [], False),
    ],
)
def test_who_may_have_a_persons_link_sent_to_them(
    user: P, person: P, plans: list[PlanOf], allowed: bool
) -> None:
    assert may_send_link(user, person, plans) is allowed


@pytest.mark.parametrize(
    ("user", "person", "role", "allowed"),
    [
        (CHEF, OWNER_HERE, Role.chef, True),
        (CHEF, OWNER_HERE, Role.board, True),
        (CHEF, CO_CHEF, Role.owner, True),
        (CHEF, OWNER_HERE, Role.admin, False),
        # A chef or reader of no förvaltning would see every one: not the chef's to grant.
        (CHEF, OWNER_NOWHERE, Role.chef, False),
        (CHEF, OWNER_NOWHERE, Role.board, False),
        (CHEF, OWNER_NOWHERE, Role.owner, True),
        (ADMIN, OWNER_NOWHERE, Role.chef, True),
        (ADMIN, OWNER_HERE, Role.admin, True),
        (BOARD, OWNER_HERE, Role.owner, False),
    ],
)
def test_who_may_give_which_role(user: P, person: P, role: Role, allowed: bool) -> None:
    assert may_give_role(user, person, role) is allowed


def test_a_plans_matters_go_to_the_chef_it_names_or_else_its_forvaltnings_chefs() -> None:
    second = P(8, Role.chef, EDUCATION)
    people = [ADMIN, CHEF, OTHER_CHEF, BOARD, OWNER_HERE, second]
    # Named: that chef alone, even of another förvaltning.
    assert chefs_of(PlanOf(EDUCATION, chef_id=OTHER_CHEF.id), people) == [OTHER_CHEF]
    # Not named: every chef of the plan's förvaltning, and no one else.
    assert chefs_of(PlanOf(EDUCATION), people) == [CHEF, second]
    # Named but gone: the förvaltning's chefs, so that someone hears.
    assert chefs_of(PlanOf(EDUCATION, chef_id=99), people) == [CHEF, second]
    assert chefs_of(PlanOf("Okänd förvaltning"), people) == []
    # Named and also among the förvaltning's chefs, as callers hand them over: once.
    assert chefs_of(PlanOf(EDUCATION, chef_id=CHEF.id), [CHEF, *people]) == [CHEF]
    assert chefs_of(PlanOf(EDUCATION), [CHEF, *people]) == [CHEF, second]
