"""Filing a complaint at intake, against the real database and broker: the filing is
published once per Idempotency-Key with the citizen's own attachments, and nobody files
about another citizen's application."""

import uuid

import pytest

from shared.events import ComplaintFiled
from tests.e2e.helpers import read_topic, register, running_intake, submit

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


async def file(intake, citizen, application_id: str, key: str | None, **body):
    headers = dict(citizen.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    payload = {"kind": "pengaduan", "text": "Belum ada kabar", **body}
    return await intake.post(
        f"/api/v1/applications/{application_id}/complaints", json=payload, headers=headers
    )


async def test_a_replayed_filing_names_the_same_complaint_and_carries_the_attachment(intake):
    citizen = await register(intake)
    accepted = await submit(intake, citizen)
    files = {"file": ("bukti.pdf", PDF, "application/pdf")}
    uploaded = await intake.post("/api/v1/documents", files=files, headers=citizen.headers)
    assert uploaded.status_code == 201, uploaded.text
    sha = uploaded.json()["sha256"]
    key = str(uuid.uuid4())

    first = await file(intake, citizen, accepted["id"], key, documents=[sha], confidential=True)
    again = await file(intake, citizen, accepted["id"], key, documents=[sha], confidential=True)
    assert first.status_code == again.status_code == 202, first.text
    assert first.json()["id"] == again.json()["id"]
    other = await file(intake, citizen, accepted["id"], str(uuid.uuid4()))
    assert other.json()["id"] != first.json()["id"]

    runtime = intake.app.state.runtime
    events = await read_topic(runtime.settings.kafka_bootstrap, runtime.topics.citizen_actions, 3)
    filed = [e for e in events if isinstance(e, ComplaintFiled)]
    mine = [e for e in filed if e.data.complaint_id == first.json()["id"]]
    assert mine
    assert mine[0].data.documents[0].sha256 == sha
    assert mine[0].data.confidential
    assert mine[0].data.citizen_id == citizen.id


async def test_nobody_files_about_another_citizens_application_or_without_a_key(intake):
    owner, stranger = await register(intake), await register(intake)
    accepted = await submit(intake, owner)
    foreign = await file(intake, stranger, accepted["id"], str(uuid.uuid4()))
    assert foreign.status_code == 404
    assert foreign.headers["content-type"] == "application/problem+json"
    keyless = await file(intake, owner, accepted["id"], None)
    assert keyless.status_code == 400
    theirs = await intake.post(
        "/api/v1/documents", files={"file": ("x.pdf", PDF)}, headers=stranger.headers
    )
    sha = theirs.json()["sha256"]
    borrowed = await file(intake, owner, accepted["id"], str(uuid.uuid4()), documents=[sha])
    assert borrowed.status_code == 422


async def test_a_complaint_about_a_service_names_the_region_offering_it(intake):
    citizen = await register(intake)
    headers = {**citizen.headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"kind": "konsultasi", "text": "Syarat SKCK apa saja?", "service": "skck"}
    accepted = await intake.post(
        "/api/v1/complaints", json={**body, "region": "3576"}, headers=headers
    )
    assert accepted.status_code == 202, accepted.text
    elsewhere = await intake.post(
        "/api/v1/complaints",
        json={**body, "region": "9999"},
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["errors"][0]["field"] == "service"

    runtime = intake.app.state.runtime
    events = await read_topic(runtime.settings.kafka_bootstrap, runtime.topics.citizen_actions, 1)
    [filed] = [
        e
        for e in events
        if isinstance(e, ComplaintFiled) and e.data.complaint_id == accepted.json()["id"]
    ]
    assert (filed.data.about, filed.data.service, filed.data.region) == ("service", "skck", "3576")
    assert filed.data.application_id is None
