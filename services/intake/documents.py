"""Supporting documents: PDF, JPEG or PNG, kept in GridFS, referenced by SHA-256.

The type is read from the first bytes (a ``.pdf`` name on an executable is refused).
The bytes stay in intake's database; only a :class:`DocumentRef` (hash, name, type,
size) travels in events. A citizen who uploads the same file twice gets the same
reference.

Opening a citizen's document is reading their data, so each opening is recorded. An
officer posts the workbench's signed form (:mod:`shared.document_links`; the signature
in the body, never in a URL). Before intake streams the bytes it stages an
``application.accessed`` event through its outbox, in a transaction — the same type, on
the same topic, as routing's record of an officer reading an application — so a document
is never shown without its record, and the citizen sees it under "who accessed my data".
"""

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import structlog
from gridfs import AsyncGridFSBucket
from pydantic import SecretStr
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.applications import ApplicationRepository
from services.intake.refusals import (
    DocumentsNotUploaded,
    DocumentTooLarge,
    LinkNotValid,
    NotTheApplicationsDocument,
    UnsupportedDocumentType,
)
from shared import document_links
from shared.events import DataAccessed, DocumentRef, utcnow
from shared.files import open_chunks, safe_name, sniff_type
from shared.privacy.access import data_accessed
from shared.privacy.personal import ERASED, Personal
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = [
    "DocumentAccess",
    "DocumentStore",
    "LinkedDocument",
    "OpenLinkedDocument",
    "document_type",
    "open_linked_document",
]

log = structlog.get_logger(__name__)


def document_type(head: bytes) -> str:
    """The content type from a document's first bytes; refused unless a PDF, JPEG or PNG."""
    kind = sniff_type(head)
    if kind is None:
        raise UnsupportedDocumentType()
    return kind


class DocumentStore:
    """Citizens' uploads in GridFS, the bytes and the file name sealed under the owner's
    data key (``metadata.sealed``; ``metadata.size`` is the plaintext size): a raw read or
    a backup of the bucket shows ciphertext, and an erased citizen's files stay so.
    ``sha256`` (of the plaintext) names a document within its owner's uploads."""

    def __init__(self, db: AsyncDatabase, limit_bytes: int, personal: Personal) -> None:
        self.bucket = AsyncGridFSBucket(db, bucket_name="documents")
        self.files = db["documents.files"]
        self.limit = limit_bytes
        self.personal = personal

    async def create_indexes(self) -> None:
        await self.files.create_index([("metadata.owner", 1), ("metadata.sha256", 1)])

    async def keep(
        self, owner: str, filename: str | None, content: bytes, kind: str | None = None
    ) -> DocumentRef:
        """Store checked content once per owner, sealed under the owner's key (the same
        file twice: the first's reference); the checks of an upload are made here when
        ``kind`` is not given (a resumable upload's assembled bytes,
        :mod:`services.intake.uploads`)."""
        if kind is None:
            if len(content) > self.limit:
                raise DocumentTooLarge(self.limit)
            kind = document_type(content[:8])
        digest = hashlib.sha256(content).hexdigest()
        name = safe_name(filename)
        existing = await self.files.find_one({"metadata.owner": owner, "metadata.sha256": digest})
        if existing is None:
            metadata: dict[str, Any] = {
                "owner": owner,
                "sha256": digest,
                "content_type": kind,
                "name": await self.personal.seal(owner, name),
                "size": len(content),
                "sealed": True,
                "uploaded_at": utcnow(),
            }
            sealed = await self.personal.seal_bytes(owner, content)
            await self.bucket.upload_from_stream(digest, sealed, metadata=metadata)
        else:
            name = await self.file_name(existing)
        return DocumentRef(sha256=digest, name=name, content_type=kind, size=len(content))

    async def file_name(self, found: dict[str, Any]) -> str:
        name = await self.personal.open(found["metadata"]["name"], found["metadata"]["owner"])
        return name if isinstance(name, str) and name != ERASED else "dokumen"

    async def content(self, found: dict[str, Any]) -> AsyncIterator[bytes] | None:
        """A stored file's plaintext, None once its owner's key is gone."""
        chunks = await open_chunks(self.bucket, found["_id"])
        if not found["metadata"].get("sealed"):
            return chunks  # stored before documents were sealed
        sealed = b"".join([chunk async for chunk in chunks])
        plain = await self.personal.open_bytes(found["metadata"]["owner"], sealed)
        if plain is None:
            return None

        async def once() -> AsyncIterator[bytes]:
            yield plain

        return once()

    @staticmethod
    def size(found: dict[str, Any]) -> int:
        return int(found["metadata"].get("size", found["length"]))

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
            raise DocumentsNotUploaded(
                [
                    {"field": f"documents.{hashes.index(h)}", "message": "not uploaded"}
                    for h in missing
                ]
            )
        return [
            DocumentRef(
                sha256=h,
                name=await self.file_name(by_hash[h]),
                content_type=by_hash[h]["metadata"]["content_type"],
                size=self.size(by_hash[h]),
            )
            for h in dict.fromkeys(hashes)
        ]

    async def open_for_application(
        self, applications: ApplicationRepository, application_id: str, sha256: str
    ) -> tuple[dict[str, Any], dict[str, Any], AsyncIterator[bytes]] | None:
        """The application, the file and its bytes when ``sha256`` is one of that
        application's documents."""
        application = await applications.naming_document(application_id, sha256)
        if application is None:
            return None
        found = await self.files.find_one(
            {"metadata.owner": application["citizen_id"], "metadata.sha256": sha256}
        )
        if found is None:
            return None
        chunks = await self.content(found)
        if chunks is None:
            return None
        return application, found, chunks


