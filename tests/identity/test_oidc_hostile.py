"""What the provider refuses: a wrong verifier, ``plain`` PKCE, a code used twice or by
another client, an unregistered redirect URI, a wrong client secret, a person of the
other kind on a sign-in form, password guessing; and a replica that keeps signing with
a rotated key for longer than the cache time."""

import asyncio
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt

from services.identity.oidc.keys import SigningKeys
from tests.e2e.helpers import new_nik, register
from tests.identity.conftest import Served, sign_in_at

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")

MOBILE = ("mobile", "http://127.0.0.1/oauth/callback")


def _authorize_url(served: Served, client: tuple[str, str], verifier: str, **extra: str) -> str:
    client_id, redirect_uri = client
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid profile",
        "state": secrets.token_urlsafe(12),
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{served.base}/oauth/authorize?{urlencode(query)}"


async def _citizen(served: Served):
    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=served.app), base_url="http://identity"
    ) as intake:
        intake.identity = served.app
        return await register(intake)


async def _code(served: Served, username: str, password: str, verifier: str) -> str:
    async with served.http() as browser:
        answer = await sign_in_at(
            browser, _authorize_url(served, MOBILE, verifier), username, password
        )
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]


async def _exchange(served: Served, code: str, verifier: str, client=MOBILE, **auth):
    async with served.http() as http:
        return await http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "client_id": client[0],
                "redirect_uri": client[1],
            },
            **auth,
        )


async def test_a_wrong_code_verifier_gets_invalid_grant_and_no_token(served: Served):
    citizen = await _citizen(served)
    verifier = secrets.token_urlsafe(48)
    code = await _code(served, citizen.email, citizen.password, verifier)
    refused = await _exchange(served, code, secrets.token_urlsafe(48))
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert "access_token" not in refused.json()


@pytest.mark.parametrize(
    "pkce",
    [{"code_challenge_method": "plain"}, {"code_challenge": "", "code_challenge_method": ""}],
    ids=["plain", "none"],
)
async def test_an_authorization_request_without_s256_goes_back_refused_before_any_sign_in(
    served: Served, pkce: dict
):
    verifier = secrets.token_urlsafe(48)
    url = _authorize_url(served, MOBILE, verifier, **pkce)
    async with served.http() as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302  # back to the registered client, with the error
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert answer.headers["location"].startswith(MOBILE[1] + "?")
    assert back["error"] == ["invalid_request"]
    assert "code" not in back


async def test_a_code_exchanged_twice_is_refused_and_the_refresh_token_it_gave_dies(
    served: Served,
):
    citizen = await _citizen(served)
    verifier = secrets.token_urlsafe(48)
    code = await _code(served, citizen.email, citizen.password, verifier)
    first = await _exchange(served, code, verifier)
    assert first.status_code == 200, first.text
    again = await _exchange(served, code, verifier)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    async with served.http() as http:
        refresh = await http.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": first.json()["refresh_token"],
                "client_id": "mobile",
            },
        )
    assert (refresh.status_code, refresh.json()["error"]) == (400, "invalid_grant")


async def test_a_code_or_refresh_token_issued_to_one_client_is_refused_to_another(
    served: Served,
):
    citizen = await _citizen(served)
    verifier = secrets.token_urlsafe(48)
    code = await _code(served, citizen.email, citizen.password, verifier)
    portal = await served.client("portal")
    stolen = await _exchange(served, code, verifier, client=("portal", portal.redirect_uris[0]))
    assert (stolen.status_code, stolen.json()["error"]) == (400, "invalid_grant")
    owned = await _exchange(served, code, verifier)  # still the owner's
    assert owned.status_code == 200
    refresh = owned.json()["refresh_token"]
    async with served.http() as http:
        elsewhere = await http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "portal"},
        )
        at_home = await http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "mobile"},
        )
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (400, "invalid_grant")
    assert at_home.status_code == 200  # refused elsewhere without being spent


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1/oauth/callback/../evil",
        "http://127.0.0.1/oauth/callbackx",
        "https://attacker.example/oauth/callback",
    ],
)
async def test_a_redirect_uri_not_registered_gets_a_page_never_a_redirect(
    served: Served, redirect_uri: str
):
    url = _authorize_url(served, ("mobile", redirect_uri), secrets.token_urlsafe(48))
    async with served.http() as browser:
        answer = await browser.get(url)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "attacker" not in answer.headers.get("location", "")


async def test_a_wrong_client_secret_is_refused_as_invalid_client(served: Served):
    await served.provider.clients.add_confidential("sistem-dinkes", "Sistem Dinkes")
    async with served.http() as http:
        refused = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("sistem-dinkes", "not-the-secret"),
        )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert " / " in refused.json()["title"]


async def test_a_client_asking_for_a_scope_it_was_not_added_with_gets_invalid_scope(
    served: Served,
):
    secret = await served.provider.clients.add_confidential(
        "sistem-bpjs", "Sistem BPJS", scopes=("applications.read",)
    )
    async with served.http() as http:
        allowed = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "applications.read"},
            auth=("sistem-bpjs", secret),
        )
        widened = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "applications.read admin"},
            auth=("sistem-bpjs", secret),
        )
    assert allowed.status_code == 200
    assert allowed.json()["scope"] == "applications.read"
    assert (widened.status_code, widened.json()["error"]) == (400, "invalid_scope")
    assert "access_token" not in widened.json()


