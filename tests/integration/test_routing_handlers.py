"""Routing against the real broker and database, one test per thing an agency or an
operator would notice: each handler kind gets its applications (Kafka inbox, signed
webhook over real HTTP, workbench), a failing webhook is retried on the schedule and
then dead-lettered, unroutable and poison events are dead-lettered while the stream
carries on, redelivered events change nothing, and an overdue application is escalated.

One routing process (served over real HTTP, so agency systems can call it back) is
shared by the module; every test works on its own applications.
"""

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from examples.agency.__main__ import report
from examples.webhook_agency.__main__ import build_app as example_webhook_agency
from ops.localstack import LocalStack, free_port
from services.routing.keys import ApiKeys
from services.routing.signing import generate_secret
from services.routing.workflow import WORKFLOW_VERSION
from shared.catalogue import load_catalogue
from shared.events import (
    ApplicationDispatched,
    DeadLettered,
    Event,
    SlaBreached,
    StatusChanged,
    WebhookDeliveryFailed,
    decode,
    encode,
    utcnow,
)
from shared.ids import uuid7
from tests.e2e.helpers import eventually
from tests.integration.routing_support import (
    RoutingWorld,
    http_server,
    publish,
    publish_raw,
    read_events,
    run_cli,
    running_routing,
    submitted,
)

SCHEDULE = (0.3, 0.6, 1.2)
JITTER = 0.2
SUPERVISORS = {a.code: a.supervisor_email for a in load_catalogue().agencies}
OPERATOR = "operator@mpp.example.go.id"


