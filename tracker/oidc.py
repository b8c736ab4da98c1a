"""The OpenID Connect relying party: discovery, the authorization request, the code exchange
and the checks of the ID token. No database and no web: the caller keeps the pending log-in
(tracker.web.routes.sso keeps it in the browser's signed session) and passes the time.

Authlib speaks the protocol: its httpx client builds the authorization request with PKCE
(S256) and exchanges the code; joserfc (Authlib's JOSE library) checks the signature against
the provider's published keys (JWKS), and authlib.oidc.core.CodeIDToken the claims: issuer,
audience, expiry, issued-at, nonce, azp and at_hash. The keys are fetched once and kept; a
token signed with a key they do not have makes one new fetch (the provider has rotated its
keys), and only if that one does not have it either is the token refused.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from httpx2 import Client, HTTPError
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from config import Settings
from tracker.logs import log_event

_log = logging.getLogger(__name__)

CALLBACK_PATH = "/logga-in/sso/svar"
DISCOVERY_PATH = "/.well-known/openid-configuration"
TIMEOUT_SECONDS = 10.0
# Clock skew allowed between the provider and this server, on expiry and issued-at.
LEEWAY_SECONDS = 60
# Signatures with a public key only: "none" and the HMAC family (keyed with the client
# secret) are never accepted for an ID token here.
ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class SsoFailed(Exception):
    """The log-in through the provider did not succeed. `reason` is Swedish, for the page;
    `code` is a short identifier for the log."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class ProviderUnavailable(SsoFailed):
    """The provider could not be reached or answered nonsense: not the user's fault."""


UNREACHABLE = (
    "Kommunens inloggningstjänst svarar inte just nu. Försök igen om en stund, eller kontakta "
    "kommunens it-support om det fortsätter."
)


