"""Who may act on a plan and its åtgärder: the one rule every page, command and service asks.

A person's standing comes from their role and their förvaltning: an admin may do everything
everywhere; a chef of the plan's förvaltning (or of none, i.e. of every one), or the chef the
plan names, may edit it; a board reader of its förvaltning may read it. The owner of an
åtgärd may move it on, whatever their role, through their link. The outbox and people are
seen by the same rule: a chef sees their own förvaltning's. Nothing else counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar


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


P = TypeVar("P", bound=Someone)


def chefs_of(plan: PlanScope, people: Iterable[P]) -> list[P]:
    """Whom a plan's matters go to (escalations, drafts to review, the owners' replies): the
    chef the plan names, or else every chef of its förvaltning. `people` holds at least
    those; a named chef no longer among them is passed over for the förvaltning's. Each
    person once, however often `people` holds them (the named chef is often also one of the
    förvaltning's chefs)."""
    candidates = list({p.id: p for p in people}.values())
    if plan.chef_id is not None:
        named = [p for p in candidates if p.id == plan.chef_id]
        if named:
            return named
    return [p for p in candidates if p.role == Role.chef and p.forvaltning == plan.forvaltning]


def forvaltning_scope(person: Someone) -> str | None:
    """The förvaltning a person acts within; None for every one (an admin, or a chef or reader
    of no single förvaltning)."""
    if person.role == Role.admin or not person.forvaltning:
        return None
    return person.forvaltning


def in_scope(person: Someone, forvaltning: str) -> bool:
    scope = forvaltning_scope(person)
    return scope is None or scope == forvaltning


def is_editor(person: Someone) -> bool:
    """Whether the person may use the pages that change things at all (which plans: may_edit)."""
    return person.role in (Role.admin, Role.chef)


def may_see_overview(person: Someone, forvaltning: str | None) -> bool:
    """The overview of open items, of the whole kommun (`forvaltning` None) or of one
    förvaltning: the whole kommun and every förvaltning for an admin or a reader or chef of
    no single förvaltning; their own förvaltning for anyone else who logs in."""
    if person.role not in LOGIN_ROLES:
        return False
    own = forvaltning_scope(person)
    return own is None or forvaltning == own


def may_edit_calendar(person: Someone) -> bool:
    """The nämnder's sammanträdesplan is kept by admins and chefs, of any förvaltning (a
    meeting belongs to a nämnd, not to one förvaltning); board readers and owners read it."""
    return person.role in (Role.admin, Role.chef)


def plan_roles(person: Someone | None, plan: PlanScope) -> frozenset[str]:
    """What `person` may do with `plan`: some of ADMIN, CHEF, READER; empty for nothing."""
    if person is None:
        return frozenset()
    if person.role == Role.admin:
        return frozenset({ADMIN, CHEF, READER})
    in_forvaltning = in_scope(person, plan.forvaltning)
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


def may_see_report(person: Someone | None, plan: PlanScope, *, issued: bool) -> bool:
    """An issued återrapport is for whoever reads its plan; a draft only for those who may
    change the plan (it is not the förvaltning's word yet)."""
    return may_read(person, plan) and (issued or may_edit(person, plan))


def may_see_person(user: Someone, person: Someone, plans: Iterable[PlanScope]) -> bool:
    """An editor sees a person of their förvaltning, or one who owns an åtgärd in `plans`
    (the plans the person owns åtgärder in) that the editor may read; anyone sees themselves."""
    if user.id is not None and user.id == person.id:
        return True
    if not is_editor(user):
        return False
    return in_scope(user, person.forvaltning) or any(may_read(user, plan) for plan in plans)


def may_revoke_links(user: Someone, person: Someone, plans: Iterable[PlanScope]) -> bool:
    """An admin may cut anyone's links; a person their own; a chef an owner's whose åtgärder
    (in `plans`) or förvaltning are theirs to edit, never another chef's or a reader's."""
    if user.role == Role.admin or (user.id is not None and user.id == person.id):
        return True
    if user.role != Role.chef or person.role != Role.owner:
        return False
    return (
        in_scope(user, person.forvaltning)
        if person.forvaltning
        else any(may_edit(user, plan) for plan in plans)
    )


def roles_to_give(user: Someone) -> tuple[Role, ...]:
    """The roles `user` may give a person: an admin any; a chef any but admin, so that no one
    gains more rights than the chef who gives them."""
    if user.role == Role.admin:
        return tuple(Role)
    if user.role == Role.chef:
        return (Role.owner, Role.chef, Role.board)
    return ()


def may_give_role(user: Someone, person: Someone, role: str) -> bool:
    """Whether `user` may give `person` this role: one of roles_to_give, and a role with a
    log-in only to a person of the giver's förvaltning, since a chef or reader of none sees
    every förvaltning, which is more than a chef of one may grant."""
    if role not in roles_to_give(user):
        return False
    scope = forvaltning_scope(user)
    return role not in LOGIN_ROLES or scope is None or person.forvaltning == scope


def may_change_role(user: Someone, person: Someone, plans: Iterable[PlanScope]) -> bool:
    """An admin may change anyone's role; a chef that of a person (not an admin) of their
    förvaltning, or of one of no förvaltning who owns åtgärder (in `plans`) the chef may
    edit. Nobody their own: the rights of a session must not change under it."""
    if user.id is not None and user.id == person.id:
        return False
    if user.role == Role.admin:
        return True
    if user.role != Role.chef or person.role == Role.admin:
        return False
    return (
        in_scope(user, person.forvaltning)
        if person.forvaltning
        else any(may_edit(user, plan) for plan in plans)
    )


def may_rename(user: Someone, person: Someone, plans: Iterable[PlanScope]) -> bool:
    """A person may correct their own name; otherwise whoever may change the person's role,
    as a name shows on every plan and in every mail the person gets."""
    if user.id is not None and user.id == person.id:
        return True
    return may_change_role(user, person, plans)


def may_move_person(user: Someone) -> bool:
    """Only an admin puts a person in another förvaltning: a chef's own förvaltning is all
    they act within, and moving a chef out of it changes what they may do."""
    return user.role == Role.admin


def may_send_link(user: Someone, person: Someone, plans: Iterable[PlanScope]) -> bool:
    """An editor may have a person's own link sent to them (it goes to their address only)
    when the editor may see the person."""
    return is_editor(user) and may_see_person(user, person, plans)


def may_draft_from_minutes(person: Someone, forvaltning: str | None = None) -> bool:
    """Decisions are drafted from a protokoll, and confirmed as åtgärder, by chefs and admins;
    a protokoll already uploaded by those of its förvaltning (`forvaltning`), as a plan."""
    if not is_editor(person):
        return False
    return forvaltning is None or in_scope(person, forvaltning)


def may_get_daily_summary(person: Someone) -> bool:
    """The daily summary of owners' reports is for those who lead plans: chefs and admins."""
    return is_editor(person)


def may_choose_daily_summary(user: Someone, person: Someone) -> bool:
    """Only the person themselves turns their daily summary on or off (it fills their own
    inbox), and only if it is for them at all."""
    return user.id is not None and user.id == person.id and may_get_daily_summary(person)


def may_acknowledge_escalation(
    person: Someone, sent_to: Iterable[int], plan: PlanScope, *, logged_in: bool
) -> bool:
    """Who may acknowledge an escalation of an åtgärd of `plan`: a person a step of it was
    sent to (`sent_to`), or an admin; logged in (from the start page), a chef of the plan
    too. Through a signed link only the first two: a link is a weaker credential."""
    if person.role == Role.admin or (person.id is not None and person.id in set(sent_to)):
        return True
    return logged_in and may_edit(person, plan)


def may_be_absent(person: Someone) -> bool:
    """Whose absence the product keeps: those who lead plans, whom escalations wait for. An
    owner's åtgärder do not wait for an answer from them."""
    return is_editor(person)


def may_register_absence(user: Someone, person: Someone) -> bool:
    """Who says that a chef is away and who stands in: the chef themselves, or an admin for
    anyone (the command line, run by whoever runs the server, asks only may_be_absent)."""
    if not may_be_absent(person):
        return False
    return user.role == Role.admin or (user.id is not None and user.id == person.id)


def may_stand_in(person: Someone) -> bool:
    """A deputy acknowledges escalations, which needs someone who may log in and act."""
    return is_editor(person)


def may_set_escalation_levels(person: Someone) -> bool:
    """Who holds a level of escalation above the plan's chef (förvaltningschef,
    kommundirektör) is the organisation's, set by an admin."""
    return person.role == Role.admin


@dataclass(frozen=True)
class _ForvaltningScope:
    forvaltning: str
    chef_id: int | None = None


def may_read_audit(person: Someone | None, forvaltning: str) -> bool:
    """A granskning of a förvaltning is read by whoever may read that förvaltning's plans
    (its board readers, its chefs, admins): the same rule as for a plan without a named chef."""
    return may_read(person, _ForvaltningScope(forvaltning))


def may_edit_audit(person: Someone | None, forvaltning: str) -> bool:
    """Chefs of the förvaltning (or of every one) and admins enter a granskning, its
    rekommendationer and yttranden, and issue its follow-up."""
    return may_edit(person, _ForvaltningScope(forvaltning))


def may_read_control_plan(person: Someone | None, forvaltning: str) -> bool:
    """A nämnd's internkontrollplan is read by whoever may read its förvaltning's plans (its
    board readers, its chefs, admins), as a granskning."""
    return may_read(person, _ForvaltningScope(forvaltning))


def may_edit_control_plan(person: Someone | None, forvaltning: str) -> bool:
    """Chefs of the förvaltning (or of every one) and admins import an internkontrollplan."""
    return may_edit(person, _ForvaltningScope(forvaltning))


def may_manage_api_tokens(person: Someone) -> bool:
    """API tokens are made and revoked by admins: a read-all token reads every förvaltning,
    more than a chef of one may grant."""
    return person.role == Role.admin.value
