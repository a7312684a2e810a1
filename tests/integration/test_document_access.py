"""An officer opening a citizen's document is an access to their data: intake records it
on the access topic, audit logs it, and the citizen reads it in "who accessed my data"
(real broker and database)."""

import uuid
from urllib.parse import urlsplit

from aiokafka import AIOKafkaConsumer

from services.routing.web.routes import document_forms
from shared.events import DataAccessed, decode
from tests.e2e.helpers import eventually, register

PDF = b"%PDF-1.7\n" + b"7" * 2000
AGENCY = "disdukcapil-3576"


async def access_records(bootstrap: str, topic: str) -> list:
    """Every record on the access topic so far, with its headers."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=3000)
        return [record for records in batches.values() for record in records]
    finally:
        await consumer.stop()


async def test_an_officer_opening_a_document_shows_in_the_citizens_access_log(
    service_app, settings
):
    intake = await service_app("intake")
    audit = await service_app("audit")
    citizen = await register(intake, name="Siti Aminah")
    uploaded = await intake.post(
        "/api/v1/documents",
        files={"file": ("akta kelahiran.pdf", PDF, "application/pdf")},
        headers=citizen.headers,
    )
    sha256 = uploaded.json()["sha256"]
    accepted = await intake.post(
        "/api/v1/applications",
        json={
            "service": "ktp-el",
            "region": "3576",
            "data": {"reason": "baru"},
            "documents": [sha256],
        },
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert accepted.status_code == 202, accepted.text
    application_id = accepted.json()["id"]

    item = {"id": application_id, "agency": AGENCY, "documents": [{"sha256": sha256}]}
    form = document_forms(settings, item, "Bripka Andi")[sha256]
    opened = await intake.post(urlsplit(form.action).path, data=form.fields)
    assert opened.status_code == 200
    assert opened.content == PDF

    log = await eventually(
        lambda: audit.get("/api/v1/me/access-log", headers=citizen.headers),
        timeout=30,
        until=lambda answer: any(
            entry["actor_id"] == f"{AGENCY}/Bripka Andi" for entry in answer.json()["items"]
        ),
    )
    entry = next(e for e in log.json()["items"] if e["actor_id"] == f"{AGENCY}/Bripka Andi")
    assert entry["application_id"] == application_id
    assert entry["actor_kind"] == "officer"
    assert entry["agency"] == AGENCY
    assert "akta kelahiran.pdf" in entry["purpose"]

    topic = intake.app.state.runtime.topics.access
    records = await access_records(settings.kafka_bootstrap, topic)
    opening = [r for r in records if isinstance(decode(r.value), DataAccessed)]
    assert [r.key for r in opening] == [application_id.encode()]
    header_text = " ".join(f"{k}={v.decode()}" for k, v in opening[0].headers)
    for personal in ("Bripka", "Andi", "Siti", "akta"):
        assert personal not in header_text
