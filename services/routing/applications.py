"""Routing's ``applications`` collection: the one module that knows how they are stored.

Routing owns each application's place in the workflow. What one stored application holds
is said once, by :func:`routed_document`; every read and write of the collection goes
through :class:`ApplicationRepository`, given the caller's transaction session
(``tx.session`` of a :class:`~shared.unit_of_work.Transaction`) when it is part of a
change. A status change is written with a guard on the sequence it read
(:meth:`ApplicationRepository.update_status`), so two writers that read the same
application cannot both move it.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import ApplicationSubmitted
from shared.mongo import chunked, find_in
from shared.workflow import WORKFLOW_VERSION

__all__ = ["LEAN", "ApplicationRepository", "routed_document"]

Session = AsyncClientSession | None

LEAN = {"form": 0, "documents": 0, "applicant": 0, "responses": 0, "results": 0}
"""What a sweep or a count reads of an application: everything but the citizen's content."""


def routed_document(
    event: ApplicationSubmitted,
    *,
    agency: str | None,
    handler_kind: str | None,
    delivery_state: str | None,
    status: str,
    rule_version: int,
    sla_due_at: datetime | None,
    applicant: Any,
    applicant_fields: list[str],
) -> dict[str, Any]:
    """The application as routing first stores it (``routed``, or ``routing_failed``
    without an agency): on the dashboard's counters from the start."""
    submitted = event.data
    return {
        "_id": submitted.application_id,
        "tracking_number": submitted.tracking_number,
        "service": submitted.service,
        "region": submitted.region,
        "citizen_id": submitted.citizen_id,
        "channel": submitted.channel,
        "agency": agency,
        "handler_kind": handler_kind,
        "status": status,
        "sequence": 1,
        "rule_version": rule_version,
        "workflow_version": WORKFLOW_VERSION,
        "submitted_at": submitted.submitted_at,
        "captured_at": submitted.captured_at,
        "sla_due_at": sla_due_at,
        "sla_breached": False,
        "delivery_state": delivery_state,
        "form": submitted.form,
        "documents": [d.model_dump() for d in submitted.documents],
        "applicant": applicant,
        "applicant_fields": applicant_fields,
        "requested_fields": [],
        "responses": [],
        "results": [],
        "correlation_id": event.correlation_id,
        "updated_at": event.time,
        "counted": True,
    }