def recording_receiver(secret: str, answer: int) -> FastAPI:
    """An agency endpoint that checks each request with the Standard Webhooks reference
    library, records it, and answers ``answer``."""
    app = FastAPI()
    app.state.requests = []

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        try:
            Webhook(secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        app.state.requests.append(
            {"at": time.monotonic(), "headers": headers, "body": body, "verified": verified}
        )
        return Response(status_code=answer if verified else 401)

    return app


@dataclass
class World(RoutingWorld):
    url: str
    receiver: FastAPI
    failing: FastAPI
    example: FastAPI
    stack: LocalStack

    async def read(self, topic: str, until: Any, timeout: float = 20) -> list[Event]:
        return await read_events(self.runtime.settings.kafka_bootstrap, topic, until, timeout)

    async def routed(self, event: Any, timeout: float = 20) -> dict:
        await publish(self.runtime, self.topics.submitted, event)
        return await eventually(
            lambda: self.applications.find_one({"_id": event.subject}), timeout=timeout
        )


@pytest.fixture(scope="module")
async def world(stack: LocalStack) -> AsyncIterator[World]:
    secrets = {a: generate_secret() for a in ("dpmptsp-3514", "samsat-3514", "dpmptsp-3576")}
    receiver = recording_receiver(secrets["dpmptsp-3514"], 204)
    failing = recording_receiver(secrets["samsat-3514"], 503)
    routing_port = free_port()
    example_keys: dict[str, str] = {}
    example = example_webhook_agency(
        {"dpmptsp-3576": secrets["dpmptsp-3576"]},
        example_keys,
        f"http://127.0.0.1:{routing_port}",
    )
    async with AsyncExitStack() as started:
        receiver_url = await started.enter_async_context(http_server(receiver))
        failing_url = await started.enter_async_context(http_server(failing))
        example_url = await started.enter_async_context(http_server(example))
        app, url = await started.enter_async_context(
            running_routing(
                stack,
                routing_port,
                webhook_allow_private_targets=True,
                webhook_secrets=secrets,
                webhook_urls={
                    "dpmptsp-3514": f"{receiver_url}/hook",
                    "samsat-3514": f"{failing_url}/hook",
                    "dpmptsp-3576": f"{example_url}/mpp/webhook/dpmptsp-3576",
                },
                webhook_retry_schedule=",".join(f"{int(s * 1000)}ms" for s in SCHEDULE),
                webhook_retry_jitter=JITTER,
                webhook_poll_seconds=0.05,
                sla_sweep_seconds=0.3,
                escalation_cc_email=OPERATOR,
            )
        )
        issued = await ApiKeys(app.state.runtime.db).issue("dpmptsp-3576")
        example_keys["dpmptsp-3576"] = issued.token
        yield World(app, url, receiver, failing, example, stack)


def about(subject: str, kind: type) -> Any:
    def select(events: list[Event]) -> list:
        return [e for e in events if isinstance(e, kind) and e.subject == subject]

    return select


async def mpp(world: World, *args: str) -> tuple[int, str]:
    """Run the operator CLI against this module's database."""
    return await run_cli(world.stack, world.topics.namespace, *args)


async def test_a_kafka_agency_gets_the_application_on_its_inbox_and_its_report_moves_the_status(
    world,
):
    application = submitted("ktp-el", "3514", form={"reason": "baru"})
    stored = await world.routed(application)
    assert stored["rule_version"] == load_catalogue().version
    assert stored["workflow_version"] == WORKFLOW_VERSION

    inbox = world.topics.agency_inbox("disdukcapil-3514")
    dispatched = about(application.subject, ApplicationDispatched)
    [delivered] = dispatched(await world.read(inbox, dispatched))
    assert delivered.data.agency == "disdukcapil-3514"
    assert delivered.data.form == {"reason": "baru"}
    assert delivered.data.rule_version == load_catalogue().version
    assert delivered.data.workflow_version == WORKFLOW_VERSION

    # The agency answers as the example agency does: a plain JSON report on its updates.
    received = report(json.loads(encode(delivered)), "received")
    updates = world.topics.agency_updates("disdukcapil-3514")
    key = application.subject.encode()
    await publish_raw(world.runtime, updates, json.dumps(received).encode(), key)
    moved = await eventually(
        lambda: world.applications.find_one({"_id": application.subject}),
        timeout=20,
        until=lambda a: a["status"] == "received",
    )
    assert moved["sequence"] == 2

    # Redelivered: the same submission, the same report, and a second submission of the
    # same application under a new event id. None of them changes anything.
    await publish(world.runtime, world.topics.submitted, application)
    await publish_raw(world.runtime, updates, json.dumps(received).encode(), key)
    resubmitted = application.model_copy(update={"id": uuid7()})
    await publish(world.runtime, world.topics.submitted, resubmitted)
    # A later submission on the same partition: once it is routed, so are those before.
    behind = submitted()
    await publish_raw(world.runtime, world.topics.submitted, encode(behind), key)
    await eventually(lambda: world.applications.find_one({"_id": behind.subject}), timeout=20)
    in_review = report(json.loads(encode(delivered)), "in_review")
    await publish_raw(world.runtime, updates, json.dumps(in_review).encode(), key)
    await eventually(
        lambda: world.applications.find_one({"_id": application.subject}),
        timeout=20,
        until=lambda a: a["status"] == "in_review",
    )
    changes = about(application.subject, StatusChanged)
    events = await world.read(world.topics.status, lambda es: len(changes(es)) >= 3)
    assert [(c.data.to_status, c.data.sequence, c.data.actor) for c in changes(events)] == [
        ("routed", 1, "system"),
        ("received", 2, "agency"),
        ("in_review", 3, "agency"),
    ]
    assert len(dispatched(await world.read(inbox, dispatched))) == 1
    assert await world.applications.count_documents({"_id": application.subject}) == 1


async def test_a_webhook_agency_gets_a_post_signed_as_the_standard_webhooks_spec_says(world):
    application = submitted("nib", "3514", form={"business_name": "Warung Bu Sri"})
    await world.routed(application)

    def mine() -> list[dict]:
        return [
            r
            for r in world.receiver.state.requests
            if decode(r["body"]).subject == application.subject
        ]

    async def current() -> list[dict]:
        return mine()

    [request] = await eventually(current, timeout=20)
    assert request["verified"], "the reference library rejected the signature"
    delivery = await world.runtime.db["deliveries"].find_one(
        {"application_id": application.subject}
    )
    assert request["headers"]["webhook-id"] == delivery["_id"]
    assert abs(int(request["headers"]["webhook-timestamp"]) - time.time()) < 60
    body = decode(request["body"])
    assert isinstance(body, ApplicationDispatched)
    assert body.data.agency == "dpmptsp-3514"
    assert body.data.form == {"business_name": "Warung Bu Sri"}

    stored = await eventually(
        lambda: world.applications.find_one({"_id": application.subject}),
        timeout=10,
        until=lambda a: a["delivery_state"] == "delivered",
    )
    assert stored["handler_kind"] == "webhook"
    delivery = await world.runtime.db["deliveries"].find_one({"_id": delivery["_id"]})
    assert [(a["outcome"], a["status_code"]) for a in delivery["attempts"]] == [("delivered", 204)]


async def test_the_example_webhook_agency_verifies_a_delivery_and_reports_it_received(world):
    application = submitted("nib", "3576", form={"business_name": "Toko Makmur"})
    await world.routed(application)
    moved = await eventually(
        lambda: world.applications.find_one({"_id": application.subject}),
        timeout=30,
        until=lambda a: a["status"] == "received",
    )
    assert moved["agency"] == "dpmptsp-3576"
    assert ("dpmptsp-3576", application.subject) in world.example.state.received


async def test_a_failing_webhook_receiver_sees_every_retry_then_the_delivery_fails_visibly(
    world,
):
    application = submitted("pajak-kendaraan", "3514", form={"plate": "N 1234 AB"})
    await world.routed(application)
    deliveries = world.runtime.db["deliveries"]
    failed = await eventually(
        lambda: deliveries.find_one({"application_id": application.subject}),
        timeout=30,
        until=lambda d: d is not None and d["state"] == "failed",
    )

    # Every attempt reached the receiver, correctly signed, with the same webhook-id...
    requests = [
        r for r in world.failing.state.requests if decode(r["body"]).subject == application.subject
    ]
    assert len(requests) == len(SCHEDULE) + 1
    assert all(r["verified"] for r in requests)
    assert {r["headers"]["webhook-id"] for r in requests} == {failed["_id"]}
    # ... spaced by the schedule, stretched by at most the jitter (plus polling slack).
    gaps = [later["at"] - earlier["at"] for earlier, later in itertools.pairwise(requests)]
    for gap, delay in zip(gaps, SCHEDULE, strict=True):
        assert delay <= gap <= delay * (1 + JITTER) + 1.0, (gaps, SCHEDULE)

    # Every attempt is recorded with its outcome.
    assert [(a["number"], a["outcome"], a["status_code"]) for a in failed["attempts"]] == [
        (n, "http_error", 503) for n in range(1, len(SCHEDULE) + 2)
    ]
    stored = await world.applications.find_one({"_id": application.subject})
    assert stored["delivery_state"] == "failed"

    letters = about(application.subject, DeadLettered)
    [letter] = letters(await world.read(world.topics.deadletter, letters))
    assert letter.data.topic == "webhook:samsat-3514"
    assert letter.data.attempts == len(SCHEDULE) + 1
    assert "503" in letter.data.reason
    assert decode(letter.data.payload.encode()).subject == application.subject

    escalations = about(application.subject, WebhookDeliveryFailed)
    [escalation] = escalations(await world.read(world.topics.escalations, escalations))
    assert escalation.data.escalate_to == [SUPERVISORS["samsat-3514"], OPERATOR]
    assert escalation.data.endpoint_host == "127.0.0.1"

    # Operators see the failed delivery with `mpp agency deliveries`.
    code, output = await mpp(world, "agency", "deliveries", "--state", "failed")
    assert code == 0, output
    line = next(row for row in output.splitlines() if application.subject in row)
    assert "samsat-3514" in line
    assert f"attempts {len(SCHEDULE) + 1}" in line
    assert "http_error 503" in line


async def test_a_workbench_agency_gets_no_push_and_officers_work_through_keys_the_cli_issues(
    world,
):
    application = submitted("skck", "3514", form={"purpose": "melamar kerja"})
    stored = await world.routed(application)
    assert stored["handler_kind"] == "workbench"
    assert stored["delivery_state"] is None
    assert (
        await world.runtime.db["deliveries"].count_documents(
            {"application_id": application.subject}
        )
        == 0
    )

    code, output = await mpp(world, "agency", "issue-key", "polres-3514")
    assert code == 0, output
    fields = dict(line.split(":", 1) for line in output.splitlines() if ":" in line)
    key_id, token = fields["key id"].strip(), fields["key"].strip()
    stored_key = await world.runtime.db["agency_keys"].find_one({"_id": key_id})
    assert stored_key["agency"] == "polres-3514"
    assert token.rsplit("_", 1)[-1] not in str(stored_key)

    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=world.url, timeout=10) as client:
        listing = await client.get("/api/v1/agency/applications", headers=headers)
        assert listing.status_code == 200, listing.text
        assert application.subject in [item["id"] for item in listing.json()["items"]]

        code, output = await mpp(world, "agency", "revoke-key", key_id)
        assert code == 0, output
        assert f"revoked {key_id} of polres-3514" in output
        refused = await client.get("/api/v1/agency/applications", headers=headers)
        assert refused.status_code == 401

    unknown, missing = await asyncio.gather(
        mpp(world, "agency", "issue-key", "polres-9999"),
        mpp(world, "agency", "revoke-key", "nosuchkey"),
    )
    assert unknown[0] == 2
    assert "unknown agency polres-9999" in unknown[1]
    assert missing == (1, "no key nosuchkey\n")


