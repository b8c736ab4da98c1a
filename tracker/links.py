"""Signed links in e-mails: who they are for, for what, and until when.

One salt per purpose, so a log-in link cannot be replayed as an owner link. Expiry is checked
against the `now` the caller passes (log-in links live minutes, owner links days), and a link
issued before the person's `links_valid_after` is refused: revoking every link of a person is
one UPDATE. A log-in link works once (`login_link_used_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer


class LinkPurpose(StrEnum):
    owner = "agare-lank"
    login = "inloggning"
    # A chef's link to acknowledge an escalation of one åtgärd.
    acknowledge = "kvittera-eskalering"


class LinkInvalid(Exception):
    """Why a link was refused, in Swedish; the same page is shown whatever the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkClaim:
    person_id: int
    action_id: int | None
    issued_at: datetime


class LinkSigner:
    def __init__(
        self, secret_key: str, max_age: timedelta, login_max_age: timedelta | None = None
    ) -> None:
        # One serializer per purpose, built once: a reminder sweep signs thousands of links.
        self._serializers = {
            p: URLSafeSerializer(secret_key, salt=f"tracker.{p.value}") for p in LinkPurpose
        }
        self.max_age = max_age
        self._max_ages = {
            LinkPurpose.owner: max_age,
            LinkPurpose.acknowledge: max_age,
            LinkPurpose.login: login_max_age if login_max_age is not None else max_age,
        }

    def _serializer(self, purpose: LinkPurpose) -> URLSafeSerializer:
        return self._serializers[purpose]

    def sign(
        self, purpose: LinkPurpose, person_id: int, *, now: datetime, action_id: int | None = None
    ) -> str:
        payload = {"p": person_id, "t": int(now.timestamp())}
        if action_id is not None:
            payload["a"] = action_id
        return str(self._serializer(purpose).dumps(payload))

    def verify(self, purpose: LinkPurpose, token: str, *, now: datetime) -> LinkClaim:
        """The claim in a token (signature and age), or LinkInvalid. Revocation and use are
        the person's, checked against the claim: check_not_revoked, check_not_used."""
        claim = self._signed_claim(purpose, token)
        if now - claim.issued_at > self._max_ages[purpose]:
            raise LinkInvalid("Länken har gått ut.")
        return claim

    def check_not_revoked(self, claim: LinkClaim, valid_after: datetime | None) -> None:
        """LinkInvalid if the claim's link was issued before the person's revocation time; for
        a claim already verified, so the signature need not be checked twice."""
        # Same second as the revocation counts as before it: safer to refuse than to keep.
        if valid_after is not None and claim.issued_at <= valid_after.replace(microsecond=0):
            raise LinkInvalid("Länken har återkallats.")

    def check_not_used(self, claim: LinkClaim, used_at: datetime | None) -> None:
        """LinkInvalid if a log-in link issued at or after this one's time was used already."""
        if used_at is not None and claim.issued_at <= used_at:
            raise LinkInvalid("Länken har redan använts.")

    def _signed_claim(self, purpose: LinkPurpose, token: str) -> LinkClaim:
        """What a token's signature vouches for, whenever it is checked (its age is not)."""
        try:
            payload = self._serializer(purpose).loads(token)
        except BadSignature as exc:
            raise LinkInvalid("Länken är ogiltig.") from exc
        try:
            person_id = int(payload["p"])
            issued = datetime.fromtimestamp(int(payload["t"]), UTC)
            action_id = int(payload["a"]) if "a" in payload else None
        except (KeyError, TypeError, ValueError) as exc:
            raise LinkInvalid("Länken är ogiltig.") from exc
        return LinkClaim(person_id=person_id, action_id=action_id, issued_at=issued)
