"""The events routing has applied, remembered for the dedupe window.

A status-change request (an agency's report, a citizen's cancellation or answer, an
agency API call under an Idempotency-Key) is recorded by id in ``seen_events`` in the
same transaction as the change it caused, so a redelivered request changes nothing.
The record only has to outlive the request's chance of coming again — the topics'
retention — so it carries ``seen_at`` and a TTL index forgets it after
``MPP_DEDUPE_RETENTION_DAYS`` (:mod:`shared.retention` checks that window against the
topics' retention at start-up). The agency API's Idempotency-Key bindings
(``agency_idempotency``) are kept exactly as long: their report's id is the one
recorded here.

Rows stored before ``seen_at`` existed are given it once, in the background
(:mod:`services.routing.backfill`): they expire a full window after the upgrade.

Ids are namespaced by their source — the topic a record came on (an agency's own
updates topic, the citizen-actions topic), or ``agency-api:<agency>`` for the agency
API — because the id of a request is chosen by whoever sends it: an agency's report
ids and Idempotency-Keys are often predictable, and one agency must not be able to
use another's ids first and so have the other's change dropped as a repeat. The row is
``<source>|<event id>``; a source never holds ``|``.
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import Event, utcnow
from shared.mongo import ensure_ttl_index

__all__ = ["SeenEvents", "api_source", "seen_id"]

_LOOK_FIRST: ContextVar[bool] = ContextVar("seen_events_look_first", default=True)


def api_source(agency: str) -> str:
    """The dedupe source of the agency API's changes made by ``agency``."""
    return f"agency-api:{agency}"


def seen_id(source: str, event_id: str) -> str:
    """The row id of ``event_id`` seen from ``source`` (a topic, or :func:`api_source`)."""
    if "|" in source:
        raise ValueError(f"a dedupe source never holds '|': {source!r}")
    return f"{source}|{event_id}"


class SeenEvents:
    def __init__(self, db: AsyncDatabase, retention_days: int) -> None:
        self._seen = db["seen_events"]
        self._idempotency = db["agency_idempotency"]
        self.retention_seconds = retention_days * 86_400

    async def create_indexes(self) -> None:
        await ensure_ttl_index(self._seen, "seen_at", self.retention_seconds)
        await ensure_ttl_index(self._idempotency, "at", self.retention_seconds)

    @staticmethod
    @contextlib.contextmanager
    def looking_first(look: bool) -> Iterator[None]:
        """Within, with ``look`` False: :meth:`first_time` inserts without looking, and
        an event seen before fails the transaction with a duplicate key instead — one
        round trip instead of two while nothing comes twice (see
        :func:`shared.mongo.insert_first`)."""
        token = _LOOK_FIRST.set(look)
        try:
            yield
        finally:
            _LOOK_FIRST.reset(token)

    @staticmethod
    def looks_first() -> bool:
        """Whether :meth:`first_time` looks before inserting (see :meth:`looking_first`)."""
        return _LOOK_FIRST.get()

    async def first_time(
        self, event: Event, session: AsyncClientSession | None, source: str
    ) -> bool:
        """Record ``event`` as seen from ``source``; False when it was (from the same
        source: another source's ids are another namespace). Looks before inserting (a
        duplicate key inside a transaction aborts it), except within
        :meth:`looking_first` ``(False)``."""
        row_id = seen_id(source, event.id)
        seen_before = self.looks_first() and await self._seen.find_one(
            {"_id": row_id}, {"_id": 1}, session=session
        )
        if seen_before:
            return False
        await self._seen.insert_one(
            {"_id": row_id, "type": event.type, "seen_at": utcnow()}, session=session
        )
        return True

    async def backfill(self) -> int:
        """Give ``seen_at`` (now) to rows stored without it; returns how many."""
        result = await self._seen.update_many(
            {"seen_at": {"$exists": False}}, {"$set": {"seen_at": utcnow()}}
        )
        return result.modified_count
