"""What a token's claims mean to the platform, and which keys may sign it, when nothing
is configured (the platform's own key) and when a region's issuer is (a claims mapping)."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import OKPKey
from pydantic import ValidationError

from shared.auth import (
    PLATFORM_ROLES,
    InvalidToken,
    TokenVerifier,
    issue_token,
    key_source,
    load_private_key,
    load_public_key,
    verify_citizen_token,
)
from shared.oidc import ClaimsMapping, PlatformIssuerKeys, PlatformKeys
from shared.settings import Settings

KEYCLOAK = ClaimsMapping(
    PLATFORM_ROLES,
    subject="preferred_username",
    roles="realm_access.roles",
    role_map={"petugas-instansi": "officer", "warga": "citizen"},
    agency="mpp.agency",
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(local_dir=str(tmp_path), namespace="oidc")


def keycloak_claims(*roles: str, **more) -> dict:
    return {
        "sub": "5f0e6a1c-0000-4000-8000-000000000001",
        "preferred_username": "andi.pratama",
        "realm_access": {"roles": ["offline_access", "uma_authorization", *roles]},
        **more,
    }


def test_keycloaks_claims_read_as_the_platforms_through_the_mapping():
    claims = keycloak_claims("petugas-instansi", mpp={"agency": "polres-3576"}, name="Andi")
    assert KEYCLOAK.subject_of(claims) == "andi.pratama"
    assert KEYCLOAK.platform_roles(claims) == ("officer",)
    assert KEYCLOAK.bindings(claims) == {"agency": "polres-3576", "region": None, "name": "Andi"}


def test_an_issuers_role_named_like_a_platform_role_is_dropped_unless_mapped():
    with pytest.raises(InvalidToken, match="no role this platform knows"):
        KEYCLOAK.platform_roles(keycloak_claims("admin", "supervisor"))


def test_without_a_role_map_only_the_platforms_own_role_names_pass():
    mapping = ClaimsMapping(PLATFORM_ROLES)
    assert mapping.platform_roles({"roles": ["citizen", "superuser"]}) == ("citizen",)
    with pytest.raises(InvalidToken):
        mapping.platform_roles({"roles": ["superuser"]})


def test_a_role_map_naming_a_role_the_platform_lacks_stops_start_up(settings):
    wrong = settings.model_copy(update={"oidc_role_map": {"staff": "root"}})
    with pytest.raises(ValueError, match="MPP_OIDC_ROLE_MAP"):
        TokenVerifier(wrong)


@pytest.mark.parametrize("value", ["none", "HS256", "RS256,HS512", '["ES256", "hs384"]'])
def test_no_setting_can_allow_unsigned_or_shared_secret_tokens(value, monkeypatch):
    monkeypatch.setenv("MPP_OIDC_ALGORITHMS", value)
    with pytest.raises(ValidationError, match="MPP_OIDC_ALGORITHMS"):
        Settings()


def test_the_platforms_key_is_a_one_key_set_whose_kid_is_its_rfc7638_thumbprint(settings):
    source = key_source(settings)
    assert isinstance(source, PlatformIssuerKeys)  # and identity's published keys after it
    keys = source.platform
    (jwk,) = keys.jwks()["keys"]
    raw = load_public_key(settings).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    independent = OKPKey.import_key(
        {"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode()}
    )
    assert jwk["kid"] == independent.thumbprint()
    assert PlatformKeys(load_public_key(settings)).jwk["kid"] == jwk["kid"]  # stable


def _platform_claims(settings: Settings) -> dict:
    now = datetime.now(UTC)
    return {
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "sub": "citizen-1",
        "roles": ["citizen"],
        "exp": now + timedelta(minutes=5),
    }


def test_a_platform_token_naming_its_keys_kid_verifies_and_one_naming_another_does_not(
    settings,
):
    kid = key_source(settings).platform.jwks()["keys"][0]["kid"]
    key = load_private_key(settings)
    named = jwt.encode(_platform_claims(settings), key, "EdDSA", headers={"kid": kid})
    assert verify_citizen_token(named, settings).subject == "citizen-1"
    other = jwt.encode(_platform_claims(settings), key, "EdDSA", headers={"kid": "other"})
    # "other" is not the platform key: identity's published set is asked, and it is not
    # there either (here no identity answers at all, so there is no key to check with)
    with pytest.raises(InvalidToken, match=r"not one of the issuer.s keys|could not be fetched"):
        verify_citizen_token(other, settings)


def test_hs256_keyed_with_the_platforms_public_key_is_refused(settings):
    public_pem = load_public_key(settings).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    body = json.dumps(_platform_claims(settings), default=lambda at: int(at.timestamp()))
    header = b64(b'{"alg":"HS256","typ":"JWT"}')
    signing_input = f"{header}.{b64(body.encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidToken, match="not accepted"):
        verify_citizen_token(f"{signing_input}.{b64(signature)}", settings)


def test_with_no_issuer_configured_the_platforms_own_tokens_verify_as_before(settings):
    token, _ = issue_token(settings, "andi", ("officer",), agency="polres-3576", name="Andi")
    officer = verify_citizen_token(token, settings)
    assert (officer.subject, officer.roles, officer.agency, officer.name) == (
        "andi",
        ("officer",),
        "polres-3576",
        "Andi",
    )
