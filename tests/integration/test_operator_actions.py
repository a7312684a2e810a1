"""Operator actions that close the loop, against the real broker and database: an
application that failed routing is re-routed once the catalogue names its agency, and a
webhook delivery that failed for good is sent again once the agency's endpoint works.

One routing process (served over real HTTP) is shared by the module and publishes what
the actions stage in its outbox, as it does for ``mpp`` run beside it; every test works
on its own applications.
"""

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ops.localstack import LocalStack
from services.routing.operator_actions import (
    ActionRefused,
    redeliver,
    reroute,
)
from services.routing.signing import generate_secret
from shared.catalogue import Catalogue, load_catalogue
from shared.events import (
    ApplicationDispatched,
    Event,
    OperatorActed,
    StatusChanged,
    decode,
)
from shared.outbox import Outbox
from shared.unit_of_work import UnitsOfWork
from tests.e2e.helpers import eventually
from tests.integration.routing_support import (
    RoutingWorld,
    http_server,
    publish,
    read_events,
    run_cli,
    running_routing,
    submitted,
)

SCHEDULE = (0.2, 0.4, 0.8)
ATTEMPTS = len(SCHEDULE) + 1
WEBHOOK_AGENCIES = ("dpmptsp-3514", "samsat-3514", "samsat-3574")
UNCOVERED = "9999"
"""A region no service of the shipped catalogue is offered in."""
OPERATOR = "siti.operator"
APPLICANT = {"nik": "3514011508900001", "name": "Siti Aminah"}


