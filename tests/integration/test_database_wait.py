"""A service waits for its database at start instead of failing on the first slow answer."""

import time

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import ServerSelectionTimeoutError

from ops.localstack import free_port
from shared.mongo import make_mongo, wait_for_database


async def test_a_database_that_answers_is_waited_for_no_longer_than_its_answer(settings):
    client = make_mongo(settings, "test")
    started = time.monotonic()
    await wait_for_database(client, timeout=5)
    assert time.monotonic() - started < 5
    await client.close()


async def test_a_database_that_never_answers_fails_the_start_after_the_wait_not_at_once():
    client = AsyncMongoClient(f"mongodb://127.0.0.1:{free_port()}", serverSelectionTimeoutMS=200)
    started = time.monotonic()
    with pytest.raises(ServerSelectionTimeoutError):
        await wait_for_database(client, timeout=1.5)
    assert time.monotonic() - started >= 1.5  # it kept trying, then gave up
    await client.close()
