"""What a mobile app relies on, against the real broker and database: public tracking by
number with ETags (an unchanged status is a bodiless 304, a new status a new tag), the
citizen's own data revalidated the same way, and problem documents in the language the
request asked for."""

import pytest

from shared.events import StatusChanged, StatusChangedData, encode, utcnow
from tests.e2e.helpers import eventually, register, running_intake, submit


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


async def routed(intake, accepted: dict, citizen_id: str) -> None:
    """Routing's status change arrives on the status topic, as in production."""
    runtime = intake.app.state.runtime
    event = StatusChanged(
        source="routing",
        subject=accepted["id"],
        correlation_id="mobile-http-test",
        time=utcnow(),
        data=StatusChangedData(
            application_id=accepted["id"],
            tracking_number=accepted["tracking_number"],
            service="ktp-el",
            region="3576",
            citizen_id=citizen_id,
            to_status="routed",
            sequence=1,
            actor="system",
            agency="disdukcapil-3576",
            note="Diteruskan ke Dinas Kependudukan",
        ),
    )
    await runtime.broker.publish(encode(event), runtime.topics.status, key=accepted["id"].encode())


async def test_tracking_by_number_shows_the_status_and_nothing_personal_and_revalidates(intake):
    citizen = await register(intake)
    accepted = await submit(intake, citizen)
    url = f"/api/v1/track/{accepted['tracking_number']}"

    first = await intake.get(url)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "submitted"
    assert (body["service"], body["region"]) == ("ktp-el", "3576")
    assert body["sla_due_at"] is not None
    assert [step["status"] for step in body["timeline"]] == ["submitted"]
    assert not {"citizen_id", "applicant", "data", "documents", "id"} & set(body)
    assert citizen.nik not in first.text
    assert citizen.email not in first.text
    assert first.headers["Cache-Control"] == "public, no-cache"
    etag = first.headers["ETag"]
    assert etag.startswith('"')

    again = await intake.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag

    await routed(intake, accepted, citizen.id)

    async def tag_now() -> str:
        return (await intake.get(url, headers={"If-None-Match": etag})).headers["ETag"]

    changed = await eventually(tag_now, timeout=20, until=lambda tag: tag != etag)
    fresh = await intake.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] == changed
    assert fresh.json()["status"] == "routed"
    assert "Diteruskan" not in fresh.text  # the agency's note is for the citizen only


async def test_a_tracking_number_typed_in_lower_case_finds_the_application(intake):
    accepted = await submit(intake)
    response = await intake.get(f"/api/v1/track/{accepted['tracking_number'].lower()}")
    assert response.status_code == 200
    assert response.json()["tracking_number"] == accepted["tracking_number"]


async def test_my_profile_and_applications_answer_304_until_they_change(intake):
    citizen = await register(intake)
    accepted = await submit(intake, citizen)
    for url in ("/api/v1/me", "/api/v1/applications", f"/api/v1/applications/{accepted['id']}"):
        first = await intake.get(url, headers=citizen.headers)
        assert first.status_code == 200, url
        assert first.headers["Cache-Control"] == "private, no-cache"
        etag = first.headers["ETag"]
        again = await intake.get(url, headers={**citizen.headers, "If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.content == b""
        assert again.headers["ETag"] == etag

    me = await intake.get("/api/v1/me", headers=citizen.headers)
    changed = await intake.patch(
        "/api/v1/me", json={"birth_place": "Surabaya"}, headers=citizen.headers
    )
    assert changed.status_code == 200, changed.text
    after = await intake.get(
        "/api/v1/me", headers={**citizen.headers, "If-None-Match": me.headers["ETag"]}
    )
    assert after.status_code == 200
    assert after.headers["ETag"] != me.headers["ETag"]
    assert after.json()["birth_place"] == "Surabaya"


async def test_an_unknown_tracking_number_is_a_problem_in_the_language_asked_for(intake):
    url = "/api/v1/track/TIDAK-ADA-0000"
    bilingual = await intake.get(url)
    english = await intake.get(url, headers={"Accept-Language": "en-US,en;q=0.9,id;q=0.5"})
    indonesian = await intake.get(url, headers={"Accept-Language": "id"})
    for response in (bilingual, english, indonesian):
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/problem+json"
    assert (
        bilingual.json()["title"] == "Nomor pelacakan tidak ditemukan / Tracking number not found"
    )
    assert bilingual.headers["Content-Language"] == "id, en"
    assert english.json()["title"] == "Tracking number not found"
    assert english.json()["detail"] == "Check the number and try again."
    assert english.headers["Content-Language"] == "en"
    assert indonesian.json()["title"] == "Nomor pelacakan tidak ditemukan"
    assert indonesian.json()["detail"] == "Periksa kembali nomornya"
    assert indonesian.headers["Content-Language"] == "id"


async def test_a_validation_error_speaks_the_language_asked_for(intake):
    body = {"nik": "123", "name": "", "email": "x", "phone": "0", "password": "p"}
    english = await intake.post("/api/v1/accounts", json=body, headers={"Accept-Language": "en"})
    indonesian = await intake.post(
        "/api/v1/accounts", json=body, headers={"Accept-Language": "id;q=1, en;q=0.8"}
    )
    assert english.status_code == indonesian.status_code == 422
    assert english.json()["title"] == "Invalid data"
    assert english.json()["detail"].startswith("Check these fields: ")
    assert "email" in english.json()["detail"]
    assert english.headers["Content-Language"] == "en"
    assert indonesian.json()["title"] == "Data tidak valid"
    assert indonesian.json()["detail"].startswith("Periksa isian berikut: ")
    assert indonesian.headers["Content-Language"] == "id"
    assert {e["field"] for e in english.json()["errors"]} == {
        e["field"] for e in indonesian.json()["errors"]
    }


async def test_a_refusal_raised_by_a_route_speaks_the_language_asked_for(intake):
    citizen = await register(intake)
    url = "/api/v1/applications/does-not-exist"
    english = await intake.get(url, headers={**citizen.headers, "Accept-Language": "en"})
    indonesian = await intake.get(url, headers={**citizen.headers, "Accept-Language": "id"})
    assert english.json()["title"] == "Not found"
    assert indonesian.json()["title"] == "Tidak ditemukan"
