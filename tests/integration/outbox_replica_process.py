"""A replica in another process that only stages: it reads ``<application> <sequence>``
lines on stdin and commits each as a status change with its event in the outbox (as
tests/integration/test_outbox_replicas.py does in its own process), answering ``ok``.
Another process matters because ObjectIds are made per process: two processes' rows
cannot be told apart in commit order by their ids.

    python -m tests.integration.outbox_replica_process MONGO_URI DATABASE TOPIC
"""

import asyncio
import sys

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

from shared.events import StatusChanged, StatusChangedData
from shared.mongo import in_transaction
from shared.outbox import Outbox


def change(application: str, sequence: int) -> StatusChanged:
    return StatusChanged(
        source="test",
        subject=application,
        correlation_id=application,
        data=StatusChangedData(
            application_id=application,
            tracking_number="t",
            service="ktp-el",
            region="3576",
            to_status="in_review",
            sequence=sequence,
            actor="agency",
        ),
    )


async def commit(
    mongo: AsyncMongoClient, outbox: Outbox, database: str, topic: str, line: str
) -> None:
    application, sequence = line.split()[0], int(line.split()[1])

    async def work(session: AsyncClientSession) -> None:
        moved = await mongo[database]["applications"].update_one(
            {"_id": application, "sequence": sequence - 1},
            {"$set": {"sequence": sequence}},
            upsert=sequence == 1,
            session=session,
        )
        if not (moved.matched_count or moved.upserted_id is not None):
            raise RuntimeError(f"{application} is not at {sequence - 1}")
        await outbox.stage([(topic, change(application, sequence))], session)

    await in_transaction(mongo, work)


async def main(uri: str, database: str, topic: str) -> None:
    mongo: AsyncMongoClient = AsyncMongoClient(uri, tz_aware=True)
    outbox = Outbox(mongo[database], broker=None, allowed_topics={topic})  # type: ignore[arg-type]
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := (await reader.readline()).decode().strip():
            await commit(mongo, outbox, database, topic, line)
            print("ok", flush=True)
    finally:
        await mongo.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
