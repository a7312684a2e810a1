"""Drafts: a form kept half-filled, by any citizen, proven or not; only its owner sees or
deletes it, and an unproven account's draft still cannot be submitted — against the real
database and broker."""

import uuid

import pytest

from services.intake.drafts import DRAFT_DAYS
from tests.e2e.helpers import register, running_intake


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


async def put(intake, citizen, service, body):
    return await intake.put(f"/api/v1/drafts/{service}", json=body, headers=citizen.headers)


async def test_a_citizen_saves_reads_replaces_and_deletes_a_draft(intake):
    citizen = await register(intake)
    saved = await put(intake, citizen, "skck", {"region": "3576", "data": {"purpose": "mel"}})
    assert saved.status_code == 200, saved.text
    assert saved.json()["service"] == "skck"
    assert saved.json()["data"] == {"purpose": "mel"}
    assert await put(intake, citizen, "ktp-el", {"region": "3576", "data": {"reason": "baru"}})

    replaced = await put(
        intake, citizen, "skck", {"region": "3576", "data": {"purpose": "melamar_kerja"}}
    )
    assert replaced.status_code == 200
    read = await intake.get("/api/v1/drafts/skck", headers=citizen.headers)
    assert read.json()["data"] == {"purpose": "melamar_kerja"}  # replaced whole
    expires = read.json()["expires_at"]
    assert expires > read.json()["updated_at"]

    listing = await intake.get("/api/v1/drafts", headers=citizen.headers)
    assert [draft["service"] for draft in listing.json()] == ["skck", "ktp-el"]  # newest first

    stored = await intake.app.state.runtime.db["drafts"].find_one({"_id": f"{citizen.id}:skck"})
    assert (stored["expires_at"] - stored["updated_at"]).days == DRAFT_DAYS
    assert "melamar_kerja" not in str(stored)  # the answers rest sealed under the citizen's key

    deleted = await intake.delete("/api/v1/drafts/skck", headers=citizen.headers)
    assert deleted.status_code == 204
    assert (await intake.get("/api/v1/drafts/skck", headers=citizen.headers)).status_code == 404
    again = await intake.delete("/api/v1/drafts/skck", headers=citizen.headers)
    assert again.status_code == 404


async def test_a_draft_is_checked_for_its_service_size_and_shape_only(intake):
    citizen = await register(intake, proven=False)
    unknown = await put(intake, citizen, "no-such-service", {"region": "3576", "data": {}})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    half = await put(intake, citizen, "skck", {"region": "3576", "data": {"purpose": ""}})
    assert half.status_code == 200  # not a valid SKCK form yet, but a valid draft
    refused = {
        "region": {"region": "35", "data": {}},
        "operator key": {"region": "3576", "data": {"$set": 1}},
        "dotted key": {"region": "3576", "data": {"a.b": 1}},
        "too deep": {"region": "3576", "data": {"a": [[[[[[1]]]]]]}},
        "too big": {"region": "3576", "data": {"purpose": "x" * 40_000}},
        "huge number": {"region": "3576", "data": {"n": 2**70}},
        "unknown field": {"region": "3576", "data": {}, "status": "approved"},
    }
    answers = {
        what: (await put(intake, citizen, "skck", body)).status_code
        for what, body in refused.items()
    }
    assert answers == dict.fromkeys(refused, 422)
    kept = await intake.get("/api/v1/drafts/skck", headers=citizen.headers)
    assert kept.json()["data"] == {"purpose": ""}


async def test_another_citizen_can_neither_read_nor_delete_my_draft(intake):
    mine, theirs = await register(intake), await register(intake)
    await put(intake, mine, "skck", {"region": "3576", "data": {"purpose": "rahasia"}})

    assert (await intake.get("/api/v1/drafts/skck", headers=theirs.headers)).status_code == 404
    assert (await intake.get("/api/v1/drafts", headers=theirs.headers)).json() == []
    assert (await intake.delete("/api/v1/drafts/skck", headers=theirs.headers)).status_code == 404
    # Their own draft of the same service is a different one, and leaves mine alone.
    await put(intake, theirs, "skck", {"region": "3576", "data": {"purpose": "milik B"}})
    read = await intake.get("/api/v1/drafts/skck", headers=mine.headers)
    assert read.json()["data"] == {"purpose": "rahasia"}
    assert (await intake.get("/api/v1/drafts")).status_code == 401


async def test_staff_keep_no_drafts(intake):
    staff = intake.identity.state.accounts.staff
    username = f"counter.{uuid.uuid4().hex[:6]}"
    await staff.add(username, "counter", "sandi-loket-rahasia", region="3576")
    token = (
        await intake.post(
            "/api/v1/auth/token", data={"username": username, "password": "sandi-loket-rahasia"}
        )
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    answers = [
        await intake.put("/api/v1/drafts/skck", json={"region": "3576"}, headers=headers),
        await intake.get("/api/v1/drafts", headers=headers),
        await intake.get("/api/v1/drafts/skck", headers=headers),
        await intake.delete("/api/v1/drafts/skck", headers=headers),
    ]
    assert [answer.status_code for answer in answers] == [403] * 4


async def test_an_unproven_account_saves_a_draft_but_its_submission_is_refused(intake):
    citizen = await register(intake, proven=False)
    body = {"region": "3576", "data": {"reason": "baru"}}
    assert (await put(intake, citizen, "ktp-el", body)).status_code == 200

    draft = (await intake.get("/api/v1/drafts/ktp-el", headers=citizen.headers)).json()
    submitted = await intake.post(
        "/api/v1/applications",
        json={"service": "ktp-el", "region": draft["region"], "data": draft["data"]},
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert submitted.status_code == 403
    problem = submitted.json()
    assert problem["type"] == "https://mpp.go.id/problems/unverified-account"
    assert problem["to_verify"] == ["email", "phone", "nik"]
    # The draft is still there to submit once the account is proven.
    assert (await intake.get("/api/v1/drafts/ktp-el", headers=citizen.headers)).status_code == 200
