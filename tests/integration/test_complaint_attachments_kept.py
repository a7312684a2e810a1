"""A complaint's attachment is kept with the complaint, on the real broker and database:
intake's documents sweep, past the uploads' period, keeps the file an open complaint
names and removes another citizen's identical upload that no complaint of theirs names;
once the complaint closes (``complaint.closed`` on the complaints topic) its record gets
a TTL of the complaints' period, and when that record is gone the file is swept like any
upload no one names."""

import uuid
from datetime import timedelta

from services.intake.retention import retention_sweeps
from shared.events import ComplaintClosed, ComplaintClosedData, utcnow
from shared.ids import uuid7
from shared.retention_policy import COMPLAINT_DAYS
from shared.retention_sweep import RetentionSweeper
from tests.e2e.helpers import eventually, register
from tests.integration.routing_support import publish

PDF = b"%PDF-1.4\n% toilet rusak\n" + bytes(200) + b"\n%%EOF\n"


async def uploaded(intake, citizen) -> str:
    files = {"file": ("foto.pdf", PDF, "application/pdf")}
    answer = await intake.post("/api/v1/documents", files=files, headers=citizen.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["sha256"]


async def owners_of(db, sha: str) -> list[str]:
    found = db["documents.files"].find({"metadata.sha256": sha})
    return sorted([row["metadata"]["owner"] async for row in found])


async def test_an_open_complaint_keeps_its_attachment_and_only_its_owner_s(service_app, settings):
    intake = await service_app("intake")
    runtime = intake.app.state.runtime
    db = runtime.db
    owner, other = await register(intake), await register(intake)
    sha = await uploaded(intake, owner)
    assert await uploaded(intake, other) == sha  # the same bytes, another citizen's upload
    filed = await intake.post(
        "/api/v1/complaints",
        json={"text": "Toilet rusak", "service": "mpp", "region": "3576", "documents": [sha]},
        headers={**owner.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert filed.status_code == 202, filed.text
    complaint_id = filed.json()["id"]

    sweeper = RetentionSweeper("intake", db, settings, retention_sweeps(db))
    later = utcnow() + timedelta(days=settings.retain_documents_days + 1)
    await sweeper.sweep_once(later)
    assert await owners_of(db, sha) == [owner.id]  # the complaint keeps only its own

    closed = ComplaintClosed(
        source="routing",
        subject=complaint_id,
        region="3576",
        correlation_id=uuid7(),
        data=ComplaintClosedData(
            complaint_id=complaint_id, agency="mpp-3576", reason="no reply", closed_at=utcnow()
        ),
    )
    await publish(runtime, runtime.topics.complaints, closed)
    rows = db["complaint_files"]
    row = await eventually(
        lambda: rows.find_one({"complaint_id": complaint_id}), 20, lambda r: r and r["closed_at"]
    )
    assert row["owner"] == owner.id
    indexes = await rows.index_information()
    kept = [i.get("expireAfterSeconds") for i in indexes.values() if i["key"] == [("closed_at", 1)]]
    assert kept == [COMPLAINT_DAYS * 86400]

    await sweeper.sweep_once(later)
    assert await owners_of(db, sha) == [owner.id]  # closed, still within its period
    await rows.delete_many({"complaint_id": complaint_id})  # what the TTL index does then
    await sweeper.sweep_once(later)
    assert await owners_of(db, sha) == []
