"""Result documents: what the citizen came for, issued by the agency, checkable by anyone.

An agency uploads a result (PDF, JPEG or PNG) for one of its applications; it waits as a
*draft* until the agency approves or completes the application naming it, and is then
*issued* in the same transaction as the status change. Each upload gets a verification
code when it is stored, so a draft can already be printed on the paper: the code only
verifies once the document is issued, and says so when it has been revoked.

The bytes stay in routing's database (GridFS bucket ``results``), sealed under the data
key of the citizen the application is for (an issued KTP is the citizen's personal data
as much as their scan of it): a raw read or a backup of the bucket shows ciphertext, and
once the citizen erases their account nobody can open the file again — the download
answers 410. The register (collection ``results``, one row per code) holds only what
verification shows — issuing agency, service, date, hash of the plaintext, revocation —
so a paper copy still verifies after an erasure. Citizens download their results through
intake, which fetches them here server to server with short-lived signed fields
(:mod:`shared.document_links`) in the body, the way officers' forms open citizens'
documents.
"""

import hashlib
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import UploadFile
from gridfs import AsyncGridFSBucket
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.errors import Rejected
from shared.events import ResultDocument, utcnow
from shared.files import open_chunks, read_upload, safe_name
from shared.privacy.personal import Personal

__all__ = ["ResultStore", "UnknownResult", "drop_result_files", "new_code"]

_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud, typed from paper


def new_code() -> str:
    """``MPP-XXXX-XXXX-XXXX``: 12 symbols of 31, about 59 bits, so codes cannot be guessed."""
    symbols = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"MPP-{symbols[:4]}-{symbols[4:8]}-{symbols[8:]}"


def normalise_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    if cleaned.startswith("MPP"):
        cleaned = cleaned[3:]
    if len(cleaned) != 12:
        return code.strip().upper()
    return f"MPP-{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}"


class UnknownResult(Rejected, LookupError):
    """A report names a result document the agency never uploaded for that application."""


async def drop_result_files(db: AsyncDatabase, application_ids: list[Any]) -> None:
    """The bytes of the applications' result documents, past their retention period; the
    public register rows stay (without a file), so a paper handed out still verifies."""
    register = db["results"]
    files = await register.distinct(
        "file_id", {"application_id": {"$in": application_ids}, "file_id": {"$ne": None}}
    )
    if files:
        await db["results.chunks"].delete_many({"files_id": {"$in": files}})
        await db["results.files"].delete_many({"_id": {"$in": files}})
        await register.update_many(
            {"application_id": {"$in": application_ids}}, {"$set": {"file_id": None}}
        )


