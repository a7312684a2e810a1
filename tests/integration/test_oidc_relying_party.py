"""Every service is a relying party: pointed by settings alone at another OpenID Connect
issuer (a region's Keycloak realm, served for real in the test), intake, routing, notify
and audit accept its tokens, read roles and bindings through the claims mapping, and
refuse anything else — the platform's own tokens included. Key rotation at the issuer is
picked up without a restart; made-up key ids cannot make a service hammer the issuer."""

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import issue_token
from shared.settings import Settings
from tests.oidc_issuer import KeycloakRealm, realm_env

pytestmark = pytest.mark.asyncio

AGENCY = "disdukcapil-3576"

# One endpoint per service that a citizen, or an agency's officer, calls with a token.
ENDPOINTS = {
    "intake": ("/api/v1/drafts", "warga"),
    "notify": ("/api/v1/notifications", "warga"),
    "audit": ("/api/v1/me/access-log", "warga"),
    "routing": ("/api/v1/agency/applications", "petugas-instansi"),
}


@pytest.fixture
def realm() -> Iterator[KeycloakRealm]:
    running = KeycloakRealm().start()
    yield running
    running.stop()


@pytest.fixture
def refetch_seconds() -> str:
    return "30"


@pytest.fixture
def cache_seconds() -> str:
    return "300"


@pytest.fixture
def settings(
    stack_env: dict[str, str],
    realm: KeycloakRealm,
    refetch_seconds: str,
    cache_seconds: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    """The test stack's settings, plus the realm's — and nothing in code."""
    env = realm_env(
        realm,
        MPP_OIDC_JWKS_MIN_REFETCH_SECONDS=refetch_seconds,
        MPP_OIDC_JWKS_CACHE_SECONDS=cache_seconds,
    )
    for key, value in {**stack_env, **env}.items():
        monkeypatch.setenv(key, value)
    return Settings()


class Recorded(logging.Handler):
    """The structured events one logger emits."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, dict):
            self.events.append(record.msg)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(realm: KeycloakRealm, role: str) -> str:
    """The realm's claims under ``alg: none``."""
    header = {"alg": "none", "typ": "JWT", "kid": realm.kid}
    body = json.dumps(realm.claims([role]), default=lambda at: int(at.timestamp()))
    return f"{_b64(json.dumps(header).encode())}.{_b64(body.encode())}."


def hmac_with_public_key(realm: KeycloakRealm, role: str) -> str:
    """HS256 keyed with the realm's published public key: the algorithm-confusion attack."""
    public_pem = realm._private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": realm.kid}
    body = json.dumps(realm.claims([role]), default=lambda at: int(at.timestamp()))
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(body.encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def hostile_tokens(realm: KeycloakRealm, settings: Settings, role: str) -> dict[str, str]:
    platform_token, _ = issue_token(settings, "siti.rahma", ("citizen",))
    return {
        "the platform's own token": platform_token,
        "the realm's token for another audience": realm.token([role], aud="account"),
        "a token whose roles map to nothing": realm.token(["admin", "manage-users"]),
        "an unsigned token (alg none)": unsigned(realm, role),
        "HS256 keyed with the realm's public key": hmac_with_public_key(realm, role),
    }


@pytest.mark.parametrize("service", ["intake", "routing", "notify", "audit"])
async def test_a_service_pointed_at_a_regions_issuer_accepts_its_tokens_and_refuses_others(
    service, service_app, realm, settings
):
    client = await service_app(service)
    path, role = ENDPOINTS[service]
    accepted = await client.get(path, headers=bearer(realm.token([role], mpp={"agency": AGENCY})))
    assert accepted.status_code == 200, accepted.text
    for case, token in hostile_tokens(realm, settings, role).items():
        refused = await client.get(path, headers=bearer(token))
        assert refused.status_code == 401, (case, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json"), case
        assert refused.headers["www-authenticate"].startswith("Bearer"), case
    nothing_mapped = await client.get(path, headers=bearer(realm.token(["admin"])))
    assert "no role this platform knows" in nothing_mapped.json()["detail"]


@pytest.mark.parametrize("refetch_seconds", ["0.5"])
async def test_a_key_rotation_at_the_issuer_is_picked_up_without_a_restart(
    service_app, realm, settings
):
    client = await service_app("notify")
    before = realm.token(["warga"])
    assert (await client.get("/api/v1/notifications", headers=bearer(before))).status_code == 200
    old_key, old_kid = realm._private, realm.kid
    realm.rotate()
    await asyncio.sleep(0.6)
    after = await client.get("/api/v1/notifications", headers=bearer(realm.token(["warga"])))
    assert after.status_code == 200, after.text
    assert realm.jwks_fetches == 2
    retired = jwt.encode(
        realm.claims(["warga"]), old_key, algorithm="RS256", headers={"kid": old_kid}
    )
    refused = await client.get("/api/v1/notifications", headers=bearer(retired))
    assert refused.status_code == 401, "a key the issuer no longer publishes signs nothing"


async def test_tokens_naming_unknown_keys_fetch_the_issuers_keys_at_most_once_per_interval(
    service_app, realm, settings
):
    client = await service_app("audit")
    good = realm.token(["warga"])
    assert (await client.get("/api/v1/me/access-log", headers=bearer(good))).status_code == 200
    assert realm.jwks_fetches == 1
    rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    started = time.monotonic()
    for n in range(25):
        forged = jwt.encode(
            realm.claims(["warga"]), rogue, algorithm="RS256", headers={"kid": f"made-up-{n}"}
        )
        response = await client.get("/api/v1/me/access-log", headers=bearer(forged))
        assert response.status_code == 401
    assert time.monotonic() - started < 30, "the interval passed; the count means nothing"
    assert realm.jwks_fetches == 1


@pytest.mark.parametrize(("refetch_seconds", "cache_seconds"), [("0", "0.2")])
async def test_an_issuer_outage_keeps_the_last_good_keys_and_says_so_in_the_log(
    service_app, realm, settings
):
    client = await service_app("intake")
    logged = Recorded()
    logging.getLogger("shared.oidc").addHandler(logged)
    first = await client.get("/api/v1/drafts", headers=bearer(realm.token(["warga"])))
    assert first.status_code == 200
    realm.down = True
    await asyncio.sleep(0.3)
    during = await client.get("/api/v1/drafts", headers=bearer(realm.token(["warga"])))
    assert during.status_code == 200, during.text
    assert realm.jwks_fetches >= 2  # it did try, and kept the keys it had
    logging.getLogger("shared.oidc").removeHandler(logged)
    failed = [event for event in logged.events if event["event"] == "oidc.jwks_fetch_failed"]
    assert [event["keeping_keys"] for event in failed][:1] == [1]


@pytest.mark.parametrize("refetch_seconds", ["30"])
async def test_an_issuer_down_from_the_start_answers_503_not_sign_in_again(
    service_app, realm, settings
):
    realm.down = True
    client = await service_app("notify")
    response = await client.get("/api/v1/notifications", headers=bearer(realm.token(["warga"])))
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Retry-After" in response.headers
