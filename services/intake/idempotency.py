"""``Idempotency-Key`` (IETF httpapi draft): a retried request gets the original answer.

Mobile networks drop responses and clients retry. The first request with a key is
processed; its response is stored in the *same transaction* as the application, so a
response is remembered exactly when the application exists. The record's id is the
caller and the key, unique: a retry's transaction fails on it and nothing of the retry
is stored, and only then is the stored response read — so a first attempt, by far the
common case, costs no read at all. Then:

* same key, same body → the stored response again (``Idempotent-Replayed: true``);
* same key, different body → 422 (the key was reused for something else);
* same key while the first is still being processed → 409;
* no key → 400.

Keys are scoped to the caller (the token's subject) and kept for
``idempotency_ttl_hours`` by a MongoDB TTL index.
"""

from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_jsonable_python
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import utcnow
from shared.idempotency import key_reused
from shared.problems import Problem

__all__ = ["IdempotencyStore", "KeyRecord", "Replay", "parse_key"]

MAX_KEY_LENGTH = 255


def parse_key(header: str | None) -> str:
    """The key as sent: a structured-field string (``"abc"``) or, leniently, bare."""
    if header is None or not header.strip():
        raise Problem(
            400,
            "Idempotency-Key wajib / Idempotency-Key required",
            "Kirim header Idempotency-Key yang unik per pengajuan (mis. UUID) agar "
            "pengiriman ulang aman / Send a unique Idempotency-Key header per submission "
            '(e.g. a UUID: Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324") so '
            "retries are safe.",
            type_="https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/",
        )
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Problem(
            400,
            "Idempotency-Key tidak valid / Invalid Idempotency-Key",
            f"The Idempotency-Key must be 1–{MAX_KEY_LENGTH} printable characters.",
        )
    return key


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]
    location: str | None


@dataclass(frozen=True)
class KeyRecord:
    """The answer to remember under a key, stored in the same transaction as what it
    answers: everything but the stored application's own fields, known only once it is
    numbered (:meth:`document`)."""

    keys: "IdempotencyStore"
    record_id: str
    fingerprint: str
    status: int
    location_prefix: str
    """The application's address without its id (``.../api/v1/applications/``)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields the answer carries beyond the application's (a batch item's ``captured_at``)."""

    def document(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The record to insert, for the application whose answer's fields are ``answer``."""
        body = to_jsonable_python({**answer, **self.extra})
        location = self.location_prefix + answer["id"]
        return self.keys.record(self.record_id, self.fingerprint, self.status, body, location)


class IdempotencyStore:
    def __init__(
        self, db: AsyncDatabase, ttl_hours: int, collection: str = "idempotency_keys"
    ) -> None:
        self.keys = db[collection]
        self.ttl_seconds = ttl_hours * 3600
        self._in_flight: set[str] = set()

    async def create_indexes(self) -> None:
        await self.keys.create_index("created_at", expireAfterSeconds=self.ttl_seconds)

    def begin(self, scope: str, key: str) -> str:
        """The record id under which to process now; 409 while the same key is being
        processed here. Whether it was processed before shows when storing (a duplicate
        key: see :meth:`after_conflict`)."""
        record_id = f"{scope}:{key}"
        if record_id in self._in_flight:
            raise _in_flight()
        self._in_flight.add(record_id)
        return record_id

    def end(self, record_id: str) -> None:
        self._in_flight.discard(record_id)

    def record(
        self, record_id: str, print_: str, status: int, body: dict[str, Any], location: str
    ) -> dict[str, Any]:
        """The document to insert in the processing transaction."""
        return {
            "_id": record_id,
            "fingerprint": print_,
            "status": status,
            "body": body,
            "location": location,
            "created_at": utcnow(),
        }

    async def add(self, records: list[dict[str, Any]], session: AsyncClientSession) -> None:
        """Insert records in the caller's transaction; a key stored before fails it."""
        await self.keys.insert_many(records, session=session, ordered=True)

    async def after_conflict(self, record_id: str, print_: str) -> Replay:
        """The key was committed before (a retry, or another process first): the stored
        answer, or 422 when it answered a different request."""
        stored = await self.keys.find_one({"_id": record_id})
        if stored is None:
            raise _in_flight()
        return self.replay(stored, print_)

    @staticmethod
    def replay(stored: dict[str, Any], print_: str) -> Replay:
        """A stored record's answer to a request with fingerprint ``print_``; 422 when it
        answered a different request."""
        if stored["fingerprint"] != print_:
            raise key_reused()
        return Replay(stored["status"], stored["body"], stored.get("location"))


def _in_flight() -> Problem:
    return Problem(
        409,
        "Permintaan sedang diproses / Request in progress",
        "A request with this Idempotency-Key is still being processed; retry in a moment.",
        headers={"Retry-After": "1"},
    )
