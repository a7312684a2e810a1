"""An application finished by its agency, on each handler kind, with every service its
own process over the real broker and database: the agency receives the applicant's
declared fields and nothing more, asks for information, receives the citizen's answer
(a field and a document) on its own channel, approves with a result PDF; the citizen
downloads the PDF, the public verification confirms its code and hash, and the audit
log holds every step.

The three kinds run side by side on one platform: Kafka (disdukcapil-3576, answered by
the demo agency process plus the test acting as its back office), signed webhook
(samsat-3576, the example webhook agency served here over real HTTP) and workbench
(dinkes-3576, through the agency API the workbench uses).
"""

import asyncio
import hashlib
import io
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from examples.webhook_agency.__main__ import build_app as webhook_agency
from ops.localstack import LocalStack, free_port
from services.audit.chain import verify
from services.routing.keys import ApiKeys
from services.routing.signing import generate_secret
from shared.catalogue import load_catalogue
from shared.events import AnswerForwarded, ApplicationDispatched
from tests.conftest import ARTIFACTS, Platform
from tests.e2e.helpers import Citizen, Stores, eventually, read_topic, register
from tests.integration.routing_support import http_server

PDF = b"%PDF-1.4\n% hasil layanan\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SCAN = b"%PDF-1.4\n% kartu keluarga\n%%EOF\n"

SERVICES = {
    "kafka": ("ktp-el", {"reason": "baru"}, "disdukcapil-3576"),
    "webhook": (
        "pajak-kendaraan",
        {"plate_number": "S 1234 AB", "vehicle_type": "motor"},
        "samsat-3576",
    ),
    "workbench": (
        "izin-praktik-nakes",
        {"profession": "bidan", "str_number": "STR-1234", "practice_address": "Jl. Mawar 1"},
        "dinkes-3576",
    ),
}


class Journey:
    """One platform, its stores, the agencies' keys and the webhook agency's receipts."""

    def __init__(self, platform: Platform, stores: Stores, keys: dict, hook: Any) -> None:
        self.platform = platform
        self.stores = stores
        self.keys = keys
        self.hook = hook

    def intake(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.platform.url("intake"), timeout=20)

    def agency(self, code: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.platform.url("routing"),
            headers={"Authorization": f"Bearer {self.keys[code]}"},
            timeout=20,
        )

    async def view(self, client: httpx.AsyncClient, citizen: Citizen, id: str) -> dict:
        return (await client.get(f"/api/v1/applications/{id}", headers=citizen.headers)).json()

    async def reaches(
        self, client: httpx.AsyncClient, citizen: Citizen, id: str, status: str
    ) -> dict:
        return await eventually(
            lambda: self.view(client, citizen, id),
            timeout=40,
            until=lambda v: v["status"] == status,
        )


@pytest.fixture(scope="module")
async def journey(stack: LocalStack) -> AsyncIterator[Journey]:
    secret = generate_secret()
    keys: dict[str, str] = {}
    routing_port = free_port()
    hook = webhook_agency({"samsat-3576": secret}, keys, f"http://127.0.0.1:{routing_port}")
    namespace = f"t{uuid.uuid4().hex[:10]}"
    async with http_server(hook) as hook_url:
        env = {
            "MPP_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
            "MPP_MONGO_URI": stack.mongo_uri,
            "MPP_NAMESPACE": namespace,
            "MPP_RETRY_BACKOFF_SECONDS": "0.05",
            "MPP_WEBHOOK_SECRETS": json.dumps({"samsat-3576": secret}),
            "MPP_WEBHOOK_URLS": json.dumps({"samsat-3576": f"{hook_url}/mpp/webhook/samsat-3576"}),
            "MPP_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "MPP_WEBHOOK_POLL_SECONDS": "0.2",
            # intake links the citizen to routing for downloads and verification
            "MPP_ROUTING_PORT": str(routing_port),
        }
        platform = Platform(env, ARTIFACTS / "test-logs" / "agency-journeys")
        platform.provision()
        await asyncio.to_thread(_start, platform, routing_port)
        stores = Stores(_settings(env))
        for code in ("disdukcapil-3576", "samsat-3576", "dinkes-3576"):
            keys[code] = (await ApiKeys(stores.routing).issue(code)).token
        try:
            yield Journey(platform, stores, keys, hook)
        finally:
            await stores.close()
            platform.stop()


def _start(platform: Platform, routing_port: int) -> None:
    from ops.processes import service_process

    # Routing on the port the webhook agency calls back; the others on free ports.
    platform.processes["routing"] = service_process(
        "routing", platform.env, routing_port, platform.log_dir
    ).start()
    platform.start("intake", "notify", "audit", "agency")
    platform.processes["routing"].wait_ready(timeout=90)


