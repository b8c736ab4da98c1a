"""Single sign-on against a real OpenID Connect provider (panva's oidc-provider on loopback,
tests/oidc): the code flow with PKCE, the ID token's checks, who may log in, and the switch
that turns the e-mailed log-in link off.

The provider signs with the real clock, so the product's clock starts at the real time here
and the tests move it from there.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from config import Settings
from tests.oidc.server import OidcProvider, code_flow_token, node_or_skip, walk_to_redirect
from tests.web.conftest import World
from tests.web.helpers import MovableClock, form_to, path_of, text_of
from tracker.app import App
from tracker.models import LoginSession, Person, Role
from tracker.oidc import LEEWAY_SECONDS, OidcClient, SsoFailed
from tracker.services import people
from tracker.web.links import login_url
from tracker.web.main import create_app
from workflows import default_registry

CLIENT_ID = "atgardsplan"
CLIENT_SECRET = "test-hemlighet-for-atgardsplan"
CALLBACK = "http://testserver/logga-in/sso/svar"
OTHER_CLIENT = "annan-tjanst"
OTHER_CALLBACK = "http://annan.example/svar"
ID_TOKEN_TTL = 60
CHEF_GROUP = "5b0c1b8e-0000-4000-8000-00000000c4ef"
BOARD_GROUP = "5b0c1b8e-0000-4000-8000-0000000b0a2d"
ADMIN_GROUP = "5b0c1b8e-0000-4000-8000-0000000ad111"

ACCOUNTS: dict[str, dict[str, Any]] = {
    # The `chef` fixture's person.
    "malin": {"email": "malin.westling@pitea.example", "groups": [CHEF_GROUP]},
    # An owner in the `world` fixture: a person, but without a log-in.
    "anna": {"email": "anna.berg@pitea.example", "groups": []},
    # The `board` fixture's person, in the board group and the chef group.
    "namnd": {"email": "namnd@pitea.example", "groups": [BOARD_GROUP, CHEF_GROUP]},
    "okand": {"email": "okand.person@pitea.example", "groups": [CHEF_GROUP]},
    # No mailbox: Entra ID then sends the sign-in name, not "email".
    "utan-post": {"preferred_username": "Malin.Westling@pitea.example", "groups": []},
}


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    node = node_or_skip()
    server = OidcProvider(
        node=node,
        clients=[
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [CALLBACK],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            },
            {
                "client_id": OTHER_CLIENT,
                "client_secret": "en-annan-hemlighet",
                "redirect_uris": [OTHER_CALLBACK],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            },
        ],
        accounts=ACCOUNTS,
        id_token_ttl=ID_TOKEN_TTL,
    ).start()
    yield server
    server.close()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def sso_settings(settings: Settings, issuer: str, **changes: Any) -> Settings:
    values = {
        **settings.model_dump(),
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_scopes": "openid email profile groups",
        **changes,
    }
    return Settings(**values)


def web_for(app: App, clock: MovableClock, settings: Settings) -> FastAPI:
    return create_app(
        App(settings=settings, engine=app.engine, registry=default_registry()), clock=clock
    )


@pytest.fixture
def sso_web(app: App, settings: Settings, clock: MovableClock, provider: OidcProvider) -> FastAPI:
    return web_for(app, clock, sso_settings(settings, provider.issuer))


@pytest.fixture
def browser(sso_web: FastAPI) -> Iterator[TestClient]:
    with TestClient(sso_web) as client:
        yield client


def authorize_url(browser: TestClient, **extra: str) -> str:
    """Starts a log-in: the product's redirect to the provider, with `extra` parameters set
    (as login_hint) or replaced (as a tampered nonce)."""
    start = browser.get("/logga-in/sso", follow_redirects=False)
    assert start.status_code == 303, start.text
    parts = urlsplit(start.headers["location"])
    query = dict(parse_qsl(parts.query))
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert query["state"] and query["nonce"] and query["client_id"] == CLIENT_ID
    return urlunsplit(parts._replace(query=urlencode({**query, **extra})))


def provider_answer(browser: TestClient, account: str, **extra: str) -> str:
    """The provider's redirect back to the product after `account` logged in there."""
    return walk_to_redirect(authorize_url(browser, login_hint=account, **extra), CALLBACK)


