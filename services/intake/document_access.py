"""Opening a citizen's document is reading their data: each opening is recorded.

An officer posts the workbench's signed form (:mod:`shared.document_links`; the
signature in the body, never in a URL). Before intake streams the bytes it stages an
``application.accessed`` event through its outbox, in a transaction — the same type, on
the same topic, as routing's record of an officer reading an application — so a document
is never shown without its record, and the citizen sees it under "who accessed my data".
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from services.intake.applications import ApplicationRepository
from services.intake.documents import DocumentStore
from services.intake.refusals import LinkNotValid, NotTheApplicationsDocument
from shared import document_links
from shared.events import DataAccessed
from shared.outbox import Outbox
from shared.privacy.access import data_accessed
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["DocumentAccess", "LinkedDocument", "OpenLinkedDocument", "open_linked_document"]

log = structlog.get_logger(__name__)


class DocumentAccess:
    def __init__(
        self,
        mongo: AsyncMongoClient,
        outbox: Outbox | None,
        topics: Topics,
        *,
        units: UnitsOfWork | None = None,
    ) -> None:
        self.units = units or UnitsOfWork(mongo, outbox)
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
