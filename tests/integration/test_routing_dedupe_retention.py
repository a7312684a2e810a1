"""Routing remembers the requests it applied for the dedupe window, then forgets them:
against the real broker and database, each remembered request carries the moment it was
applied, a TTL index forgets it after ``MPP_DEDUPE_RETENTION_DAYS``, a request delivered
again within the window still changes nothing, and a window shorter than the topics'
retention is warned about at start-up."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from examples.agency.__main__ import report
from ops.localstack import LocalStack
from services.routing.backfill import COUNTING, Backfill, done
from services.routing.seen import SeenEvents, seen_id
from shared.events import ApplicationDispatched, StatusChanged, encode, utcnow
from shared.retention import check_dedupe_window
from shared.settings import Settings
from tests.e2e.helpers import eventually
from tests.integration.routing_support import (
    publish,
    publish_raw,
    read_events,
    running_routing,
    submitted,
)

DAY = 86_400


@pytest.fixture(scope="module")
async def routing(stack: LocalStack) -> AsyncIterator[Any]:
    async with running_routing(stack, sla_sweep_seconds=3600) as (app, _url):
        yield app


def _ttl(indexes: dict[str, Any], field: str) -> int | None:
    for index in indexes.values():
        if [name for name, _ in index["key"]] == [field]:
            return index.get("expireAfterSeconds")
    return None


async def test_remembered_requests_carry_when_they_were_applied_and_expire_after_the_window(
    routing,
):
    db = routing.state.runtime.db
    assert _ttl(await db["seen_events"].index_information(), "seen_at") == 37 * DAY
    # the agency API's Idempotency-Keys name a report remembered here: kept as long
    assert _ttl(await db["agency_idempotency"].index_information(), "at") == 37 * DAY


async def test_a_report_delivered_again_within_the_window_changes_nothing(routing):
    runtime = routing.state.runtime
    topics, applications = runtime.topics, runtime.db["applications"]
    application = submitted("ktp-el", "3514", form={"reason": "baru"})
    await publish(runtime, topics.submitted, application)
    inbox = topics.agency_inbox("disdukcapil-3514")

    def mine(events: list) -> list:
        return [
            e
            for e in events
            if isinstance(e, ApplicationDispatched) and e.subject == application.subject
        ]

    [dispatched] = mine(await read_events(runtime.settings.kafka_bootstrap, inbox, mine))
    received = json.dumps(report(json.loads(encode(dispatched)), "received")).encode()
    updates, key = topics.agency_updates("disdukcapil-3514"), application.subject.encode()
    await publish_raw(runtime, updates, received, key)
    moved = await eventually(
        lambda: applications.find_one({"_id": application.subject}),
        timeout=20,
        until=lambda a: a["status"] == "received",
    )
    before = utcnow()
    remembered = await runtime.db["seen_events"].find_one(
        {"_id": seen_id(updates, json.loads(received)["id"])}
    )
    assert remembered is not None
    assert before - timedelta(seconds=30) < remembered["seen_at"] <= before

    await publish_raw(runtime, updates, received, key)  # delivered again
    await asyncio.sleep(2)
    again = await applications.find_one({"_id": application.subject})
    assert (again["status"], again["sequence"]) == ("received", moved["sequence"])

    def changes(events: list) -> list:
        return [
            e for e in events if isinstance(e, StatusChanged) and e.subject == application.subject
        ]

    found = changes(
        await read_events(
            runtime.settings.kafka_bootstrap, topics.status, lambda e: len(changes(e)) >= 2
        )
    )
    assert [e.data.to_status for e in found] == ["routed", "received"]


async def test_rows_remembered_before_the_window_existed_are_given_the_upgrade_time(routing):
    db = routing.state.runtime.db
    await eventually(lambda: done(db, COUNTING), timeout=20)  # the start's back-fill ended
    await db["seen_events"].insert_many(
        [{"_id": f"old-{n}", "type": "agency.status_reported"} for n in range(3)]
    )
    await db["migrations"].delete_many({})
    started = utcnow()
    seen = SeenEvents(db, 37)
    await Backfill(routing.state.runtime.units, db, seen, routing.state.parts.counts).run()
    for row in await db["seen_events"].find({"_id": {"$regex": "^old-"}}).to_list(None):
        assert row["seen_at"] >= started - timedelta(seconds=1)
    assert await db["migrations"].find_one({"_id": "seen_events.seen_at"}) is not None


async def test_a_changed_window_takes_effect_at_the_next_start(routing):
    db = routing.state.runtime.db
    await SeenEvents(db, 45).create_indexes()
    assert _ttl(await db["seen_events"].index_information(), "seen_at") == 45 * DAY
    await SeenEvents(db, 37).create_indexes()
    assert _ttl(await db["seen_events"].index_information(), "seen_at") == 37 * DAY


async def test_a_window_shorter_than_the_topics_retention_is_warned_about(routing, stack, caplog):
    topics = ["mpp.applications.submitted"]
    short = Settings(kafka_bootstrap=stack.kafka_bootstrap, dedupe_retention_days=10)
    with caplog.at_level(logging.WARNING, logger="shared.retention"):
        problem = await check_dedupe_window(short, topics)
    assert problem is not None
    assert "MPP_DEDUPE_RETENTION_DAYS=10" in problem
    [warning] = [r for r in caplog.records if r.name == "shared.retention"]
    assert warning.levelno == logging.WARNING
    assert warning.msg["event"] == "dedupe window shorter than the topics' retention"
    # the local broker does not report retention.ms: the setting stands for it
    assert warning.msg["retention_from"] == "MPP_KAFKA_RETENTION_DAYS"

    enough = Settings(kafka_bootstrap=stack.kafka_bootstrap)
    assert await check_dedupe_window(enough, topics) is None
