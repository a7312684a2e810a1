"""A standard OpenID Connect client (Authlib's) against the provider over real HTTP:
discovery, the code flow with PKCE, the ID token checked against the JWKS, refresh
rotation and reuse detection, client credentials, and key rotation without a restart."""

import asyncio
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt as pyjwt
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt
from joserfc.jwk import KeySet

from shared.auth import InvalidToken, TokenVerifier, key_source, verify_citizen_token
from tests.e2e.helpers import register
from tests.identity.conftest import Served, sign_in_at

MOBILE_REDIRECT = "http://127.0.0.1/oauth/callback"
# The platform's tokens are Ed25519 under the JWS name "EdDSA", which RFC 9864 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


async def _discover(served: Served) -> dict:
    async with served.http() as http:
        found = await http.get("/.well-known/openid-configuration")
    assert found.status_code == 200
    return found.json()


async def _jwks(meta: dict) -> KeySet:
    async with httpx.AsyncClient() as http:
        return KeySet.import_key_set((await http.get(meta["jwks_uri"])).json())


def _mobile_app() -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id="mobile",
        redirect_uri=MOBILE_REDIRECT,
        scope="openid profile email",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )


async def _citizen(served: Served):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=served.app), base_url="http://identity"
    ) as intake:
        intake.identity = served.app  # register() proves the account through its stores
        return await register(intake)


async def _code_flow(served: Served, app: AsyncOAuth2Client, username: str, password: str):
    """Discovery, then the authorization request, the sign-in, and the exchange."""
    meta = await _discover(served)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = app.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    async with served.http() as browser:
        answer = await sign_in_at(browser, url, username, password)
    assert answer.status_code == 302, answer.text
    back = answer.headers["location"]
    assert back.startswith(MOBILE_REDIRECT + "?")
    assert parse_qs(urlsplit(back).query)["state"] == [state]
    token = await app.fetch_token(
        meta["token_endpoint"], authorization_response=back, code_verifier=verifier
    )
    return meta, token, nonce


async def test_discovery_names_the_issuer_its_endpoints_s256_and_the_signing_algorithm(
    served: Served,
):
    meta = await _discover(served)
    assert meta["issuer"] == served.base
    assert meta["authorization_endpoint"] == f"{served.base}/oauth/authorize"
    assert meta["token_endpoint"] == f"{served.base}/oauth/token"
    assert meta["jwks_uri"] == f"{served.base}/oauth/jwks"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["id_token_signing_alg_values_supported"] == ["EdDSA"]
    keys = (await _jwks(meta)).as_dict()["keys"]
    assert len(keys) == 2  # the current key and the next one
    assert all("d" not in key for key in keys)  # public halves only


