"""The chained log in the real database: tampering is found where it happened, and an
export verifies away from the platform until one byte of it changes."""

import asyncio
import itertools

import pytest
from aiokafka import ConsumerRecord
from pymongo import AsyncMongoClient

from ops.cli import main as mpp
from services.audit.checkpoints import Checkpoints
from services.audit.export import export_lines
from services.audit.log import AuditLog
from services.audit.signing import load_signer, public_key_text
from services.audit.verification import verify_export, verify_store
from shared.events import ApplicationSubmitted, SubmittedData, encode, utcnow

_offsets = itertools.count()


def consumed(application_id: str) -> ConsumerRecord:
    event = ApplicationSubmitted(
        source="intake",
        subject=application_id,
        region="3576",
        correlation_id=application_id,
        data=SubmittedData(
            application_id=application_id,
            tracking_number=f"3576-{application_id}",
            service="ktp-el",
            region="3576",
            channel="web",
            citizen_id="citizen-1",
            submitted_at=utcnow(),
        ),
    )
    return ConsumerRecord(
        "mpp.applications.submitted", 0, next(_offsets), 0, 0, None, encode(event), None, 0, 0, []
    )


@pytest.fixture
async def audit_db(settings):
    client = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
    db = client[settings.database_name("audit")]
    checkpoints = Checkpoints(db, load_signer(settings), interval=10)
    log = AuditLog(db, checkpoints)
    await log.create_indexes()
    for start in range(0, 30, 10):
        await log.append([consumed(f"app-{n}") for n in range(start, start + 10)])
    yield db, checkpoints
    await client.close()


async def test_a_redelivered_batch_adds_no_records(audit_db):
    db, checkpoints = audit_db
    log = AuditLog(db, checkpoints)
    batch = [consumed("app-new"), consumed("app-newer")]
    assert await log.append(batch) == 2
    assert await log.append([*batch, batch[0]]) == 0
    assert await db["records"].count_documents({}) == 32
    assert (await verify_store(db, checkpoints.signer.public_key)).ok


async def test_a_batch_with_a_redelivered_event_in_its_middle_stores_the_rest_once(audit_db):
    db, checkpoints = audit_db
    log = AuditLog(db, checkpoints)
    assert await log.append([consumed("app-x")]) == 1
    again = await db["records"].find_one({"subject": "app-x"})
    redelivered = ConsumerRecord(
        "mpp.applications.submitted", 0, 9999, 0, 0, None, again["event"].encode(), None, 0, 0, []
    )
    batch = [consumed("app-y"), redelivered, consumed("app-z")]
    assert await log.append(batch) == 2  # written without asking first, refused at app-x
    subjects = [r["subject"] async for r in db["records"].find({}).sort("_id", 1)]
    assert subjects[-3:] == ["app-x", "app-y", "app-z"]
    assert await log.head() == await log.head(exact=True)
    verdict = await verify_store(db, checkpoints.signer.public_key)
    assert (verdict.ok, verdict.checked) == (True, 33)


@pytest.mark.parametrize(
    ("tamper", "first_invalid"),
    [
        ("modify", 12),
        ("delete", 12),
        ("insert", 12),
        ("swap", 12),
    ],
)
async def test_tampering_with_a_stored_record_is_found_at_its_position(
    audit_db, settings, tamper, first_invalid
):
    db, checkpoints = audit_db
    records = db["records"]
    key = checkpoints.signer.public_key
    assert (await verify_store(db, key)).ok
    if tamper == "modify":
        await records.update_one({"_id": 12}, {"$set": {"event": "{}"}})
    elif tamper == "delete":
        await records.delete_one({"_id": 12})
    elif tamper == "insert":
        # shift records 12.. up by one and put a forged record at 12
        for seq in range(31, 12, -1):
            document = await records.find_one_and_delete({"_id": seq - 1})
            await records.insert_one({**document, "_id": seq, "seq": seq})
        forged = await records.find_one({"_id": 11})
        await records.insert_one({**forged, "_id": 12, "seq": 12, "event_id": "forged"})
    else:
        a, b = await records.find_one({"_id": 12}), await records.find_one({"_id": 13})
        await records.delete_many({"_id": {"$in": [12, 13]}})
        await records.insert_many([{**b, "_id": 12}, {**a, "_id": 13}])
    verdict = await verify_store(db, key)
    assert (verdict.ok, verdict.first_invalid) == (False, first_invalid), verdict


async def test_the_last_records_deleted_are_caught_by_the_signed_checkpoint(audit_db):
    db, checkpoints = audit_db
    await db["records"].delete_many({"_id": {"$gte": 25}})
    verdict = await verify_store(db, checkpoints.signer.public_key)
    assert (verdict.ok, verdict.first_invalid) == (False, 25)


async def test_an_export_verifies_offline_and_fails_after_one_byte_changes(audit_db, tmp_path):
    db, checkpoints = audit_db
    export = b"".join([block async for block in export_lines(db, checkpoints)])
    key = checkpoints.signer.public_key
    assert verify_export(export.splitlines(keepends=True), key).ok

    lines = export.splitlines(keepends=True)
    record_17 = next(
        i for i, line in enumerate(lines) if line.startswith(b'{"event"') and b'"seq":17,' in line
    )
    changed = bytearray(lines[record_17])
    changed[changed.index(b"ktp-el")] = ord("K")
    tampered = [*lines[:record_17], bytes(changed), *lines[record_17 + 1 :]]
    verdict = verify_export(tampered, key)
    assert (verdict.ok, verdict.first_invalid) == (False, 17)

    header = bytearray(export)
    header[header.index(b"exported_at") + 20] ^= 1
    assert not verify_export(bytes(header).splitlines(keepends=True), key).ok


async def test_mpp_audit_verify_exits_0_when_intact_and_1_naming_the_bad_record(
    audit_db, settings, tmp_path, capsys
):
    db, checkpoints = audit_db
    path = tmp_path / "export.jsonl"
    public = public_key_text(checkpoints.signer.public_key)

    def cli(*argv: str) -> int:
        with pytest.raises(SystemExit) as exited:
            mpp(list(argv))
        return exited.value.code

    assert await asyncio.to_thread(cli, "audit", "verify") == 0
    assert await asyncio.to_thread(cli, "audit", "export", "--output", str(path)) == 0
    assert (
        await asyncio.to_thread(cli, "audit", "verify", "--file", str(path), "--public-key", public)
        == 0
    )
    await db["records"].update_one({"_id": 9}, {"$set": {"offset": 12345}})
    assert await asyncio.to_thread(cli, "audit", "verify") == 1
    assert "INVALID at record 9" in capsys.readouterr().out
    path.write_bytes(path.read_bytes().replace(b'"seq":3,', b'"seq":4,', 1))
    assert (
        await asyncio.to_thread(cli, "audit", "verify", "--file", str(path), "--public-key", public)
        == 1
    )


async def test_two_writers_appending_in_turn_keep_one_unbroken_chain(audit_db):
    db, checkpoints = audit_db
    first, second = AuditLog(db, checkpoints), AuditLog(db, checkpoints)
    assert await first.append([consumed("app-a1")]) == 1
    assert await second.append([consumed(f"app-b{n}") for n in range(5)]) == 5
    assert await first.append([consumed("app-a2")]) == 1
    assert await first.head() == await first.head(exact=True)
    assert (await first.head())[0] == 37
    verdict = await verify_store(db, checkpoints.signer.public_key)
    assert (verdict.ok, verdict.checked) == (True, 37)