def sso_log_in(browser: TestClient, account: str) -> Any:
    return browser.get(provider_answer(browser, account), follow_redirects=False)


def logged_in(browser: TestClient) -> bool:
    page = browser.get("/start", follow_redirects=False)
    return page.status_code == 200


def sessions_of(app: App, person: Person) -> list[LoginSession]:
    with app.transaction() as s:
        return list(s.exec(select(LoginSession).where(LoginSession.person_id == person.id)))


def keys_fetched(caplog: pytest.LogCaptureFixture) -> list[bool]:
    return [r.refresh for r in caplog.records if r.getMessage() == "sso.keys_fetched"]  # type: ignore[attr-defined]


def test_a_chef_logs_in_with_the_kommuns_account_and_lands_on_the_page_asked_for(
    browser: TestClient, app: App, world: World
) -> None:
    wanted = f"/planer/{world.plan_id}"
    assert browser.get(wanted, follow_redirects=False).headers["location"] == "/logga-in"
    login_page = browser.get("/logga-in")
    assert "Logga in med kommunens konto" in login_page.text
    assert 'href="/logga-in/sso"' in login_page.text

    done = sso_log_in(browser, "malin")

    assert done.status_code == 303, done.text
    assert done.headers["location"] == wanted
    page = browser.get(wanted)
    assert page.status_code == 200
    assert "Åtgärdsplan efter granskning av ekonomiskt bistånd" in page.text
    # The one log-in mechanism: a server-side session row, as the e-mailed link makes.
    assert len(sessions_of(app, world.chef)) == 1
    browser.post("/logga-ut", data={"csrf": form_to(page.text, "/logga-ut").fields["csrf"]})
    assert not logged_in(browser)


def test_a_replayed_answer_is_refused_and_logs_no_one_in(
    browser: TestClient, sso_web: FastAPI, app: App, world: World
) -> None:
    answer = provider_answer(browser, "malin")
    before = dict(browser.cookies)
    assert browser.get(answer, follow_redirects=False).status_code == 303
    assert logged_in(browser)

    # The same browser, again: the state was used.
    again = browser.get(answer, follow_redirects=False)
    assert again.status_code == 400
    assert "redan använts" in text_of(again.text)

    # Another browser that never asked: nothing of its own to match.
    with TestClient(sso_web) as stranger:
        refused = stranger.get(answer, follow_redirects=False)
        assert refused.status_code == 400
        assert "hör inte till någon inloggning" in text_of(refused.text)
        assert not logged_in(stranger)

    # A copy of the cookie from before the answer: the provider takes a code once.
    with TestClient(sso_web, cookies=before) as copy:
        refused = copy.get(answer, follow_redirects=False)
        assert refused.status_code == 400
        assert "godtog inte inloggningen" in text_of(refused.text)
        assert not logged_in(copy)
    assert len(sessions_of(app, world.chef)) == 1


def test_an_id_token_for_another_nonce_is_refused(
    browser: TestClient, app: App, world: World
) -> None:
    answer = provider_answer(browser, "malin", nonce="en-annan-inloggnings-nonce")

    done = browser.get(answer, follow_redirects=False)

    assert done.status_code == 400
    assert "hör inte till den här inloggningen" in text_of(done.text)
    assert not logged_in(browser)
    assert sessions_of(app, world.chef) == []


def test_an_id_token_that_expired_before_it_came_back_is_refused(
    browser: TestClient, clock: MovableClock, app: App, world: World
) -> None:
    answer = provider_answer(browser, "malin")
    clock.advance(seconds=ID_TOKEN_TTL + LEEWAY_SECONDS + 5)

    done = browser.get(answer, follow_redirects=False)

    assert done.status_code == 400
    assert "har gått ut" in text_of(done.text)
    assert not logged_in(browser)
    assert sessions_of(app, world.chef) == []