def _settings(env: dict[str, str]) -> Any:
    from shared.settings import Settings

    return Settings(
        kafka_bootstrap=env["MPP_KAFKA_BOOTSTRAP"],
        mongo_uri=env["MPP_MONGO_URI"],
        namespace=env["MPP_NAMESPACE"],
    )


@asynccontextmanager
async def citizen_of(journey: Journey) -> AsyncIterator[tuple[httpx.AsyncClient, Citizen]]:
    async with journey.intake() as client:
        yield client, await register(client, name="Dewi Lestari", birth_place="Surabaya")


async def agency_receives(journey: Journey, kind: str, id: str) -> dict:
    """What the agency's own system got: the inbox event or the webhook body, which name
    the applicant's fields, with the applicant read through the agency API (the
    recorded way personal data reaches an agency); or the API's view (the workbench
    page shows the same)."""
    if kind == "workbench":
        return await agency_reads(journey, SERVICES[kind][2], id)
    told = await agency_told(journey, kind, id)
    assert told.get("applicant") is None  # topics and webhooks carry no personal data
    read = await agency_reads(journey, SERVICES[kind][2], id)
    assert set(told["applicant_fields"]) == set(read["applicant"])
    return {**told, "applicant": read["applicant"]}


async def agency_reads(journey: Journey, agency: str, id: str) -> dict:
    async with journey.agency(agency) as api:
        found = await eventually(
            lambda: api.get(f"/api/v1/agency/applications/{id}"),
            timeout=30,
            until=lambda answer: answer.status_code == 200,
        )
    return found.json()


async def agency_told(journey: Journey, kind: str, id: str) -> dict:
    """The inbox event's or the webhook body's data."""
    if kind == "kafka":
        topic = f"{journey.platform.env['MPP_NAMESPACE']}.agency.disdukcapil-3576.inbox"

        async def dispatched() -> list:
            events = await read_topic(journey.platform.env["MPP_KAFKA_BOOTSTRAP"], topic, 1, 5)
            return [e for e in events if isinstance(e, ApplicationDispatched) and e.subject == id]

        [mine] = await eventually(dispatched, timeout=30)
        return json.loads(mine.model_dump_json())["data"]

    async def delivered() -> list:
        return [e for e in journey.hook.state.events if e["subject"] == id]

    return (await eventually(delivered, timeout=30))[0]["data"]


async def answer_reaches_agency(journey: Journey, kind: str, id: str) -> dict:
    if kind == "kafka":
        topic = f"{journey.platform.env['MPP_NAMESPACE']}.agency.disdukcapil-3576.inbox"

        async def answers() -> list:
            events = await read_topic(journey.platform.env["MPP_KAFKA_BOOTSTRAP"], topic, 2, 5)
            return [e for e in events if isinstance(e, AnswerForwarded) and e.subject == id]

        return json.loads((await eventually(answers, timeout=30))[0].model_dump_json())["data"]
    if kind == "webhook":

        async def answered() -> list:
            return [
                e
                for e in journey.hook.state.events
                if e["subject"] == id and e["type"] == "application.answer_forwarded"
            ]

        return (await eventually(answered, timeout=30))[0]["data"]
    async with journey.agency("dinkes-3576") as api:

        async def detail() -> dict:
            return (await api.get(f"/api/v1/agency/applications/{id}")).json()

        found = await eventually(detail, timeout=30, until=lambda d: d.get("responses"))
    return found["responses"][-1]


