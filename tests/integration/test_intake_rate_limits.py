"""Rate limits per account and per IP address answer 429 with Retry-After."""

import pytest

from tests.e2e.helpers import register, running_intake


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack, intake_rate_per_account=5, intake_rate_per_ip=30) as client:
        yield client


async def test_an_account_that_sends_too_many_requests_gets_429_with_retry_after(intake):
    citizen = await register(intake)
    answers = [
        (await intake.get("/api/v1/applications", headers=citizen.headers)).status_code
        for _ in range(7)
    ]
    assert answers[:5] == [200] * 5
    assert answers[-1] == 429
    limited = await intake.get("/api/v1/applications", headers=citizen.headers)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["content-type"] == "application/problem+json"
    other = await register(intake)
    assert (await intake.get("/api/v1/applications", headers=other.headers)).status_code == 200


async def test_an_ip_address_that_sends_too_many_requests_gets_429(intake):
    answers = [(await intake.get("/api/v1/regions")).status_code for _ in range(40)]
    assert 429 in answers
    assert (await intake.get("/healthz")).status_code == 200
