"""The local stack's database behaves as the production one where the platform relies on
it: a transaction abandoned by a killed process releases its locks within seconds, even
when nothing else transacts afterwards."""

import asyncio
import subprocess
import sys
import time

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from ops.database_server import TRANSACTION_LIFETIME_SECONDS
from shared.settings import Settings

ABANDON = """
import os, sys
from pymongo import MongoClient
client = MongoClient(sys.argv[1])
deliveries = client["{db}"]["deliveries"]
with client.start_session() as session:
    session.start_transaction()
    deliveries.update_one({{"_id": 1}}, {{"$set": {{"status": "sending"}}}}, session=session)
    print("locked", flush=True)
    os._exit(0)  # killed mid-transaction: no commit, no abort, no endSessions
"""


async def test_a_killed_processs_transaction_stops_blocking_writers(settings: Settings) -> None:
    db_name = f"{settings.namespace}_abandoned"
    client: AsyncMongoClient = AsyncMongoClient(settings.mongo_uri)
    deliveries = client[db_name]["deliveries"]
    try:
        await deliveries.insert_one({"_id": 1, "status": "created"})
        killed = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", ABANDON.format(db=db_name), settings.mongo_uri],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert killed.stdout.strip() == "locked", killed.stderr

        started = time.monotonic()
        claimed = None
        while claimed is None and time.monotonic() - started < 3 * TRANSACTION_LIFETIME_SECONDS:
            try:
                claimed = await deliveries.find_one_and_update(
                    {"_id": 1, "status": "created"}, {"$set": {"status": "claimed"}}
                )
            except PyMongoError:
                await asyncio.sleep(0.5)  # still locked by the abandoned transaction
        waited = time.monotonic() - started

        assert claimed is not None, "the abandoned transaction still holds the delivery"
        assert waited < TRANSACTION_LIFETIME_SECONDS + 10
        assert (await deliveries.find_one({"_id": 1}))["status"] == "claimed"
    finally:
        await client.drop_database(db_name)
        await client.close()