async def test_a_staff_password_on_the_citizen_form_signs_nobody_in(served: Served):
    staff = served.app.state.accounts.staff
    await staff.add("andi.polres", "officer", "sandi-andi-polres", agency="polres-3576")
    verifier = secrets.token_urlsafe(48)
    async with served.http() as browser:
        answer = await sign_in_at(
            browser, _authorize_url(served, MOBILE, verifier), "andi.polres", "sandi-andi-polres"
        )
    assert answer.status_code == 401
    assert "location" not in answer.headers
    assert 'data-reason="wrong"' in answer.text


async def test_an_officer_signs_in_at_the_workbench_and_a_citizen_cannot(served: Served):
    staff = served.app.state.accounts.staff
    await staff.add("sari.polres", "officer", "sandi-sari-polres", agency="polres-3576")
    citizen = await _citizen(served)
    workbench = await served.client("workbench")
    client = ("workbench", workbench.redirect_uris[0])
    verifier = secrets.token_urlsafe(48)
    async with served.http() as browser:
        page = await browser.get(_authorize_url(served, client, verifier))
        assert 'data-kind="staff"' in page.text
        refused = await sign_in_at(
            browser, _authorize_url(served, client, verifier), citizen.email, citizen.password
        )
        answer = await sign_in_at(
            browser, _authorize_url(served, client, verifier), "sari.polres", "sandi-sari-polres"
        )
    assert refused.status_code == 401
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    token = await _exchange(served, code, verifier, client=client)
    assert token.status_code == 200, token.text
    assert "refresh_token" not in token.json()  # staff sign in again; a reset ends them
    ring = await served.provider.keys.ring()
    claims = jwt.decode(token.json()["access_token"], ring.verifying_keys(), ["EdDSA"]).claims
    assert (claims["sub"], claims["roles"], claims["agency"]) == (
        "sari.polres",
        ["officer"],
        "polres-3576",
    )


async def test_guessing_passwords_on_the_page_is_throttled_and_counts_at_the_api_too(
    served: Served,
):
    nik = new_nik()
    url = _authorize_url(served, MOBILE, secrets.token_urlsafe(48))
    statuses = []
    async with served.http() as browser:
        for _ in range(served.settings.auth_signin_free_failures + 1):
            statuses.append((await sign_in_at(browser, url, nik, "tebakan-salah")).status_code)
        api = await browser.post("/api/v1/auth/token", data={"username": nik, "password": "x"})
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {401}
    assert api.status_code == 429


async def test_another_replica_signs_with_the_rotated_key_within_its_cache_time(
    served: Served,
):
    runtime = served.app.state.runtime
    replica = SigningKeys(runtime.db, runtime.units, served.settings)  # cache: 0.5 s
    before = (await replica.ring()).kid
    rotated = await served.provider.keys.rotate()
    assert (await replica.ring()).kid == before  # still cached
    await asyncio.sleep(served.settings.oidc_key_cache_seconds + 0.1)
    assert (await replica.ring()).kid == rotated


async def test_prompt_none_without_a_sign_in_goes_back_with_login_required(served: Served):
    url = _authorize_url(served, MOBILE, secrets.token_urlsafe(48), prompt="none")
    async with served.http() as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["error"] == ["login_required"]
    assert "code" not in back


GARBAGE = [
    ("POST", "/oauth/token", {}),
    ("POST", "/oauth/token", {"data": {"grant_type": "password"}}),
    ("POST", "/oauth/token", {"data": {"grant_type": "authorization_code"}}),
    ("POST", "/oauth/token", {"data": {"grant_type": "authorization_code", "code": "x"}}),
    (
        "POST",
        "/oauth/token",
        {"data": {"grant_type": "authorization_code", "code": "x", "client_id": "mobile"}},
    ),
    ("POST", "/oauth/token", {"data": {"grant_type": "refresh_token", "client_id": "mobile"}}),
    ("POST", "/oauth/token", {"data": {"grant_type": "client_credentials", "client_id": "x"}}),
    ("POST", "/oauth/token", {"headers": {"Authorization": "Basic !!!"}}),
    ("GET", "/oauth/authorize", {}),
    ("GET", "/oauth/authorize", {"params": {"client_id": "nobody", "response_type": "code"}}),
    ("GET", "/oauth/authorize", {"params": {"client_id": "mobile", "response_type": "token"}}),
    ("POST", "/oauth/authorize", {"data": {"username": "x", "password": "y"}}),
    ("GET", "/oauth/userinfo", {"headers": {"Authorization": "Bearer not-a-token"}}),
]


async def test_malformed_requests_at_the_provider_are_refused_never_a_server_error(
    served: Served,
):
    async with served.http() as http:
        for method, path, parts in GARBAGE:
            answer = await http.request(method, path, **parts)
            assert 400 <= answer.status_code < 500, (method, path, parts, answer.text[:300])


async def test_a_nonce_a_client_sent_before_is_refused_as_a_replay(served: Served):
    citizen = await _citizen(served)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    async with served.http() as browser:
        first = await sign_in_at(
            browser,
            _authorize_url(served, MOBILE, verifier, nonce=nonce),
            citizen.email,
            citizen.password,
        )
        replay = await browser.get(_authorize_url(served, MOBILE, verifier, nonce=nonce))
    assert first.status_code == 302
    assert "code" in parse_qs(urlsplit(first.headers["location"]).query)
    assert replay.status_code == 302
    back = parse_qs(urlsplit(replay.headers["location"]).query)
    assert back["error"] == ["invalid_request"]
    assert "code" not in back
