"""The public dashboard from counters, against the real broker and database: applications
stored before the counters existed are counted once by the back-fill, every later change
moves the counters in its own transaction (a redelivered one does not), and the page's
figures equal a full count of the applications themselves.

The same check over 25,000 applications — more than the old page could read — is in
``tests/scale`` (``make test-scale``).
"""

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from ops.localstack import LocalStack
from services.routing.backfill import COUNTING, done
from services.routing.operator_actions import reroute
from services.routing.seen import api_source
from services.routing.workflow import StatusChange, change_status
from shared.calendar import add_working_days
from shared.catalogue import load_catalogue
from shared.events import AgencyReportData, AgencyStatusReported, utcnow
from shared.ids import uuid7
from tests.e2e.helpers import eventually
from tests.integration.routing_support import (
    application_documents,
    assert_same_figures,
    counted_and_full,
    publish,
    running_routing,
    submitted,
)

STORED_BEFORE = 3000


@pytest.fixture(scope="module")
async def routing(stack: LocalStack) -> AsyncIterator[Any]:
    async with running_routing(stack, sla_sweep_seconds=3600) as (app, url):
        app.state.url = url
        yield app


def _report(application_id: str, agency: str, to: str, at: Any = None) -> AgencyStatusReported:
    return AgencyStatusReported(
        source=f"agency:{agency}",
        subject=application_id,
        correlation_id=uuid7(),
        **({"time": at} if at is not None else {}),
        data=AgencyReportData(application_id=application_id, agency=agency, status=to),
    )


async def _move(units: Any, application: dict, to: str, at: Any = None) -> AgencyStatusReported:
    cause = _report(application["_id"], application["agency"], to, at)
    await change_status(
        units(),
        StatusChange(
            cause=cause,
            source=api_source("test-agency"),
            application_id=application["_id"],
            to=to,
            actor="agency",
            agency=application["agency"],
            note=None,
            requested_fields=[],
        ),
    )
    return cause


async def test_the_page_says_so_while_older_applications_are_being_counted(routing):
    db = routing.state.runtime.db
    await eventually(lambda: done(db, COUNTING), timeout=20)  # the start's back-fill ended
    await db["migrations"].delete_many({"_id": "dashboard_counts"})
    async with httpx.AsyncClient(base_url=routing.state.url) as client:
        page = await client.get("/dashboard")
    assert 'id="counting"' in page.text
    await routing.state.parts.backfill.run()
    async with httpx.AsyncClient(base_url=routing.state.url) as client:
        page = await client.get("/dashboard")
    assert 'id="counting"' not in page.text


async def test_counters_kept_through_every_kind_of_change_equal_a_full_count(routing):
    runtime, units = routing.state.runtime, routing.state.runtime.units
    applications = runtime.db["applications"]
    now = utcnow()
    await eventually(lambda: done(runtime.db, COUNTING), timeout=20)  # the start's back-fill
    stored_before = application_documents(STORED_BEFORE, now, prefix="old")
    for start in range(0, len(stored_before), 250):  # short writes on a busy local server
        await applications.insert_many(stored_before[start : start + 250])
    await runtime.db["migrations"].delete_many({"_id": "dashboard_counts"})
    await routing.state.parts.backfill.run()  # counts what was stored before the counters

    # New applications, routed from the submitted topic.
    fresh = [submitted("ktp-el", "3514"), submitted("skck", "3576"), submitted("nib", "3514")]
    for event in fresh:
        await publish(runtime, runtime.topics.submitted, event)
    await eventually(
        lambda: applications.count_documents({"_id": {"$in": [e.subject for e in fresh]}}),
        timeout=20,
        until=lambda n: n == len(fresh),
    )
    # Agency reports on old and new applications: received, decided, redelivered.
    first = await applications.find_one({"_id": fresh[0].subject})
    await _move(units, first, "received")
    await _move(units, first, "in_review")
    approval = await _move(units, first, "approved", at=first["submitted_at"] + timedelta(hours=5))
    await change_status(  # the approval delivered again: nothing moves
        units(),
        StatusChange(
            cause=approval,
            source=api_source("test-agency"),
            application_id=first["_id"],
            to="approved",
            actor="agency",
            agency=first["agency"],
            note=None,
            requested_fields=[],
        ),
    )
    old_routed = await applications.find_one({"status": "routed", "_id": {"$regex": "^old-"}})
    await _move(units, old_routed, "received")
    await _move(units, old_routed, "rejected", at=old_routed["submitted_at"] + timedelta(days=2))
    old_review = await applications.find_one({"status": "in_review", "_id": {"$regex": "^old-"}})
    await _move(units, old_review, "needs_info")
    # An operator re-routes one that failed routing.
    failed = await applications.find_one({"status": "routing_failed"})
    await reroute(
        failed["_id"],
        operator="operator@mpp.example.go.id",
        parts=routing.state.parts,
        catalogue=load_catalogue(),
    )
    # The SLA sweep escalates what is overdue: the dashboard's overdue figure.
    escalated = await routing.state.parts.clock.sweep_once()
    assert escalated > 0

    counted, full = await counted_and_full(routing, utcnow())
    assert counted.total == STORED_BEFORE + len(fresh)
    assert_same_figures(counted, full)

    async with httpx.AsyncClient(base_url=routing.state.url) as client:
        page = await client.get("/dashboard")
    assert re.search(r'id="total">(\d+)<', page.text).group(1) == str(counted.total)
    assert re.search(r'id="overdue">(\d+)<', page.text).group(1) == str(full.overdue_total)


async def test_a_mobile_units_application_is_shown_under_its_channel_and_due_from_its_capture(
    routing,
):
    """An event without intake's due date (an older intake) is given one counted from
    ``captured_at``; the dashboard counts it under "Layanan keliling"."""
    runtime = routing.state.runtime
    captured = utcnow().replace(microsecond=0) - timedelta(days=2)
    event = submitted("ktp-el", "3576")
    event = event.model_copy(
        update={
            "data": event.data.model_copy(
                update={"channel": "mobile_unit", "captured_at": captured, "sla_due_at": None}
            )
        }
    )
    await publish(runtime, runtime.topics.submitted, event)
    applications = runtime.db["applications"]
    routed = await eventually(lambda: applications.find_one({"_id": event.subject}), timeout=20)
    days = load_catalogue().service("ktp-el").sla_working_days
    assert routed["sla_due_at"] == add_working_days(captured, days)
    assert (routed["channel"], routed["captured_at"]) == ("mobile_unit", captured)

    async with httpx.AsyncClient(base_url=routing.state.url) as client:
        page = (await client.get("/dashboard")).text
        english = (await client.get("/dashboard?lang=en")).text
    assert 'id="channels"' in page
    assert "Layanan keliling" in page
    assert "Mobile service unit" in english
    counted, full = await counted_and_full(routing, utcnow())
    assert dict(counted.by_channel)["mobile_unit"] >= 1
    assert dict(counted.by_channel) == dict(full.by_channel)
