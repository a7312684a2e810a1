"""Reading the log for auditors: filtered pages, one application's timeline, and the
reads of a citizen's applications.

Pages are ordered by sequence number and continued with a cursor (the last sequence
number seen), so a page never shifts while the log grows.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pymongo.asynchronous.database import AsyncDatabase

__all__ = [
    "ACCESSED",
    "EventFilter",
    "access_log_of_citizen",
    "events_page",
    "record_view",
    "time_text",
    "timeline",
]

ACCESSED = "application.accessed"


def time_text(value: datetime) -> str:
    """A time in the events' own format, so stored times compare as text."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class EventFilter:
    application_id: str | None = None
    agency: str | None = None
    region: str | None = None
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    citizen_id: str | None = None

    def query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        for field, value in (
            ("subject", self.application_id),
            ("agency", self.agency),
            ("region", self.region),
            ("type", self.type),
            ("citizen_id", self.citizen_id),
        ):
            if value is not None:
                query[field] = value
        window: dict[str, str] = {}
        if self.since is not None:
            window["$gte"] = time_text(self.since)
        if self.until is not None:
            window["$lte"] = time_text(self.until)
        if window:
            query["time"] = window
        return query


def record_view(document: dict[str, Any]) -> dict[str, Any]:
    """What an auditor sees of one record: where it came from, its place in the chain,
    and the event itself (parsed when it was valid JSON, else the raw text).
    ``misplaced``: its type is not one its topic may carry (:mod:`services.audit.log`),
    so it has no type or application here and no derived view takes it."""
    event: Any = document["event"]
    if document.get("valid"):
        event = orjson.loads(event)
    return {
        "seq": document["seq"],
        "event_id": document["event_id"],
        "type": document.get("type"),
        "application_id": document.get("subject"),
        "time": document.get("time"),
        "topic": document["topic"],
        "partition": document["partition"],
        "offset": document["offset"],
        "received_at": document["received_at"],
        "hash": document["hash"],
        "misplaced": bool(document.get("misplaced")),
        "event": event,
    }


async def events_page(
    db: AsyncDatabase, where: EventFilter, after: int, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of matching records after sequence ``after``, and the next cursor."""
    query = where.query()
    if after:
        query["_id"] = {"$gt": after}
    found = await db["records"].find(query).sort("_id", 1).limit(limit + 1).to_list(None)
    more = len(found) > limit
    page = found[:limit]
    return [record_view(doc) for doc in page], (page[-1]["_id"] if more else None)


async def timeline(db: AsyncDatabase, application_id: str) -> list[dict[str, Any]]:
    """The application's records in event-time order (as replay gives them): records
    arrive from several topics, so the log's own order may interleave them differently."""
    found = db["records"].find({"subject": application_id})
    views = [record_view(doc) async for doc in found]
    return sorted(views, key=lambda view: (view["time"] or "", view["event_id"]))


async def access_log_of_citizen(db: AsyncDatabase, citizen_id: str) -> list[dict[str, Any]]:
    """Every recorded read of any application the citizen submitted, and of the
    citizen's own records (an auditor opening them), oldest first."""
    applications = await db["records"].distinct(
        "subject", {"citizen_id": citizen_id, "type": "application.submitted"}
    )
    reads = [{"subject": {"$in": applications}}] if applications else []
    reads.append({"citizen_id": citizen_id})
    found = db["records"].find({"type": ACCESSED, "$or": reads})
    entries = []
    async for document in found.sort("_id", 1):
        event = orjson.loads(document["event"])
        data = event.get("data", {})
        entries.append(
            {
                "application_id": data.get("application_id"),
                "region": event.get("region"),  # whose zone the citizen reads the time in
                "at": event.get("time"),
                "actor_kind": data.get("actor_kind"),
                "actor_id": data.get("actor_id"),
                "agency": data.get("agency"),
                "purpose": data.get("purpose"),
            }
        )
    return entries
