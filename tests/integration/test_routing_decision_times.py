"""The dashboard's time to decision, against the real broker and database: measured to
the moment each application was approved or rejected, not to its last change."""

import re
from datetime import timedelta

from services.routing.seen import api_source
from services.routing.workflow import StatusChange, change_status
from shared.events import AgencyReportData, AgencyStatusReported, utcnow
from shared.ids import uuid7
from tests.e2e.helpers import eventually
from tests.integration.routing_support import publish, submitted

DAY = timedelta(days=1)


async def move(units, application_id: str, to: str, at) -> dict:
    """One agency report, made at a known time."""
    report = AgencyStatusReported(
        source="routing",
        subject=application_id,
        correlation_id=uuid7(),
        time=at,
        data=AgencyReportData(application_id=application_id, agency="-", status=to),
    )
    return await change_status(
        units(),
        StatusChange(
            cause=report,
            source=api_source("test-agency"),
            application_id=application_id,
            to=to,
            actor="agency",
            agency=None,
            note=None,
            requested_fields=[],
        ),
    )


async def test_the_median_is_measured_to_each_decision_and_a_later_completion_does_not_count(
    service_app,
):
    routing = await service_app("routing")
    runtime, units = routing.app.state.runtime, routing.app.state.runtime.units
    start = utcnow() - 20 * DAY
    events = []
    for _ in range(3):
        event = submitted()
        data = event.data.model_copy(update={"submitted_at": start, "sla_due_at": start + 5 * DAY})
        events.append(event.model_copy(update={"data": data}))
        await publish(runtime, runtime.topics.submitted, events[-1])
    ids = [event.subject for event in events]
    await eventually(
        lambda: runtime.db["applications"].count_documents({"_id": {"$in": ids}}),
        timeout=20,
        until=lambda n: n == 3,
    )
    early, late, middle = ids
    # approved after 2 days, completed after 9: decided in time, in 2 days
    for to, day in (("received", 1), ("in_review", 1.5), ("approved", 2), ("completed", 9)):
        await move(units, early, to, start + day * DAY)
    # rejected after 6 days: past its due date
    for to, day in (("received", 1), ("rejected", 6)):
        await move(units, late, to, start + day * DAY)
    # approved after 4 days
    for to, day in (("received", 1), ("in_review", 3), ("approved", 4)):
        await move(units, middle, to, start + day * DAY)
    # the same approval reported again does not move the decision time
    await move(units, middle, "approved", start + 7 * DAY)

    stored = await runtime.db["applications"].find_one({"_id": early})
    assert stored["status"] == "completed"
    assert abs(stored["decided_at"] - (start + 2 * DAY)) < timedelta(milliseconds=5)

    page = await routing.get("/dashboard")
    assert page.status_code == 200
    median = re.search(r'id="median-days">([^<]+)<', page.text).group(1)
    within = re.search(r'id="within-sla">([^<]+)<', page.text).group(1)
    assert median.split()[0] == "4.0"
    assert within == "66.7%"
