"""Intake's applications: the ``applications`` collection and the shape stored in it.

Intake keeps a citizen's copy of every application — the form, the sealed applicant
data, the status timeline routing reports back. :func:`stored_document` writes that
shape down once; :class:`ApplicationRepository` is every read and write of it. A write
that announces something takes the session of the caller's unit of work, so it commits
with its events. :class:`NewApplication` is an accepted submission before its tracking
number (the group commit numbers it).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.idempotency import Remember
from shared.events import (
    ApplicationChannel,
    ApplicationSubmitted,
    CancellationRefused,
    DocumentRef,
    StatusChanged,
    SubmittedData,
    utcnow,
)
from shared.workflow import TERMINAL

__all__ = ["ApplicationRepository", "NewApplication", "stored_document"]


@dataclass(frozen=True)
class NewApplication:
    """What an accepted submission stores and announces, all but its tracking number."""

    id: str
    counter: str
    """The tracking numbers' counter: region and day in WIB (``3576-261123``)."""
    service: str
    form_version: int
    region: str
    channel: ApplicationChannel
    citizen_id: str | None
    form: dict[str, Any]
    correlation_id: str
    submitted_at: datetime
    sla_due_at: datetime
    documents: list[DocumentRef] = field(default_factory=list)
    applicant_sealed: Any = None
    applicant_fields: list[str] = field(default_factory=list)
    operator_id: str | None = None
    captured_at: datetime | None = None
    catalogue_version: int | None = None
    """The catalogue version it was submitted under: its form, SLA and office stay that
    version's whatever is published later."""
    office: str | None = None
    remember: Remember | None = None
    """The idempotency record to store with it: its answer is remembered exactly when
    the application exists."""

    def tracking_number(self, number: int) -> str:
        """The counter's ``number``-th tracking number: ``3576-261123-0042``."""
        return f"{self.counter}-{number:04d}"

    def answer(self, tracking_number: str) -> dict[str, Any]:
        """The 202 answer's fields, as JSON: id, tracking number, status, SLA."""
        return {
            "id": self.id,
            "tracking_number": tracking_number,
            "status": "submitted",
            "sla_due_at": self.sla_due_at,
        }

    def submitted(self, tracking_number: str) -> ApplicationSubmitted:
        """The fact that announces it (the applicant's fields travel sealed)."""
        return ApplicationSubmitted(
            source="intake",
            subject=self.id,
            region=self.region,
            correlation_id=self.correlation_id,
            data=SubmittedData(
                application_id=self.id,
                tracking_number=tracking_number,
                service=self.service,
                region=self.region,
                channel=self.channel,
                citizen_id=self.citizen_id,
                form=self.form,
                form_version=self.form_version,
                documents=self.documents,
                applicant_sealed=self.applicant_sealed,
                submitted_at=self.submitted_at,
                sla_due_at=self.sla_due_at,
                captured_at=self.captured_at,
                catalogue_version=self.catalogue_version,
                office=self.office,
            ),
        )


def stored_document(new: NewApplication, tracking_number: str) -> dict[str, Any]:
    """The application as intake stores it when it is accepted."""
    document: dict[str, Any] = {
        "_id": new.id,
        "tracking_number": tracking_number,
        "service": new.service,
        "region": new.region,
        "channel": new.channel,
        "citizen_id": new.citizen_id,
        "form": new.form,
        "form_version": new.form_version,
        "documents": [document.model_dump() for document in new.documents],
        "applicant": new.applicant_sealed,
        "applicant_fields": new.applicant_fields,
        "operator_id": new.operator_id,
        "status": "submitted",
        "responses": [],
        "cancellation_requested_at": None,
        "last_sequence": 0,
        "timeline": [{"status": "submitted", "at": new.submitted_at, "note": None, "sequence": 0}],
        "submitted_at": new.submitted_at,
        "sla_due_at": new.sla_due_at,
    }
    if new.captured_at is not None:
        document["captured_at"] = new.captured_at
    return document


