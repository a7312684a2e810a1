"""Submitting and tracking applications: tokens, Idempotency-Key, form checks, counters
and kiosks, cancel and answers — against the real database and broker."""

import asyncio
import uuid

import pytest

from shared.events import (
    ApplicationSubmitted,
    CancellationRequested,
    InformationProvided,
    StatusChanged,
    StatusChangedData,
    encode,
)
from tests.e2e.helpers import eventually, read_topic, register, running_intake, sign_in, submit

BODY = {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}, "channel": "mobile"}


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


async def post(intake, citizen, body=BODY, key=None, **headers):
    all_headers = {**citizen.headers, **headers}
    if key is not False:
        all_headers["Idempotency-Key"] = key or str(uuid.uuid4())
    return await intake.post("/api/v1/applications", json=body, headers=all_headers)


async def test_a_submission_is_accepted_with_202_a_location_and_a_readable_tracking_number(
    intake,
):
    citizen = await register(intake)
    response = await post(intake, citizen)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "submitted"
    assert accepted["tracking_number"].startswith("3576-")
    assert response.headers["location"].endswith(f"/api/v1/applications/{accepted['id']}")
    view = await intake.get(response.headers["location"], headers=citizen.headers)
    assert view.status_code == 200
    assert view.json()["timeline"][0]["status"] == "submitted"
    assert view.json()["sla_due_at"] == accepted["sla_due_at"]
    mine = (await intake.get("/api/v1/applications", headers=citizen.headers)).json()
    assert [application["id"] for application in mine] == [accepted["id"]]


async def test_the_event_names_the_account_and_carries_the_nik_only_sealed_in_the_applicant(
    intake,
):
    citizen = await register(intake)
    accepted = await submit(intake, citizen)
    runtime = intake.app.state.runtime

    async def submitted() -> list:
        events = await read_topic(runtime.settings.kafka_bootstrap, runtime.topics.submitted, 1, 5)
        return [e for e in events if e.subject == accepted["id"]]

    [event] = await eventually(submitted, timeout=20)
    assert isinstance(event, ApplicationSubmitted)
    assert event.data.citizen_id == citizen.id
    assert citizen.nik not in encode(event).decode()  # sealed under the citizen's key
    applicant = await runtime.personal.open(event.data.applicant_sealed, citizen.id)
    assert applicant["nik"] == citizen.nik  # ktp-el declares it: Disdukcapil needs it


