"""The URLs put in e-mails: an owner's page and a log-in link.

Plain functions of settings, person and `now` (no web framework), so the CLI, the demo and
reminder e-mails can make the same links the web app accepts.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from config import Settings
from tracker.links import LinkPurpose, LinkSigner
from tracker.models import Person
from tracker.services.access import issue_time

OWNER_PREFIX = "/ansvarig"
LOGIN_PREFIX = "/logga-in"
ACKNOWLEDGE_PREFIX = "/kvittera"
ACTION_PREFIX = "/atgarder"
# The action page's section with the form that gives it an owner.
OWNER_FORM_ANCHOR = "ansvar"


def signer_for(settings: Settings) -> LinkSigner:
    return _signer(
        settings.secret_key, settings.link_max_age_days, settings.login_link_max_age_minutes
    )


@functools.cache
def _signer(secret_key: str, max_age_days: int, login_max_age_minutes: int) -> LinkSigner:
    # One per configuration: a reminder sweep signs a link per digest, and building the
    # signer's serializers each time was a sixth of the sweep (bench/reminders.py).
    return LinkSigner(
        secret_key, timedelta(days=max_age_days), timedelta(minutes=login_max_age_minutes)
    )


def _base(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/")


def owner_token(
    settings: Settings, person: Person, *, now: datetime, action_id: int | None = None
) -> str:
    assert person.id is not None
    return signer_for(settings).sign(
        LinkPurpose.owner, person.id, now=issue_time(person, now), action_id=action_id
    )


def owner_url(
    settings: Settings, person: Person, *, now: datetime, action_id: int | None = None
) -> str:
    """The owner's page: all their åtgärder, or only `action_id` when given."""
    token = owner_token(settings, person, now=now, action_id=action_id)
    return f"{_base(settings)}{OWNER_PREFIX}/{token}"


def login_url(settings: Settings, person: Person, *, now: datetime) -> str:
    """A log-in link for a chef, admin or board reader (opens a page with a log-in button)."""
    assert person.id is not None
    token = signer_for(settings).sign(LinkPurpose.login, person.id, now=issue_time(person, now))
    return f"{_base(settings)}{LOGIN_PREFIX}/{token}"


def acknowledge_url(settings: Settings, person: Person, action_id: int, *, now: datetime) -> str:
    """A chef's link to acknowledge the escalation of one åtgärd (opens a page with a form)."""
    assert person.id is not None
    token = signer_for(settings).sign(
        LinkPurpose.acknowledge, person.id, now=issue_time(person, now), action_id=action_id
    )
    return f"{_base(settings)}{ACKNOWLEDGE_PREFIX}/{token}"


def action_url(settings: Settings, action_id: int) -> str:
    """The åtgärd's page (for those who may log in)."""
    return f"{_base(settings)}{ACTION_PREFIX}/{action_id}"


def assign_url(settings: Settings, action_id: int) -> str:
    """The åtgärd's page at the form that gives it an owner (for those who may log in)."""
    return f"{action_url(settings, action_id)}#{OWNER_FORM_ANCHOR}"