class DocumentAccess:
    """Records officers' openings of citizens' documents, each in a unit of work."""

    def __init__(self, units: UnitsOfWork, topics: Topics) -> None:
        self.units = units
        self.topics = topics

    async def record(
        self, application: dict[str, Any], file_name: str, agency: str, officer: str
    ) -> DataAccessed:
        """Stage the access event and commit; the caller streams the document after."""
        what = file_name or "dokumen"
        accessed = data_accessed(
            "intake",
            application_id=application["_id"],
            region=application.get("region"),
            correlation_id=application["_id"],
            actor_kind="officer",
            actor_id=f"{agency}/{officer or 'workbench'}",
            agency=agency,
            purpose=f"membuka dokumen {what} / opened the document {what}",
        )

        async def write(tx: Transaction) -> None:
            tx.emit(self.topics.access, accessed)

        await self.units.run(write)
        return accessed


@dataclass(frozen=True)
class OpenLinkedDocument:
    """An officer posts a signed form for one of an application's documents."""

    application_id: str
    sha256: str
    agency: str
    officer: str
    expires: int
    signature: str


@dataclass(frozen=True)
class LinkedDocument:
    """A document to stream, its opening recorded."""

    name: str
    content_type: str
    size: int
    chunks: AsyncIterator[bytes]


async def open_linked_document(
    command: OpenLinkedDocument,
    *,
    secret: SecretStr,
    documents: DocumentStore,
    applications: ApplicationRepository,
    access: DocumentAccess,
) -> LinkedDocument:
    """403 for a link not genuine or expired, 404 for a document not that application's;
    the opening is recorded before a byte is handed back."""
    if not document_links.verify(
        secret,
        command.application_id,
        command.sha256,
        command.agency,
        command.expires,
        command.signature,
        officer=command.officer,
    ):
        raise LinkNotValid(command.application_id)
    opened = await documents.open_for_application(
        applications, command.application_id, command.sha256
    )
    if opened is None:
        raise NotTheApplicationsDocument(command.application_id)
    owner, found, chunks = opened
    name = await documents.file_name(found)
    try:
        await access.record(owner, name, command.agency, command.officer)
    except BaseException:
        await chunks.aclose()  # not shown without its record: close the download
        raise
    log.info("document opened", application_id=command.application_id, agency=command.agency)
    content_type: str = found["metadata"]["content_type"]
    return LinkedDocument(name, content_type, documents.size(found), chunks)