async def test_without_a_token_nothing_is_stored_and_the_answer_is_401(intake):
    response = await intake.post(
        "/api/v1/applications", json=BODY, headers={"Idempotency-Key": "k"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    forged = await intake.post(
        "/api/v1/applications",
        json=BODY,
        headers={"Idempotency-Key": "k", "Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."},
    )
    assert forged.status_code == 401


async def test_a_missing_idempotency_key_gets_400(intake):
    citizen = await register(intake)
    response = await post(intake, citizen, key=False)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


async def test_a_retry_with_the_same_key_gets_the_original_answer_and_stores_nothing_new(intake):
    citizen = await register(intake)
    first = await post(intake, citizen, key="retry-1")
    again = await post(intake, citizen, key='"retry-1"')
    assert again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    applications = intake.app.state.runtime.db["applications"]
    assert await applications.count_documents({"citizen_id": citizen.id}) == 1


async def test_the_same_key_with_another_body_gets_422(intake):
    citizen = await register(intake)
    assert (await post(intake, citizen, key="reuse")).status_code == 202
    other = {**BODY, "data": {"reason": "hilang"}}
    response = await post(intake, citizen, body=other, key="reuse")
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["title"]


async def test_the_same_key_while_the_first_is_in_flight_gets_409(intake):
    citizen = await register(intake)
    store = intake.app.state.idempotency
    record = store.begin(citizen.id, "busy")
    try:
        response = await post(intake, citizen, key="busy")
    finally:
        store.end(record)
    assert response.status_code == 409
    assert response.headers["retry-after"] == "1"


async def test_another_citizens_same_key_is_their_own_application_never_a_replay(intake):
    wulan, budi = await register(intake), await register(intake)
    hers = await post(intake, wulan, key="shared-key")
    his = await post(intake, budi, key="shared-key")
    assert hers.status_code == his.status_code == 202
    assert "idempotent-replayed" not in his.headers
    assert his.json()["id"] != hers.json()["id"]
    again = await post(intake, budi, key="shared-key")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == his.json()["id"]


async def test_a_bad_form_with_a_key_stores_nothing_and_the_key_stays_free(intake):
    citizen = await register(intake)
    bad = await post(intake, citizen, body={**BODY, "data": {}}, key="first-try")
    assert bad.status_code == 422
    fixed = await post(intake, citizen, key="first-try")
    assert fixed.status_code == 202
    assert "idempotent-replayed" not in fixed.headers


async def test_server_owned_fields_and_bad_form_data_are_refused_field_by_field(intake):
    citizen = await register(intake)
    for field, value in (("status", "approved"), ("id", "x"), ("tracking_number", "1")):
        response = await post(intake, citizen, body={**BODY, field: value})
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["field"] == field
    bad = await post(intake, citizen, body={**BODY, "data": {"family_card_number": "12"}})
    assert bad.status_code == 422
    fields = {error["field"] for error in bad.json()["errors"]}
    assert fields == {"data.reason", "data.family_card_number"}
    unknown = await post(intake, citizen, body={**BODY, "service": "no-such"})
    assert unknown.json()["errors"] == [{"field": "service", "message": "unknown service"}]


async def test_a_citizen_never_sees_anothers_application(intake):
    owner, other = await register(intake), await register(intake)
    accepted = await submit(intake, owner)
    url = f"/api/v1/applications/{accepted['id']}"
    assert (await intake.get(url, headers=other.headers)).status_code == 404
    assert (await intake.post(f"{url}/cancel", headers=other.headers)).status_code == 404
    assert (await intake.get("/api/v1/applications", headers=other.headers)).json() == []


async def test_a_counter_officer_submits_for_a_citizen_and_the_channel_is_recorded(intake):
    citizen = await register(intake)
    await intake.identity.state.accounts.staff.add(
        "loket-3576-01", "counter", "sandi-loket-3576", region="3576"
    )
    officer_token = await sign_in(intake, "loket-3576-01", "sandi-loket-3576")
    officer = {"Authorization": f"Bearer {officer_token}", "Idempotency-Key": "c-1"}
    body = {**BODY, "citizen_nik": citizen.nik, "channel": "web"}
    response = await intake.post("/api/v1/applications", json=body, headers=officer)
    assert response.status_code == 202, response.text
    stored = await intake.app.state.runtime.db["applications"].find_one(
        {"_id": response.json()["id"]}
    )
    assert (stored["channel"], stored["operator_id"]) == ("counter", "loket-3576-01")
    assert stored["citizen_id"] == citizen.id
    view = await intake.get(f"/api/v1/applications/{stored['_id']}", headers=citizen.headers)
    assert view.json()["channel"] == "counter"
    as_citizen = await post(intake, citizen, body={**BODY, "channel": "kiosk"})
    assert as_citizen.status_code == 403


async def publish_status(intake, accepted, citizen, to, sequence, **fields):
    runtime = intake.app.state.runtime
    event = StatusChanged(
        source="routing",
        subject=accepted["id"],
        correlation_id="test",
        data=StatusChangedData(
            application_id=accepted["id"],
            tracking_number=accepted["tracking_number"],
            service="ktp-el",
            region="3576",
            citizen_id=citizen.id,
            to_status=to,
            sequence=sequence,
            actor="agency",
            **fields,
        ),
    )
    await runtime.broker.publish(encode(event), runtime.topics.status, key=accepted["id"].encode())

    async def status() -> str:
        url = f"/api/v1/applications/{accepted['id']}"
        return (await intake.get(url, headers=citizen.headers)).json()["status"]

    await eventually(status, timeout=20, until=lambda found: found == to)


async def test_cancel_and_answers_reach_the_citizen_actions_topic_when_the_status_allows(intake):
    citizen = await register(intake)
    accepted = await submit(intake, citizen)
    url = f"/api/v1/applications/{accepted['id']}"
    early = await intake.post(f"{url}/responses", json={"data": {}}, headers=citizen.headers)
    assert early.status_code == 409

    await publish_status(
        intake, accepted, citizen, "needs_info", 1, requested_fields=["family_card_number"]
    )
    view = (await intake.get(url, headers=citizen.headers)).json()
    assert view["timeline"][-1]["requested_fields"] == ["family_card_number"]
    invalid = {"data": {"family_card_number": "12"}}
    bad = await intake.post(f"{url}/responses", json=invalid, headers=citizen.headers)
    assert bad.status_code == 422
    answer = {"data": {"family_card_number": "3576010101010001"}, "note": "sudah"}
    answered = await intake.post(f"{url}/responses", json=answer, headers=citizen.headers)
    assert answered.status_code == 202, answered.text

    cancelled = await intake.post(
        url + "/cancel", json={"reason": "salah"}, headers=citizen.headers
    )
    assert cancelled.status_code == 202
    again = await intake.post(url + "/cancel", headers=citizen.headers)
    assert again.status_code == 202

    runtime = intake.app.state.runtime

    async def actions() -> list:
        events = await read_topic(
            runtime.settings.kafka_bootstrap, runtime.topics.citizen_actions, 1, 5
        )
        return [e for e in events if e.subject == accepted["id"]]

    found = await eventually(actions, timeout=20, until=lambda events: len(events) >= 2)
    assert [type(event) for event in found] == [InformationProvided, CancellationRequested]
    # The family card number is a personal answer: it travels sealed under the citizen's key.
    assert "3576010101010001" not in str(found[0].data.form)
    assert await runtime.personal.open_all(found[0].data.form, citizen.id) == {
        "family_card_number": "3576010101010001"
    }
    assert found[1].data.reason == "salah"

    await publish_status(intake, accepted, citizen, "completed", 2)
    late = await intake.post(url + "/cancel", headers=citizen.headers)
    assert late.status_code == 409
    assert late.json()["current_status"] == "completed"


async def test_a_burst_of_submissions_each_gets_its_own_number_and_event_and_a_retry_its_answer(
    intake,
):
    citizen = await register(intake)
    first = await post(intake, citizen, key="first")
    assert first.status_code == 202
    keys = [f"burst-{n}" for n in range(24)]
    answers = await asyncio.gather(
        *(post(intake, citizen, key=key) for key in keys),
        post(intake, citizen, key="first"),  # a retry caught up in the same burst
    )
    *fresh, retried = answers
    assert [answer.status_code for answer in fresh] == [202] * 24
    assert retried.json() == first.json()
    assert retried.headers["idempotent-replayed"] == "true"
    numbers = {answer.json()["tracking_number"] for answer in (first, *fresh)}
    assert len(numbers) == 25
    runtime = intake.app.state.runtime
    assert await runtime.db["applications"].count_documents({"citizen_id": citizen.id}) == 25

    ids = {answer.json()["id"] for answer in (first, *fresh)}

    async def events() -> list:
        found = await read_topic(runtime.settings.kafka_bootstrap, runtime.topics.submitted, 25)
        return [event.subject for event in found if event.subject in ids]

    delivered = await eventually(events, timeout=30, until=lambda found: len(found) >= 25)
    assert sorted(delivered) == sorted(ids)
