"""Hole 1: a stolen access token must not take the account for good.

With only a token, an attacker used to move the email to their own address (``PATCH
/api/v1/me``), confirm it with the code sent there, ask for a password reset (the code
goes to the verified email first), set a new password and sign the citizen out
everywhere. Changing a recovery factor (email, phone) now needs the current password,
and the old contact is told. Intake and notify run in this process on the real broker
and database, with a real SMTP server and the SMS provider's test double.
"""

import uuid

import pytest

from tests.e2e.helpers import eventually, register, submit
from tests.integration.identity_support import Platform, identity_platform
from tests.integration.test_identity_recovery import PASSWORD, new_phone


@pytest.fixture(scope="module")
async def platform(stack):
    async with identity_platform(stack) as running:
        yield running


def _new_email() -> str:
    return f"penyerang-{uuid.uuid4().hex[:10]}@example.id"


async def _verified_citizen(platform: Platform, **fields):
    citizen = await register(platform.intake, proven=False, **fields)
    await platform.intake_db["accounts"].update_one(
        {"_id": citizen.id}, {"$set": {"email_verified": True, "phone_verified": True}}
    )
    return citizen


def _names_the_password(answer) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert " / " in problem["title"]  # Bahasa Indonesia, then English
    assert "kata sandi" in problem["detail"].lower()
    assert "current_password" in [error["field"] for error in problem["errors"]]


async def test_a_stolen_token_cannot_move_the_email_so_the_reset_code_still_reaches_the_citizen(
    platform,
):
    intake = platform.intake
    citizen = await _verified_citizen(platform)
    attacker = _new_email()

    moved = await intake.patch("/api/v1/me", json={"email": attacker}, headers=citizen.headers)
    _names_the_password(moved)
    me = (await intake.get("/api/v1/me", headers=citizen.headers)).json()
    assert me["email"] == citizen.email
    assert me["email_verified"] is True

    seen = len(platform.mail.to(citizen.email))
    asked = await intake.post("/api/v1/auth/password-reset", json={"username": citizen.nik})
    assert asked.status_code == 202
    await platform.code_by_email(citizen.email, seen=seen)  # to the citizen, as before
    assert platform.mail.to(attacker) == []


async def test_a_stolen_token_cannot_move_the_phone_nor_guess_the_password_through_the_profile(
    platform,
):
    intake = platform.intake
    citizen = await _verified_citizen(platform)

    moved = await intake.patch("/api/v1/me", json={"phone": new_phone()}, headers=citizen.headers)
    _names_the_password(moved)
    guessed = await intake.patch(
        "/api/v1/me",
        json={"email": _new_email(), "current_password": "tebakan-sandi"},
        headers=citizen.headers,
    )
    _names_the_password(guessed)
    me = (await intake.get("/api/v1/me", headers=citizen.headers)).json()
    assert (me["email"], me["phone"]) == (citizen.email, "+6281234567890")
    assert me["email_verified"] is me["phone_verified"] is True


async def test_with_the_current_password_the_email_changes_and_the_old_address_is_told(platform):
    intake = platform.intake
    citizen = await _verified_citizen(platform)
    new_address = f"baru-{uuid.uuid4().hex[:10]}@example.id"

    changed = await intake.patch(
        "/api/v1/me",
        json={"email": new_address, "current_password": PASSWORD, "name": "Siti A."},
        headers=citizen.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == new_address
    assert changed.json()["email_verified"] is False
    assert "current_password" not in changed.json()

    [notice] = await eventually(
        lambda: _messages(platform, citizen.email), timeout=30, until=lambda m: len(m) == 1
    )
    text = notice.get_body(("plain",)).get_content()
    assert "diubah" in notice["Subject"]
    assert "changed" in notice["Subject"]
    assert text.index("Email akun") < text.index("The email of")  # Indonesian first
    assert new_address not in text  # the old address learns of the change, not the new one
    assert platform.mail.to(new_address) == []

    # The same address again, or a change that leaves contacts alone, needs no password.
    same = await intake.patch(
        "/api/v1/me", json={"email": new_address, "language": "en"}, headers=citizen.headers
    )
    assert same.status_code == 200, same.text


async def test_an_application_cannot_carry_a_new_email_into_the_profile(platform):
    intake = platform.intake
    citizen = await register(intake)
    attacker = _new_email()
    answer = await intake.post(
        "/api/v1/applications",
        json={
            "service": "ktp-el",
            "region": "3576",
            "data": {"reason": "baru"},
            "applicant": {"email": attacker},
        },
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 403, answer.text
    assert answer.json()["errors"][0]["field"] == "applicant.email"
    me = (await intake.get("/api/v1/me", headers=citizen.headers)).json()
    assert me["email"] == citizen.email
    assert me["email_verified"] is True
    # The same address as the profile's is no change, and the application goes in.
    same = await submit(intake, citizen, applicant={"email": citizen.email})
    assert same["status"] == "submitted"


async def _messages(platform: Platform, address: str) -> list:
    return platform.mail.to(address)
