"""Intake asks identity, never its database: the seam between the two, against the real
broker and database (both apps in this process, then both as processes of their own)."""

import uuid

import httpx
import pytest
from pymongo import AsyncMongoClient

from shared.settings import Settings
from tests.e2e.helpers import register, sign_in

BODY = {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}, "channel": "web"}


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def _submit(client, headers, body=BODY):
    return await client.post("/api/v1/applications", json=body, headers={**headers, **_key()})


async def test_intake_refuses_an_unproven_accounts_submission_as_identity_judges_it(service_app):
    platform = await service_app("intake")
    citizen = await register(platform, proven=False)

    refused = await _submit(platform, citizen.headers)

    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "https://mpp.go.id/problems/unverified-account"
    assert set(refused.json()["to_verify"]) == {"email", "phone", "nik"}
    applications = platform.app.state.runtime.db["applications"]
    assert await applications.count_documents({"citizen_id": citizen.id}) == 0
    # Intake's own database holds no account at all: identity's does.
    intake_collections = await platform.app.state.runtime.db.list_collection_names()
    assert "accounts" not in intake_collections
    assert await platform.identity.state.runtime.db["accounts"].count_documents({}) == 1


async def test_a_citizens_token_never_reads_another_citizens_profile_through_identity(
    service_app,
):
    platform = await service_app("intake")
    wulan = await register(platform, name="Wulan Sari")
    budi = await register(platform, name="Budi Santoso")

    # Naming Budi's NIK in her own submission is a counter's power, not hers.
    as_counter = await _submit(platform, wulan.headers, {**BODY, "citizen_nik": budi.nik})
    assert as_counter.status_code == 403, as_counter.text
    # Asking identity's counter question herself is refused too, and says nothing of Budi.
    asked = await platform.post(
        "/api/v1/counter/applicants",
        json={"nik": budi.nik, "service": "ktp-el", "region": "3576"},
        headers=wulan.headers,
    )
    assert asked.status_code == 403, asked.text
    assert "Budi" not in asked.text
    assert budi.nik not in asked.text
    # Her own submission carries her profile, never another's.
    accepted = await _submit(platform, wulan.headers)
    assert accepted.status_code == 202, accepted.text
    stored = await platform.app.state.runtime.db["applications"].find_one(
        {"_id": accepted.json()["id"]}
    )
    applicant = await platform.app.state.runtime.personal.open(stored["applicant"], wulan.id)
    assert applicant["name"] == "Wulan Sari"
    assert applicant["nik"] == wulan.nik


async def test_a_staff_token_reads_only_what_a_counter_may_through_identity(service_app):
    platform = await service_app("intake")
    staff = platform.identity.state.accounts.staff
    await staff.add("loket-seam", "counter", "sandi-loket-seam", region="3576")
    await staff.add("kios-seam", "kiosk", "sandi-kios-seam-x", region="3576")
    counter = {
        "Authorization": f"Bearer {await sign_in(platform, 'loket-seam', 'sandi-loket-seam')}"
    }
    kiosk = {"Authorization": f"Bearer {await sign_in(platform, 'kios-seam', 'sandi-kios-seam-x')}"}
    citizen = await register(platform)
    question = {"nik": citizen.nik, "service": "ktp-el", "region": "3576"}

    answer = await platform.post("/api/v1/counter/applicants", json=question, headers=counter)
    assert answer.status_code == 200, answer.text
    assert answer.json()["citizen_id"] == citizen.id
    # Only the fields the service declares, never the contacts.
    assert citizen.email not in answer.text
    assert "phone" not in answer.json()["applicant"]
    # Another region's application, or a kiosk naming a NIK, is refused.
    elsewhere = await platform.post(
        "/api/v1/counter/applicants", json={**question, "region": "3514"}, headers=counter
    )
    assert elsewhere.status_code == 403
    by_kiosk = await platform.post("/api/v1/counter/applicants", json=question, headers=kiosk)
    assert by_kiosk.status_code == 403


@pytest.mark.timeout(240)
async def test_identity_down_makes_intake_answer_503_and_store_nothing(platform):
    running = platform("identity", "intake")
    front = running.url("intake")
    async with httpx.AsyncClient(timeout=30) as http:
        identity = running.url("identity")
        body = {
            "nik": "3576014507900001",
            "name": "Siti Aminah",
            "email": f"warga-{uuid.uuid4().hex[:12]}@example.id",
            "phone": "081234567890",
            "password": "kata-sandi-rahasia",
        }
        created = await http.post(f"{identity}/api/v1/accounts", json=body)
        assert created.status_code == 201, created.text
        signed_in = await http.post(
            f"{identity}/api/v1/auth/token",
            data={"username": body["email"], "password": body["password"]},
        )
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        running.kill("identity")

        answer = await http.post(
            f"{front}/api/v1/applications", json=BODY, headers={**headers, **_key()}
        )

    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"]
    assert " / " in answer.json()["title"]  # Bahasa Indonesia / English
    assert "nothing was stored" in answer.json()["detail"]
    settings = Settings(
        mongo_uri=running.env["MPP_MONGO_URI"], namespace=running.env["MPP_NAMESPACE"]
    )
    mongo = AsyncMongoClient(settings.mongo_uri)
    try:
        stored = mongo[settings.database_name("intake")]["applications"]
        assert await stored.count_documents({}) == 0
    finally:
        await mongo.close()