def agency_endpoint(secrets: dict[str, str]) -> FastAPI:
    """The webhook endpoint of every agency of the module: verifies each request with the
    Standard Webhooks reference library, records it, and answers 204 for applications
    in ``state.working`` and 503 (down) for the others."""
    app = FastAPI()
    app.state.requests = []
    app.state.working = set()

    @app.post("/hook/{agency}")
    async def hook(agency: str, request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        try:
            Webhook(secrets[agency]).verify(body, headers)
        except WebhookVerificationError:
            return Response(status_code=401)
        subject = decode(body).subject
        app.state.requests.append({"agency": agency, "subject": subject, "headers": headers})
        return Response(status_code=204 if subject in app.state.working else 503)

    return app


@dataclass
class World(RoutingWorld):
    endpoint: FastAPI
    stack: LocalStack

    @property
    def deliveries(self) -> Any:
        return self.runtime.db["deliveries"]

    def context(self) -> dict[str, Any]:
        """What ``mpp`` gives the actions: routing's database, its units of work staging
        in an outbox on it whose rows the running routing process's relay publishes."""
        outbox = Outbox(
            self.runtime.db,
            self.runtime.broker,
            allowed_topics=self.topics.all(load_catalogue().kafka_inboxes()),
        )
        return {
            "operator": OPERATOR,
            "units": UnitsOfWork(self.runtime.mongo, outbox),
            "db": self.runtime.db,
            "topics": self.topics,
        }

    async def reroute(self, application_id: str, catalogue: Catalogue) -> Any:
        return await reroute(
            application_id, operator=OPERATOR, parts=self.app.state.parts, catalogue=catalogue
        )

    async def read(self, topic: str, until: Any, timeout: float = 20) -> list[Event]:
        return await read_events(self.runtime.settings.kafka_bootstrap, topic, until, timeout)

    async def everything_on(self, topic: str) -> list[Event]:
        """Every event on ``topic`` up to its end now: to count what was published."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.runtime.settings.kafka_bootstrap, enable_auto_commit=False
        )
        await consumer.start()
        try:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            events: list[Event] = []
            while [p for p in partitions if await consumer.position(p) < ends[p]]:
                batches = await consumer.getmany(timeout_ms=200)
                events += [decode(r.value) for records in batches.values() for r in records]
            return events
        finally:
            await consumer.stop()

    async def routed(self, event: Any) -> dict:
        await publish(self.runtime, self.topics.submitted, event)
        return await eventually(
            lambda: self.applications.find_one({"_id": event.subject}), timeout=20
        )

    async def failed_delivery(self, event: Any) -> dict:
        """Route ``event`` to a webhook agency that is down; wait until it fails for good."""
        await self.routed(event)
        return await eventually(
            lambda: self.deliveries.find_one({"application_id": event.subject}),
            timeout=30,
            until=lambda d: d is not None and d["state"] == "failed",
        )

    async def mpp(self, *args: str) -> tuple[int, str]:
        """Run the operator CLI against this module's namespace."""
        return await run_cli(self.stack, self.topics.namespace, *args)


@pytest.fixture(scope="module")
async def world(stack: LocalStack) -> AsyncIterator[World]:
    secrets = {agency: generate_secret() for agency in WEBHOOK_AGENCIES}
    endpoint = agency_endpoint(secrets)
    async with AsyncExitStack() as started:
        endpoint_url = await started.enter_async_context(http_server(endpoint))
        app, _url = await started.enter_async_context(
            running_routing(
                stack,
                webhook_allow_private_targets=True,
                webhook_secrets=secrets,
                webhook_urls={a: f"{endpoint_url}/hook/{a}" for a in WEBHOOK_AGENCIES},
                webhook_retry_schedule=",".join(f"{int(s * 1000)}ms" for s in SCHEDULE),
                webhook_retry_jitter=0.1,
                webhook_poll_seconds=0.05,
            )
        )
        yield World(app, endpoint, stack)


def fixed_catalogue(service: str, region: str, agency: str) -> Catalogue:
    """The shipped catalogue after an operator's fix: ``region`` added, and ``service``
    offered there by ``agency``; a new version."""
    data = load_catalogue().model_dump()
    data["version"] += 1
    data["regions"].append({"code": region, "name": "Kabupaten Uji", "mpp": "MPP Kabupaten Uji"})
    for entry in data["services"]:
        if entry["code"] == service:
            entry["agencies"][region] = agency
    return Catalogue.model_validate(data)


def about(subject: str, kind: type) -> Any:
    def select(events: list[Event]) -> list:
        return [e for e in events if isinstance(e, kind) and e.subject == subject]

    return select


async def failed_routing(world: World, service: str, form: dict) -> Any:
    """An application no agency handles: routing_failed, carrying the applicant."""
    application = submitted(service, UNCOVERED, form=form)
    stored = await world.routed(application)
    assert stored["status"] == "routing_failed"
    assert stored["agency"] is None
    # The applicant's declared fields, as routing keeps them from the submission.
    await world.applications.update_one(
        {"_id": application.subject},
        {"$set": {"applicant": APPLICANT, "applicant_fields": sorted(APPLICANT)}},
    )
    return application


async def test_a_routing_failed_application_is_rerouted_once_after_the_catalogue_gains_its_agency(
    world,
):
    application = await failed_routing(world, "ktp-el", {"reason": "baru"})
    before = await world.applications.find_one({"_id": application.subject})

    # While the catalogue still has no agency for it, the operator is told so.
    with pytest.raises(ActionRefused, match="still has no agency for service ktp-el"):
        await world.reroute(application.subject, load_catalogue())
    assert await world.applications.find_one({"_id": application.subject}) == before

    catalogue = fixed_catalogue("ktp-el", UNCOVERED, "disdukcapil-3514")
    done = await world.reroute(application.subject, catalogue)
    assert (done.agency, done.handler_kind, done.sequence) == ("disdukcapil-3514", "kafka", 2)
    stored = await world.applications.find_one({"_id": application.subject})
    assert stored["status"] == "routed"
    assert stored["sequence"] == 2
    assert stored["agency"] == "disdukcapil-3514"
    assert stored["handler_kind"] == "kafka"
    assert stored["delivery_state"] is None
    assert stored["rule_version"] == catalogue.version == load_catalogue().version + 1
    assert stored["rerouted_by"] == OPERATOR

    # Once: a second re-route is refused and changes nothing.
    with pytest.raises(ActionRefused, match="is routed, not routing_failed"):
        await world.reroute(application.subject, catalogue)
    assert await world.applications.find_one({"_id": application.subject}) == stored

    # The running routing process publishes what the action staged.
    changes = about(application.subject, StatusChanged)
    status = await world.read(world.topics.status, lambda es: len(changes(es)) >= 2)
    [failed, routed] = changes(status)
    assert (failed.data.to_status, failed.data.sequence) == ("routing_failed", 1)
    assert (routed.data.from_status, routed.data.to_status) == ("routing_failed", "routed")
    assert (routed.data.sequence, routed.data.actor) == (2, "system")
    assert routed.data.agency == "disdukcapil-3514"
    assert "operator" in routed.data.note

    inbox = world.topics.agency_inbox("disdukcapil-3514")
    dispatched = about(application.subject, ApplicationDispatched)
    [sent] = dispatched(await world.read(inbox, dispatched))
    assert sent.data.agency == "disdukcapil-3514"
    assert sent.data.form == {"reason": "baru"}
    # The inbox names the applicant's fields; the agency reads them through its API.
    assert sent.data.applicant is None
    assert set(sent.data.applicant_fields) == set(APPLICANT)
    assert sent.data.rule_version == catalogue.version
    assert sent.data.tracking_number == application.data.tracking_number
    assert sent.data.sla_due_at == stored["sla_due_at"]

    acted = about(application.subject, OperatorActed)
    [action] = acted(await world.read(world.topics.operations, acted))
    assert action.data.action == "reroute"
    assert action.data.target == application.subject
    assert action.data.operator == OPERATOR
    assert "disdukcapil-3514" in action.data.outcome
    assert routed.causation_id == sent.causation_id == action.id
    assert routed.correlation_id == application.correlation_id

    # Nothing more was published for the refused attempt.
    await asyncio.sleep(2 * world.runtime.settings.outbox_poll_seconds)
    assert len(changes(await world.everything_on(world.topics.status))) == 2
    assert len(dispatched(await world.everything_on(inbox))) == 1
    assert len(acted(await world.everything_on(world.topics.operations))) == 1


async def test_two_operators_rerouting_the_same_application_at_once_route_it_only_once(world):
    application = await failed_routing(world, "kartu-keluarga", {"reason": "baru"})
    catalogue = fixed_catalogue("kartu-keluarga", UNCOVERED, "disdukcapil-3514")

    outcomes = await asyncio.gather(
        world.reroute(application.subject, catalogue),
        world.reroute(application.subject, catalogue),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, ActionRefused)]
    assert len(refused) == 1, outcomes
    stored = await world.applications.find_one({"_id": application.subject})
    assert (stored["status"], stored["sequence"]) == ("routed", 2)

    inbox = world.topics.agency_inbox("disdukcapil-3514")
    dispatched = about(application.subject, ApplicationDispatched)
    await world.read(inbox, dispatched)
    await asyncio.sleep(2 * world.runtime.settings.outbox_poll_seconds)
    assert len(dispatched(await world.everything_on(inbox))) == 1
    acted = about(application.subject, OperatorActed)
    assert len(acted(await world.everything_on(world.topics.operations))) == 1


