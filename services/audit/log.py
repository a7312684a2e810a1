"""Appending consumed records to the chained log in MongoDB, in bulk.

One batch from the broker becomes one ``insert_many``. A redelivered event (same event
id) is recognised and not stored twice. ``_id`` is the sequence number, so a second
writer racing for the same position fails on the unique key; the batch then re-reads
the head and tries again.

The common batch costs one round trip: the writer continues from the head it wrote
last and inserts without asking first. Both unique keys stand guard instead of a read:
a redelivered event fails on ``event_id``, a position another writer took on ``_id``;
either way the records before the failing one are kept (they follow the head), and the
batch's rest is retried after reading the head from the database and asking which
events are stored already — the two reads every batch used to make.

Every record is kept, but only one whose type is declared for the topic it came on
(:data:`shared.topics.EVENT_TYPES`) has its searchable fields copied out: the
log's derived views — a citizen's access log, an application's timeline, replay, the
state at a moment — are found through those fields. A record whose body claims a type
its topic may not carry (an agency writing an ``application.accessed`` on its updates
topic) is kept, hashed, and marked ``misplaced``, so it can be found and shown, and
is never taken for what it claims to be.
"""

from collections.abc import Sequence
from datetime import datetime

import orjson
import structlog
from aiokafka import ConsumerRecord
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.audit.chain import GENESIS, record_hash
from services.audit.checkpoints import Checkpoints
from shared.events import utcnow
from shared.mongo import find_in
from shared.topics import Topics

__all__ = ["SEARCHABLE", "AuditLog", "chained", "identify", "last_record", "received_now"]

log = structlog.get_logger(__name__)

_RACE_RETRIES = 5

SEARCHABLE = ("subject", "type", "agency", "region", "citizen_id")
"""Fields copied out of the event for queries. They are not hashed: the event text they
come from is, and the API reads them only to find records."""


def _identify(record: ConsumerRecord, topics: Topics) -> tuple[str, bool, dict[str, object]]:
    """(event id, valid, searchable fields) of one raw record; a record whose type is
    not declared for its topic has none, only ``misplaced``."""
    try:
        event = orjson.loads(record.value or b"")
        if isinstance(event, dict) and isinstance(event.get("id"), str):
            if event.get("type") not in topics.declared_types(record.topic):
                return event["id"], True, {"misplaced": True}
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            fields = {
                "type": event.get("type"),
                "subject": event.get("subject"),
                "region": event.get("region"),
                "agency": data.get("agency"),
                "citizen_id": data.get("citizen_id"),
                "time": event.get("time"),
            }
            return event["id"], True, fields
    except orjson.JSONDecodeError:
        pass
    return f"raw:{record.topic}:{record.partition}:{record.offset}", False, {}


Identified = tuple[ConsumerRecord, str, bool, dict[str, object]]


def identify(records: Sequence[ConsumerRecord], topics: Topics) -> list[Identified]:
    """Each record with its event id, validity and searchable fields (``topics`` says
    which types each topic may carry); a record repeated in the batch (same event id)
    is kept once."""
    identified, seen = [], set()
    for record in records:
        event_id, valid, fields = _identify(record, topics)
        if event_id not in seen:
            seen.add(event_id)
            identified.append((record, event_id, valid, fields))
    return identified


def chained(
    identified: Sequence[Identified], seq: int, prev_hash: str, received_at: str
) -> list[dict[str, object]]:
    """Pure: the documents that follow record ``seq`` (whose hash is ``prev_hash``)."""
    documents = []
    for record, event_id, valid, fields in identified:
        seq += 1
        document = {
            "seq": seq,
            "prev_hash": prev_hash,
            "event_id": event_id,
            "event": (record.value or b"").decode("utf-8", errors="replace"),
            "valid": valid,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "received_at": received_at,
        }
        document["hash"] = prev_hash = record_hash(document)
        documents.append({"_id": seq, **document, **fields})
    return documents


