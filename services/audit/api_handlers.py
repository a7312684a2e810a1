"""What audit's HTTP API does for an auditor, one plain function per request.

The routes of :mod:`services.audit.api` build a query and hand it here with the log as
auditors read it (:class:`OpenedLog`) and, for one application's timeline, the way a
read is recorded — so a unit test can hand fakes for both.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.audit.jobs import VerificationJobs
from services.audit.owners import owners_of
from services.audit.queries import EventFilter, events_page, timeline
from shared.privacy.personal import Personal
from shared.problems import Problem

__all__ = [
    "AccessRecorder",
    "FindEvents",
    "OpenedLog",
    "ReadHistory",
    "find_events",
    "read_history",
    "verification_job",
]

AccessRecorder = Callable[..., Awaitable[object]]
"""Records a read (:func:`services.audit.access.record_access` on audit's broker and
access topic): keyword arguments ``application_id``, ``region``, ``actor_kind``,
``actor_id``, ``purpose``."""


@dataclass(frozen=True)
class FindEvents:
    where: EventFilter
    cursor: int
    limit: int


@dataclass(frozen=True)
class ReadHistory:
    auditor: str
    application_id: str
    purpose: str


class OpenedLog:
    """The log as an auditor reads it: each event with its sealed personal values opened
    for the citizen it is about (:mod:`services.audit.owners`), or "[erased]" where the
    citizen's key was destroyed; the stored bytes (and the hashes shown) are unchanged."""

    def __init__(self, db: AsyncDatabase, personal: Personal) -> None:
        self._db = db
        self._personal = personal

    async def page(
        self, where: EventFilter, cursor: int, limit: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        items, next_cursor = await events_page(self._db, where, cursor, limit)
        return await self._opened(items), next_cursor

    async def timeline(self, application_id: str) -> list[dict[str, Any]]:
        return await self._opened(await timeline(self._db, application_id))

    async def _opened(self, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
        owners = await owners_of(self._db, views)
        for view, owner in zip(views, owners, strict=True):
            view["event"] = await self._personal.open_all(view["event"], owner)
        return views


async def find_events(query: FindEvents, log: OpenedLog) -> dict[str, Any]:
    """Recorded events, filtered, oldest first, a page at a time."""
    items, next_cursor = await log.page(query.where, query.cursor, query.limit)
    return {"items": items, "next_cursor": next_cursor}


async def read_history(
    query: ReadHistory, log: OpenedLog, record_access: AccessRecorder
) -> dict[str, Any]:
    """Everything that happened to one application, and who read it; this read is
    recorded (and acknowledged) before the timeline is returned."""
    entries = await log.timeline(query.application_id)
    if not entries:
        raise Problem(
            404, "Tidak ditemukan / Not found", f"No recorded events for {query.application_id}."
        )
    region = next((e["event"].get("region") for e in entries if e["type"]), None)
    await record_access(
        application_id=query.application_id,
        region=region,
        actor_kind="auditor",
        actor_id=query.auditor,
        purpose=query.purpose,
    )
    accessed = [e for e in entries if e["type"] == "application.accessed"]
    return {
        "application_id": query.application_id,
        "events": entries,
        "accessed_by": [
            {
                "at": e["time"],
                "actor_kind": e["event"]["data"]["actor_kind"],
                "actor_id": e["event"]["data"]["actor_id"],
                "purpose": e["event"]["data"]["purpose"],
            }
            for e in accessed
        ],
    }


async def verification_job(job_id: str, jobs: VerificationJobs) -> dict[str, Any]:
    """A verification job's progress, then its verdict (404 for an unknown id)."""
    job = await jobs.get(job_id)
    if job is None:
        raise Problem(404, "Tidak ditemukan / Not found", f"No verification job {job_id}.")
    return job
