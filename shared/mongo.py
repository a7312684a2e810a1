"""MongoDB through PyMongo's native async API (``AsyncMongoClient``; Motor is deprecated).

Timeouts are short on purpose: when the database is unreachable a request fails within
about two seconds with a clear error instead of hanging.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

import structlog
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
)
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from shared.settings import Settings

__all__ = [
    "IN_CHUNK",
    "chunked",
    "delete_in",
    "ensure_ttl_index",
    "find_in",
    "in_transaction",
    "make_mongo",
    "wait_for_database",
]

T = TypeVar("T")

IN_CHUNK = 32
"""Values per ``$in`` query. The local database matches ``$in`` by comparing each
candidate document with every value, so one ``$in`` of n values costs n² comparisons:
500 outbox ids took 610 ms to delete at once and 110 ms in chunks of 16–50. MongoDB pays
only a few extra round trips for the chunks."""


def make_mongo(settings: Settings, app_name: str) -> AsyncMongoClient:
    return AsyncMongoClient(
        settings.mongo_uri,
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=1_000,  # with heartbeat slack, a 503 within 2 s
        connectTimeoutMS=2_000,
        socketTimeoutMS=10_000,
        retryWrites=True,
    )


DUPLICATE_KEY = 11000
_START_WAIT_SECONDS = 30.0

log = structlog.get_logger(__name__)


async def wait_for_database(client: AsyncMongoClient, timeout: float = _START_WAIT_SECONDS) -> None:
    """Wait for the database to answer before a service starts (its indexes are the first
    thing it writes): a database that is busy or still starting delays the start, with a
    warning, instead of failing it after the one-second server selection meant for
    requests. One that does not answer within ``timeout`` fails the start."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await client.admin.command("ping")
            return
        except ConnectionFailure as exc:  # server selection timeouts are connection failures
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("database not ready at start", error=type(exc).__name__)
            await asyncio.sleep(0.5)


def only_duplicate_keys(exc: BaseException) -> bool:
    """The write failed only because unique keys were taken (a ``DuplicateKeyError``, or
    a bulk write whose every error is one). Inside a transaction such an error aborts
    it without a retry, so a writer may insert first and look only when this says so."""
    if isinstance(exc, DuplicateKeyError):
        return True
    if isinstance(exc, BulkWriteError):
        codes = {error.get("code") for error in exc.details.get("writeErrors", [])}
        return codes == {DUPLICATE_KEY}
    return False


async def insert_first(run: Callable[[bool], Awaitable[T]]) -> T:
    """``run(look_first)`` inserts without looking first (``False``): a duplicate key
    aborts its transaction, keeping nothing, and it is run again looking first
    (``True``). One round trip saved while nothing comes twice; two runs when something
    does (a redelivery)."""
    try:
        return await run(False)
    except (BulkWriteError, DuplicateKeyError) as exc:
        if not only_duplicate_keys(exc):
            raise
        return await run(True)


async def in_transaction(
    client: AsyncMongoClient, work: Callable[[AsyncClientSession], Awaitable[T]]
) -> T:
    """Run ``work`` in one transaction, retried by the driver on transient errors."""
    async with client.start_session() as session:
        result: Any = await session.with_transaction(
            work,
            read_concern=ReadConcern("snapshot"),
            write_concern=WriteConcern("majority"),
        )
        return result


def chunked(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def find_in(
    collection: AsyncCollection,
    field: str,
    values: Sequence[Any],
    projection: dict[str, Any] | None = None,
    *,
    session: AsyncClientSession | None = None,
) -> list[dict[str, Any]]:
    """Documents whose ``field`` is one of ``values``, asked in chunks of ``IN_CHUNK``."""
    found: list[dict[str, Any]] = []
    for chunk in chunked(values):
        cursor = collection.find({field: {"$in": list(chunk)}}, projection, session=session)
        found += await cursor.to_list(None)
    return found


async def delete_in(
    collection: AsyncCollection,
    field: str,
    values: Sequence[Any],
    *,
    session: AsyncClientSession | None = None,
) -> int:
    """Delete the documents whose ``field`` is one of ``values``, in chunks of ``IN_CHUNK``."""
    deleted = 0
    for chunk in chunked(values):
        result = await collection.delete_many({field: {"$in": list(chunk)}}, session=session)
        deleted += result.deleted_count
    return deleted


_INDEX_OPTIONS_CONFLICT = (85, 86)  # IndexOptionsConflict, IndexKeySpecsConflict


async def ensure_ttl_index(collection: AsyncCollection, field: str, seconds: int) -> None:
    """A TTL index on ``field`` expiring documents ``seconds`` after it. An index already
    there with another expiry is changed in place (``collMod``), so a changed setting
    takes effect at the next start instead of failing it."""
    try:
        await collection.create_index(field, expireAfterSeconds=seconds)
    except OperationFailure as exc:
        if exc.code not in _INDEX_OPTIONS_CONFLICT:
            raise
        await collection.database.command(
            "collMod",
            collection.name,
            index={"keyPattern": {field: 1}, "expireAfterSeconds": seconds},
        )
