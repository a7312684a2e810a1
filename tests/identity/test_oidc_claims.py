"""What a client may ask, and what a token says, decided without a database: exact
redirect URIs, scopes cut to the client's, claims by scope, no NIK anywhere."""

import pytest

from services.identity.oidc.clients import Client, platform_clients
from services.identity.oidc.grants import user_claims
from services.identity.oidc.people import Person
from shared.settings import Settings

CITIZEN = Person(
    "0193aaaa-0000-7000-8000-000000000001",
    "citizen",
    ("citizen",),
    1_765_000_000,
    profile={
        "name": "Siti Aminah",
        "email": "siti@example.id",
        "email_verified": True,
        "phone_number": "081234567890",
        "phone_number_verified": False,
        "locale": "id",
        "nik_proof": "dukcapil",
    },
)
OFFICER = Person(
    "andi.polres", "staff", ("officer",), 1_765_000_000, {"agency": "polres-3576", "name": "Andi"}
)


def _mobile() -> Client:
    return next(c for c in platform_clients(Settings()) if c.client_id == "mobile")


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1/oauth/callback/",
        "http://127.0.0.1/oauth/callback?next=https://attacker.example",
        "HTTP://127.0.0.1/oauth/callback",
        "id.go.mpp.digital:/oauth/callback#",
    ],
)
def test_a_redirect_uri_is_accepted_only_exactly_as_registered(uri: str):
    mobile = _mobile()
    assert mobile.check_redirect_uri("http://127.0.0.1/oauth/callback")
    assert not mobile.check_redirect_uri(uri)


def test_a_client_gets_only_the_scopes_it_was_registered_for():
    assert _mobile().get_allowed_scope("openid email admin offline_access") == "openid email"
    workbench = next(c for c in platform_clients(Settings()) if c.client_id == "workbench")
    assert workbench.get_allowed_scope("openid email phone") == "openid"


def test_public_clients_authenticate_with_none_and_confidential_ones_only_with_basic():
    mobile = _mobile()
    assert mobile.check_endpoint_auth_method("none", "token")
    assert not mobile.check_endpoint_auth_method("client_secret_post", "token")
    assert not mobile.check_client_secret("")
    system = Client("sistem", "Sistem", grant_types=("client_credentials",), secret_hash="0" * 64)
    assert system.check_endpoint_auth_method("client_secret_basic", "token")
    assert not system.check_endpoint_auth_method("none", "token")
    assert not system.check_endpoint_auth_method("client_secret_post", "token")


def test_identity_claims_follow_the_scope_and_never_include_the_nik():
    bare = user_claims(CITIZEN, "openid")
    assert bare == {"sub": CITIZEN.subject, "nik_proof": "dukcapil"}
    full = user_claims(CITIZEN, "openid profile email phone")
    assert (full["name"], full["email"], full["phone_number_verified"]) == (
        "Siti Aminah",
        "siti@example.id",
        False,
    )
    assert "nik" not in full


def test_a_staff_member_s_claims_carry_role_and_binding_and_no_nik_proof():
    claims = user_claims(OFFICER, "openid profile")
    assert claims == {
        "sub": "andi.polres",
        "roles": ["officer"],
        "agency": "polres-3576",
        "name": "Andi",
    }
    access = OFFICER.token_claims()
    assert "nik_proof" not in access
    assert access["roles"] == ["officer"]
    assert CITIZEN.token_claims()["nik_proof"] == "dukcapil"