class ApplicationRepository:
    """Reads and writes of intake's ``applications`` collection."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.collection: AsyncCollection = db["applications"]

    async def create_indexes(self) -> None:
        await self.collection.create_index("tracking_number", unique=True)
        await self.collection.create_index([("citizen_id", 1), ("_id", -1)])

    async def add(
        self, applications: list[tuple[NewApplication, str]], session: AsyncClientSession
    ) -> None:
        """Store accepted applications with their tracking numbers, in one insert; a
        tracking number or id already stored fails it (``BulkWriteError``)."""
        documents = [stored_document(new, number) for new, number in applications]
        await self.collection.insert_many(documents, session=session, ordered=True)

    async def citizens(self, application_id: str, citizen_id: str) -> dict[str, Any] | None:
        """The citizen's application; None when there is none or it is someone else's."""
        return await self.collection.find_one({"_id": application_id, "citizen_id": citizen_id})

    async def page(
        self, citizen_id: str, limit: int, before: str | None
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of a citizen's applications, newest first, and whether more follow.

        Application ids are UUIDv7 — ordered by creation time — so the id of the last
        item seen is a stable cursor: new submissions do not shift later pages.
        """
        query: dict[str, Any] = {"citizen_id": citizen_id}
        if before is not None:
            query["_id"] = {"$lt": before}
        found = await self.collection.find(query).sort("_id", -1).to_list(limit + 1)
        return found[:limit], len(found) > limit

    async def all_of(self, citizen_id: str, limit: int) -> list[dict[str, Any]]:
        """A citizen's applications, oldest first (at most ``limit``): their data export."""
        found = self.collection.find({"citizen_id": citizen_id}).sort("_id", 1)
        return await found.to_list(limit)

    async def count_open(self, citizen_id: str) -> int:
        """How many of a citizen's applications are not settled yet."""
        return await self.collection.count_documents(
            {"citizen_id": citizen_id, "status": {"$nin": sorted(TERMINAL)}}
        )

    async def naming_document(self, application_id: str, sha256: str) -> dict[str, Any] | None:
        """The application (its citizen and region) when ``sha256`` is one of its
        documents; None otherwise."""
        return await self.collection.find_one(
            {"_id": application_id, "documents.sha256": sha256}, {"citizen_id": 1, "region": 1}
        )

    async def documents_named(self, owners: list[str], hashes: list[str]) -> set[tuple[str, str]]:
        """(citizen id, sha256) of each of these citizens' documents that one of their
        applications names."""
        named: set[tuple[str, str]] = set()
        async for application in self.collection.find(
            {"citizen_id": {"$in": owners}, "documents.sha256": {"$in": hashes}},
            {"citizen_id": 1, "documents.sha256": 1},
        ):
            for document in application.get("documents", []):
                named.add((application["citizen_id"], document["sha256"]))
        return named

    async def apply_status_changes(self, events: Sequence[StatusChanged]) -> None:
        """Move the read model forward, in one ordered bulk write (one round trip for a
        poll's changes); a redelivered or older change matches nothing."""
        if events:
            await self.collection.bulk_write([_status_update(e) for e in events], ordered=True)

    async def note_refusal(self, event: CancellationRefused) -> None:
        """The cancellation request flag is cleared, so the citizen sees why and may ask
        again if the status allows it; a redelivered refusal sets the same values."""
        await self.collection.update_one(
            {"_id": event.data.application_id},
            {
                "$set": {
                    "cancellation_requested_at": None,
                    "cancellation_refused": {"at": event.time, "reason": event.data.reason},
                }
            },
        )

    async def note_cancellation_request(
        self, application_id: str, reason: str | None, session: AsyncClientSession
    ) -> bool:
        """Mark the cancellation requested; False when it already was."""
        result = await self.collection.update_one(
            {"_id": application_id, "cancellation_requested_at": None},
            {"$set": {"cancellation_requested_at": utcnow(), "cancellation_reason": reason}},
            session=session,
        )
        return result.modified_count > 0

    async def add_response(
        self,
        application_id: str,
        *,
        answered_before: int,
        form: dict[str, Any],
        fields: list[str],
        documents: list[DocumentRef],
        note: str | None,
        session: AsyncClientSession,
    ) -> bool:
        """Record an answer to a request for information (the merged form, the answer,
        its documents) while the application still awaits its ``answered_before + 1``-th
        answer; False when it no longer does (another answer came first)."""
        refs = [document.model_dump() for document in documents]
        result = await self.collection.update_one(
            {
                "_id": application_id,
                "status": "needs_info",
                "responses": {"$size": answered_before},
            },
            {
                "$set": {"form": form},
                "$push": {
                    "responses": {
                        "at": utcnow(),
                        "fields": fields,
                        "documents": refs,
                        "note": note,
                    },
                    "documents": {"$each": refs},
                },
            },
            session=session,
        )
        return result.modified_count > 0


def _status_update(event: StatusChanged) -> UpdateOne:
    """One change to the read model, applied only past the sequence it holds."""
    change = event.data
    updates: dict[str, Any] = {
        "status": change.to_status,
        "last_sequence": change.sequence,
        "status_at": event.time,  # the age a decided application's retention runs from
    }
    if change.agency is not None:
        updates["agency"] = change.agency
    if change.sla_due_at is not None:
        updates["sla_due_at"] = change.sla_due_at
    added: dict[str, Any] = {
        "timeline": {
            "status": change.to_status,
            "at": event.time,
            "note": change.note,
            "sequence": change.sequence,
            "requested_fields": change.requested_fields,
        }
    }
    if change.results:  # in the same update: a citizen never sees "approved" without them
        added["results"] = {"$each": [r.model_dump() for r in change.results]}
    return UpdateOne(
        {"_id": change.application_id, "last_sequence": {"$lt": change.sequence}},
        {"$set": updates, "$push": added},
    )