async def test_an_unroutable_application_fails_routing_with_a_reason_an_operator_can_act_on(
    world,
):
    application = submitted("ktp-el", "9999")
    stored = await world.routed(application)
    assert stored["status"] == "routing_failed"
    assert stored["agency"] is None

    changes = about(application.subject, StatusChanged)
    [change] = changes(await world.read(world.topics.status, changes))
    assert change.data.to_status == "routing_failed"
    assert "ktp-el" in change.data.note
    assert "9999" in change.data.note
    assert "catalogue" in change.data.note

    letters = about(application.subject, DeadLettered)
    [letter] = letters(await world.read(world.topics.deadletter, letters))
    assert letter.data.topic == world.topics.submitted
    assert letter.data.partition >= 0
    assert letter.data.offset >= 0
    assert letter.data.reason == change.data.note
    assert decode(letter.data.payload.encode()).id == application.id


async def test_poison_events_are_dead_lettered_with_their_position_and_the_stream_carries_on(
    world,
):
    application = submitted("ktp-el", "3514")
    key = application.subject.encode()
    topics = world.topics
    invalid = json.dumps({"type": "application.submitted", "id": "x", "data": {}}).encode()
    wrong_type = encode(
        StatusChanged.model_validate(
            {
                "source": "intake",
                "subject": application.subject,
                "correlation_id": application.subject,
                "data": {
                    "application_id": application.subject,
                    "tracking_number": "t",
                    "service": "ktp-el",
                    "region": "3514",
                    "to_status": "routed",
                    "sequence": 1,
                    "actor": "system",
                },
            }
        )
    )
    for poison in (b"not json at all", wrong_type, invalid):
        await publish_raw(world.runtime, topics.submitted, poison, key)
    stored = await world.routed(application)  # after the poison, on the same partition
    assert stored["status"] == "routed"

    updates = topics.agency_updates("disdukcapil-3514")
    dispatched = json.loads(
        encode(
            ApplicationDispatched.model_validate(
                {
                    "source": "routing",
                    "subject": application.subject,
                    "correlation_id": application.correlation_id,
                    "data": {
                        "application_id": application.subject,
                        "tracking_number": application.data.tracking_number,
                        "service": "ktp-el",
                        "region": "3514",
                        "agency": "disdukcapil-3514",
                    },
                }
            )
        )
    )
    illegal = report(dispatched, "approved")  # routed → approved skips the workflow
    for poison in (b"{broken", json.dumps(illegal).encode()):
        await publish_raw(world.runtime, updates, poison, key)
    await publish_raw(
        world.runtime, updates, json.dumps(report(dispatched, "received")).encode(), key
    )
    await eventually(
        lambda: world.applications.find_one({"_id": application.subject}),
        timeout=20,
        until=lambda a: a["status"] == "received",
    )

    def poisoned(events: list[Event]) -> list[DeadLettered]:
        wanted = (topics.submitted, updates)
        return [
            e
            for e in events
            if isinstance(e, DeadLettered)
            and e.data.topic in wanted
            and e.data.payload
            in {
                "not json at all",
                wrong_type.decode(),
                invalid.decode(),
                "{broken",
                json.dumps(illegal),
            }
        ]

    letters = poisoned(await world.read(topics.deadletter, lambda es: len(poisoned(es)) >= 5))
    assert len(letters) == 5
    by_payload = {letter.data.payload: letter.data for letter in letters}
    for letter in letters:
        assert letter.data.partition >= 0
        assert letter.data.offset >= 0
        assert letter.data.attempts <= world.runtime.settings.handler_attempts
        assert letter.data.reason
    assert by_payload["not json at all"].topic == topics.submitted
    assert by_payload["not json at all"].consumer_group == world.runtime.groups.routing_submissions
    assert "unexpected event type application.status_changed" in (
        by_payload[wrong_type.decode()].reason
    )
    assert by_payload["{broken"].topic == updates
    assert "allowed next: received" in by_payload[json.dumps(illegal)].reason
    offsets = sorted(d.offset for d in by_payload.values() if d.topic == topics.submitted)
    assert len(set(offsets)) == 3


async def test_an_overdue_application_is_escalated_once_to_the_agencys_supervisor(world):
    application = submitted("izin-praktik-nakes", "3514", sla_due_at=utcnow() - timedelta(days=3))
    await world.routed(application)
    breaches = about(application.subject, SlaBreached)
    [breach] = breaches(await world.read(world.topics.escalations, breaches))
    assert breach.data.agency == "dinkes-3514"
    assert breach.data.escalate_to == [SUPERVISORS["dinkes-3514"], OPERATOR]
    assert breach.data.status == "routed"
    stored = await world.applications.find_one({"_id": application.subject})
    assert stored["sla_breached"] is True

    key = await ApiKeys(world.runtime.db).issue("dinkes-3514")
    async with httpx.AsyncClient(base_url=world.url, timeout=10) as client:
        view = await client.get(
            f"/api/v1/agency/applications/{application.subject}",
            headers={"authorization": f"Bearer {key.token}"},
        )
    assert view.json()["overdue"] is True
    assert view.json()["working_days_left"] < 0

    await asyncio.sleep(3 * world.runtime.settings.sla_sweep_seconds)  # more sweeps
    assert len(breaches(await world.read(world.topics.escalations, breaches))) == 1
