"""Agency systems on Kafka, against the real broker and database: a system that serves
several offices reads all their applications on its one inbox and reports on its one
updates topic, and only for the offices it serves — the topic a report came on is the
authority, never the body.

Routing runs with a catalogue built in code (``tests.catalogues``): siak-jatim serves
disdukcapil-3514 and disdukcapil-3574, siak-banten serves disdukcapil-3671, and
disdukcapil-3576 keeps an inbox of its own.
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from examples.agency.__main__ import build as build_demo_agency
from ops.localstack import LocalStack
from shared.events import (
    AgencyReportData,
    AgencyStatusReported,
    ApplicationDispatched,
    DeadLettered,
    Event,
)
from shared.ids import uuid7
from tests.catalogues import with_systems
from tests.e2e.helpers import eventually
from tests.integration.routing_support import (
    RoutingWorld,
    publish,
    read_events,
    running_routing,
    submitted,
)


@dataclass
class World(RoutingWorld):
    async def read(self, topic: str, until: Any) -> list[Event]:
        return await read_events(self.runtime.settings.kafka_bootstrap, topic, until, 20)

    async def routed(self, region: str) -> Any:
        event = submitted("ktp-el", region, form={"reason": "baru"})
        await publish(self.runtime, self.topics.submitted, event)
        stored = await eventually(
            lambda: self.applications.find_one({"_id": event.subject}), timeout=20
        )
        assert stored["status"] == "routed"
        return event

    async def report(self, system: str, application_id: str, office: str) -> str:
        """``system`` reports ``received`` on its updates topic, naming ``office``."""
        event = AgencyStatusReported(
            source=f"/mpp/agency/{system}",
            subject=application_id,
            correlation_id=uuid7(),
            data=AgencyReportData(application_id=application_id, agency=office, status="received"),
        )
        await publish(self.runtime, self.topics.agency_updates(system), event)
        return event.id

    async def status(self, application_id: str, status: str) -> dict:
        return await eventually(
            lambda: self.applications.find_one({"_id": application_id}),
            timeout=20,
            until=lambda a: a["status"] == status,
        )

    async def dead_letters(self, ids: set[str]) -> dict[str, DeadLettered]:
        """The dead letters of the reports ``ids``, by report id, once all are there."""

        def found(events: list[Event]) -> dict[str, DeadLettered]:
            letters = [e for e in events if isinstance(e, DeadLettered) and e.data.payload]
            return {
                json.loads(letter.data.payload)["id"]: letter
                for letter in letters
                if json.loads(letter.data.payload).get("id") in ids
            }

        events = await self.read(self.topics.deadletter, lambda es: len(found(es)) == len(ids))
        return found(events)


@pytest.fixture(scope="module")
async def world(stack: LocalStack) -> AsyncIterator[World]:
    async with running_routing(stack, catalogue=with_systems()) as (app, _url):
        yield World(app)


def dispatched_to(subjects: set[str]) -> Any:
    def select(events: list[Event]) -> list[ApplicationDispatched]:
        return [e for e in events if isinstance(e, ApplicationDispatched) and e.subject in subjects]

    return select


async def test_a_system_serving_two_offices_reads_both_offices_applications_on_one_inbox(world):
    pasuruan, probolinggo = await world.routed("3514"), await world.routed("3574")
    mojokerto = await world.routed("3576")  # an office with an inbox of its own
    # The third office's application is on its own inbox ...
    own = world.topics.agency_inbox("disdukcapil-3576")
    theirs = dispatched_to({mojokerto.subject})
    assert theirs(await world.read(own, lambda es: len(theirs(es)) == 1))
    # ... and the two served offices' applications on the system's one inbox.
    ours = {pasuruan.subject, probolinggo.subject}
    inbox = world.topics.agency_inbox("siak-jatim")
    events = await world.read(inbox, lambda es: len(dispatched_to(ours)(es)) == 2)
    # Each event names its office, so the system knows whose work it is.
    assert {(e.subject, e.data.agency) for e in dispatched_to(ours)(events)} == {
        (pasuruan.subject, "disdukcapil-3514"),
        (probolinggo.subject, "disdukcapil-3574"),
    }
    assert not theirs(events)
    # An office a system serves has no topics of its own; the system's are wider.
    admin = AIOKafkaAdminClient(bootstrap_servers=world.runtime.settings.kafka_bootstrap)
    await admin.start()
    try:
        names = set(await admin.list_topics())
        [described] = await admin.describe_topics([inbox])
    finally:
        await admin.close()
    assert world.topics.agency_inbox("disdukcapil-3514") not in names
    assert world.topics.agency_updates("disdukcapil-3574") not in names
    assert len(described["partitions"]) == world.runtime.settings.kafka_system_partitions


async def test_a_systems_report_for_an_office_it_serves_moves_the_application(world):
    application = await world.routed("3574")
    await world.report("siak-jatim", application.subject, "disdukcapil-3574")
    stored = await world.status(application.subject, "received")
    assert stored["agency"] == "disdukcapil-3574"


async def test_a_systems_report_for_an_office_it_does_not_serve_is_dead_lettered(world):
    mojokerto, pasuruan = await world.routed("3576"), await world.routed("3514")
    # siak-jatim names the third office, which it does not serve ...
    unserved = await world.report("siak-jatim", mojokerto.subject, "disdukcapil-3576")
    # ... names an office it serves about the third office's application ...
    borrowed = await world.report("siak-jatim", mojokerto.subject, "disdukcapil-3514")
    # ... and another system names one of siak-jatim's offices.
    other = await world.report("siak-banten", pasuruan.subject, "disdukcapil-3514")

    letters = await world.dead_letters({unserved, borrowed, other})
    assert "a system only for the offices it serves" in letters[unserved].data.reason
    assert "disdukcapil-3576" in letters[unserved].data.reason
    assert "not handled by agency disdukcapil-3514" in letters[borrowed].data.reason
    assert "a system only for the offices it serves" in letters[other].data.reason
    assert letters[unserved].data.topic == world.topics.agency_updates("siak-jatim")
    assert letters[other].data.topic == world.topics.agency_updates("siak-banten")
    for application in (mojokerto, pasuruan):
        stored = await world.applications.find_one({"_id": application.subject})
        assert (stored["status"], stored["sequence"]) == ("routed", 1)


async def test_the_demo_agency_run_as_a_system_answers_for_both_its_offices(world):
    # Last in the module: it answers every application already on the system's inbox.
    demo = build_demo_agency(
        world.runtime.settings.kafka_bootstrap, world.runtime.settings.namespace, ["siak-jatim"]
    )
    await demo.start()
    try:
        pasuruan, probolinggo = await world.routed("3514"), await world.routed("3574")
        for application, office in (
            (pasuruan, "disdukcapil-3514"),
            (probolinggo, "disdukcapil-3574"),
        ):
            stored = await world.status(application.subject, "received")
            assert stored["agency"] == office
    finally:
        await demo.stop()