async def test_a_citizen_signs_in_through_the_mobile_app_with_pkce_and_gets_a_valid_id_token(
    served: Served,
):
    citizen = await _citizen(served)
    async with _mobile_app() as app:
        meta, token, nonce = await _code_flow(served, app, citizen.email, citizen.password)
    keys = await _jwks(meta)
    id_token = jwt.decode(token["id_token"], keys, algorithms=["EdDSA"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": served.base},
        aud={"essential": True, "value": "mobile"},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True, "value": citizen.id},
    ).validate(id_token.claims)
    assert id_token.claims["email"] == citizen.email
    assert id_token.claims["nik_proof"] == "counter"
    assert {"at_hash", "auth_time"} <= set(id_token.claims)
    access = jwt.decode(token["access_token"], keys, algorithms=["EdDSA"])
    assert access.header["kid"] == id_token.header["kid"]
    assert (access.claims["sub"], access.claims["roles"]) == (citizen.id, ["citizen"])
    assert access.claims["aud"] == served.settings.auth_audience
    # The services' verifier of today accepts it, and so does intake's own API.
    assert verify_citizen_token(token["access_token"], served.settings).subject == citizen.id
    async with served.http() as http:
        me = await http.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
        info = await http.get(
            "/oauth/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
    assert me.status_code == 200
    assert me.json()["id"] == citizen.id
    assert info.json()["sub"] == citizen.id
    assert info.json()["email"] == citizen.email


async def test_refresh_rotates_and_an_old_refresh_token_presented_again_kills_the_family(
    served: Served,
):
    citizen = await _citizen(served)
    async with _mobile_app() as app:
        meta, token, _ = await _code_flow(served, app, citizen.email, citizen.password)
        first = token["refresh_token"]
        renewed = await app.refresh_token(meta["token_endpoint"], refresh_token=first)
        second = renewed["refresh_token"]
        assert second != first
        assert renewed["access_token"] != token["access_token"]
        with pytest.raises(OAuthError) as reused:
            await app.refresh_token(meta["token_endpoint"], refresh_token=first)
        assert reused.value.error == "invalid_grant"
        with pytest.raises(OAuthError) as rotated:
            await app.refresh_token(meta["token_endpoint"], refresh_token=second)
        assert rotated.value.error == "invalid_grant"


async def test_an_agency_system_gets_a_token_with_client_credentials(served: Served):
    secret = await served.provider.clients.add_confidential(
        "sistem-polres-3576", "Sistem Polres", roles=("service",), agency="polres-3576"
    )
    meta = await _discover(served)
    async with AsyncOAuth2Client(
        client_id="sistem-polres-3576",
        client_secret=secret,
        token_endpoint_auth_method="client_secret_basic",
    ) as system:
        token = await system.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert "refresh_token" not in token
    assert "id_token" not in token
    claims = jwt.decode(token["access_token"], await _jwks(meta), algorithms=["EdDSA"]).claims
    assert (claims["sub"], claims["roles"], claims["agency"]) == (
        "sistem-polres-3576",
        ["service"],
        "polres-3576",
    )
    principal = verify_citizen_token(token["access_token"], served.settings)
    assert principal.agency == "polres-3576"


async def test_keys_rotate_without_a_restart_and_tokens_signed_before_still_verify(
    served: Served,
):
    secret = await served.provider.clients.add_confidential("layanan-uji", "Layanan uji")
    meta = await _discover(served)

    async def service_token() -> str:
        async with AsyncOAuth2Client(
            client_id="layanan-uji", client_secret=secret, token_endpoint_auth_method=None
        ) as system:
            got = await system.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
        return got["access_token"]

    before = await service_token()
    old_kid = jwt.decode(before, await _jwks(meta), algorithms=["EdDSA"]).header["kid"]
    published = {key["kid"] for key in (await _jwks(meta)).as_dict()["keys"]}
    new_kid = await served.provider.keys.rotate()
    assert new_kid in published
    assert new_kid != old_kid
    after_keys = await _jwks(meta)
    kids = [key["kid"] for key in after_keys.as_dict()["keys"]]
    assert len(kids) == 3
    assert {old_kid, new_kid} <= set(kids)
    assert jwt.decode(before, after_keys, algorithms=["EdDSA"]).claims["sub"] == "layanan-uji"
    after = await service_token()
    assert jwt.decode(after, after_keys, algorithms=["EdDSA"]).header["kid"] == new_kid


async def test_every_service_accepts_identitys_tokens_after_a_rotation_with_no_setting_changed(
    served: Served,
):
    """A service given nothing but the platform key and identity's address (no
    MPP_OIDC_ISSUER): the provider's first key is that key; a key rotated to since is read
    from identity's JWK set, once, when a token first names it."""
    secret = await served.provider.clients.add_confidential("layanan-rotasi", "Layanan rotasi")
    service = served.settings.model_copy(
        update={"internal_urls": {"identity": served.base}, "oidc_jwks_min_refetch_seconds": 0}
    )
    assert service.oidc_issuer is None

    async def token() -> str:
        async with served.http() as http:
            got = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=("layanan-rotasi", secret),
            )
        assert got.status_code == 200, got.text
        return got.json()["access_token"]

    verifier = TokenVerifier(service)
    before = await token()
    assert key_source(service).would_fetch(jwt_header(before)["kid"]) is False
    assert (await verifier.verify_async(before)).subject == "layanan-rotasi"

    await served.provider.keys.rotate()
    await asyncio.sleep(served.settings.oidc_key_cache_seconds + 0.1)
    after = await token()
    assert jwt_header(after)["kid"] != jwt_header(before)["kid"]
    assert (await verifier.verify_async(after)).subject == "layanan-rotasi"
    assert (await verifier.verify_async(before)).subject == "layanan-rotasi"

    stranger = Ed25519PrivateKey.generate()
    forged = pyjwt.encode(
        {**pyjwt.decode(after, options={"verify_signature": False})},
        stranger,
        algorithm="EdDSA",
        headers={"kid": "not-identitys-key"},
    )
    with pytest.raises(InvalidToken):
        await verifier.verify_async(forged)


def jwt_header(token: str) -> dict:
    return pyjwt.get_unverified_header(token)
