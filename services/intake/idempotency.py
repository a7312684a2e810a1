"""``Idempotency-Key`` (IETF httpapi draft): a retried request gets the original answer.

The first request with a key is processed, and its response stored in the *same
transaction* as the application, so a response is remembered exactly when the
application exists. The record's id (caller and key) is unique: a retry's transaction
fails on it, nothing of the retry is stored, and only then is the stored response read,
so a first attempt costs no read. Same key and body: the stored response again; another
body: refused (``KeyReused``); still being processed: ``KeyInFlight``; none:
``KeyMissing``.

A command carries a :class:`Remember` — a value naming the store that keeps it, never
the store — and the group commit writes it through the store of that name.
"""

from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_jsonable_python
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.refusals import KeyInFlight, KeyInvalid, KeyMissing, KeyReused
from shared.events import utcnow

__all__ = ["MAX_KEY_LENGTH", "IdempotencyStore", "Remember", "Replay", "parse_key"]

MAX_KEY_LENGTH = 255


def parse_key(header: str | None) -> str:
    """The key as sent: a structured-field string (``"abc"``) or, leniently, bare."""
    if header is None or not header.strip():
        raise KeyMissing()
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise KeyInvalid(MAX_KEY_LENGTH)
    return key


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]
    location: str | None


@dataclass(frozen=True)
class Remember:
    """The answer to remember under a key, stored in the same transaction as what it
    answers: everything but the stored application's own fields, known only once it is
    numbered (:meth:`document`). A value: ``keys`` names the store that keeps it."""

    keys: str
    """The collection of the store that keeps it (``idempotency_keys``, …)."""
    record_id: str
    fingerprint: str
    status: int
    location_prefix: str
    """The application's address without its id (``.../api/v1/applications/``)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields the answer carries beyond the application's (a batch item's ``captured_at``)."""

    def document(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The record to insert, for the application whose answer's fields are ``answer``."""
        return {
            "_id": self.record_id,
            "fingerprint": self.fingerprint,
            "status": self.status,
            "body": to_jsonable_python({**answer, **self.extra}),
            "location": self.location_prefix + answer["id"],
            "created_at": utcnow(),
        }


class IdempotencyStore:
    """The records of one kind of key (``collection``), and the keys being processed in
    this process."""

    def __init__(
        self, db: AsyncDatabase, ttl_hours: int, collection: str = "idempotency_keys"
    ) -> None:
        self.keys = db[collection]
        self.name = collection
        self.ttl_seconds = ttl_hours * 3600
        self._in_flight: set[str] = set()

    async def create_indexes(self) -> None:
        await self.keys.create_index("created_at", expireAfterSeconds=self.ttl_seconds)

    def begin(self, scope: str, key: str) -> str:
        """The record id under which to process now; refused while the same key is being
        processed here. Whether it was processed before shows when storing (a duplicate
        key: see :meth:`after_conflict`)."""
        record_id = f"{scope}:{key}"
        if record_id in self._in_flight:
            raise KeyInFlight(record_id)
        self._in_flight.add(record_id)
        return record_id

    def end(self, record_id: str) -> None:
        self._in_flight.discard(record_id)

    def remember(
        self,
        record_id: str,
        print_: str,
        status: int,
        location_prefix: str,
        extra: dict[str, Any] | None = None,
    ) -> Remember:
        """What a command carries to have its answer kept here."""
        return Remember(self.name, record_id, print_, status, location_prefix, extra or {})

    async def add(self, records: list[dict[str, Any]], session: AsyncClientSession) -> None:
        """Insert records in the caller's transaction; a key stored before fails it."""
        await self.keys.insert_many(records, session=session, ordered=True)

    async def stored(self, record_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The records already kept under these ids, found in one read."""
        if not record_ids:
            return {}
        found = self.keys.find({"_id": {"$in": record_ids}})
        return {record["_id"]: record async for record in found}

    async def after_conflict(self, record_id: str, print_: str) -> Replay:
        """The key was committed before (a retry, or another process first): the stored
        answer; refused when it answered a different request."""
        stored = await self.keys.find_one({"_id": record_id})
        if stored is None:
            raise KeyInFlight(record_id)
        return self.replay(stored, print_)

    @staticmethod
    def replay(stored: dict[str, Any], print_: str) -> Replay:
        """A stored record's answer to a request with fingerprint ``print_``; refused
        (:class:`~services.intake.refusals.KeyReused`) when it answered another request."""
        if stored["fingerprint"] != print_:
            raise KeyReused(stored["_id"])
        return Replay(stored["status"], stored["body"], stored.get("location"))