@dataclass(frozen=True)
class Pending:
    """A log-in sent to the provider and not yet back: what its answer must match."""

    state: str
    nonce: str
    code_verifier: str
    next: str
    started_at: float  # POSIX seconds

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Pending | None:
        """A pending log-in read back from the session, or None if it is not one."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                state=str(data["state"]),
                nonce=str(data["nonce"]),
                code_verifier=str(data["code_verifier"]),
                next=str(data["next"]),
                started_at=float(data["started_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


# What a refused claim means, in the words of the page.
_CLAIM_REASONS = {
    "iss": "Identitetsbeviset kommer från en annan utfärdare än kommunens inloggningstjänst.",
    "aud": "Identitetsbeviset är utfärdat för en annan tjänst än Åtgärdsplaner.",
    "azp": "Identitetsbeviset är utfärdat för en annan tjänst än Åtgärdsplaner.",
    "nonce": "Identitetsbeviset hör inte till den här inloggningen.",
    "iat": "Identitetsbeviset är utfärdat i framtiden; klockan på servern eller hos "
    "inloggningstjänsten går fel.",
    "nbf": "Identitetsbeviset gäller inte ännu; klockan på servern eller hos "
    "inloggningstjänsten går fel.",
    "at_hash": "Identitetsbeviset hör inte ihop med svaret från inloggningstjänsten.",
}


class OidcClient:
    """One provider, as the settings name it. Built without I/O; the provider's metadata and
    keys are fetched at first use and kept for the life of the process (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self._secret = settings.oidc_client_secret
        self.scopes = settings.oidc_scopes
        self.redirect_uri = settings.public_base_url.rstrip("/") + CALLBACK_PATH
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def _client(self) -> OAuth2Client:
        methods = self.metadata().get("token_endpoint_auth_methods_supported", [])
        # Basic is the default when the provider lists none (RFC 8414).
        method = (
            "client_secret_post"
            if methods and "client_secret_basic" not in methods
            else "client_secret_basic"
        )
        return OAuth2Client(
            self.client_id,
            self._secret,
            token_endpoint_auth_method=method,
            scope=self.scopes,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT_SECONDS,
        )

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            with Client(timeout=TIMEOUT_SECONDS) as http:
                answer = http.get(url)
                answer.raise_for_status()
                data = answer.json()
        except (HTTPError, ValueError) as exc:
            log_event(_log, "sso.unreachable", url=url, error=type(exc).__name__)
            raise ProviderUnavailable("unreachable", UNREACHABLE) from exc
        if not isinstance(data, dict):
            raise ProviderUnavailable("unreachable", UNREACHABLE)
        return data

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once)."""
        with self._lock:
            if self._metadata is None:
                data = self._get_json(self.issuer + DISCOVERY_PATH)
                # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer asked.
                if str(data.get("issuer", "")).rstrip("/") != self.issuer:
                    log_event(_log, "sso.discovery_mismatch", issuer=data.get("issuer"))
                    raise ProviderUnavailable(
                        "discovery",
                        "Inloggningstjänsten presenterar sig som en annan utfärdare än den som "
                        "är inställd. Kontakta administratören för Åtgärdsplaner.",
                    )
                for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(data.get(key), str):
                        raise ProviderUnavailable("discovery", UNREACHABLE)
                self._metadata = data
            return self._metadata

    def begin(self, *, next_path: str, now: datetime) -> tuple[str, Pending]:
        """The provider's address to send the browser to, and what its answer must match."""
        pending = Pending(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(48),
            next=next_path,
            started_at=now.timestamp(),
        )
        endpoint = self.metadata()["authorization_endpoint"]
        with self._client() as client:
            url, _ = client.create_authorization_url(
                endpoint,
                state=pending.state,
                code_verifier=pending.code_verifier,
                nonce=pending.nonce,
            )
        return url, pending

    def finish(self, pending: Pending, code: str, *, now: datetime) -> dict[str, Any]:
        """Exchanges the code (with the PKCE verifier) and returns the ID token's checked
        claims; SsoFailed with the reason otherwise."""
        endpoint = self.metadata()["token_endpoint"]
        try:
            with self._client() as client:
                token = client.fetch_token(
                    endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                )
        except OAuthError as exc:
            log_event(_log, "sso.refused", reason="token_endpoint", error=exc.error)
            raise SsoFailed(
                "token_endpoint",
                "Inloggningstjänsten godtog inte inloggningen (koden har redan använts eller "
                "gått ut). Börja om från inloggningssidan.",
            ) from exc
        except (HTTPError, ValueError) as exc:
            log_event(_log, "sso.unreachable", url=endpoint, error=type(exc).__name__)
            raise ProviderUnavailable("unreachable", UNREACHABLE) from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SsoFailed("no_id_token", "Inloggningstjänsten skickade inget identitetsbevis.")
        access_token = token.get("access_token")
        return self.check_id_token(
            id_token,
            nonce=pending.nonce,
            now=now,
            access_token=access_token if isinstance(access_token, str) else None,
        )

    def check_id_token(
        self, id_token: str, *, nonce: str, now: datetime, access_token: str | None = None
    ) -> dict[str, Any]:
        """The claims of an ID token whose signature, issuer, audience, times and nonce hold;
        SsoFailed with the reason otherwise."""
        offered = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        registry = JWSRegistry(
            algorithms=sorted(ALGORITHMS.intersection(offered)), strict_check_header=False
        )
        try:
            try:
                decoded = jwt.decode(id_token, self._key_set(), registry=registry)
            except InvalidKeyIdError:
                # A key we do not have: the provider may have rotated its keys since we
                # fetched them. One new fetch; its answer is final.
                decoded = jwt.decode(id_token, self._key_set(refresh=True), registry=registry)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {
                    "iss": {"essential": True, "value": self.issuer},
                    "aud": {"essential": True, "value": self.client_id},
                    "nonce": {"essential": True, "value": nonce},
                },
                {"nonce": nonce, "client_id": self.client_id, "access_token": access_token},
            )
            claims.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
        except ExpiredTokenError as exc:
            raise self._refused(
                "expired", "Identitetsbeviset från inloggningstjänsten har gått ut."
            ) from exc
        except (InvalidClaimError, MissingClaimError) as exc:
            reason = _CLAIM_REASONS.get(exc.claim, "Identitetsbeviset saknar uppgifter som krävs.")
            raise self._refused(f"claim_{exc.claim}", reason) from exc
        except InvalidKeyIdError as exc:
            raise self._refused(
                "unknown_key",
                "Identitetsbeviset är signerat med en nyckel som inloggningstjänsten inte "
                "publicerar.",
            ) from exc
        except (BadSignatureError, JoseError, ValueError) as exc:
            # ValueError: not a JWT at all, or a key of a kind that cannot check it.
            raise self._refused(
                "signature", "Identitetsbevisets signatur kunde inte kontrolleras."
            ) from exc
        return dict(claims)

    def _refused(self, code: str, reason: str) -> SsoFailed:
        log_event(_log, "sso.refused", reason=code)
        return SsoFailed(code, reason)

    def _key_set(self, *, refresh: bool = False) -> KeySet:
        uri = self.metadata()["jwks_uri"]
        with self._lock:
            if self._keys is None or refresh:
                data = self._get_json(uri)
                try:
                    self._keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
                except (JoseError, ValueError, KeyError, TypeError) as exc:
                    raise ProviderUnavailable("jwks", UNREACHABLE) from exc
                log_event(_log, "sso.keys_fetched", count=len(self._keys.keys), refresh=refresh)
            return self._keys