def test_an_id_token_for_another_client_is_refused(
    provider: OidcProvider, settings: Settings, clock: MovableClock
) -> None:
    # A real token the provider minted for another service: its audience is that service.
    token = code_flow_token(
        provider,
        client_id=OTHER_CLIENT,
        client_secret="en-annan-hemlighet",
        redirect_uri=OTHER_CALLBACK,
        login_hint="malin",
        nonce="n-0123456789",
    )
    ours = OidcClient(sso_settings(settings, provider.issuer))
    with pytest.raises(SsoFailed) as refused:
        ours.check_id_token(token["id_token"], nonce="n-0123456789", now=clock())
    assert refused.value.code == "claim_aud"
    assert "annan tjänst" in refused.value.reason
    # The same token is good for the service it was minted for.
    theirs = OidcClient(sso_settings(settings, provider.issuer, oidc_client_id=OTHER_CLIENT))
    claims = theirs.check_id_token(token["id_token"], nonce="n-0123456789", now=clock())
    assert claims["email"] == "malin.westling@pitea.example"


def test_a_rotated_signing_key_is_fetched_once_and_works(
    browser: TestClient,
    sso_web: FastAPI,
    provider: OidcProvider,
    app: App,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="tracker")
    assert sso_log_in(browser, "malin").status_code == 303
    with TestClient(sso_web) as second:
        assert sso_log_in(second, "malin").status_code == 303
    assert keys_fetched(caplog) == [False]  # fetched at first use, then kept

    provider.rotate_key()
    with TestClient(sso_web) as third:
        done = sso_log_in(third, "malin")
        assert done.status_code == 303, done.text
        assert logged_in(third)
    assert keys_fetched(caplog) == [False, True]
    assert len(sessions_of(app, world.chef)) == 3


def test_a_token_signed_with_a_key_the_provider_no_longer_publishes_is_refused(
    provider: OidcProvider, settings: Settings, clock: MovableClock
) -> None:
    ours = OidcClient(sso_settings(settings, provider.issuer, oidc_client_id=OTHER_CLIENT))
    token = code_flow_token(
        provider,
        client_id=OTHER_CLIENT,
        client_secret="en-annan-hemlighet",
        redirect_uri=OTHER_CALLBACK,
        login_hint="malin",
        nonce="n-gammal-nyckel",
    )
    provider.rotate_key()

    with pytest.raises(SsoFailed) as refused:
        ours.check_id_token(token["id_token"], nonce="n-gammal-nyckel", now=clock())
    assert refused.value.code == "unknown_key"


def test_an_owner_without_a_log_in_is_told_so_and_gets_no_session(
    browser: TestClient, app: App, world: World
) -> None:
    done = sso_log_in(browser, "anna")

    assert done.status_code == 403
    assert "ansvariga har ingen inloggning" in text_of(done.text)
    assert not logged_in(browser)
    assert sessions_of(app, world.anna) == []


def test_someone_not_in_the_product_is_told_whom_to_contact_and_gets_no_session(
    browser: TestClient, app: App, world: World
) -> None:
    done = sso_log_in(browser, "okand")

    assert done.status_code == 403
    page = text_of(done.text)
    assert "Du finns inte i Åtgärdsplaner med adressen okand.person@pitea.example" in page
    assert "Kontakta administratören" in page
    assert not logged_in(browser)
    with app.transaction() as s:
        assert s.exec(select(LoginSession)).first() is None
        assert people.find_person(s, "okand.person@pitea.example") is None


def test_without_an_email_claim_the_sign_in_name_finds_the_person(
    browser: TestClient, app: App, world: World
) -> None:
    done = sso_log_in(browser, "utan-post")

    assert done.status_code == 303, done.text
    assert logged_in(browser)
    assert len(sessions_of(app, world.chef)) == 1


