"""Identity that can be trusted: contacts confirmed by a code sent through notify's real
channels, password recovery, refresh tokens with reuse detection, signing out
everywhere, and sign-in throttling that cannot lock the owner out — intake and notify
running in this process on the real broker and database, with a real SMTP server and
the SMS provider's test double."""

import asyncio
import re
import secrets
import uuid
from datetime import timedelta

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from shared.events import utcnow
from tests.e2e.helpers import eventually, register, sign_in
from tests.integration.identity_support import Platform, identity_platform

PASSWORD = "kata-sandi-rahasia"


@pytest.fixture(scope="module")
async def platform(stack):
    # a client's first wait after its free sign-in failures: long enough that the next
    # tries (each a password hash) land inside it on a loaded machine
    async with identity_platform(stack, auth_signin_backoff_seconds=10.0) as running:
        yield running


def new_phone() -> str:
    return "0812" + "".join(secrets.choice("0123456789") for _ in range(8))


async def verify_email(platform: Platform, citizen) -> None:
    intake = platform.intake
    sent = await intake.post(
        "/api/v1/me/contact-verifications", json={"channel": "email"}, headers=citizen.headers
    )
    assert sent.status_code == 202, sent.text
    code, _ = await platform.code_by_email(citizen.email)
    confirmed = await intake.post(
        "/api/v1/me/contact-verifications/confirm",
        json={"channel": "email", "code": code},
        headers=citizen.headers,
    )
    assert confirmed.status_code == 200, confirmed.text


