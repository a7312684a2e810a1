"""Resumable uploads: a document sent in pieces that survive a dropped connection.

Every piece of :data:`PIECE` bytes is stored at once, in a transaction that inserts it
and moves the upload's offset only if it still is where the piece starts: a request cut
off keeps what it delivered, and two requests appending at the same offset cannot both
succeed. The first bytes are checked as they arrive, so a file of another type is
refused before the rest is sent. When the last byte is in, the pieces become a document
exactly as ``POST /api/v1/documents`` makes one (:meth:`DocumentStore.keep`); a
completion interrupted half way is finished by the next request that sees the upload.
An upload and its pieces expire ``MPP_UPLOAD_EXPIRY_HOURS`` after its last append.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from bson import Binary
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from starlette.requests import ClientDisconnect

from services.intake.documents import DocumentStore, document_type
from services.intake.refusals import (
    BeyondUploadLength,
    DocumentTooLarge,
    NoSuchUpload,
    OffsetMismatch,
    UploadExpired,
)
from shared.events import DocumentRef, utcnow
from shared.files import safe_name
from shared.ids import uuid7
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["PIECE", "Upload", "UploadStore"]

PIECE = 256 * 1024
"""Bytes stored per piece: what a cut-off request loses at most is nothing (the unfinished
piece is stored too), so this only sets the number of writes."""

_SNIFF = 8  # bytes that tell a PDF, JPEG or PNG apart

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Upload:
    id: str
    owner: str
    length: int
    offset: int
    filename: str
    created_at: datetime
    expires_at: datetime
    document: DocumentRef | None

    @property
    def complete(self) -> bool:
        return self.offset == self.length


def _upload(found: dict[str, Any]) -> Upload:
    document = found.get("document")
    return Upload(
        id=found["_id"],
        owner=found["owner"],
        length=found["length"],
        offset=found["offset"],
        filename=found["filename"],
        created_at=found["created_at"],
        expires_at=found["expires_at"],
        document=DocumentRef.model_validate(document) if document else None,
    )


class UploadStore:
    """Unfinished uploads in ``uploads``, their pieces in ``upload_chunks``."""

    def __init__(
        self,
        units: UnitsOfWork,
        db: AsyncDatabase,
        documents: DocumentStore,
        expiry: timedelta,
    ) -> None:
        self._units = units
        self.uploads = db["uploads"]
        self.chunks = db["upload_chunks"]
        self.documents = documents
        self.limit = documents.limit
        self.expiry = expiry

    async def create_indexes(self) -> None:
        await self.uploads.create_index("expires_at", expireAfterSeconds=0)
        await self.chunks.create_index("expires_at", expireAfterSeconds=0)
        await self.chunks.create_index([("upload_id", 1), ("offset", 1)])

    async def create(self, owner: str, length: int, filename: str | None) -> Upload:
        """A new, empty upload of ``length`` bytes; 413 past the document limit."""
        if length > self.limit:
            raise DocumentTooLarge(self.limit)
        now = utcnow()
        found = {
            "_id": uuid7(),
            "owner": owner,
            "length": length,
            "offset": 0,
            "filename": safe_name(filename),
            "created_at": now,
            "expires_at": now + self.expiry,
            "document": None,
        }
        await self.uploads.insert_one(found)
        log.info("upload created", upload_id=found["_id"], length=length)
        return _upload(found)

    async def find(self, owner: str, upload_id: str) -> Upload | None:
        """The caller's upload, finished if its last byte arrived; None for anyone else's
        (so an id tells a stranger nothing) and once it expired."""
        found = await self.uploads.find_one({"_id": upload_id, "owner": owner})
        if found is None or found["expires_at"] <= utcnow():
            return None
        upload = _upload(found)
        if upload.complete and upload.document is None:
            upload = await self._finish(upload)  # a completion cut short before
        return upload

    async def append(self, upload: Upload, offset: int, body: AsyncIterator[bytes]) -> Upload:
        """Store ``body`` from ``offset``, piece by piece; the upload as it now is. 409 when
        the upload is not at ``offset``, 413 past its length, 415 for a file of another
        type. A body cut off keeps every byte that arrived."""
        if offset != upload.offset:
            raise OffsetMismatch(upload.offset, offset)
        expires_at = utcnow() + self.expiry
        await self.uploads.update_one({"_id": upload.id}, {"$set": {"expires_at": expires_at}})
        await self.chunks.update_many(
            {"upload_id": upload.id}, {"$set": {"expires_at": expires_at}}
        )
        position, buffer = offset, bytearray()
        try:
            async for data in body:
                buffer += data
                if position + len(buffer) > upload.length:
                    raise BeyondUploadLength(upload.length)
                while len(buffer) >= PIECE:
                    position = await self._piece(
                        upload, position, bytes(buffer[:PIECE]), expires_at
                    )
                    del buffer[:PIECE]
        except ClientDisconnect:
            log.info("upload cut off", upload_id=upload.id, stored=position + len(buffer))
        if buffer:
            position = await self._piece(upload, position, bytes(buffer), expires_at)
        now = _upload(await self._current(upload.id))
        if now.complete and now.document is None:
            now = await self._finish(now)
        return now

    async def _current(self, upload_id: str) -> dict[str, Any]:
        found = await self.uploads.find_one({"_id": upload_id})
        if found is None:
            raise NoSuchUpload(upload_id)
        return found

    async def _piece(self, upload: Upload, offset: int, data: bytes, expires_at: datetime) -> int:
        """Store one piece at ``offset`` and move the upload past it, in one transaction;
        the new offset."""
        if offset == 0 and len(data) >= min(_SNIFF, upload.length):
            document_type(data[:_SNIFF])  # another type is refused before the rest is sent
        end = offset + len(data)
        # Each piece rests sealed under the owner's key, like the finished document.
        sealed = await self.documents.personal.seal_bytes(upload.owner, data)

        async def work(tx: Transaction) -> None:
            await self.chunks.insert_one(
                {
                    "_id": f"{upload.id}:{offset:012d}",
                    "upload_id": upload.id,
                    "offset": offset,
                    "data": Binary(sealed),
                    "expires_at": expires_at,
                },
                session=tx.session,
            )
            moved = await self.uploads.update_one(
                {"_id": upload.id, "offset": offset},
                {"$set": {"offset": end, "expires_at": expires_at}},
                session=tx.session,
            )
            if moved.matched_count != 1:
                raise DuplicateKeyError("the upload moved on")

        try:
            await self._units.run(work)
        except DuplicateKeyError:  # another request appended here first
            current = await self._current(upload.id)
            raise OffsetMismatch(current["offset"], offset) from None
        return end

    async def _finish(self, upload: Upload) -> Upload:
        """Join the pieces into a document (the checks of a one-request upload), keep its
        reference with the upload, delete the pieces."""
        pieces = await self.chunks.find({"upload_id": upload.id}).sort("offset", 1).to_list(None)
        opened = [
            await self.documents.personal.open_bytes(upload.owner, bytes(piece["data"]))
            for piece in pieces
        ]
        content = b"".join(piece or b"" for piece in opened)  # a lost key: too short, 410
        if len(content) != upload.length:
            await self.delete(upload)
            raise UploadExpired(upload.id)
        document = await self.documents.keep(upload.owner, upload.filename, content)
        await self.uploads.update_one(
            {"_id": upload.id},
            {"$set": {"document": document.model_dump(), "completed_at": utcnow()}},
        )
        await self.chunks.delete_many({"upload_id": upload.id})
        log.info("upload completed", upload_id=upload.id, size=upload.length)
        return Upload(**{**upload.__dict__, "document": document})

    async def delete(self, upload: Upload) -> None:
        await self.uploads.delete_one({"_id": upload.id})
        await self.chunks.delete_many({"upload_id": upload.id})
