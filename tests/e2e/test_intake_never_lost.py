"""Submissions are never lost: with the broker down they are still accepted, and once it
is back every one is delivered downstream exactly once.

This test takes a broker away, so it runs its own local stack instead of the shared one.
The local broker keeps its data in memory only, so the outage is a frozen broker process
(SIGSTOP, then SIGCONT): unreachable, but with its topics when it comes back, as an Apache
Kafka broker would be after a restart.
"""

import asyncio
import shutil

import pytest

from ops.localstack import LocalStack, free_port
from shared.events import ApplicationSubmitted
from tests.conftest import ARTIFACTS
from tests.e2e.helpers import eventually, read_topic, register, running_intake, submit


@pytest.mark.slow  # make test-slow
async def test_with_the_broker_down_50_submissions_are_accepted_and_delivered_once_after(
    tmp_path,
):
    local = LocalStack(
        kafka_port=free_port(),
        mongo_port=free_port(),
        data_dir=tmp_path,
        log_dir=ARTIFACTS / "test-logs" / "never-lost",
        fresh_database=True,
    )
    await asyncio.to_thread(local.start)
    try:
        async with running_intake(local, outbox_poll_seconds=0.2) as intake:
            citizen = await register(intake)
            outbox = intake.app.state.runtime.db["outbox"]
            await eventually(lambda: outbox.count_documents({}), 20, until=lambda n: n == 0)

            local.pause("kafka")
            accepted = [await submit(intake, citizen) for _ in range(50)]
            assert len({a["tracking_number"] for a in accepted}) == 50
            assert await outbox.count_documents({}) >= 50  # kept, waiting for the broker

            await asyncio.sleep(5)  # the producer's connections time out meanwhile
            assert await outbox.count_documents({}) >= 50
            local.resume("kafka")
            await eventually(lambda: outbox.count_documents({}), 60, until=lambda n: n == 0)
            topic = intake.app.state.runtime.topics.submitted
            events = await read_topic(local.kafka_bootstrap, topic, until=50, timeout=30)
    finally:
        await asyncio.to_thread(local.stop)
        shutil.rmtree(tmp_path, ignore_errors=True)

    delivered = [e.data.application_id for e in events if isinstance(e, ApplicationSubmitted)]
    assert len(delivered) == 50
    assert sorted(delivered) == sorted(a["id"] for a in accepted)