async def token_pair(client: httpx.AsyncClient, username: str, password: str, **extra) -> dict:
    headers = extra.pop("headers", {})
    response = await client.post(
        "/api/v1/auth/token",
        data={"username": username, "password": password, **extra},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def code_events(platform: Platform, citizen_id: str) -> list:
    """The raw account.code_issued records of one citizen on the accounts topic."""
    consumer = AIOKafkaConsumer(
        platform.intake.app.state.runtime.topics.accounts,
        bootstrap_servers=platform.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    try:
        found = []
        for records in (await consumer.getmany(timeout_ms=3000)).values():
            found += [
                r for r in records if r.key == citizen_id.encode() and b"code_issued" in r.value
            ]
        return found
    finally:
        await consumer.stop()


# --- verified contacts ---------------------------------------------------------------


async def test_a_citizen_confirms_the_email_with_the_code_from_a_real_smtp_server(platform, caplog):
    intake = platform.intake
    citizen = await register(intake, proven=False)
    assert (await intake.get("/api/v1/me", headers=citizen.headers)).json()[
        "email_verified"
    ] is False

    sent = await intake.post(
        "/api/v1/me/contact-verifications", json={"channel": "email"}, headers=citizen.headers
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["channel"] == "email"
    code, message = await platform.code_by_email(citizen.email)

    body = message.get_body(("plain",)).get_content()
    assert body.index("Kode verifikasi") < body.index("verification code")  # Indonesian first
    assert code not in message["Subject"]
    stored = await platform.intake_db["account_codes"].find_one({"account_id": citizen.id})
    assert stored["digest"]
    assert code not in str(stored)  # an HMAC, never the code
    sends = platform.notify.app.state.runtime.db["code_sends"]
    sent_record = await sends.find_one({"citizen_id": citizen.id})
    assert sent_record["status"] in ("sending", "delivered")
    assert code not in str(sent_record)
    assert citizen.email not in str(sent_record)

    confirmed = await intake.post(
        "/api/v1/me/contact-verifications/confirm",
        json={"channel": "email", "code": code},
        headers=citizen.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email_verified"] is True
    assert confirmed.json()["phone_verified"] is False
    again = await intake.post(
        "/api/v1/me/contact-verifications/confirm",
        json={"channel": "email", "code": code},
        headers=citizen.headers,
    )
    assert again.status_code == 422  # single use

    records = await code_events(platform, citizen.id)
    assert len(records) == 1
    # On the accounts topic the code is sealed for notify: the audit log, which keeps the
    # event for good, never holds a usable code; nor do headers.
    assert code.encode() not in records[0].value
    assert b'"sealed_code"' in records[0].value
    assert all(code.encode() not in value for _, value in records[0].headers)
    assert caplog.records  # intake and notify did log while the code went by …
    assert code not in caplog.text  # … and never the code


async def test_a_citizen_confirms_the_phone_with_the_code_sent_by_sms(platform):
    intake = platform.intake
    citizen = await register(intake, proven=False, phone=new_phone())
    phone = (await intake.get("/api/v1/me", headers=citizen.headers)).json()["phone"]
    sent = await intake.post(
        "/api/v1/me/contact-verifications", json={"channel": "phone"}, headers=citizen.headers
    )
    assert sent.status_code == 202, sent.text
    code, sms = await platform.code_by_sms(phone)
    assert sms["body"].index("Kode verifikasi") < sms["body"].index("verification code")
    assert platform.mail.to(citizen.email) == []  # not through the notification preferences

    confirmed = await intake.post(
        "/api/v1/me/contact-verifications/confirm",
        json={"channel": "phone", "code": code},
        headers=citizen.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["phone_verified"] is True

    changed = await intake.patch(
        "/api/v1/me",
        json={"phone": new_phone(), "current_password": PASSWORD},
        headers=citizen.headers,
    )
    assert changed.status_code == 200
    assert changed.json()["phone_verified"] is False  # a new number is not confirmed yet
    same = await intake.patch("/api/v1/me", json={"language": "en"}, headers=citizen.headers)
    assert same.json()["phone_verified"] is False


async def test_a_code_the_sms_provider_refuses_for_a_moment_is_sent_again(platform):
    intake = platform.intake
    citizen = await register(intake, proven=False, phone=new_phone())
    phone = (await intake.get("/api/v1/me", headers=citizen.headers)).json()["phone"]
    platform.provider.script[("sms", phone)] = [503, 429]
    sent = await intake.post(
        "/api/v1/me/contact-verifications", json={"channel": "phone"}, headers=citizen.headers
    )
    assert sent.status_code == 202
    code, _ = await platform.code_by_sms(phone)
    sends = platform.notify.app.state.runtime.db["code_sends"]
    record = await eventually(
        lambda: sends.find_one({"citizen_id": citizen.id}),
        timeout=10,
        until=lambda found: found and found["status"] == "delivered",
    )
    assert record["attempts"] == 3
    assert [m["reference"] for m in platform.provider.requests if m["to"] == phone] == [
        record["_id"]
    ] * 3  # one reference for every try of the same message
    assert len(platform.provider.accepted_for("sms", phone)) == 1
    assert re.fullmatch(r"\d{6}", code)


async def test_changing_the_email_clears_its_verification(platform):
    intake = platform.intake
    citizen = await register(intake, proven=False)
    await verify_email(platform, citizen)
    unchanged = await intake.patch(
        "/api/v1/me", json={"email": citizen.email}, headers=citizen.headers
    )
    assert unchanged.json()["email_verified"] is True  # the same address stays confirmed
    changed = await intake.patch(
        "/api/v1/me",
        json={"email": f"baru-{uuid.uuid4().hex[:8]}@example.id", "current_password": PASSWORD},
        headers=citizen.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["email_verified"] is False


async def test_five_wrong_codes_kill_the_code_and_the_right_one_no_longer_works(platform):
    intake = platform.intake
    citizen = await register(intake, proven=False)
    await intake.post(
        "/api/v1/me/contact-verifications", json={"channel": "email"}, headers=citizen.headers
    )
    code, _ = await platform.code_by_email(citizen.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    left = []
    for _ in range(5):
        answer = await intake.post(
            "/api/v1/me/contact-verifications/confirm",
            json={"channel": "email", "code": wrong},
            headers=citizen.headers,
        )
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        left.append(answer.json()["attempts_left"])
    assert left == [4, 3, 2, 1, 0]
    right = await intake.post(
        "/api/v1/me/contact-verifications/confirm",
        json={"channel": "email", "code": code},
        headers=citizen.headers,
    )
    assert right.status_code == 422
    assert right.json()["attempts_left"] == 0
    me = await intake.get("/api/v1/me", headers=citizen.headers)
    assert me.json()["email_verified"] is False


async def test_an_expired_code_is_refused(platform):
    intake = platform.intake
    citizen = await register(intake, proven=False)
    await intake.post(
        "/api/v1/me/contact-verifications", json={"channel": "email"}, headers=citizen.headers
    )
    code, _ = await platform.code_by_email(citizen.email)
    await platform.intake_db["account_codes"].update_many(
        {"account_id": citizen.id}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}}
    )
    answer = await intake.post(
        "/api/v1/me/contact-verifications/confirm",
        json={"channel": "email", "code": code},
        headers=citizen.headers,
    )
    assert answer.status_code == 422
    assert answer.json()["attempts_left"] == 0


async def test_a_fourth_code_for_one_contact_within_fifteen_minutes_is_refused_with_429(platform):
    intake = platform.intake
    citizen = await register(intake, proven=False, phone=new_phone())
    answers = [
        await intake.post(
            "/api/v1/me/contact-verifications", json={"channel": "phone"}, headers=citizen.headers
        )
        for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 15 * 60
    assert answers[-1].headers["content-type"] == "application/problem+json"
    mine = {"account_id": citizen.id}
    assert await platform.intake_db["account_codes"].count_documents(mine) == 1  # the latest


# --- recovery ------------------------------------------------------------------------


async def test_a_forgotten_password_is_reset_with_the_emailed_code_and_every_device_signed_out(
    platform,
):
    intake = platform.intake
    citizen = await register(intake, proven=False)
    await verify_email(platform, citizen)
    device = await token_pair(intake, citizen.nik, PASSWORD)
    seen = len(platform.mail.to(citizen.email))

    asked = await intake.post("/api/v1/auth/password-reset", json={"username": citizen.nik})
    nobody = await intake.post("/api/v1/auth/password-reset", json={"username": "x@example.id"})
    assert asked.status_code == nobody.status_code == 202
    assert asked.json() == nobody.json()  # nothing says whether the account exists
    code, message = await platform.code_by_email(citizen.email, seen=seen)
    assert "atur ulang kata sandi" in message.get_body(("plain",)).get_content()

    wrong_user = await intake.post(
        "/api/v1/auth/password-reset/confirm",
        json={"username": "y@example.id", "code": code, "new_password": "sandi-baru-123"},
    )
    assert wrong_user.status_code == 422
    reset = await intake.post(
        "/api/v1/auth/password-reset/confirm",
        json={"username": citizen.email, "code": code, "new_password": "sandi-baru-123"},
    )
    assert reset.status_code == 204, reset.text

    old = await intake.post(
        "/api/v1/auth/token", data={"username": citizen.nik, "password": PASSWORD}
    )
    assert old.status_code == 401
    assert (
        await intake.get("/api/v1/me", headers=bearer(device["access_token"]))
    ).status_code == 401
    assert (await refresh(intake, device["refresh_token"])).status_code == 401
    fresh = await sign_in(intake, citizen.nik, "sandi-baru-123")
    assert (await intake.get("/api/v1/me", headers=bearer(fresh))).status_code == 200
    reused = await intake.post(
        "/api/v1/auth/password-reset/confirm",
        json={"username": citizen.email, "code": code, "new_password": "sandi-lain-456"},
    )
    assert reused.status_code == 422


async def test_a_reset_sends_nothing_to_an_account_without_a_verified_contact(platform):
    intake = platform.intake
    citizen = await register(intake, proven=False)
    asked = await intake.post("/api/v1/auth/password-reset", json={"username": citizen.email})
    assert asked.status_code == 202
    await intake.post(  # a later message to the same citizen shows the reset's would be there
        "/api/v1/me/contact-verifications", json={"channel": "email"}, headers=citizen.headers
    )
    _, message = await platform.code_by_email(citizen.email)
    assert "Kode verifikasi" in message["Subject"]
    await asyncio.sleep(0.5)
    assert len(platform.mail.to(citizen.email)) == 1


async def test_changing_the_password_needs_the_current_one_and_signs_out_every_device(platform):
    intake = platform.intake
    citizen = await register(intake, proven=False)
    wrong = await intake.post(
        "/api/v1/me/password",
        json={"current_password": "bukan-sandinya", "new_password": "sandi-baru-123"},
        headers=citizen.headers,
    )
    assert wrong.status_code == 403
    changed = await intake.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "sandi-baru-123"},
        headers=citizen.headers,
    )
    assert changed.status_code == 204, changed.text
    assert (await intake.get("/api/v1/me", headers=citizen.headers)).status_code == 401
    assert (await token_pair(intake, citizen.email, "sandi-baru-123"))["access_token"]


# --- sessions ------------------------------------------------------------------------


async def test_a_refresh_token_rotates_and_reusing_a_spent_one_revokes_the_whole_family(platform):
    intake = platform.intake
    citizen = await register(intake, proven=False)
    first = await token_pair(intake, citizen.nik, PASSWORD, headers={"X-Device-Name": "HP Siti"})
    assert len(first["refresh_token"]) >= 43  # 256 bits, URL-safe base64
    listed = await intake.get("/api/v1/me/devices", headers=citizen.headers)
    assert "HP Siti" in [device["device_name"] for device in listed.json()]

    second = await refresh(intake, first["refresh_token"])
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"]
    assert (
        await intake.get("/api/v1/me", headers=bearer(renewed["access_token"]))
    ).status_code == 200
    stored = (
        await platform.intake_db["refresh_tokens"].find({"account_id": citizen.id}).to_list(None)
    )
    assert len(stored) == 3  # the sign-in of register(), and this device's first and second
    assert sum(row["spent_at"] is not None for row in stored) == 1
    assert all(first["refresh_token"] not in str(row) for row in stored)  # only hashes

    third = await refresh(intake, renewed["refresh_token"])
    assert third.status_code == 200
    reuse = await refresh(intake, first["refresh_token"])  # spent: someone copied it
    assert reuse.status_code == 401
    assert reuse.json()["error"] == "invalid_grant"
    newest = await refresh(intake, third.json()["refresh_token"])
    assert newest.status_code == 401  # the whole family is revoked
    devices = await intake.get("/api/v1/me/devices", headers=citizen.headers)
    assert "HP Siti" not in [device["device_name"] for device in devices.json()]


async def test_devices_are_listed_by_name_and_one_can_be_signed_out(platform):
    intake = platform.intake
    citizen = await register(intake, proven=False)
    phone = await token_pair(intake, citizen.nik, PASSWORD, headers={"X-Device-Name": "HP Ibu"})
    laptop = await token_pair(intake, citizen.email, PASSWORD, device_name="Laptop kantor")
    devices = (await intake.get("/api/v1/me/devices", headers=citizen.headers)).json()
    named = {device["device_name"]: device for device in devices}
    assert {"HP Ibu", "Laptop kantor"} <= set(named)
    assert {"id", "created_at", "last_used_at"} <= set(named["HP Ibu"])

    gone = await intake.delete(
        f"/api/v1/me/devices/{named['HP Ibu']['id']}", headers=citizen.headers
    )
    assert gone.status_code == 204
    assert (await refresh(intake, phone["refresh_token"])).status_code == 401
    assert (await refresh(intake, laptop["refresh_token"])).status_code == 200
    other = await register(intake, proven=False)
    theirs = await intake.delete(
        f"/api/v1/me/devices/{named['Laptop kantor']['id']}", headers=other.headers
    )
    assert theirs.status_code == 404


async def test_signing_out_everywhere_refuses_older_access_tokens_and_every_refresh_token(platform):
    intake = platform.intake
    citizen = await register(intake, proven=False)
    one = await token_pair(intake, citizen.nik, PASSWORD)
    two = await token_pair(intake, citizen.email, PASSWORD)
    out = await intake.post("/api/v1/auth/signout-everywhere", headers=bearer(one["access_token"]))
    assert out.status_code == 204
    for pair in (one, two):
        me = await intake.get("/api/v1/me", headers=bearer(pair["access_token"]))
        assert me.status_code == 401
        assert me.headers["content-type"] == "application/problem+json"
        assert (await refresh(intake, pair["refresh_token"])).status_code == 401
    again = await token_pair(intake, citizen.nik, PASSWORD)
    assert (
        await intake.get("/api/v1/me", headers=bearer(again["access_token"]))
    ).status_code == 200


# --- sign-in throttling --------------------------------------------------------------


async def test_a_citizen_is_never_locked_out_by_someone_elses_wrong_passwords(platform):
    citizen = await register(platform.intake, proven=False)
    async with platform.client("203.0.113.7") as guesser, platform.client("198.51.100.20") as own:
        answers = []
        for _ in range(8):
            answer = await guesser.post(
                "/api/v1/auth/token", data={"username": citizen.nik, "password": "tebakan-salah"}
            )
            answers.append(answer.status_code)
        assert answers[:5] == [401] * 5
        assert set(answers[5:]) == {429}
        held = await guesser.post(
            "/api/v1/auth/token", data={"username": citizen.nik, "password": PASSWORD}
        )
        assert held.status_code == 429  # even the right password waits on the guesser's client
        assert int(held.headers["retry-after"]) >= 1

        victim = await own.post(
            "/api/v1/auth/token", data={"username": citizen.nik, "password": PASSWORD}
        )
        assert victim.status_code == 200, victim.text  # at once, from the owner's client
