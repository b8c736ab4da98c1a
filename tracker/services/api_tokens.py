"""API tokens: made by an admin (web page or command line), shown once, kept as a SHA-256,
revoked by setting a time; and who a presented token reads as.

A token reads as a board reader (tracker.domain.roles.Role.board) of its förvaltning, or of
none (every förvaltning) for a read-all token. So the API asks the same rule as every page,
`may_read`, and sees what such a reader sees on the web: plans and åtgärder of its scope,
issued återrapporter but no drafts, the overview of its förvaltning. Nothing else counts.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, update
from sqlmodel import Session, col, select

from tracker.domain.names import clean_name
from tracker.domain.roles import Role
from tracker.errors import NotFound, Refused
from tracker.logs import log_after_commit
from tracker.models import ApiToken, Person
from tracker.models.base import UTCDateTime
from tracker.services import directory

_log = logging.getLogger(__name__)

# Every token starts with this, so that one pasted into a chat or a repository is recognised
# for what it is (secret scanners match on such prefixes).
TOKEN_PREFIX = "atp_"
# 32 random bytes: 256 bits, which is why a plain SHA-256 is enough to store it (no password
# hashing: there is nothing to guess).
TOKEN_BYTES = 32
NAME_LIMIT = 100
FORVALTNING_LIMIT = 200
# last_used_at is written at most this often per token, so a busy client does not make every
# read a write (on SQLite, one write lock for the whole database).
TOUCH_EVERY = timedelta(minutes=1)

ALL_LABEL = "Alla förvaltningar"

_TOKEN_T: Table = ApiToken.__table__  # type: ignore[attr-defined]
_TOUCH = (
    update(_TOKEN_T)
    .where(_TOKEN_T.c.id == bindparam("token_id"))
    .where(_TOKEN_T.c.revoked_at.is_(None))
    .where(
        (_TOKEN_T.c.last_used_at.is_(None))
        | (_TOKEN_T.c.last_used_at <= bindparam("touch_before", type_=UTCDateTime()))
    )
    .values(last_used_at=bindparam("now", type_=UTCDateTime()))
)


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenReader:
    """Who a token reads as, for tracker.domain.roles: a board reader of `forvaltning`, or of
    every förvaltning when it is "" (a read-all token). Never a person: `id` is None, so no
    rule that looks for a named person (a plan's own chef) ever matches it."""

    token_id: int
    name: str
    forvaltning: str
    id: int | None = None
    role: str = Role.board.value


def reader_of(token: ApiToken) -> TokenReader:
    assert token.id is not None
    if not token.read_all and not token.forvaltning:
        # The table's check forbids it; an empty förvaltning must never widen to "all".
        raise ValueError(f"API token {token.id} has no scope")
    return TokenReader(
        token_id=token.id, name=token.name, forvaltning="" if token.read_all else token.forvaltning
    )


def scope_label(token: ApiToken) -> str:
    return ALL_LABEL if token.read_all else token.forvaltning


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    # The token itself: shown once, to the admin who made it, and never stored.
    secret: str


def create_token(
    session: Session,
    *,
    name: str,
    forvaltning: str,
    read_all: bool,
    now: datetime,
    created_by: Person | None = None,
) -> NewToken:
    """A new token for one förvaltning (`forvaltning`) or for all (`read_all`), not both."""
    label = clean_name(name)
    scope = forvaltning.strip()
    if not label:
        raise Refused("Ge nyckeln ett namn, till exempel systemet som ska använda den.")
    if len(label) > NAME_LIMIT:
        raise Refused(f"Namnet får vara högst {NAME_LIMIT} tecken.")
    if read_all and scope:
        raise Refused("Välj en förvaltning eller alla förvaltningar, inte båda.")
    if not read_all and not scope:
        raise Refused("Välj vilken förvaltning nyckeln får läsa, eller alla förvaltningar.")
    if len(scope) > FORVALTNING_LIMIT:
        raise Refused(f"Förvaltningens namn får vara högst {FORVALTNING_LIMIT} tecken.")
    directory.check_forvaltning(session, scope)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(
        name=label,
        token_hash=token_hash(secret),
        forvaltning=scope,
        read_all=read_all,
        created_at=now,
        created_by_id=created_by.id if created_by is not None else None,
    )
    session.add(token)
    session.flush()
    log_after_commit(
        session.info,
        _log,
        "api_token.created",
        token_id=token.id,
        token_name=token.name,
        by=created_by.id if created_by is not None else None,
    )
    return NewToken(token, secret)


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    created_by: str  # the admin's name, or "" when made on the command line

    @property
    def scope(self) -> str:
        return scope_label(self.token)


def list_tokens(session: Session) -> list[TokenRow]:
    """Every token, live ones first, newest first within each."""
    rows = session.exec(
        select(ApiToken, Person)
        .join(Person, col(Person.id) == col(ApiToken.created_by_id), isouter=True)
        .order_by(col(ApiToken.revoked_at).is_not(None), col(ApiToken.id).desc())
    ).all()
    return [TokenRow(t, p.name if p is not None else "") for t, p in rows]


def revoke_token(
    session: Session, token_id: int, *, now: datetime, by: Person | None = None
) -> ApiToken:
    """The token stops working at once: the next request with it is refused."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"Ingen API-nyckel med nummer {token_id}.")
    # Conditional, so that of two revocations at once one is told it was already done.
    done = session.connection().execute(
        update(_TOKEN_T)
        .where(_TOKEN_T.c.id == token_id)
        .where(_TOKEN_T.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if done.rowcount != 1:
        raise Refused(f"API-nyckeln ”{token.name}” är redan återkallad.")
    session.refresh(token)
    log_after_commit(
        session.info,
        _log,
        "api_token.revoked",
        token_id=token_id,
        token_name=token.name,
        by=by.id if by is not None else None,
    )
    return token


def authenticate(session: Session, presented: str, *, now: datetime) -> TokenReader | None:
    """Who a presented token reads as; None for an unknown or revoked one. Notes when it was
    used, at most once a TOUCH_EVERY."""
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        return None
    token = session.exec(
        select(ApiToken).where(col(ApiToken.token_hash) == token_hash(presented))
    ).first()
    if token is None or token.revoked_at is not None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        session.connection().execute(
            _TOUCH, {"token_id": token.id, "now": now, "touch_before": now - TOUCH_EVERY}
        )
    return reader_of(token)
