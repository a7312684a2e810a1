"""MongoDB through PyMongo's native async API (``AsyncMongoClient``; Motor is deprecated).

Timeouts are short on purpose: when the database is unreachable a request fails within
about two seconds with a clear error instead of hanging.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from shared.settings import Settings

__all__ = ["in_transaction", "make_mongo"]

T = TypeVar("T")


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
