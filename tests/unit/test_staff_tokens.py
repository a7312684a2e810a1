"""Staff tokens: what they are bound to travels in the token, older tokens still verify,
and a disabled account or a password reset stops a token issued before it."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from services.identity.staff import staff_claims, still_valid
from shared.auth import ALGORITHM, InvalidToken, issue_token, load_private_key
from shared.auth import verify_citizen_token as verify
from shared.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(local_dir=str(tmp_path), namespace="staff")


def test_an_officers_token_carries_the_agency_and_name_and_says_it_is_agency_staff(settings):
    token, _ = issue_token(
        settings, "andi.pratama", ("officer",), agency="polres-3576", name="Bripka Andi"
    )
    officer = verify(token, settings)
    assert (officer.subject, officer.agency, officer.region, officer.name) == (
        "andi.pratama",
        "polres-3576",
        None,
        "Bripka Andi",
    )
    assert (officer.agency_role, officer.staff_role, officer.operator_role) == (
        "officer",
        "officer",
        None,
    )
    assert not officer.is_citizen


def test_a_kiosks_token_carries_its_region_and_is_no_agencys_staff(settings):
    kiosk = verify(issue_token(settings, "kios-1", ("kiosk",), region="3576")[0], settings)
    assert (kiosk.region, kiosk.agency, kiosk.operator_role, kiosk.agency_role) == (
        "3576",
        None,
        "kiosk",
        None,
    )


def test_an_officer_role_without_an_agency_claim_is_no_agencys_staff(settings):
    assert verify(issue_token(settings, "x", ("officer",))[0], settings).agency_role is None


def test_a_citizens_token_without_the_new_claims_verifies_as_before(settings):
    now = datetime.now(UTC)
    claims = {
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "sub": "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000",
        "roles": ["citizen"],
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    citizen = verify(jwt.encode(claims, load_private_key(settings), ALGORITHM), settings)
    assert citizen.is_citizen
    assert (citizen.agency, citizen.region, citizen.name, citizen.staff_role) == (None,) * 4
    assert citizen.issued_at == datetime.fromtimestamp(int(now.timestamp()), UTC)


def test_a_claim_that_is_not_text_is_refused(settings):
    now = datetime.now(UTC)
    claims = {
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "sub": "andi",
        "roles": ["officer"],
        "agency": ["polres-3576", "polres-3514"],
        "exp": now + timedelta(minutes=5),
    }
    with pytest.raises(InvalidToken):
        verify(jwt.encode(claims, load_private_key(settings), ALGORITHM), settings)


def test_the_issue_time_is_read_to_the_millisecond_from_the_token_id(settings):
    before = datetime.now(UTC)
    token, _ = issue_token(settings, "andi", ("officer",), agency="polres-3576")
    issued = verify(token, settings).issued_at
    assert issued is not None
    assert before - timedelta(milliseconds=1) <= issued <= datetime.now(UTC)
    assert issued.microsecond % 1000 == 0


def test_a_staff_token_stops_when_the_account_is_disabled_or_its_password_reset_after_it(
    settings,
):
    token, _ = issue_token(settings, "andi", ("officer",), agency="polres-3576")
    principal = verify(token, settings)
    assert principal.issued_at is not None
    staff = {"_id": "andi", "role": "officer", "agency": "polres-3576", "disabled_at": None}
    assert still_valid({**staff, "tokens_valid_after": None}, principal)
    earlier = principal.issued_at - timedelta(seconds=1)
    later = principal.issued_at + timedelta(milliseconds=1)
    assert still_valid({**staff, "tokens_valid_after": earlier}, principal)
    assert still_valid({**staff, "tokens_valid_after": principal.issued_at}, principal)
    assert not still_valid({**staff, "tokens_valid_after": later}, principal)
    assert not still_valid({**staff, "disabled_at": earlier}, principal)
    assert not still_valid(None, principal)


def test_the_claims_of_a_staff_account_are_its_binding_and_name_only():
    officer = {"_id": "andi", "agency": "polres-3576", "region": None, "name": "Bripka Andi"}
    assert staff_claims(officer) == {"agency": "polres-3576", "name": "Bripka Andi"}
    counter = {"_id": "loket-1", "agency": None, "region": "3576", "name": None}
    assert staff_claims(counter) == {"region": "3576"}