async def test_an_application_rerouted_to_a_webhook_agency_is_delivered_by_the_running_routing(
    world,
):
    application = await failed_routing(world, "nib", {"business_name": "Warung Bu Sri"})
    world.endpoint.state.working.add(application.subject)

    done = await world.reroute(
        application.subject, fixed_catalogue("nib", UNCOVERED, "dpmptsp-3514")
    )
    assert (done.agency, done.handler_kind) == ("dpmptsp-3514", "webhook")
    stored = await eventually(
        lambda: world.applications.find_one({"_id": application.subject}),
        timeout=20,
        until=lambda a: a["delivery_state"] == "delivered",
    )
    assert stored["status"] == "routed"
    [request] = [r for r in world.endpoint.state.requests if r["subject"] == application.subject]
    assert request["agency"] == "dpmptsp-3514"
    delivery = await world.deliveries.find_one({"application_id": application.subject})
    assert request["headers"]["webhook-id"] == delivery["_id"]
    assert [a["outcome"] for a in delivery["attempts"]] == ["delivered"]


async def test_the_reroute_command_refuses_an_application_it_cannot_route_and_says_why(world):
    application = await failed_routing(world, "akta-kelahiran", {"child_name": "Budi"})
    before = await world.applications.find_one({"_id": application.subject})

    code, output = await world.mpp("applications", "reroute", application.subject)
    assert code == 1, output
    assert "akta-kelahiran" in output
    assert UNCOVERED in output
    assert "fix the catalogue first" in output
    assert await world.applications.find_one({"_id": application.subject}) == before

    code, output = await world.mpp("applications", "reroute", "no-such-application")
    assert code == 1, output
    assert "no application no-such-application" in output

    routed = submitted("ktp-el", "3514", form={"reason": "baru"})
    await world.routed(routed)
    code, output = await world.mpp("applications", "reroute", routed.subject)
    assert code == 1, output
    assert "is routed, not routing_failed" in output