class ApplicationRepository:
    """Reads and writes of routing's applications, each in the caller's session."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db["applications"]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("agency", 1), ("sla_due_at", 1), ("_id", 1)])
        await self.collection.create_index([("agency", 1), ("status", 1), ("sla_due_at", 1)])

    async def get(self, application_id: str, session: Session = None) -> dict | None:
        return await self.collection.find_one({"_id": application_id}, session=session)

    async def many(
        self, ids: Sequence[str], session: Session = None, *, lean: bool = False
    ) -> list[dict]:
        """The applications among ``ids`` (without the citizen's content when ``lean``)."""
        projection = LEAN if lean else None
        return await find_in(self.collection, "_id", list(ids), projection, session=session)

    async def known(self, ids: Sequence[str], session: Session = None) -> set[str]:
        """Which of ``ids`` are stored: an application id is routing's dedupe key."""
        found = await find_in(self.collection, "_id", list(ids), {"_id": 1}, session=session)
        return {d["_id"] for d in found}

    async def insert_routed(self, documents: Sequence[dict], session: Session = None) -> None:
        """Store newly routed applications (shaped by :func:`routed_document`)."""
        await self.collection.insert_many(list(documents), session=session)

    async def update_status(
        self,
        application: Mapping[str, Any],
        changes: Mapping[str, Any],
        session: Session = None,
        *,
        unset: Iterable[str] = (),
        status: str | None = None,
    ) -> bool:
        """Write ``changes`` to the application as it was read, guarded by the sequence
        it had then (and its status, when given): False when another writer moved it."""
        guard: dict[str, Any] = {"_id": application["_id"], "sequence": application["sequence"]}
        if status is not None:
            guard["status"] = status
        update: dict[str, Any] = {"$set": dict(changes)}
        if removed := list(unset):
            update["$unset"] = {name: "" for name in removed}
        moved = await self.collection.update_one(guard, update, session=session)
        return moved.matched_count == 1

    async def record_cancellation(
        self, application_id: str, reason: str | None, at: datetime, session: Session = None
    ) -> None:
        await self.collection.update_one(
            {"_id": application_id},
            {"$set": {"cancellation": {"reason": reason, "at": at}}},
            session=session,
        )

    async def record_answer(
        self, application_id: str, update: Mapping[str, Any], session: Session = None
    ) -> None:
        """Merge a citizen's answer (an update built by the citizen's actions)."""
        await self.collection.update_one({"_id": application_id}, dict(update), session=session)

    async def set_delivery_state(
        self,
        application_id: str,
        state: str,
        session: Session = None,
        *,
        updated_at: datetime | None = None,
    ) -> dict | None:
        """The state of the application's webhook delivery; returns the application after."""
        changes: dict[str, Any] = {"delivery_state": state}
        if updated_at is not None:
            changes["updated_at"] = updated_at
        return await self.collection.find_one_and_update(
            {"_id": application_id},
            {"$set": changes},
            session=session,
            return_document=ReturnDocument.AFTER,
        )

    async def mark(
        self,
        ids: Sequence[str],
        marks: Mapping[str, Any],
        session: Session = None,
        *,
        where: Mapping[str, Any] | None = None,
    ) -> None:
        """Set ``marks`` on the applications among ``ids`` (still matching ``where``)."""
        for chunk in chunked(list(ids)):
            await self.collection.update_many(
                {"_id": {"$in": list(chunk)}, **(where or {})},
                {"$set": dict(marks)},
                session=session,
            )

    def ids_matching(
        self,
        query: Mapping[str, Any],
        page_size: int,
        sort: Sequence[str] = (),
    ) -> AsyncCursor:
        """A cursor over the ids of the applications matching ``query``, in ``sort`` order."""
        cursor = self.collection.find(dict(query), {"_id": 1}, batch_size=page_size)
        if sort:
            cursor = cursor.sort([(name, ASCENDING) for name in sort])
        return cursor

    async def agency_page(
        self, agency: str, status: str | None, skip: int, limit: int
    ) -> list[dict]:
        """Up to ``limit`` of the agency's applications (of ``status``), earliest due
        first, without the heavy fields a queue page never shows."""
        query: dict[str, Any] = {"agency": agency}
        if status is not None:
            query["status"] = status
        return (
            await self.collection.find(query, {"form": 0, "documents": 0})
            .sort([("sla_due_at", 1), ("_id", 1)])
            .skip(skip)
            .limit(limit)
            .to_list(limit)
        )

    async def of_agency(
        self, agency: str, application_id: str, fields: Mapping[str, int] | None = None
    ) -> dict | None:
        """The application when it is the agency's; None for another agency's, as for one
        that does not exist."""
        projection = dict(fields) if fields is not None else None
        return await self.collection.find_one({"_id": application_id, "agency": agency}, projection)

    async def mark_result_revoked(
        self, revoked: Mapping[str, Any], reason: str, session: Session = None
    ) -> dict | None:
        """Show a revoked result document as revoked on its application (the workbench
        and the agency API read it there); the application's region and correlation id,
        or None when it is gone."""
        application_id = revoked["application_id"]
        application = await self.collection.find_one(
            {"_id": application_id},
            {"region": 1, "correlation_id": 1, "results": 1},
            session=session,
        )
        if application is None:
            return None
        marked = [
            {**r, "revoked_at": revoked["revoked_at"], "revocation_reason": reason}
            if r["code"] == revoked["_id"]
            else r
            for r in application.get("results") or []
        ]
        await self.collection.update_one(
            {"_id": application_id}, {"$set": {"results": marked}}, session=session
        )
        return application

    async def service_and_region(self, application_id: str) -> dict:
        """The application's service and region (empty when it is gone): what the public
        verification of its result documents shows."""
        found = await self.collection.find_one({"_id": application_id}, {"service": 1, "region": 1})
        return found or {}

    async def earliest_due(self, query: Mapping[str, Any], limit: int) -> list[dict]:
        """The first ``limit`` applications ``query`` matches, earliest due date first:
        tracking number, service, agency, region (whose zone the due date is written in)
        and due date only (the public dashboard's overdue list,
        :func:`services.routing.sla.escalated_query`)."""
        fields = {"tracking_number": 1, "service": 1, "agency": 1, "region": 1, "sla_due_at": 1}
        found = self.collection.find(dict(query), fields)
        return await found.sort("sla_due_at", 1).limit(limit).to_list(limit)
