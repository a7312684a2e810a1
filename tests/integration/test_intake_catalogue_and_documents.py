"""The catalogue API, document uploads, and the HTTP safety rules of intake."""

import hashlib
import uuid

import pytest

from shared.events import ApplicationSubmitted
from tests.e2e.helpers import eventually, read_topic, register, running_intake

PDF = b"%PDF-1.7\n" + b"0" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"1" * 500


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


async def test_the_catalogue_lists_regions_services_per_region_and_each_form(intake):
    regions = (await intake.get("/api/v1/regions")).json()
    assert {region["code"] for region in regions} == {"3514", "3574", "3576", "3671"}
    services = (await intake.get("/api/v1/services", params={"region": "3576"})).json()
    assert len(services) >= 12
    assert all("3576" in service["regions"] for service in services)
    detail = (await intake.get("/api/v1/services/ktp-el")).json()
    assert detail["form_schema"]["required"] == ["reason"]
    assert detail["agencies"]["3576"] == {
        "code": "disdukcapil-3576",
        "name": detail["agencies"]["3576"]["name"],
        "handler": "kafka",
    }
    assert detail["name"]["id"]
    assert detail["name"]["en"]
    kinds = {
        agency["handler"]
        for service in services
        for agency in (await intake.get(f"/api/v1/services/{service['code']}"))
        .json()["agencies"]
        .values()
    }
    assert kinds == {"kafka", "webhook", "workbench"}
    missing = await intake.get("/api/v1/services/no-such")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert (await intake.get("/api/v1/services", params={"region": "9999"})).status_code == 404


async def upload(intake, citizen, content, name="scan.pdf"):
    files = {"file": (name, content, "application/pdf")}
    return await intake.post("/api/v1/documents", files=files, headers=citizen.headers)


async def test_documents_are_typed_by_content_and_travel_in_events_only_by_hash(intake):
    citizen = await register(intake)
    uploaded = await upload(intake, citizen, PDF, name="../../ktp.pdf")
    assert uploaded.status_code == 201, uploaded.text
    ref = uploaded.json()
    assert ref["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert ref["content_type"] == "application/pdf"
    assert ref["name"] == "ktp.pdf"
    image = (await upload(intake, citizen, PNG, name="photo.pdf")).json()
    assert image["content_type"] == "image/png"
    disguised = await upload(intake, citizen, b"MZ\x90\x00 not a pdf", name="surat.pdf")
    assert disguised.status_code == 415

    body = {
        "service": "ktp-el",
        "region": "3576",
        "data": {"reason": "baru"},
        "documents": [ref["sha256"], image["sha256"]],
    }
    headers = {**citizen.headers, "Idempotency-Key": str(uuid.uuid4())}
    accepted = await intake.post("/api/v1/applications", json=body, headers=headers)
    assert accepted.status_code == 202, accepted.text
    runtime = intake.app.state.runtime

    async def submitted() -> list:
        events = await read_topic(runtime.settings.kafka_bootstrap, runtime.topics.submitted, 1, 5)
        return [e for e in events if e.subject == accepted.json()["id"]]

    [event] = await eventually(submitted, timeout=20)
    assert isinstance(event, ApplicationSubmitted)
    assert [d.sha256 for d in event.data.documents] == [ref["sha256"], image["sha256"]]

    stranger = await register(intake)
    headers = {**stranger.headers, "Idempotency-Key": str(uuid.uuid4())}
    theirs = await intake.post("/api/v1/applications", json=body, headers=headers)
    assert theirs.status_code == 422
    assert theirs.json()["errors"][0]["field"] == "documents.0"


async def test_a_document_over_10_mb_and_a_body_over_the_limit_get_413(intake):
    citizen = await register(intake)
    too_big = await upload(intake, citizen, b"%PDF-" + b"0" * (10 * 1_048_576))
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
    huge = {"service": "ktp-el", "region": "3576", "data": {"reason": "x" * 2_000_000}}
    headers = {**citizen.headers, "Idempotency-Key": "big"}
    response = await intake.post("/api/v1/applications", json=huge, headers=headers)
    assert response.status_code == 413


async def test_the_api_is_described_by_openapi_and_errors_are_problem_documents(intake):
    spec = (await intake.get("/openapi.json")).json()
    assert "/api/v1/applications" in spec["paths"]
    accounts = intake.identity.openapi()  # identity's API, on the same origin
    for path in ("/api/v1/accounts", "/api/v1/auth/token", "/api/v1/me"):
        assert path in accounts["paths"]
    assert (await intake.get("/docs")).status_code == 200
    for response in (
        await intake.get("/api/v1/nothing-here"),
        await intake.delete("/api/v1/regions"),
        await intake.post("/api/v1/accounts", content=b"{not json"),
    ):
        assert response.status_code in (404, 405, 422)
        assert response.headers["content-type"] == "application/problem+json"
