"""What audit's HTTP API does for an auditor, one plain function per request.

The routes of :mod:`services.audit.api` build a query and hand it here with the log as
auditors read it (:class:`AuditorsLog`) and, for one application or one citizen, the
way a read is recorded — so a unit test can hand fakes for both.

Personal data stays sealed (``pdp1.…``, as stored) in everything an auditor reads in
bulk: pages, searches, timelines, the export, replay. It is opened only for one
application (:func:`open_history`) or one citizen (:func:`open_citizen`) at a time, on
a request that states its purpose, and that opening is recorded — naming the auditor
and the purpose — in the citizen's access log before anything is returned.

A refusal (nothing recorded, no such job) is a :class:`~shared.errors.Rejected`
subclass, answered as a problem by :mod:`services.audit.refusals`.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.audit.jobs import VerificationJobs
from services.audit.owners import owners_of
from services.audit.queries import EventFilter, events_page, timeline
from services.audit.refusals import NoSuchJob, NothingOnCitizen, NothingRecorded
from shared.privacy.personal import Personal

__all__ = [
    "AccessRecorder",
    "AuditorsLog",
    "FindEvents",
    "OpenCitizen",
    "ReadHistory",
    "find_events",
    "open_citizen",
    "open_history",
    "read_history",
    "verification_job",
]

AccessRecorder = Callable[..., Awaitable[object]]
"""Records a read (:func:`services.audit.access.record_access` on audit's broker and
access topic): keyword arguments ``application_id`` or ``citizen_id``, ``region``,
``actor_kind``, ``actor_id``, ``purpose``."""


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


@dataclass(frozen=True)
class OpenCitizen:
    auditor: str
    citizen_id: str
    purpose: str
    cursor: int = 0
    limit: int = 100


class AuditorsLog:
    """The log as an auditor reads it: events as stored, personal values sealed; and
    :meth:`opened`, which opens them for the citizen each is about
    (:mod:`services.audit.owners`), or shows "[erased]" where the citizen's key was
    destroyed, for the handlers that record the reading first. The stored bytes, and
    the hashes shown, are unchanged either way."""

    def __init__(self, db: AsyncDatabase, personal: Personal) -> None:
        self._db = db
        self._personal = personal

    async def page(
        self, where: EventFilter, cursor: int, limit: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        return await events_page(self._db, where, cursor, limit)

    async def timeline(self, application_id: str) -> list[dict[str, Any]]:
        return await timeline(self._db, application_id)

    async def opened(self, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
        owners = await owners_of(self._db, views)
        for view, owner in zip(views, owners, strict=True):
            view["event"] = await self._personal.open_all(view["event"], owner)
        return views


async def find_events(query: FindEvents, log: AuditorsLog) -> dict[str, Any]:
    """Recorded events, filtered, oldest first, a page at a time; sealed as stored."""
    items, next_cursor = await log.page(query.where, query.cursor, query.limit)
    return {"items": items, "next_cursor": next_cursor}


async def read_history(
    query: ReadHistory, log: AuditorsLog, record_access: AccessRecorder
) -> dict[str, Any]:
    """Everything that happened to one application, sealed as stored, and who read it;
    this read is recorded (and acknowledged) before the timeline is returned."""
    entries = await _recorded_timeline(query, log, record_access)
    return _history(query.application_id, entries, opened=False)


async def open_history(
    query: ReadHistory, log: AuditorsLog, record_access: AccessRecorder
) -> dict[str, Any]:
    """One application's timeline with its personal values opened, for the purpose the
    auditor states; recorded in the citizen's access log before it is returned."""
    entries = await _recorded_timeline(query, log, record_access)
    return _history(query.application_id, await log.opened(entries), opened=True)


async def open_citizen(
    query: OpenCitizen, log: AuditorsLog, record_access: AccessRecorder
) -> dict[str, Any]:
    """The records naming one citizen (their account's contacts, codes, rights, their
    submissions), a page at a time, opened for the purpose the auditor states; recorded
    in the citizen's access log before they are returned."""
    where = EventFilter(citizen_id=query.citizen_id)
    items, next_cursor = await log.page(where, query.cursor, query.limit)
    if not items:
        raise NothingOnCitizen(query.citizen_id)
    await record_access(
        citizen_id=query.citizen_id,
        region=None,
        actor_kind="auditor",
        actor_id=query.auditor,
        purpose=query.purpose,
    )
    return {
        "citizen_id": query.citizen_id,
        "opened": True,
        "items": await log.opened(items),
        "next_cursor": next_cursor,
    }


async def _recorded_timeline(
    query: ReadHistory, log: AuditorsLog, record_access: AccessRecorder
) -> list[dict[str, Any]]:
    """The application's timeline (404 when nothing is recorded), its reading recorded."""
    entries = await log.timeline(query.application_id)
    if not entries:
        raise NothingRecorded(query.application_id)
    region = next((e["event"].get("region") for e in entries if e["type"]), None)
    await record_access(
        application_id=query.application_id,
        region=region,
        actor_kind="auditor",
        actor_id=query.auditor,
        purpose=query.purpose,
    )
    return entries


def _history(application_id: str, entries: list[dict[str, Any]], *, opened: bool) -> dict:
    accessed = [e for e in entries if e["type"] == "application.accessed"]
    return {
        "application_id": application_id,
        "opened": opened,
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
        raise NoSuchJob(job_id)
    return job
