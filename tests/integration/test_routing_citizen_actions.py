"""Citizens' cancellations and answers reach the workflow routing owns, against the real
broker and database: an answer resubmits the application with the corrected form, a
cancellation cancels it, and a request for someone else's application changes nothing."""

import pytest

from services.routing.keys import ApiKeys
from shared.events import (
    CancellationData,
    CancellationRequested,
    DeadLettered,
    InformationData,
    InformationProvided,
    StatusChanged,
)
from shared.ids import uuid7
from tests.e2e.helpers import eventually
from tests.integration.routing_support import publish, read_events, submitted


@pytest.fixture
async def routing(service_app):
    return await service_app("routing")


async def status_of(runtime, application_id: str) -> str | None:
    found = await runtime.db["applications"].find_one({"_id": application_id}, {"status": 1})
    return found and found["status"]


async def routed(runtime, event) -> None:
    await publish(runtime, runtime.topics.submitted, event)
    await eventually(
        lambda: status_of(runtime, event.subject), timeout=20, until=lambda s: s == "routed"
    )


def answer(application, citizen_id: str = "citizen-1") -> InformationProvided:
    return InformationProvided(
        source="intake",
        subject=application.subject,
        region=application.region,
        correlation_id=uuid7(),
        data=InformationData(
            application_id=application.subject,
            tracking_number=application.data.tracking_number,
            citizen_id=citizen_id,
            form={"str_number": "STR-1234"},
            note="nomor STR terlampir",
        ),
    )


def cancellation(application, citizen_id: str = "citizen-1") -> CancellationRequested:
    return CancellationRequested(
        source="intake",
        subject=application.subject,
        region=application.region,
        correlation_id=uuid7(),
        data=CancellationData(
            application_id=application.subject,
            tracking_number=application.data.tracking_number,
            citizen_id=citizen_id,
            reason="tidak jadi",
        ),
    )


async def test_an_answer_resubmits_with_the_corrected_form_and_a_cancellation_cancels(routing):
    runtime = routing.app.state.runtime
    key = await ApiKeys(runtime.db).issue("dinkes-3514")
    headers = {"authorization": f"Bearer {key.token}"}
    asked, withdrawn = submitted(), submitted()
    for application in (asked, withdrawn):
        await routed(runtime, application)
    url = f"/api/v1/agency/applications/{asked.subject}/transitions"
    for body in ({"to": "received"}, {"to": "needs_info", "requested_fields": ["str_number"]}):
        assert (await routing.post(url, json=body, headers=headers)).status_code == 200

    reply = answer(asked)
    await publish(runtime, runtime.topics.citizen_actions, reply)
    await publish(runtime, runtime.topics.citizen_actions, reply)  # redelivered
    await publish(runtime, runtime.topics.citizen_actions, cancellation(withdrawn))

    await eventually(
        lambda: status_of(runtime, asked.subject), timeout=20, until=lambda s: s == "resubmitted"
    )
    await eventually(
        lambda: status_of(runtime, withdrawn.subject), timeout=20, until=lambda s: s == "cancelled"
    )
    detail = await routing.get(f"/api/v1/agency/applications/{asked.subject}", headers=headers)
    assert detail.json()["form"] == {"profession": "bidan", "str_number": "STR-1234"}
    assert "in_review" in detail.json()["allowed_next"]

    def changes(events) -> list[tuple[str, str, int]]:
        return [
            (e.subject, e.data.to_status, e.data.sequence)
            for e in events
            if isinstance(e, StatusChanged) and e.data.actor == "citizen"
        ]

    events = await read_events(
        runtime.settings.kafka_bootstrap, runtime.topics.status, lambda es: len(changes(es)) >= 2
    )
    assert sorted(changes(events)) == sorted(
        [(asked.subject, "resubmitted", 4), (withdrawn.subject, "cancelled", 2)]
    )


async def test_a_request_for_another_citizens_application_is_dead_lettered_unapplied(routing):
    runtime = routing.app.state.runtime
    application = submitted()
    await routed(runtime, application)

    await publish(
        runtime, runtime.topics.citizen_actions, cancellation(application, "someone-else")
    )

    def refused(events) -> bool:
        return any(
            isinstance(e, DeadLettered) and e.data.topic == runtime.topics.citizen_actions
            for e in events
        )

    events = await read_events(runtime.settings.kafka_bootstrap, runtime.topics.deadletter, refused)
    letter = next(e for e in events if isinstance(e, DeadLettered))
    assert "not the requesting citizen's" in letter.data.reason
    assert await status_of(runtime, application.subject) == "routed"
