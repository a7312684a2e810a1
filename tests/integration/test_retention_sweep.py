"""The retention sweepers against the real database: given a moment, a pass removes
exactly the rows whose class's period has run out at that moment, with what depends on
them, and nothing else; the dry run counts the same rows first."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gridfs import AsyncGridFSBucket

from services.identity.retention import create_retention_indexes as create_identity_indexes
from services.identity.retention import retention_sweeps as identity_sweeps
from services.intake.retention import create_retention_indexes, retention_sweeps
from services.notify.retention import retention_sweeps as notify_sweeps
from services.routing.retention import retention_sweeps as routing_sweeps
from shared.mongo import make_mongo
from shared.retention_sweep import RetentionSweeper
from shared.settings import Settings

NOW = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def past(days: int) -> datetime:
    """Just past a period of ``days``: expired at NOW."""
    return NOW - timedelta(days=days) - SECOND


def inside(days: int) -> datetime:
    """Just inside a period of ``days``: kept at NOW."""
    return NOW - timedelta(days=days) + SECOND


@pytest.fixture
async def mongo(settings: Settings, monkeypatch) -> AsyncIterator[Any]:
    client = make_mongo(settings, "retention-test")
    yield client
    await client.close()


@pytest.fixture
def small_batches(stack_env, monkeypatch) -> Settings:
    """Batches of two rows, so a pass pages through several."""
    for key, value in {**stack_env, "MPP_RETENTION_BATCH": "2"}.items():
        monkeypatch.setenv(key, value)
    return Settings()


async def ids(collection: Any) -> set[Any]:
    return {row["_id"] for row in await collection.find({}, {"_id": 1}).to_list(None)}


def application(id_: str, status: str, citizen: str, **fields: Any) -> dict[str, Any]:
    return {"_id": id_, "status": status, "citizen_id": citizen, "documents": [], **fields}


async def upload(db: Any, owner: str, sha256: str, uploaded_at: datetime) -> Any:
    bucket = AsyncGridFSBucket(db, bucket_name="documents")
    metadata = {"owner": owner, "sha256": sha256, "uploaded_at": uploaded_at}
    return await bucket.upload_from_stream(f"{sha256}.pdf", b"%PDF-1.4 x", metadata=metadata)


async def test_intakes_sweep_removes_exactly_what_has_expired(small_batches, mongo):
    settings = small_batches
    decided = settings.retain_applications_decided_days
    withdrawn = settings.retain_applications_withdrawn_days
    documents = settings.retain_documents_days
    db = mongo[settings.database_name("intake")]
    await create_retention_indexes(db)
    await db["applications"].insert_many(
        [
            application(
                "completed-past",
                "completed",
                "ana",
                status_at=past(decided),
                documents=[{"sha256": "a" * 64}],
            ),
            application(
                "rejected-inside",
                "rejected",
                "ana",
                status_at=inside(decided),
                documents=[{"sha256": "b" * 64}],
            ),
            application("cancelled-past", "cancelled", "budi", status_at=past(withdrawn)),
            application("cancelled-inside", "cancelled", "budi", status_at=inside(withdrawn)),
            application("in-review-old", "in_review", "budi", status_at=past(3 * decided)),
            application("approved-old", "approved", "budi", status_at=past(3 * decided)),
            # stored before status_at: aged by the timeline's last change
            application(
                "legacy-past",
                "rejected",
                "cici",
                timeline=[{"at": past(decided + 30)}, {"at": past(decided)}],
            ),
            application(
                "legacy-inside",
                "rejected",
                "cici",
                timeline=[{"at": past(decided + 30)}, {"at": inside(decided)}],
            ),
        ]
    )
    await upload(db, "ana", "a" * 64, past(3 * documents))  # its application is swept
    named_document = await upload(db, "ana", "b" * 64, past(3 * documents))
    await upload(db, "dedi", "c" * 64, past(documents))  # named by no application
    orphan_inside = await upload(db, "dedi", "d" * 64, inside(documents))
    sweeper = RetentionSweeper("intake", db, settings, retention_sweeps(db))

    findings = {f.sweep.label: f.expired for f in await sweeper.survey(NOW)}
    removed = await sweeper.sweep_once(NOW)

    assert removed == {
        "applications-decided/applications": 2,
        "applications-withdrawn/applications": 1,
        "documents/documents.files": 2,
    }
    # the dry run saw the same, except the document its application's sweep set free
    assert findings["documents/documents.files"] == 1
    assert {k: v for k, v in findings.items() if k.startswith("app")} == {
        k: v for k, v in removed.items() if k.startswith("app")
    }
    assert await ids(db["applications"]) == {
        "rejected-inside",
        "cancelled-inside",
        "in-review-old",
        "approved-old",
        "legacy-inside",
    }
    assert await ids(db["documents.files"]) == {named_document, orphan_inside}
    chunks = {row["files_id"] for row in await db["documents.chunks"].find().to_list(None)}
    assert chunks == {named_document, orphan_inside}
    assert set((await sweeper.sweep_once(NOW)).values()) == {0}  # nothing left to remove


async def test_identitys_sweep_removes_a_closed_account_after_its_grace_with_its_sessions(
    small_batches, mongo
):
    settings = small_batches
    closed = settings.retain_accounts_closed_days
    db = mongo[settings.database_name("identity")]
    await create_identity_indexes(db)
    await db["accounts"].insert_many(
        [
            {"_id": "acc-gone", "closed_at": past(closed)},
            {"_id": "acc-grace", "closed_at": inside(closed)},
            {"_id": "acc-open", "created_at": past(3650)},
        ]
    )
    await db["sessions"].insert_many(
        [
            {"_id": "fam-gone", "account_id": "acc-gone"},
            {"_id": "fam-open", "account_id": "acc-open"},
        ]
    )
    await db["refresh_tokens"].insert_many(
        [{"_id": "tok-gone", "family_id": "fam-gone"}, {"_id": "tok-open", "family_id": "fam-open"}]
    )
    sweeper = RetentionSweeper("identity", db, settings, identity_sweeps(db))

    findings = {f.sweep.label: f.expired for f in await sweeper.survey(NOW)}
    removed = await sweeper.sweep_once(NOW)

    assert removed == {"accounts/accounts": 1}
    assert findings == removed
    assert await ids(db["accounts"]) == {"acc-grace", "acc-open"}
    assert await ids(db["sessions"]) == {"fam-open"}
    assert await ids(db["refresh_tokens"]) == {"tok-open"}
    assert set((await sweeper.sweep_once(NOW)).values()) == {0}


async def test_routing_and_notify_sweeps_remove_exactly_what_has_expired(small_batches, mongo):
    settings = small_batches
    decided = settings.retain_applications_decided_days
    letters = settings.retain_dead_letters_days
    notices = settings.retain_notices_days
    routing = mongo[settings.database_name("routing")]
    await routing["applications"].insert_many(
        [
            application("completed-past", "completed", "ana", updated_at=past(decided)),
            application("completed-inside", "completed", "ana", updated_at=inside(decided)),
            application("received-old", "received", "ana", updated_at=past(3 * decided)),
        ]
    )
    result_file = await AsyncGridFSBucket(routing, bucket_name="results").upload_from_stream(
        "hasil.pdf", b"%PDF-1.4 result"
    )
    await routing["results"].insert_one(
        {"_id": "MPP-AAAA-BBBB-CCCC", "application_id": "completed-past", "file_id": result_file}
    )
    await routing["workbench_notes"].insert_many(
        [
            {"_id": "note-gone", "application_id": "completed-past"},
            {"_id": "note-kept", "application_id": "completed-inside"},
        ]
    )
    await routing["deliveries"].insert_many(
        [
            {"_id": "d-of-swept", "application_id": "completed-past", "state": "delivered"},
            {"_id": "d-failed-past", "application_id": "received-old", "state": "failed"}
            | {"finished_at": past(letters)},
            {"_id": "d-failed-inside", "application_id": "received-old", "state": "failed"}
            | {"finished_at": inside(letters)},
            {"_id": "d-delivered-old", "application_id": "received-old", "state": "delivered"}
            | {"finished_at": past(3 * letters)},
        ]
    )
    notify = mongo[settings.database_name("notify")]
    await notify["notifications"].insert_many(
        [
            {"_id": "n-past", "citizen_id": "ana", "created_at": past(notices)},
            {"_id": "n-inside", "citizen_id": "ana", "created_at": inside(notices)},
        ]
    )
    await notify["deliveries"].insert_many(
        [
            {"_id": "nd-delivered-past", "status": "delivered", "created_at": past(notices)},
            {"_id": "nd-failed-past", "status": "technical-failure", "created_at": past(notices)},
            {"_id": "nd-delivered-inside", "status": "delivered", "created_at": inside(notices)},
            {"_id": "nd-sending-old", "status": "sending", "created_at": past(3 * notices)},
        ]
    )
    await notify["surveys"].insert_many(
        [
            {"_id": "s-past", "citizen_id": "ana", "invited_at": past(notices)},
            {"_id": "s-inside", "citizen_id": "ana", "invited_at": inside(notices)},
        ]
    )
    await notify["survey_answers"].insert_one({"_id": "answer", "month": "2020-01"})

    routed = await RetentionSweeper(
        "routing", routing, settings, routing_sweeps(routing)
    ).sweep_once(NOW)
    notified = await RetentionSweeper("notify", notify, settings, notify_sweeps(notify)).sweep_once(
        NOW
    )

    assert routed == {
        "applications-decided/applications": 1,
        "applications-withdrawn/applications": 0,
        "dead-letters/deliveries": 1,
    }
    assert await ids(routing["applications"]) == {"completed-inside", "received-old"}
    assert await ids(routing["deliveries"]) == {"d-failed-inside", "d-delivered-old"}
    assert await ids(routing["workbench_notes"]) == {"note-kept"}
    assert await ids(routing["results.files"]) == set()
    # the public register keeps the code (no personal data), the bytes are gone
    register = await routing["results"].find_one({"_id": "MPP-AAAA-BBBB-CCCC"})
    assert register["file_id"] is None
    assert notified == {
        "notices/notifications": 1,
        "notices/deliveries": 2,
        "notices/surveys": 1,
    }
    assert await ids(notify["notifications"]) == {"n-inside"}
    assert await ids(notify["deliveries"]) == {"nd-delivered-inside", "nd-sending-old"}
    assert await ids(notify["surveys"]) == {"s-inside"}
    assert await ids(notify["survey_answers"]) == {"answer"}  # anonymous: kept
