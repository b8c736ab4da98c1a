"""Logging in with the claims of a checked ID token (tracker.oidc): who the person is, which
role they log in with, and the same log-in session the e-mailed log-in link starts.

The person is found by e-mail address among the product's people; nobody is created here,
since the product cannot know a new person's förvaltning. With `oidc_role_groups` configured
the provider's group claim decides the role: the highest mapped role among the person's
groups (admin, then chef, then board), and a stored role that differs is changed to it at
log-in (tracker.services.access.change_role, which also ends the person's other log-ins);
a person in none of the mapped groups may not log in, whatever role is stored. Without the
mapping the stored role decides, as for the e-mailed link.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from config import Settings
from tracker.domain.roles import LOGIN_ROLES, Role
from tracker.logs import log_after_commit
from tracker.models import Person
from tracker.services.access import SessionLimits, change_role, start_login_session
from tracker.services.people import find_person, valid_email

_log = logging.getLogger(__name__)

# Tried in this order after the configured claim: Entra ID sends the sign-in name there when
# the account has no mailbox ("email" then missing).
FALLBACK_EMAIL_CLAIMS = ("preferred_username", "upn")
# When several mapped groups apply, the one with the most rights wins.
_RANK = (Role.admin, Role.chef, Role.board)

CONTACT = "Kontakta administratören för Åtgärdsplaner (oftast förvaltningens kvalitetsstöd)."


class SsoPersonRefused(Exception):
    """The provider vouched for someone who may not log in here; `message` says why in
    Swedish, `code` is for the log."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def email_of(claims: Mapping[str, Any], settings: Settings) -> str | None:
    """The person's e-mail address as the provider gives it, or None."""
    for name in (settings.oidc_email_claim, *FALLBACK_EMAIL_CLAIMS):
        value = claims.get(name)
        if isinstance(value, str) and valid_email(value):
            return value
    return None


def mapped_role(claims: Mapping[str, Any], settings: Settings) -> Role | None:
    """The role the group claim gives under oidc_role_groups, or None for no mapped group."""
    groups = claims.get(settings.oidc_group_claim)
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        return None
    given = {settings.oidc_role_groups[g] for g in groups if g in settings.oidc_role_groups}
    return next((role for role in _RANK if role.value in given), None)


def log_in(
    session: Session,
    settings: Settings,
    claims: Mapping[str, Any],
    *,
    now: datetime,
    limits: SessionLimits,
) -> str:
    """Starts a log-in session for the person the claims name; returns the cookie's token.
    SsoPersonRefused if there is no such person or they may not log in."""
    if claims.get("email_verified") is False and claims.get(settings.oidc_email_claim):
        raise SsoPersonRefused(
            "email_unverified",
            "Kommunens inloggningstjänst har inte bekräftat din e-postadress, så vi kan inte "
            f"veta vem du är. {CONTACT}",
        )
    email = email_of(claims, settings)
    if email is None:
        raise SsoPersonRefused(
            "no_email",
            "Kommunens inloggningstjänst skickade ingen e-postadress för ditt konto, så vi vet "
            f"inte vem du är. {CONTACT}",
        )
    person = find_person(session, email)
    if person is None:
        raise SsoPersonRefused(
            "unknown_person",
            f"Du finns inte i Åtgärdsplaner med adressen {email}. {CONTACT} De kan lägga "
            "till dig som chef, administratör eller nämndens läsare.",
        )
    role = _role_for(person, claims, settings)
    if role.value != person.role:
        log_after_commit(
            session.info, _log, "sso.role_changed", person_id=person.id, role=role.value
        )
        change_role(session, person, role, now=now)
    log_after_commit(session.info, _log, "sso.login", person_id=person.id)
    return start_login_session(session, person, now=now, limits=limits)


def _role_for(person: Person, claims: Mapping[str, Any], settings: Settings) -> Role:
    if settings.oidc_role_groups:
        role = mapped_role(claims, settings)
        if role is None:
            raise SsoPersonRefused(
                "no_group",
                "Du finns i Åtgärdsplaner, men ingen av dina grupper hos kommunens "
                f"inloggningstjänst ger behörighet att logga in. {CONTACT}",
            )
        return role
    if person.role not in LOGIN_ROLES:
        raise SsoPersonRefused(
            "no_login_role",
            "Du finns i Åtgärdsplaner som ansvarig för åtgärder, men ansvariga har ingen "
            "inloggning: du når dina åtgärder via länken i e-posten. Behöver du logga in som "
            f"chef eller nämndens läsare? {CONTACT}",
        )
    return Role(person.role)
