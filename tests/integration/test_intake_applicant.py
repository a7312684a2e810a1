"""The applicant's data, entered once and shared as declared: the profile holds what
services need, checked against the NIK; a submission pins exactly the fields its
service declares and asks for what is missing; a refused cancellation comes back to the
citizen — against the real database and broker."""

import uuid

import pytest

from shared.catalogue import load_catalogue
from shared.events import (
    ApplicationSubmitted,
    CancellationRefused,
    CancellationRefusedData,
    StatusChanged,
    StatusChangedData,
    encode,
)
from tests.e2e.helpers import eventually, read_topic, register, running_intake

SKCK = {"service": "skck", "region": "3576", "data": {"purpose": "melamar_kerja"}}


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


async def post(intake, citizen, body):
    headers = {**citizen.headers, "Idempotency-Key": str(uuid.uuid4())}
    return await intake.post("/api/v1/applications", json=body, headers=headers)


async def submitted_event(intake, application_id) -> ApplicationSubmitted:
    runtime = intake.app.state.runtime

    async def found() -> list:
        events = await read_topic(runtime.settings.kafka_bootstrap, runtime.topics.submitted, 1, 5)
        return [e for e in events if e.subject == application_id]

    return (await eventually(found, timeout=20))[0]


async def test_birth_date_and_sex_come_from_the_nik_and_a_profile_cannot_contradict_them(
    intake,
):
    # Born 15 Aug 1990, a woman: day 55 in the NIK.
    citizen = await register(intake, nik="3576015508900777")
    me = (await intake.get("/api/v1/me", headers=citizen.headers)).json()
    assert (me["birth_date"], me["sex"]) == ("1990-08-15", "F")
    wrong = await intake.patch(
        "/api/v1/me", json={"birth_date": "1991-08-15", "sex": "M"}, headers=citizen.headers
    )
    assert wrong.status_code == 422
    assert {e["field"] for e in wrong.json()["errors"]} == {"birth_date", "sex"}
    bad_region = await intake.patch(
        "/api/v1/me", json={"address": {"region_code": "9900"}}, headers=citizen.headers
    )
    assert bad_region.status_code == 422
    assert (await intake.get("/api/v1/me", headers=citizen.headers)).json() == me


async def test_missing_profile_fields_are_asked_for_then_saved_and_only_declared_ones_are_pinned(
    intake,
):
    citizen = await register(intake, birth_place=None, address=None, family_card_number=None)
    missing = await post(intake, citizen, SKCK)
    assert missing.status_code == 422
    assert missing.json()["missing_fields"] == ["birth_place", "address"]
    assert "Tempat lahir" in missing.json()["detail"]

    address = {
        "street": "Jl. Benteng Pancasila 5",
        "rt": "002",
        "rw": "004",
        "village": "Balongsari",
        "district": "Magersari",
        "region_code": "3576",
    }
    accepted = await post(
        intake, citizen, {**SKCK, "applicant": {"birth_place": "Jombang", "address": address}}
    )
    assert accepted.status_code == 202, accepted.text
    me = (await intake.get("/api/v1/me", headers=citizen.headers)).json()
    assert me["birth_place"] == "Jombang"  # saved for next time
    assert (await post(intake, citizen, SKCK)).status_code == 202

    event = await submitted_event(intake, accepted.json()["id"])
    declared = load_catalogue().service("skck").applicant_fields
    # The snapshot travels sealed under the citizen's key: only a holder of it reads it.
    personal = intake.app.state.runtime.personal
    assert event.data.applicant is None
    assert me["nik"] not in encode(event).decode()
    pinned = await personal.open(event.data.applicant_sealed, citizen.id)
    assert set(pinned) == set(declared)
    assert pinned["address"]["street"] == "Jl. Benteng Pancasila 5"
    assert me["email"] not in encode(event).decode()
    assert me["phone"] not in encode(event).decode()

    view = (
        await intake.get(f"/api/v1/applications/{event.subject}", headers=citizen.headers)
    ).json()
    assert set(view["applicant_fields"]) == set(declared)
    # A later profile change does not rewrite what was submitted.
    await intake.patch("/api/v1/me", json={"birth_place": "Kediri"}, headers=citizen.headers)
    stored = await intake.app.state.runtime.db["applications"].find_one({"_id": event.subject})
    assert "Jombang" not in str(stored)
    assert (await personal.open(stored["applicant"], citizen.id))["birth_place"] == "Jombang"


async def test_a_refused_cancellation_clears_the_request_and_tells_the_citizen_why(intake):
    runtime = intake.app.state.runtime
    citizen = await register(intake)
    accepted = await post(
        intake, citizen, {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}}
    )
    id = accepted.json()["id"]
    url = f"/api/v1/applications/{id}"
    assert (await intake.post(f"{url}/cancel", headers=citizen.headers)).status_code == 202

    async def publish(event) -> None:
        await runtime.broker.publish(encode(event), runtime.topics.status, key=id.encode())

    # Routing decided first: the agency moved it to in_review, then refused the request.
    for sequence, (before, after) in enumerate(
        [("submitted", "routed"), ("routed", "received"), ("received", "in_review")], 1
    ):
        await publish(
            StatusChanged(
                source="routing",
                subject=id,
                correlation_id=id,
                data=StatusChangedData(
                    application_id=id,
                    tracking_number=accepted.json()["tracking_number"],
                    service="ktp-el",
                    region="3576",
                    from_status=before,
                    to_status=after,
                    sequence=sequence,
                    actor="agency",
                ),
            )
        )
    await publish(
        CancellationRefused(
            source="routing",
            subject=id,
            correlation_id=id,
            data=CancellationRefusedData(
                application_id=id,
                tracking_number=accepted.json()["tracking_number"],
                citizen_id=citizen.id,
                status="in_review",
                reason="The application is already in_review and can no longer be cancelled",
            ),
        )
    )
    view = await eventually(
        lambda: _view(intake, citizen, url),
        timeout=20,
        until=lambda v: v["cancellation_refused"] is not None and v["status"] == "in_review",
    )
    assert view["cancellation_requested_at"] is None
    assert "can no longer be cancelled" in view["cancellation_refused"]["reason"]
    again = await intake.post(f"{url}/cancel", headers=citizen.headers)
    assert again.status_code == 409
    assert "in_review" in again.json()["detail"]


async def _view(intake, citizen, url) -> dict:
    return (await intake.get(url, headers=citizen.headers)).json()