class ResultStore:
    def __init__(self, db: AsyncDatabase, limit_bytes: int, personal: Personal) -> None:
        self.bucket = AsyncGridFSBucket(db, bucket_name="results")
        self.files = db["results.files"]
        self.register = db["results"]
        self.limit = limit_bytes
        self.personal = personal

    async def create_indexes(self) -> None:
        await self.register.create_index(
            [("application_id", 1), ("sha256", 1)], unique=True, name="one_code_per_file"
        )
        await self.register.create_index("sha256")

    async def upload(
        self, agency: str, application_id: str, citizen_id: str | None, upload: UploadFile
    ) -> dict:
        """Store a draft result for one of the agency's applications, sealed under the
        key of its citizen ``citizen_id``; the same file twice is the same draft (and
        code)."""
        content, kind = await read_upload(upload, self.limit)
        digest = hashlib.sha256(content).hexdigest()
        existing = await self.register.find_one(
            {"application_id": application_id, "sha256": digest}
        )
        if existing is not None:
            return existing
        name = safe_name(upload.filename, "hasil")
        metadata = {"sha256": digest, "content_type": kind, "size": len(content)}
        stored = content
        if citizen_id:  # every application has its citizen; sealed under their key
            stored = await self.personal.seal_bytes(citizen_id, content)
            metadata |= {"owner": citizen_id, "sealed": True}
        file_id = await self.bucket.upload_from_stream(digest, stored, metadata=metadata)
        row = {
            "_id": new_code(),
            "application_id": application_id,
            "agency": agency,
            "sha256": digest,
            "name": name,
            "content_type": kind,
            "size": len(content),
            "file_id": file_id,
            "state": "draft",
            "uploaded_at": utcnow(),
            "issued_at": None,
            "revoked_at": None,
        }
        try:
            await self.register.insert_one(row)
        except DuplicateKeyError:  # the same file uploaded twice at once
            await self.bucket.delete(file_id)
            found = await self.register.find_one(
                {"application_id": application_id, "sha256": digest}
            )
            assert found is not None
            return found
        return row

    async def drafts(
        self, agency: str, application_id: str, hashes: list[str]
    ) -> list[dict[str, Any]]:
        """The agency's uploads for this application, in the order named."""
        if not hashes:
            return []
        found = await self.register.find(
            {"application_id": application_id, "agency": agency, "sha256": {"$in": hashes}}
        ).to_list(None)
        by_hash = {row["sha256"]: row for row in found}
        missing = [h for h in hashes if h not in by_hash]
        if missing:
            raise UnknownResult(
                f"result documents {', '.join(h[:12] for h in missing)} were not uploaded "
                f"for application {application_id} by {agency}; upload them first with "
                f"POST /api/v1/agency/applications/{application_id}/results"
            )
        return [by_hash[h] for h in dict.fromkeys(hashes)]

    async def issue(
        self, rows: list[dict[str, Any]], at: datetime, session: AsyncClientSession
    ) -> list[ResultDocument]:
        """Mark drafts issued (inside the status change's transaction)."""
        issued = []
        for row in rows:
            if row["state"] != "draft":  # issued before, with an earlier change
                continue
            await self.register.update_one(
                {"_id": row["_id"], "state": "draft"},
                {"$set": {"state": "issued", "issued_at": at}},
                session=session,
            )
            issued.append(
                ResultDocument(
                    code=row["_id"],
                    sha256=row["sha256"],
                    name=row["name"],
                    content_type=row["content_type"],
                    size=row["size"],
                    issued_at=at,
                )
            )
        return issued

    async def find(self, code: str | None = None, sha256: str | None = None) -> dict | None:
        """An issued result by code or by the file's hash (drafts do not verify)."""
        query: dict[str, Any] = {"state": {"$in": ["issued", "revoked"]}}
        if code is not None:
            query["_id"] = normalise_code(code)
        elif sha256 is not None:
            query["sha256"] = sha256.lower()
        else:
            return None
        return await self.register.find_one(query)

    async def revoke(
        self, agency: str, code: str, reason: str, by: str, session: AsyncClientSession
    ) -> dict | None:
        return await self.register.find_one_and_update(
            {"_id": normalise_code(code), "agency": agency, "state": "issued"},
            {
                "$set": {
                    "state": "revoked",
                    "revoked_at": utcnow(),
                    "revoked_by": by,
                    "revocation_reason": reason,
                }
            },
            session=session,
            return_document=ReturnDocument.AFTER,
        )

    async def open(self, row: dict) -> AsyncIterator[bytes] | None:
        """The result's plaintext; None once its citizen's key is gone (erased)."""
        found = await self.files.find_one({"_id": row["file_id"]}, {"metadata": 1})
        chunks = await open_chunks(self.bucket, row["file_id"])
        metadata = (found or {}).get("metadata") or {}
        if not metadata.get("sealed"):
            return chunks  # stored before results were sealed
        sealed = b"".join([chunk async for chunk in chunks])
        plain = await self.personal.open_bytes(metadata["owner"], sealed)
        if plain is None:
            return None

        async def once() -> AsyncIterator[bytes]:
            yield plain

        return once()