def test_with_groups_mapped_the_group_decides_the_role(
    app: App,
    settings: Settings,
    clock: MovableClock,
    provider: OidcProvider,
    world: World,
    board: Person,
) -> None:
    mapped = sso_settings(
        settings,
        provider.issuer,
        oidc_role_groups={CHEF_GROUP: "chef", BOARD_GROUP: "board", ADMIN_GROUP: "admin"},
    )
    with TestClient(web_for(app, clock, mapped)) as browser:
        # In the board group and the chef group: the role with more rights counts.
        done = sso_log_in(browser, "namnd")
        assert done.status_code == 303, done.text
        assert logged_in(browser)
    with app.transaction() as s:
        assert s.get(Person, board.id).role == Role.chef.value  # type: ignore[union-attr]

    # The owner is in no mapped group: refused, and the stored role is left as it was.
    with TestClient(web_for(app, clock, mapped)) as browser:
        done = sso_log_in(browser, "anna")
        assert done.status_code == 403
        assert "ingen av dina grupper" in text_of(done.text)
        assert not logged_in(browser)
    with app.transaction() as s:
        assert s.get(Person, world.anna.id).role == Role.owner.value  # type: ignore[union-attr]


def test_a_chef_whose_group_is_not_mapped_may_not_log_in(
    app: App, settings: Settings, clock: MovableClock, provider: OidcProvider, world: World
) -> None:
    mapped = sso_settings(settings, provider.issuer, oidc_role_groups={BOARD_GROUP: "board"})
    with TestClient(web_for(app, clock, mapped)) as browser:
        done = sso_log_in(browser, "malin")
        assert done.status_code == 403
        assert "ingen av dina grupper" in text_of(done.text)
        assert not logged_in(browser)
    assert sessions_of(app, world.chef) == []


def test_a_log_in_cancelled_at_the_provider_gets_a_swedish_page(
    browser: TestClient, world: World
) -> None:
    done = sso_log_in(browser, "nekad")

    assert done.status_code == 403
    page = text_of(done.text)
    assert "Inloggningen avbröts hos kommunens inloggningstjänst" in page
    assert "Användaren avbröt inloggningen" in page
    assert not logged_in(browser)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_provider_gets_a_swedish_page(
    app: App, settings: Settings, clock: MovableClock
) -> None:
    down = sso_settings(settings, f"http://127.0.0.1:{_closed_port()}")
    with TestClient(web_for(app, clock, down)) as browser:
        done = browser.get("/logga-in/sso", follow_redirects=False)
    assert done.status_code == 502
    assert "svarar inte just nu" in text_of(done.text)


def test_without_single_sign_on_its_pages_say_it_is_off(client: TestClient) -> None:
    assert "/logga-in/sso" not in client.get("/logga-in").text
    for path in ("/logga-in/sso", "/logga-in/sso/svar?state=x&code=y"):
        done = client.get(path, follow_redirects=False)
        assert done.status_code == 404
        assert "inte påslagen" in text_of(done.text)


def test_with_the_e_mailed_link_switched_off_only_single_sign_on_logs_in(
    app: App, settings: Settings, clock: MovableClock, world: World
) -> None:
    # Never contacted: the page only links to it.
    off = sso_settings(settings, "http://127.0.0.1:9", login_link_enabled=False)
    with TestClient(web_for(app, clock, off)) as browser:
        page = browser.get("/logga-in")
        assert 'href="/logga-in/sso"' in page.text
        assert 'action="/logga-in"' not in page.text
        csrf = form_to(browser.get("/lank/ny").text, "/lank/ny").fields["csrf"]
        asked = browser.post("/logga-in", data={"csrf": csrf, "email": world.chef.email})
        assert asked.status_code == 403
        assert "Inloggning med länk i e-post är avstängd" in text_of(asked.text)
        # A link sent before the switch no longer logs in.
        link = path_of(login_url(app.settings, world.chef, now=clock()))
        assert browser.get(link).status_code == 403
        assert browser.post(link, data={"csrf": csrf}).status_code == 403
        assert not logged_in(browser)
    with app.transaction() as s:
        assert s.exec(select(LoginSession)).first() is None
