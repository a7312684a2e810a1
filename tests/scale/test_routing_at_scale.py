"""Routing at 25,000 applications, more than the old dashboard read (20,000): the page's
figures equal a full count of every application, its cost does not follow their
number, and the SLA sweep escalates the whole overdue backlog in one pass."""

import re
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from ops.localstack import LocalStack
from services.routing.backfill import COUNTING, done
from services.routing.web.dashboard import summarise
from shared.events import utcnow
from tests.e2e.helpers import eventually
from tests.integration.routing_support import (
    application_documents,
    assert_same_figures,
    counted_and_full,
    running_routing,
)
from tests.scale.conftest import measured

APPLICATIONS = 25_000
OLD_LIMIT = 20_000
# What the old page read of each application, on every request.
OLD_FIELDS = (
    "tracking_number",
    "region",
    "agency",
    "service",
    "status",
    "submitted_at",
    "updated_at",
    "decided_at",
    "sla_due_at",
)


@pytest.fixture(scope="module")
async def routing(stack: LocalStack) -> AsyncIterator[Any]:
    # the dashboard asks notify for the IKM: an address where nothing answers, at once
    async with running_routing(
        stack, sla_sweep_seconds=3600, web_urls={"notify": "http://127.0.0.1:9"}
    ) as (app, url):
        app.state.url = url
        yield app


async def _median_ms(call: Callable[[], Awaitable[Any]], times: int) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        await call()
        spent.append(time.perf_counter() - started)
    return round(statistics.median(spent) * 1000, 1)


@pytest.mark.timeout(900)
async def test_the_dashboard_counts_all_25000_applications_at_a_cost_that_does_not_grow(routing):
    runtime = routing.state.runtime
    applications = runtime.db["applications"]
    await eventually(lambda: done(runtime.db, COUNTING), timeout=20)  # the start's back-fill
    documents = application_documents(APPLICATIONS, utcnow(), prefix="scale")
    started = time.perf_counter()
    for start in range(0, APPLICATIONS, 5000):
        await applications.insert_many(documents[start : start + 5000])
    inserted = time.perf_counter() - started

    await runtime.db["migrations"].delete_many({"_id": "dashboard_counts"})
    started = time.perf_counter()
    await routing.state.parts.backfill.run()
    backfill = time.perf_counter() - started

    started = time.perf_counter()
    escalated = await routing.state.parts.clock.sweep_once()
    sweep = time.perf_counter() - started
    assert escalated > 1000

    counted, full = await counted_and_full(routing, utcnow())
    assert full.total == APPLICATIONS
    assert_same_figures(counted, full)

    async with httpx.AsyncClient(base_url=routing.state.url, timeout=60) as client:
        page = await client.get("/dashboard")
        assert re.search(r'id="total">(\d+)<', page.text).group(1) == str(APPLICATIONS)
        new_ms = await _median_ms(lambda: client.get("/dashboard"), 20)
    projection = dict.fromkeys(OLD_FIELDS, 1)

    async def old_request() -> None:
        found = await applications.find({}, projection).to_list(OLD_LIMIT)
        summarise(found, utcnow())

    old_ms = await _median_ms(old_request, 5)
    measured(
        "dashboard at 25,000 applications",
        request_ms=new_ms,
        old_request_ms=old_ms,
        backfill_s=round(backfill, 1),
        insert_s=round(inserted, 1),
    )
    measured(
        "SLA sweep of the overdue backlog",
        escalated=escalated,
        seconds=round(sweep, 1),
        per_second=round(escalated / sweep),
    )
