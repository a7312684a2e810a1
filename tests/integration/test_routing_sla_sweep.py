"""The SLA sweep against the real broker and database: a backlog of a thousand overdue
open applications is escalated in one sweep, a page per transaction, and the sweep reads
only open applications — the decided ones, however many and however late, are neither
read nor touched."""

import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from ops.localstack import LocalStack
from services.routing.seen import api_source
from services.routing.sla import sweep_query
from services.routing.workflow import StatusChange, change_status
from shared.catalogue import load_catalogue
from shared.events import AgencyReportData, AgencyStatusReported, SlaBreached, utcnow
from shared.ids import uuid7
from tests.e2e.helpers import eventually
from tests.integration.routing_support import (
    publish,
    read_events,
    running_routing,
    submitted,
)

OVERDUE, DECIDED, NOT_YET_DUE = 1000, 600, 50


@pytest.fixture(scope="module")
async def routing(stack: LocalStack) -> AsyncIterator[Any]:
    # one sweep at start; the tests sweep when they choose
    async with running_routing(stack, sla_sweep_seconds=3600) as (app, url):
        app.state.url = url
        yield app


def _application(n: int, status: str, due_in: timedelta) -> dict:
    now = utcnow()
    document = {
        "_id": f"sweep-{status}-{n:05d}",
        "tracking_number": f"3514-{n:07d}",
        "service": "ktp-el",
        "region": "3514",
        "citizen_id": "citizen-1",
        "agency": "disdukcapil-3514",
        "handler_kind": "kafka",
        "status": status,
        "sequence": 3,
        "submitted_at": now - timedelta(days=30),
        "sla_due_at": now + due_in,
        "sla_breached": False,
        "updated_at": now - timedelta(days=1),
        "correlation_id": f"c-{n}",
        "counted": True,
    }
    if status not in ("approved", "rejected", "completed", "cancelled"):
        document["sla_open"] = True
    return document


async def _examined(db: Any, now: Any) -> int:
    """Documents the sweep's query reads, as the database reports it."""
    plan = await db.command(
        "explain",
        {"find": "applications", "filter": sweep_query(now), "sort": {"sla_due_at": 1, "_id": 1}},
        verbosity="executionStats",
    )
    return plan["executionStats"]["totalDocsExamined"]


async def test_every_overdue_open_application_is_escalated_in_one_sweep_and_no_decided_one_is_read(
    routing,
):
    runtime, clock = routing.state.runtime, routing.state.parts.clock
    applications = runtime.db["applications"]
    await applications.insert_many(
        [_application(n, "in_review", -timedelta(days=1 + n % 20)) for n in range(OVERDUE)]
        + [_application(n, "approved", -timedelta(days=1 + n % 20)) for n in range(DECIDED)]
        + [_application(n, "received", timedelta(days=3)) for n in range(NOT_YET_DUE)]
    )
    now = utcnow()
    assert await _examined(runtime.db, now) == OVERDUE  # the decided ones are not in the index

    started = time.perf_counter()
    escalated = await clock.sweep_once(now)
    seconds = time.perf_counter() - started
    print(f"SLA sweep: {escalated} overdue applications escalated in {seconds:.2f} s")

    assert escalated == OVERDUE
    breached = await applications.count_documents({"sla_breached": True})
    assert breached == OVERDUE
    untouched = await applications.count_documents(
        {"status": {"$in": ["approved", "received"]}, "sla_breached_at": {"$exists": True}}
    )
    assert untouched == 0
    assert await _examined(runtime.db, utcnow()) == 0  # the next sweep reads nothing
    assert await clock.sweep_once() == 0

    def breaches(events: list) -> list:
        return [e for e in events if isinstance(e, SlaBreached)]

    announced = breaches(
        await read_events(
            runtime.settings.kafka_bootstrap,
            runtime.topics.escalations,
            lambda events: len(breaches(events)) >= OVERDUE,
            timeout=60,
        )
    )
    assert len({e.subject for e in announced}) == OVERDUE
    supervisor = load_catalogue().agency("disdukcapil-3514").supervisor_email
    assert all(e.data.escalate_to == [supervisor] for e in announced)
    # the dashboard counts them as overdue while they stay open
    counts = await routing.state.parts.counts.read()
    assert counts["overdue"] == OVERDUE
    # and the operators' metric counts each breach once
    async with httpx.AsyncClient(base_url=routing.state.url) as client:
        metrics = (await client.get("/metrics")).text
    assert f'mpp_sla_breaches_total{{agency="disdukcapil-3514"}} {float(OVERDUE)}' in metrics


async def test_a_decision_stops_the_clock_so_a_late_application_decided_in_time_is_never_swept(
    routing,
):
    runtime, units = routing.state.runtime, routing.state.runtime.units
    applications = runtime.db["applications"]
    event = submitted("ktp-el", "3514", sla_due_at=utcnow() + timedelta(seconds=2))
    await publish(runtime, runtime.topics.submitted, event)
    routed = await eventually(lambda: applications.find_one({"_id": event.subject}), timeout=20)
    assert routed["sla_open"] is True  # the clock runs

    for to in ("received", "in_review", "approved"):
        cause = AgencyStatusReported(
            source="agency:disdukcapil-3514",
            subject=event.subject,
            correlation_id=uuid7(),
            data=AgencyReportData(
                application_id=event.subject, agency="disdukcapil-3514", status=to
            ),
        )
        await change_status(
            units(),
            StatusChange(
                cause=cause,
                source=api_source("test-agency"),
                application_id=event.subject,
                to=to,
                actor="agency",
                agency="disdukcapil-3514",
                note=None,
                requested_fields=[],
            ),
        )
    decided = await applications.find_one({"_id": event.subject})
    assert "sla_open" not in decided  # out of the sweep's index

    later = utcnow() + timedelta(days=1)  # long past its due date
    await routing.state.parts.clock.sweep_once(later)
    assert (await applications.find_one({"_id": event.subject}))["sla_breached"] is False
