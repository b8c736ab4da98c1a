"""The test OpenID Connect provider (provider.mjs, panva's oidc-provider) as a process on
loopback, and a browser's walk through it.

`make test` installs the package with `npm ci --prefix tests/oidc`. Without Node.js or the
package the tests that need the provider skip; with TRACKER_TEST_REQUIRE_OIDC set (as
.ci/run does) that is a failure instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "provider.mjs"
PACKAGE = HERE / "node_modules" / "oidc-provider" / "package.json"
REQUIRE_ENV = "TRACKER_TEST_REQUIRE_OIDC"


def node_or_skip() -> str:
    """The node program, or a skip (a failure when the provider is required)."""
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "Node.js (node) is not installed"
    elif not PACKAGE.exists():
        missing = "oidc-provider is not installed: npm ci --prefix tests/oidc"
    if missing is None:
        assert node is not None
        return node
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"The OpenID provider is required ({REQUIRE_ENV}) but {missing}")
    pytest.skip(missing)


@dataclass
class OidcProvider:
    """One provider process; `rotate_key()` starts it again on the same port with a new
    signing key, which is what a key rotation looks like to a relying party."""

    node: str
    clients: list[dict[str, Any]]
    accounts: dict[str, dict[str, Any]]
    id_token_ttl: int = 60
    key_id: str = "nyckel-1"
    issuer: str = ""
    _process: subprocess.Popen[str] | None = None
    _rotations: int = 0
    _dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="oidc-")))

    def start(self) -> OidcProvider:
        port = urlsplit(self.issuer).port if self.issuer else 0
        config = self._dir / "config.json"
        config.write_text(
            json.dumps(
                {
                    "port": port,
                    "keyId": self.key_id,
                    "idTokenTtl": self.id_token_ttl,
                    "clients": self.clients,
                    "accounts": self.accounts,
                }
            )
        )
        # A file, not a pipe: a pipe nobody reads would stop the provider once full.
        errors = self._dir / "stderr.log"
        with errors.open("w") as stderr:
            self._process = subprocess.Popen(
                [self.node, str(SCRIPT), str(config)],
                cwd=HERE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the OpenID provider did not start: {errors.read_text()}")
        self.issuer = json.loads(line)["issuer"]
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None

    def rotate_key(self) -> str:
        """Restarts with a new signing key under a new key id; returns the id."""
        self.stop()
        self._rotations += 1
        self.key_id = f"nyckel-{self._rotations + 1}"
        self.start()
        return self.key_id

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


def walk_to_redirect(authorize_url: str, redirect_prefix: str) -> str:
    """Follows the provider's redirects, as a browser would, from the authorization request to
    the redirect back to the relying party; returns that URL (not requested)."""
    with httpx.Client(timeout=10) as browser:
        url = authorize_url
        for _ in range(10):
            answer = browser.get(url)
            if answer.status_code not in (302, 303):
                raise AssertionError(f"the provider answered {answer.status_code}: {answer.text}")
            url = urljoin(url, answer.headers["location"])
            if url.startswith(redirect_prefix):
                return url
    raise AssertionError("the provider never redirected back")


def code_flow_token(
    provider: OidcProvider,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    login_hint: str,
    nonce: str,
) -> dict[str, Any]:
    """A whole code flow as another client (the test itself, with PKCE): the token response
    the provider gives that client."""
    meta = httpx.get(provider.issuer + "/.well-known/openid-configuration", timeout=10).json()
    verifier = generate_token(48)
    with OAuth2Client(
        client_id,
        client_secret,
        scope="openid email profile groups",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=10,
    ) as client:
        url, _state = client.create_authorization_url(
            meta["authorization_endpoint"],
            code_verifier=verifier,
            nonce=nonce,
            login_hint=login_hint,
        )
        back = walk_to_redirect(url, redirect_uri)
        return dict(
            client.fetch_token(
                meta["token_endpoint"], authorization_response=back, code_verifier=verifier
            )
        )
