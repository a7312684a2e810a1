"""Hole 9: one agency cannot use another agency's request ids first.

Routing remembers each change it applied by the id of the request that asked for it,
so a request delivered again changes nothing. The id is chosen by the sender — an
agency system's report id, an Idempotency-Key on the agency API — and is often
predictable. Against the real broker and database, with the services running: agency
A reports a real change of its *own* application under the id agency B will use next
(on its updates topic, and as B's Idempotency-Key); B's change is still applied.
"""

from services.routing.keys import ApiKeys
from shared.events import AgencyReportData, AgencyStatusReported, encode
from tests.e2e.helpers import eventually
from tests.integration.routing_support import submitted

A, B = "disdukcapil-3514", "disdukcapil-3576"  # two Kafka agencies (ktp-el, two regions)


async def _routed(routing, region: str) -> str:
    application = submitted("ktp-el", region)
    await routing.broker.publish(
        encode(application), routing.topics.submitted, key=application.subject.encode()
    )
    await _status(routing, application.subject, "routed")
    return application.subject


async def _status(routing, application_id: str, status: str) -> dict:
    return await eventually(
        lambda: routing.db["applications"].find_one({"_id": application_id}),
        timeout=20,
        until=lambda found: found is not None and found["status"] == status,
    )


async def _report(routing, agency: str, application_id: str, status: str, report_id: str):
    report = AgencyStatusReported(
        id=report_id,
        source=f"agency:{agency}",
        subject=application_id,
        correlation_id=application_id,
        data=AgencyReportData(application_id=application_id, agency=agency, status=status),
    )
    await routing.broker.publish(
        encode(report), routing.topics.agency_updates(agency), key=application_id.encode()
    )


async def test_an_agencys_report_id_used_first_by_another_agency_still_applies(services):
    routing = services.runtime("routing")
    own, theirs = await _routed(routing, "3514"), await _routed(routing, "3576")
    predictable = f"{B}-report-{theirs[-6:]}-1"

    # Agency A burns B's next report id on a real change of its own application …
    await _report(routing, A, own, "received", predictable)
    await _status(routing, own, "received")
    # … and B's report under that id is still B's change.
    await _report(routing, B, theirs, "received", predictable)
    await _status(routing, theirs, "received")


async def test_an_idempotency_key_used_first_on_another_agencys_topic_still_applies(services):
    routing = services.runtime("routing")
    own, theirs = await _routed(routing, "3514"), await _routed(routing, "3576")
    key = await ApiKeys(routing.db).issue(B)

    # The id routing gives B's API change under Idempotency-Key "perubahan-1".
    await _report(routing, A, own, "received", f"agency-api:{B}:perubahan-1")
    await _status(routing, own, "received")

    answer = await services["routing"].post(
        f"/api/v1/agency/applications/{theirs}/transitions",
        json={"to": "received"},
        headers={"Authorization": f"Bearer {key.token}", "Idempotency-Key": "perubahan-1"},
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "received"
    stored = await routing.db["applications"].find_one({"_id": theirs})
    assert stored["status"] == "received"
