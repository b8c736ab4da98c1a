"""Who a signed link or a log-in session belongs to; revoking links and ending sessions.

A link is checked in two steps: the signature and age (no database), then the person it names
and that person's revocation time. Every refusal is a LinkInvalid with a Swedish reason; the
web shows the same page, with a form to ask for a new link, whatever the reason.

A log-in session is a row (tracker.models.LoginSession) named by a random token in the
browser's cookie. It is live until ended (log-out, "logga ut överallt", revoked links, a
changed role), idle too long, or older than its lifetime; every request checks the row, so
ending it takes effect at once whatever copies of the cookie exist.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, delete, or_, update
from sqlmodel import Session, col, select

from tracker.domain.roles import Role
from tracker.links import LinkClaim, LinkInvalid, LinkPurpose, LinkSigner
from tracker.logs import log_after_commit, log_event
from tracker.models import LoginSession, Person
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
    """Every link issued to the person up to now stops working, and every log-in ends."""
    person.links_valid_after = now
    session.add(person)
    end_sessions(session, person, now=now)


def change_role(session: Session, person: Person, role: Role, *, now: datetime) -> None:
    """Gives the person a new role. Their log-ins end: the rights that come with the new role
    start with a new log-in, never inside a session begun under the old one."""
    if person.role == role.value:
        return
    person.role = role.value
    session.add(person)
    end_sessions(session, person, now=now)


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


@dataclass(frozen=True)
class SessionLimits:
    """How long a log-in lasts: `idle` since the last request, `lifetime` since the log-in."""

    idle: timedelta
    lifetime: timedelta


# last_seen_at is written at most this often per session, so most requests write nothing;
# against an idle limit of hours a minute's error does not matter.
TOUCH_EVERY = timedelta(minutes=1)

_SESSION_T: Table = LoginSession.__table__  # type: ignore[attr-defined]
_NOW = bindparam("now", type_=UTCDateTime())
_TOUCH = (
    update(_SESSION_T)
    .where(_SESSION_T.c.id == bindparam("key"))
    .where(_SESSION_T.c.ended_at.is_(None))
    .where(_SESSION_T.c.last_seen_at <= bindparam("touch_before", type_=UTCDateTime()))
    .values(last_seen_at=_NOW)
)


def session_key(token: str) -> str:
    """What the database keeps of a session token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_login_session(
    session: Session, person: Person, *, now: datetime, limits: SessionLimits
) -> str:
    """A new live session for the person; returns the token for the browser's cookie."""
    assert person.id is not None
    _forget_dead_sessions(session, person.id, now=now, limits=limits)
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(id=session_key(token), person_id=person.id, created_at=now, last_seen_at=now)
    )
    log_after_commit(session.info, _log, "session.started", person_id=person.id)
    return token


def _forget_dead_sessions(
    session: Session, person_id: int, *, now: datetime, limits: SessionLimits
) -> None:
    # Done at each log-in, so the table holds about the live sessions and no sweep is needed.
    session.connection().execute(
        delete(_SESSION_T)
        .where(_SESSION_T.c.person_id == person_id)
        .where(
            or_(
                _SESSION_T.c.ended_at.is_not(None),
                _SESSION_T.c.last_seen_at < now - limits.idle,
                _SESSION_T.c.created_at < now - limits.lifetime,
            )
        )
    )


@dataclass(frozen=True)
class LiveSession:
    person: Person
    key: str
    # last_seen_at is TOUCH_EVERY or more behind: the caller should touch_session.
    touch_due: bool


def live_session(
    session: Session, token: str, *, now: datetime, limits: SessionLimits
) -> LiveSession | None:
    """The live session the token names, with its person; None if it is unknown, ended, idle
    too long or too old. Reads only: noting that it was seen is touch_session's."""
    key = session_key(token)
    row = session.exec(
        select(LoginSession, Person)
        .join(Person, col(Person.id) == col(LoginSession.person_id))
        .where(col(LoginSession.id) == key)
    ).first()
    if row is None:
        return None
    login, person = row
    if not _live(login, now, limits):
        return None
    return LiveSession(person, key, touch_due=now - login.last_seen_at >= TOUCH_EVERY)


def touch_session(session: Session, key: str, *, now: datetime) -> None:
    """Notes that the session was seen now, unless that was noted less than TOUCH_EVERY ago
    (of two requests at once, one writes and the other finds it done)."""
    session.connection().execute(
        _TOUCH, {"key": key, "now": now, "touch_before": now - TOUCH_EVERY}
    )


def _live(login: LoginSession, now: datetime, limits: SessionLimits) -> bool:
    return (
        login.ended_at is None
        and now - login.last_seen_at <= limits.idle
        and now - login.created_at <= limits.lifetime
    )


def end_session(session: Session, token: str, *, now: datetime) -> None:
    """Log-out: the session the token names ends (nothing happens for an unknown token)."""
    session.connection().execute(
        update(_SESSION_T)
        .where(_SESSION_T.c.id == session_key(token))
        .where(_SESSION_T.c.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_sessions(session: Session, person: Person, *, now: datetime) -> None:
    """Every live session of the person ends, in every browser."""
    done = session.connection().execute(
        update(_SESSION_T)
        .where(_SESSION_T.c.person_id == person.id)
        .where(_SESSION_T.c.ended_at.is_(None))
        .values(ended_at=now)
    )
    if done.rowcount:
        log_after_commit(
            session.info, _log, "session.ended", person_id=person.id, count=done.rowcount
        )