async def move(journey: Journey, agency: str, id: str, body: dict) -> None:
    async with journey.agency(agency) as api:
        moved = await api.post(
            f"/api/v1/agency/applications/{id}/transitions",
            json=body,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    assert moved.status_code == 200, moved.text


async def approve_with_result(journey: Journey, kind: str, agency: str, id: str) -> dict:
    async with journey.agency(agency) as api:
        uploaded = await api.post(
            f"/api/v1/agency/applications/{id}/results",
            files={"file": ("hasil.pdf", io.BytesIO(PDF), "application/pdf")},
        )
    assert uploaded.status_code == 201, uploaded.text
    result = uploaded.json()
    if kind == "kafka":  # the agency's system reports on its own updates topic
        from aiokafka import AIOKafkaProducer

        report = {
            "id": str(uuid.uuid4()),
            "type": "agency.status_reported",
            "source": f"agency:{agency}",
            "subject": id,
            "region": "3576",
            "correlation_id": str(uuid.uuid4()),
            "data": {
                "application_id": id,
                "agency": agency,
                "status": "approved",
                "results": [result["sha256"]],
            },
        }
        producer = AIOKafkaProducer(bootstrap_servers=journey.platform.env["MPP_KAFKA_BOOTSTRAP"])
        await producer.start()
        try:
            topic = f"{journey.platform.env['MPP_NAMESPACE']}.agency.{agency}.updates"
            await producer.send_and_wait(topic, json.dumps(report).encode(), key=id.encode())
        finally:
            await producer.stop()
    else:
        await move(journey, agency, id, {"to": "approved", "results": [result["sha256"]]})
    return result


@pytest.mark.parametrize("kind", ["kafka", "webhook", "workbench"])
async def test_an_agency_finishes_an_application_with_a_result_the_citizen_downloads(journey, kind):
    service, form, agency = SERVICES[kind]
    declared = set(load_catalogue().service(service).applicant_fields)
    async with citizen_of(journey) as (client, citizen):
        accepted = await client.post(
            "/api/v1/applications",
            json={"service": service, "region": "3576", "data": form, "channel": "web"},
            headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert accepted.status_code == 202, accepted.text
        id = accepted.json()["id"]

        # 1. The agency learns who applied: the declared fields, nothing more.
        received = await agency_receives(journey, kind, id)
        applicant = received["applicant"]
        assert set(applicant) == declared
        assert applicant["nik"] == citizen.nik
        assert applicant["name"] == "Dewi Lestari"
        profile = (await client.get("/api/v1/me", headers=citizen.headers)).json()
        for undeclared in {"email", "phone", "birth_place"} - declared:
            assert profile[undeclared] not in json.dumps(received)

        # 2. It asks for more information (Kafka and webhook agencies said "received"
        # on their own; a workbench officer does it by hand).
        if kind == "workbench":
            await move(journey, agency, id, {"to": "received"})
        await journey.reaches(client, citizen, id, "received")
        await move(journey, agency, id, {"to": "needs_info", "requested_fields": ["note"]})
        await journey.reaches(client, citizen, id, "needs_info")

        # 3. The citizen answers with a field and a document.
        scan = await client.post(
            "/api/v1/documents",
            files={"file": ("kk.pdf", io.BytesIO(SCAN), "application/pdf")},
            headers=citizen.headers,
        )
        assert scan.status_code == 201, scan.text
        answered = await client.post(
            f"/api/v1/applications/{id}/responses",
            json={"data": {}, "documents": [scan.json()["sha256"]], "note": "KK terlampir"},
            headers=citizen.headers,
        )
        assert answered.status_code == 202, answered.text

        # 4. The agency's system receives the answer on its own channel.
        answer = await answer_reaches_agency(journey, kind, id)
        assert [d["sha256"] for d in answer["documents"]] == [scan.json()["sha256"]]
        assert answer["note"] == "KK terlampir"
        assert answer["requested_fields"] == ["note"]

        # 5. It takes the answer up and approves with a result PDF.
        if kind == "workbench":
            await move(journey, agency, id, {"to": "in_review"})
        await journey.reaches(client, citizen, id, "in_review")
        result = await approve_with_result(journey, kind, agency, id)
        view = await journey.reaches(client, citizen, id, "approved")
        [offered] = view["results"]
        assert offered["code"] == result["code"]

        # 6. The citizen downloads it; 7. anyone verifies it.
        download = await client.get(offered["download"], headers=citizen.headers)
        assert download.status_code == 200  # intake fetched it from routing itself
        assert download.content == PDF
        assert "location" not in download.headers  # no signed URL ever reaches the browser
        async with httpx.AsyncClient() as browser:
            verified = (
                await browser.get(
                    f"{journey.platform.url('routing')}/api/v1/verify/{result['code']}"
                )
            ).json()
        assert verified["valid"]
        assert verified["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert verified["agency"]["code"] == agency
        someone_else = await register(client)
        stolen = await client.get(offered["download"], headers=someone_else.headers)
        assert stolen.status_code == 404

    # 8. The audit log holds every step, and the chain verifies.
    # On Kafka the dispatch and the forwarded answer are events on the agency's inbox;
    # a webhook agency's copies are routing's delivery records, and the "routed" status
    # change stands for the dispatch in the log.
    expected = {
        "application.submitted",
        "application.status_changed",
        "application.information_provided",
        "document.issued",
    }
    if kind == "kafka":
        expected |= {
            "application.dispatched",
            "application.answer_forwarded",
            "agency.status_reported",
        }

    async def audited() -> set[str]:
        records = await journey.stores.audit.records.find({"subject": id}).to_list()
        return {r["type"] for r in records}

    await eventually(audited, timeout=30, until=lambda types: expected <= types)
    chain = await journey.stores.audit.records.find().sort("_id").to_list()
    assert verify(chain).ok
