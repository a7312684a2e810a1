"""Intake's retention sweeps (the periods and reasons: :mod:`shared.retention_policy`).

Decided and withdrawn
applications go whole (the read model, its form, applicant data and timeline); an
uploaded document goes once no remaining application or kept complaint of its owner
names it and it is older than a draft's life, its GridFS chunks first. Drafts expire by
their own TTL index.
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.intake.applications import ApplicationRepository
from services.intake.complaint_files import ComplaintFiles
from shared.retention_sweep import Rows, Sweep, plan_sweeps

__all__ = ["create_retention_indexes", "retention_sweeps"]


def retention_sweeps(db: AsyncDatabase) -> list[Sweep]:
    async def named_by_an_application(files: Rows) -> set[Any]:
        """Kept: a file an application or a kept complaint of its owner names."""
        owners = sorted({f["metadata"]["owner"] for f in files})
        hashes = sorted({f["metadata"]["sha256"] for f in files})
        named = await ApplicationRepository(db).documents_named(owners, hashes)
        named |= await ComplaintFiles(db).named(owners, hashes)
        return {
            f["_id"] for f in files if (f["metadata"]["owner"], f["metadata"]["sha256"]) in named
        }

    async def chunks(ids: list[Any]) -> None:
        await db["documents.chunks"].delete_many({"files_id": {"$in": ids}})

    return plan_sweeps(
        "intake",
        {
            ("documents", "documents.files"): {
                "projection": {"metadata.owner": 1, "metadata.sha256": 1},
                "keep": named_by_an_application,
                "cascade": chunks,
            },
        },
    )


async def create_retention_indexes(db: AsyncDatabase) -> None:
    """What the sweeps look up: expired rows by age, and a file's naming applications."""
    await db["applications"].create_index([("status", 1), ("status_at", 1)])
    await db["applications"].create_index([("citizen_id", 1), ("documents.sha256", 1)])
    await db["documents.files"].create_index("metadata.uploaded_at")
