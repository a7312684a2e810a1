"""Supporting documents: PDF, JPEG or PNG, kept in GridFS, referenced by SHA-256.

The type is read from the first bytes (a ``.pdf`` name on an executable is refused);
the bytes stay in intake's database and only a :class:`DocumentRef` (hash, name, type,
size) travels in events — documents never go on Kafka. A citizen who uploads the same
file twice gets the same reference.
"""

import hashlib
import re
from typing import Any

from fastapi import UploadFile
from gridfs import AsyncGridFSBucket
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import DocumentRef, utcnow
from shared.problems import Problem

__all__ = ["DocumentStore", "sniff_type"]

_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
_CHUNK = 256 * 1024


def sniff_type(head: bytes) -> str | None:
    """The content type from the file's signature, or None when it is not allowed."""
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def _safe_name(name: str | None) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip() or "dokumen"
    return cleaned[:120]


class DocumentStore:
    def __init__(self, db: AsyncDatabase, limit_bytes: int) -> None:
        self.bucket = AsyncGridFSBucket(db, bucket_name="documents")
        self.files = db["documents.files"]
        self.limit = limit_bytes

    async def create_indexes(self) -> None:
        await self.files.create_index([("metadata.owner", 1), ("metadata.sha256", 1)])

    async def upload(self, owner: str, upload: UploadFile) -> DocumentRef:
        content = bytearray()
        while chunk := await upload.read(_CHUNK):
            content += chunk
            if len(content) > self.limit:
                raise Problem(
                    413,
                    "Dokumen terlalu besar / Document too large",
                    f"A document may be at most {self.limit // 1_048_576} MB; "
                    "scan at a lower resolution or split it.",
                )
        kind = sniff_type(bytes(content[:8]))
        if kind is None:
            raise Problem(
                415,
                "Jenis dokumen tidak didukung / Unsupported document type",
                "Unggah PDF, JPEG atau PNG / Upload a PDF, JPEG or PNG file "
                "(the type is read from the file's content, not its name).",
            )
        digest = hashlib.sha256(content).hexdigest()
        name = _safe_name(upload.filename)
        existing = await self.files.find_one({"metadata.owner": owner, "metadata.sha256": digest})
        if existing is None:
            metadata: dict[str, Any] = {
                "owner": owner,
                "sha256": digest,
                "content_type": kind,
                "name": name,
                "uploaded_at": utcnow(),
            }
            await self.bucket.upload_from_stream(name, bytes(content), metadata=metadata)
        else:
            name = existing["metadata"]["name"]
        return DocumentRef(sha256=digest, name=name, content_type=kind, size=len(content))

    async def resolve(self, owner: str, hashes: list[str]) -> list[DocumentRef]:
        """References for the caller's own uploads; 422 naming any hash not found."""
        if not hashes:
            return []
        found = await self.files.find(
            {"metadata.owner": owner, "metadata.sha256": {"$in": hashes}}
        ).to_list(None)
        by_hash = {f["metadata"]["sha256"]: f for f in found}
        missing = [h for h in hashes if h not in by_hash]
        if missing:
            raise Problem(
                422,
                "Dokumen tidak ditemukan / Document not found",
                "Unggah dokumen dulu lewat POST /api/v1/documents / Upload documents first "
                "with POST /api/v1/documents, then send their sha256.",
                errors=[
                    {"field": f"documents.{hashes.index(h)}", "message": "not uploaded"}
                    for h in missing
                ],
            )
        return [
            DocumentRef(
                sha256=h,
                name=by_hash[h]["metadata"]["name"],
                content_type=by_hash[h]["metadata"]["content_type"],
                size=by_hash[h]["length"],
            )
            for h in dict.fromkeys(hashes)
        ]
