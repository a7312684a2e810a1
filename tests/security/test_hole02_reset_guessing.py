"""Hole 2: reset codes could be guessed without end.

Each fresh code took 5 tries and a citizen may ask for 3 codes per 15 minutes, so 15
wrong guesses in a row on ``/auth/password-reset/confirm`` never met 429: about 1,440
guesses a day per account. Now one-time-code failures are counted per account across
codes — whichever client sends them — and past ``MPP_AUTH_CODE_FREE_FAILURES`` each
further try waits, the wait doubling; every client is limited across accounts too.
Intake and notify run in this process on the real broker and database, with a real SMTP
server (the codes are read from the mail it received).
"""

import asyncio
import uuid

import pytest

from tests.e2e.helpers import register
from tests.integration.identity_support import Platform, identity_platform

BACKOFF = 6.0
"""The first wait in these tests (production: a minute), so the doubling shows quickly
(long enough that the tries after the tenth, and the right code after them, land inside
the wait on a loaded machine)."""


@pytest.fixture(scope="module")
async def platform(stack):
    async with identity_platform(stack, auth_code_backoff_seconds=BACKOFF) as running:
        yield running


CONFIRM = "/api/v1/auth/password-reset/confirm"


async def _citizen_with_verified_email(platform: Platform):
    citizen = await register(platform.intake, proven=False)
    await platform.intake_db["accounts"].update_one(
        {"_id": citizen.id}, {"$set": {"email_verified": True}}
    )
    return citizen


async def _fresh_reset_code(platform: Platform, citizen) -> str:
    seen = len(platform.mail.to(citizen.email))
    asked = await platform.intake.post(
        "/api/v1/auth/password-reset", json={"username": citizen.nik}
    )
    assert asked.status_code == 202
    code, _ = await platform.code_by_email(citizen.email, seen=seen)
    return code


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_fifteen_wrong_reset_codes_in_a_row_meet_429_with_a_retry_after_that_grows(platform):
    citizen = await _citizen_with_verified_email(platform)
    answers = []
    for round_ in range(3):  # three fresh codes, five tries each, each try from a new client
        code = await _fresh_reset_code(platform, citizen)
        for attempt in range(5):
            client = platform.client(f"198.51.100.{round_ * 5 + attempt + 1}")
            async with client:
                answers.append(
                    await client.post(
                        CONFIRM,
                        json={
                            "username": citizen.nik,
                            "code": _wrong(code),
                            "new_password": "x" * 12,
                        },
                    )
                )
    statuses = [a.status_code for a in answers]
    assert 429 in statuses, statuses
    assert 10 <= statuses.index(429) <= 12, statuses  # ten free failures, then waits
    refused = answers[statuses.index(429)]
    assert refused.headers["content-type"] == "application/problem+json"
    assert " / " in refused.json()["title"]

    # While it waits even the right code is refused (the last code is still alive: a
    # refused try never reaches it) — from any client.
    right_too_early = await platform.intake.post(
        CONFIRM, json={"username": citizen.email, "code": code, "new_password": "sandi-baru-123"}
    )
    assert right_too_early.status_code == 429
    first_wait = int(right_too_early.headers["retry-after"])

    # After the wait one more try is let through, and a wrong one makes the next wait longer.
    await asyncio.sleep(first_wait + 0.2)
    wrong_again = await platform.intake.post(
        CONFIRM, json={"username": citizen.nik, "code": _wrong(code), "new_password": "x" * 12}
    )
    assert wrong_again.status_code == 422
    longer = await platform.intake.post(
        CONFIRM, json={"username": citizen.nik, "code": code, "new_password": "sandi-baru-123"}
    )
    assert longer.status_code == 429
    assert int(longer.headers["retry-after"]) > first_wait

    # The owner with the right code gets in once the wait is over.
    await asyncio.sleep(int(longer.headers["retry-after"]) + 0.2)
    reset = await platform.intake.post(
        CONFIRM, json={"username": citizen.nik, "code": code, "new_password": "sandi-baru-123"}
    )
    assert reset.status_code == 204, reset.text


async def test_an_unknown_username_meets_429_alike_so_the_limit_says_nothing_of_who_exists(
    platform,
):
    nobody = f"tidak-ada-{uuid.uuid4().hex[:8]}@example.id"
    statuses = []
    for attempt in range(12):
        async with platform.client(f"203.0.113.{attempt + 1}") as client:
            answer = await client.post(
                CONFIRM, json={"username": nobody, "code": "123456", "new_password": "x" * 12}
            )
            statuses.append(answer.status_code)
    assert statuses[0] == 422
    assert 429 in statuses, statuses


async def test_one_client_guessing_across_many_accounts_is_slowed_and_others_are_not(platform):
    statuses = []
    async with platform.client("192.0.2.77") as guesser:
        for _ in range(25):
            answer = await guesser.post(
                CONFIRM,
                json={
                    "username": f"orang-{uuid.uuid4().hex[:8]}@example.id",
                    "code": "000000",
                    "new_password": "x" * 12,
                },
            )
            statuses.append(answer.status_code)
    assert statuses[0] == 422
    assert 429 in statuses, statuses
    async with platform.client("192.0.2.78") as someone_else:
        answer = await someone_else.post(
            CONFIRM,
            json={"username": "lain@example.id", "code": "000000", "new_password": "x" * 12},
        )
    assert answer.status_code == 422