async def test_failed_deliveries_of_an_agency_are_redelivered_and_reach_its_mended_endpoint(
    world,
):
    first = submitted("pajak-kendaraan", "3514", form={"plate": "N 1234 AB"})
    second = submitted("pajak-kendaraan", "3514", form={"plate": "N 5678 CD"})
    failed = await asyncio.gather(world.failed_delivery(first), world.failed_delivery(second))
    for delivery in failed:
        assert len(delivery["attempts"]) == ATTEMPTS
    stored = await world.applications.find_one({"_id": first.subject})
    assert stored["delivery_state"] == "failed"

    # The agency fixed its endpoint; the operator sends everything that failed again.
    world.endpoint.state.working |= {first.subject, second.subject}
    code, output = await world.mpp(
        "agency", "redeliver", "--agency", "samsat-3514", "--failed", "--operator", OPERATOR
    )
    assert code == 0, output
    assert "2 pengiriman dijadwalkan ulang / deliveries scheduled again" in output
    for delivery in failed:
        assert delivery["_id"] in output

    for event, before in zip((first, second), failed, strict=True):
        delivered = await eventually(
            lambda before=before: world.deliveries.find_one({"_id": before["_id"]}),
            timeout=20,
            until=lambda d: d["state"] == "delivered",
        )
        # The earlier attempts are kept; the new one is numbered after them.
        assert delivered["attempts"][:ATTEMPTS] == before["attempts"]
        assert [(a["number"], a["outcome"]) for a in delivered["attempts"][ATTEMPTS:]] == [
            (ATTEMPTS + 1, "delivered")
        ]
        assert [r["operator"] for r in delivered["redeliveries"]] == [OPERATOR]
        assert delivered["attempts_before_redelivery"] == ATTEMPTS
        application = await world.applications.find_one({"_id": event.subject})
        assert application["delivery_state"] == "delivered"
        requests = [r for r in world.endpoint.state.requests if r["subject"] == event.subject]
        assert len(requests) == ATTEMPTS + 1
        assert {r["headers"]["webhook-id"] for r in requests} == {before["_id"]}

        acted = about(event.subject, OperatorActed)
        [action] = acted(await world.read(world.topics.operations, acted))
        assert action.data.action == "redeliver"
        assert action.data.target == before["_id"]
        assert action.data.application_id == event.subject
        assert action.data.operator == OPERATOR


async def test_a_redelivered_delivery_that_fails_again_gets_the_whole_retry_schedule_again(
    world,
):
    event = submitted("pajak-kendaraan", "3574", form={"plate": "N 9012 EF"})
    failed = await world.failed_delivery(event)

    done = await redeliver(failed["_id"], **world.context())
    assert (done.application_id, done.previous_attempts) == (event.subject, ATTEMPTS)
    pending = await world.deliveries.find_one({"_id": failed["_id"]})
    assert pending["state"] == "pending"
    assert [r["operator"] for r in pending["redeliveries"]] == [OPERATOR]
    assert pending["attempts_before_redelivery"] == ATTEMPTS

    again = await eventually(
        lambda: world.deliveries.find_one({"_id": failed["_id"]}),
        timeout=30,
        until=lambda d: d["state"] == "failed" and len(d["attempts"]) > ATTEMPTS,
    )
    assert [a["number"] for a in again["attempts"]] == list(range(1, 2 * ATTEMPTS + 1))
    second_cycle = again["attempts"][ATTEMPTS:]
    gaps = [
        (later["at"] - earlier["at"]).total_seconds()
        for earlier, later in itertools.pairwise(second_cycle)
    ]
    for gap, delay in zip(gaps, SCHEDULE, strict=True):
        assert delay <= gap <= delay * 1.1 + 1.0, (gaps, SCHEDULE)
    application = await world.applications.find_one({"_id": event.subject})
    assert application["delivery_state"] == "failed"


async def test_a_delivery_that_has_not_failed_is_not_redelivered(world):
    event = submitted("nib", "3514", form={"business_name": "Toko Makmur"})
    world.endpoint.state.working.add(event.subject)
    await world.routed(event)
    delivered = await eventually(
        lambda: world.deliveries.find_one({"application_id": event.subject}),
        timeout=20,
        until=lambda d: d is not None and d["state"] == "delivered",
    )

    code, output = await world.mpp("agency", "redeliver", delivered["_id"])
    assert code == 1, output
    assert "is delivered, not failed" in output
    assert await world.deliveries.find_one({"_id": delivered["_id"]}) == delivered

    with pytest.raises(ActionRefused, match="no webhook delivery"):
        await redeliver("no-such-delivery", **world.context())

    code, output = await world.mpp("agency", "redeliver", "--agency", "dpmptsp-3514")
    assert code == 2, output
    assert "--agency A together with --failed" in output

    await asyncio.sleep(2 * world.runtime.settings.outbox_poll_seconds)
    acted = about(event.subject, OperatorActed)
    assert acted(await world.everything_on(world.topics.operations)) == []
