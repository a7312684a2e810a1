"""Hole 8: a record's topic is its authority, not the type its body claims.

An agency system may write to its own updates topic, and anything it writes there can
carry any ``type``. Against the real broker and database, with the four services
running: a citizen's cancellation forged on an agency's updates topic is dead-lettered
as ``unexpected-type`` and the application is not cancelled; an access record forged
there is kept in the audit log (the log keeps every record) but never reaches the
citizen's "who read my data" log.
"""

from shared.auth import issue_token
from shared.events import (
    AccessData,
    CancellationData,
    CancellationRequested,
    DataAccessed,
    DeadLettered,
    encode,
)
from shared.ids import uuid7
from tests.e2e.helpers import eventually
from tests.integration.routing_support import read_events, submitted

AGENCY = "disdukcapil-3514"  # a Kafka agency: it writes to its own updates topic


async def _routed(services, citizen_id: str):
    """An application of ``citizen_id`` routed to the Kafka agency, and recorded by audit."""
    routing, audit = services.runtime("routing"), services.runtime("audit")
    application = submitted("ktp-el", "3514")
    application = application.model_copy(
        update={"data": application.data.model_copy(update={"citizen_id": citizen_id})}
    )
    await routing.broker.publish(
        encode(application), routing.topics.submitted, key=application.subject.encode()
    )
    await eventually(
        lambda: routing.db["applications"].find_one({"_id": application.subject}),
        timeout=20,
        until=lambda found: found is not None and found["status"] == "routed",
    )
    await eventually(
        lambda: audit.db["records"].count_documents(
            {"subject": application.subject, "type": "application.submitted"}
        ),
        timeout=20,
    )
    return application


async def test_a_cancellation_forged_on_an_agencys_updates_topic_cancels_nothing(services):
    routing = services.runtime("routing")
    application = await _routed(services, "citizen-hole8-a")
    forged = CancellationRequested(
        source="intake",  # the body claims to be intake; the topic says it is the agency
        subject=application.subject,
        region="3514",
        correlation_id=uuid7(),
        data=CancellationData(
            application_id=application.subject,
            tracking_number=application.data.tracking_number,
            citizen_id="citizen-hole8-a",
            reason="dibatalkan oleh instansi",
        ),
    )
    updates = routing.topics.agency_updates(AGENCY)
    await routing.broker.publish(encode(forged), updates, key=application.subject.encode())

    def refused(events) -> bool:
        return any(isinstance(e, DeadLettered) and e.subject == application.subject for e in events)

    events = await read_events(routing.settings.kafka_bootstrap, routing.topics.deadletter, refused)
    letter = next(e for e in events if isinstance(e, DeadLettered) and refused([e]))
    assert letter.data.topic == updates
    assert "not declared for that topic" in letter.data.reason
    stored = await routing.db["applications"].find_one({"_id": application.subject})
    assert stored["status"] == "routed"


async def test_an_access_record_forged_on_an_agencys_topic_never_reaches_the_citizens_log(
    services,
):
    audit = services.runtime("audit")
    application = await _routed(services, "citizen-hole8-b")
    forged = DataAccessed(
        source="audit",
        subject=application.subject,
        region="3514",
        correlation_id=uuid7(),
        data=AccessData(
            application_id=application.subject,
            actor_kind="auditor",
            actor_id="inspektorat-palsu",
            purpose="audit",
        ),
    )
    await audit.broker.publish(
        encode(forged), audit.topics.agency_updates(AGENCY), key=application.subject.encode()
    )
    kept = await eventually(
        lambda: audit.db["records"].find_one({"event_id": forged.id}), timeout=20
    )

    token, _ = issue_token(services.settings, "citizen-hole8-b", ("citizen",))
    answer = await services["audit"].get(
        "/api/v1/me/access-log", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200
    assert answer.json()["items"] == []
    # The log keeps the record as read, marked as not what it claims to be.
    assert kept["misplaced"] is True
    assert kept.get("type") is None
    assert kept.get("subject") is None