class AuditLog:
    def __init__(
        self,
        db: AsyncDatabase,
        checkpoints: Checkpoints | None = None,
        topics: Topics | None = None,
    ) -> None:
        """``topics``: the registry of the namespace read (``mpp`` when not given)."""
        self._records = db["records"]
        self._checkpoints = checkpoints
        self._topics = topics or Topics()
        self._known: tuple[int, str] | None = None  # the head after this writer's last batch

    async def create_indexes(self) -> None:
        await self._records.create_index("event_id", unique=True)
        for field in SEARCHABLE:
            await self._records.create_index([(field, 1), ("_id", 1)])
        await self._records.create_index([("time", 1), ("event_id", 1)])

    async def head(self, exact: bool = False) -> tuple[int, str]:
        """The last record's (sequence number, hash).

        Sequence numbers are dense, so the head is found from the last one this writer
        saw with point lookups on ``_id`` (one when nothing was added since; a gallop
        and a bisection otherwise): a sorted query scans the whole log on some servers.
        ``exact`` asks the database for the highest ``_id`` instead, which is right even
        when a record in the middle has gone missing.
        """
        if exact:
            last = await self._records.find_one({}, {"hash": 1}, sort=[("_id", DESCENDING)])
            return (last["_id"], last["hash"]) if last else (0, GENESIS)
        return await last_record(self._records, *(self._known or (0, GENESIS)))

    async def append(self, records: Sequence[ConsumerRecord]) -> int:
        """Append the batch's new events; returns how many records were written."""
        fresh = identify(records, self._topics)
        appended = 0
        for attempt in range(_RACE_RETRIES):
            if attempt > 0 or self._known is None:
                # First batch of this writer, or after a refusal: ask the database.
                ids = [item[1] for item in fresh]
                stored = {
                    doc["event_id"]
                    for doc in await find_in(self._records, "event_id", ids, {"event_id": 1})
                }
                fresh = [item for item in fresh if item[1] not in stored]
                if not fresh:
                    return appended
                seq, prev_hash = await self.head(exact=attempt > 0)
            else:
                seq, prev_hash = self._known
            if not fresh:
                return appended
            documents = chained(fresh, seq, prev_hash, received_now())
            try:
                await self._records.insert_many(documents, ordered=True)
            except BulkWriteError as exc:
                self._known = None
                written = exc.details.get("nInserted", 0)
                await self._appended(documents[:written])
                appended += written
                fresh = fresh[written:]
                redelivered = any(
                    "event_id" in (error.get("keyPattern") or {})
                    or "event_id" in str(error.get("errmsg", ""))
                    for error in exc.details.get("writeErrors", ())
                )
                if redelivered:
                    log.info("audit batch held an event already stored; skipping it")
                else:
                    log.warning("audit head moved under us; retrying", written=written)
                continue
            await self._appended(documents)
            return appended + len(documents)
        raise RuntimeError("audit log head kept moving; another writer is appending")

    async def _appended(self, documents: Sequence[dict[str, object]]) -> None:
        """Note the new head; sign a checkpoint when the documents crossed a boundary."""
        if not documents:
            return
        first, last = documents[0], documents[-1]
        self._known = (int(last["seq"]), str(last["hash"]))  # type: ignore[call-overload]
        if self._checkpoints is not None:
            await self._checkpoints.after_append(
                int(first["seq"]),  # type: ignore[call-overload]
                int(last["seq"]),  # type: ignore[call-overload]
                str(last["hash"]),
            )


async def last_record(records: AsyncCollection, low: int, low_hash: str) -> tuple[int, str]:
    """The (sequence number, hash) of the last record of the unbroken run that reaches
    record ``low`` (whose hash is ``low_hash``): a gallop then a bisection of point
    lookups on ``_id``, a few dozen for any log size."""
    step, high = 1, None
    while high is None:
        found = await records.find_one({"_id": low + step}, {"hash": 1})
        if found is None:
            high = low + step
        else:
            low, low_hash, step = low + step, found["hash"], step * 2
    while high - low > 1:
        middle = (low + high) // 2
        found = await records.find_one({"_id": middle}, {"hash": 1})
        if found is None:
            high = middle
        else:
            low, low_hash = middle, found["hash"]
    return low, low_hash


def received_now() -> str:
    """The time a batch was received, in the events' own text format."""
    now: datetime = utcnow()
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
