"""Who a signed link or a session belongs to, and revoking a person's links.

A link is checked in two steps: the signature and age (no database), then the person it names
and that person's revocation time. Every refusal is a LinkInvalid with a Swedish reason; the
web shows the same page, with a form to ask for a new link, whatever the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, or_, update
from sqlmodel import Session

from tracker.links import LinkClaim, LinkInvalid, LinkPurpose, LinkSigner
from tracker.logs import log_event
from tracker.models import Person
from tracker.models.base import UTCDateTime


@dataclass(frozen=True)
class LinkHolder:
    person: Person
    claim: LinkClaim


_log = logging.getLogger(__name__)


def resolve_link(
    session: Session,
    signer: LinkSigner,
    purpose: LinkPurpose,
    token: str,
    *,
    now: datetime,
) -> LinkHolder:
    """The person a link was issued to, or LinkInvalid (tampered, expired, revoked, unknown)."""
    claim = verify_link(signer, purpose, token, now=now)
    return link_holder(signer, purpose, claim, session.get(Person, claim.person_id))


def verify_link(
    signer: LinkSigner, purpose: LinkPurpose, token: str, *, now: datetime
) -> LinkClaim:
    """The first step, without the database: the signature and the link's age."""
    try:
        return signer.verify(purpose, token, now=now)
    except LinkInvalid as exc:
        _log_refusal(purpose, exc)
        raise


def link_holder(
    signer: LinkSigner, purpose: LinkPurpose, claim: LinkClaim, person: Person | None
) -> LinkHolder:
    """The second step: `person` is the claim's person as read now (None if there is none);
    LinkInvalid if the link was revoked (or, for a log-in link, used) since it was issued."""
    try:
        if person is None or person.id != claim.person_id:
            raise LinkInvalid("Länken är ogiltig.")
        # The person's revocation time: the signer owns the rule for comparing them.
        signer.check_not_revoked(claim, person.links_valid_after)
        if purpose is LinkPurpose.login:
            signer.check_not_used(claim, person.login_link_used_at)
    except LinkInvalid as exc:
        _log_refusal(purpose, exc)
        raise
    return LinkHolder(person=person, claim=claim)


def _log_refusal(purpose: LinkPurpose, exc: LinkInvalid) -> None:
    # Never the token itself: it may be a valid link with a typo away from working.
    log_event(_log, "link.rejected", purpose=purpose.value, reason=exc.reason)


_PERSON_T: Table = Person.__table__  # type: ignore[attr-defined]
_ISSUED = bindparam("issued_at", type_=UTCDateTime())
_USE_LOGIN_LINK = (
    update(_PERSON_T)
    .where(_PERSON_T.c.id == bindparam("person_id"))
    .where(or_(_PERSON_T.c.login_link_used_at.is_(None), _PERSON_T.c.login_link_used_at < _ISSUED))
    .values(login_link_used_at=_ISSUED)
)


def use_login_link(session: Session, holder: LinkHolder) -> None:
    """Marks the holder's log-in link as used, or LinkInvalid if it (or a newer one) already
    was. One conditional UPDATE: of two log-ins with the same link at once, one wins."""
    done = session.connection().execute(
        _USE_LOGIN_LINK,
        {"person_id": holder.person.id, "issued_at": holder.claim.issued_at},
    )
    if done.rowcount != 1:
        log_event(_log, "link.rejected", purpose=LinkPurpose.login.value, reason="använd")
        raise LinkInvalid("Länken har redan använts.")


def revoke_links(session: Session, person: Person, *, now: datetime) -> None:
    """Every link (and log-in session) issued to the person up to now stops working."""
    person.links_valid_after = now
    session.add(person)


def issue_time(person: Person, now: datetime) -> datetime:
    """When a new link for the person counts as issued.

    Links carry whole seconds, and one issued in the same second as a revocation counts as
    revoked (as one issued in the second of the last used log-in link counts as used). A link
    asked for right after "återkalla" or a log-in must still work, so it is dated to the next
    whole second after those when that is later than now.
    """
    out = now
    for moment in (person.links_valid_after, person.login_link_used_at):
        if moment is not None:
            out = max(out, moment.replace(microsecond=0) + timedelta(seconds=1))
    return out


def session_valid(person: Person, logged_in_at: datetime) -> bool:
    """A log-in session ends when the person's links are revoked after it began."""
    revoked = person.links_valid_after
    return revoked is None or logged_in_at > revoked
