"""The agency's side of an application, against the real broker and database: who
applied (only the declared fields), the citizen's answers and cancellation on every
handler kind, the result document and its public verification, and isolation between
agencies — the topic a report came on and the key that sent a request are the
authority, never the body.

One routing process, served over real HTTP, is shared by the module; every test works
on its own applications.
"""

import io
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook

from examples.agency.__main__ import report
from ops.localstack import LocalStack
from services.routing.keys import ApiKeys
from services.routing.signing import generate_secret
from shared.document_links import link_query
from shared.events import (
    AgencyReportData,
    AgencyStatusReported,
    AnswerForwarded,
    Applicant,
    ApplicantAddress,
    ApplicationDispatched,
    CancellationData,
    CancellationForwarded,
    CancellationRefused,
    CancellationRequested,
    DeadLettered,
    DocumentIssued,
    DocumentRef,
    DocumentRevoked,
    Event,
    InformationData,
    InformationProvided,
    StatusChanged,
    encode,
)
from shared.ids import uuid7
from tests.e2e.helpers import eventually
from tests.integration.routing_support import (
    RoutingWorld,
    http_server,
    publish,
    publish_raw,
    read_events,
    running_routing,
    submitted,
)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

EVERYTHING = Applicant(
    nik="3514015508900001",
    name="Siti Aminah",
    birth_place="Pasuruan",
    birth_date="1990-08-15",
    sex="F",
    address=ApplicantAddress(
        street="Jl. Raya 1",
        rt="001",
        rw="002",
        village="Kauman",
        district="Bangil",
        region_code="3514",
    ),
    family_card_number="3514010101900001",
    phone="+6281234567890",
    email="siti@example.id",
)
"""Every applicant field there is: what reaches an agency must be only what it declared."""


def receiver(secret: str) -> FastAPI:
    app = FastAPI()
    app.state.events = []

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        body = await request.body()
        Webhook(secret).verify(body, dict(request.headers))
        app.state.events.append(json.loads(body))
        return Response(status_code=204)

    return app


@dataclass
class World(RoutingWorld):
    url: str
    hook: FastAPI
    keys: dict[str, str]

    def api(self, agency: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {self.keys[agency]}"}
        )

    async def read(self, topic: str, until: Any, timeout: float = 20) -> list[Event]:
        return await read_events(self.runtime.settings.kafka_bootstrap, topic, until, timeout)

    async def routed(self, event: Any) -> dict:
        await publish(self.runtime, self.topics.submitted, event)
        return await eventually(
            lambda: self.applications.find_one({"_id": event.subject}), timeout=20
        )

    async def status(self, application_id: str, status: str) -> dict:
        return await eventually(
            lambda: self.applications.find_one({"_id": application_id}),
            timeout=20,
            until=lambda a: a["status"] == status,
        )


@pytest.fixture(scope="module")
async def world(stack: LocalStack) -> AsyncIterator[World]:
    secret = generate_secret()
    hook = receiver(secret)
    async with AsyncExitStack() as started:
        hook_url = await started.enter_async_context(http_server(hook))
        app, url = await started.enter_async_context(
            running_routing(
                stack,
                webhook_allow_private_targets=True,
                webhook_secrets={"samsat-3514": secret},
                webhook_urls={"samsat-3514": f"{hook_url}/hook"},
                webhook_poll_seconds=0.05,
            )
        )
        keys = {}
        for agency in ("disdukcapil-3514", "bpjs-kesehatan", "samsat-3514", "dinkes-3514"):
            keys[agency] = (await ApiKeys(app.state.runtime.db).issue(agency)).token
        yield World(app, url, hook, keys)


async def with_applicant(world: "World", service: str, region: str, form: dict) -> Any:
    """A submission carrying every profile field, sealed under the citizen's key as
    intake seals it."""
    event = submitted(service, region, form=form)
    sealed = await world.runtime.personal.seal(
        event.data.citizen_id, EVERYTHING.model_dump(mode="json", exclude_none=True)
    )
    return event.model_copy(
        update={"data": event.data.model_copy(update={"applicant_sealed": sealed})}
    )


def download_fields(result: dict, application_id: str, secret: Any) -> dict[str, str]:
    """The fields intake posts for ``result`` on a citizen's behalf, signed as it signs."""
    fields = link_query(
        secret, application_id, result["sha256"], "citizen", 300, officer="citizen-1"
    )
    fields["citizen"] = fields.pop("officer")
    del fields["agency"]
    return fields


def about(subject: str, kind: type) -> Any:
    def select(events: list[Event]) -> list:
        return [e for e in events if isinstance(e, kind) and e.subject == subject]

    return select


def keys_of(applicant: dict | None) -> set[str]:
    return set(applicant or {})


async def agency_report(world: World, topic_agency: str, application_id: str, **data: Any) -> str:
    event = AgencyStatusReported(
        source=f"agency:{topic_agency}",
        subject=application_id,
        correlation_id=uuid7(),
        data=AgencyReportData(application_id=application_id, **data),
    )
    await publish(world.runtime, world.topics.agency_updates(topic_agency), event)
    return event.id


async def test_an_agency_reads_only_the_applicant_fields_its_service_declares(world):
    # bpjs-kesehatan (Kafka) declares no birth place and no email; samsat (webhook) and
    # dinkes (workbench) declare fewer still. The inbox event and the webhook name the
    # fields; the values are read through the agency API, each read recorded.
    kafka = await with_applicant(world, "bpjs-kesehatan-pendaftaran", "3514", {"class": 3})
    webhook = await with_applicant(world, "pajak-kendaraan", "3514", {"plate": "N 1234 AB"})
    workbench = await with_applicant(world, "izin-praktik-nakes", "3514", {"profession": "bidan"})
    for event in (kafka, webhook, workbench):
        await world.routed(event)

    inbox = world.topics.agency_inbox("bpjs-kesehatan")
    dispatched = about(kafka.subject, ApplicationDispatched)
    [delivered] = dispatched(await world.read(inbox, dispatched))
    raw = encode(delivered).decode()
    kafka_fields = {"nik", "name", "birth_date", "sex", "address", "family_card_number", "phone"}
    assert set(json.loads(raw)["data"]["applicant_fields"]) == kafka_fields
    for personal in (EVERYTHING.nik, "Siti Aminah", EVERYTHING.phone):
        assert personal not in raw  # no personal data on the agency's topic

    async def delivered_by_webhook() -> list[dict]:
        return [e for e in world.hook.state.events if e["subject"] == webhook.subject]

    [body] = await eventually(delivered_by_webhook, timeout=20)
    assert set(body["data"]["applicant_fields"]) == {"nik", "name", "address"}
    assert EVERYTHING.nik not in json.dumps(body)

    read = {}
    for agency, event in (
        ("bpjs-kesehatan", kafka),
        ("samsat-3514", webhook),
        ("dinkes-3514", workbench),
    ):
        async with world.api(agency) as api:
            answer = await api.get(f"/api/v1/agency/applications/{event.subject}")
        assert answer.status_code == 200, answer.text
        read[agency] = answer.json()["applicant"]
    assert set(read["bpjs-kesehatan"]) == kafka_fields
    assert read["bpjs-kesehatan"]["nik"] == EVERYTHING.nik
    assert set(read["samsat-3514"]) == {"nik", "name", "address"}
    assert read["dinkes-3514"] == {"nik": EVERYTHING.nik, "name": "Siti Aminah"}
    # Routing keeps the snapshot as intake sealed it.
    stored = await world.applications.find_one({"_id": kafka.subject})
    assert stored["applicant"].startswith("pdp1.")


async def test_a_report_about_another_agencys_application_changes_nothing_and_is_dead_lettered(
    world,
):
    theirs = submitted("ktp-el", "3574", form={"reason": "baru"})  # disdukcapil-3574's
    await world.routed(theirs)
    # disdukcapil-3514, on its own topic, honestly naming itself: not its application.
    own_name = await agency_report(
        world, "disdukcapil-3514", theirs.subject, agency="disdukcapil-3514", status="received"
    )
    # ... and pretending to be the owner: the body names disdukcapil-3574, the topic not.
    forged = await agency_report(
        world, "disdukcapil-3514", theirs.subject, agency="disdukcapil-3574", status="received"
    )

    def letters(events: list[Event]) -> list[DeadLettered]:
        return [
            e
            for e in events
            if isinstance(e, DeadLettered)
            and e.data.payload
            and (own_name in e.data.payload or forged in e.data.payload)
        ]

    found = letters(await world.read(world.topics.deadletter, lambda es: len(letters(es)) >= 2))
    reasons = {json.loads(letter.data.payload)["id"]: letter.data.reason for letter in found}
    assert "not handled by agency disdukcapil-3514" in reasons[own_name]
    assert "only on its own updates topic" in reasons[forged]
    assert all(
        letter.data.topic == world.topics.agency_updates("disdukcapil-3514") for letter in found
    )
    stored = await world.applications.find_one({"_id": theirs.subject})
    assert (stored["status"], stored["sequence"]) == ("routed", 1)


async def test_an_idempotency_key_is_bound_to_the_application_and_the_body(world):
    first = submitted("izin-praktik-nakes", "3514")
    second = submitted("izin-praktik-nakes", "3514")
    for event in (first, second):
        await world.routed(event)
    async with world.api("dinkes-3514") as api:

        async def move(application_id: str, body: dict) -> httpx.Response:
            return await api.post(
                f"/api/v1/agency/applications/{application_id}/transitions",
                json=body,
                headers={"Idempotency-Key": "terima-1"},
            )

        assert (await move(first.subject, {"to": "received"})).status_code == 200
        again = await move(first.subject, {"to": "received"})
        assert again.status_code == 200
        assert again.json()["sequence"] == 2
        other_application = await move(second.subject, {"to": "received"})
        assert other_application.status_code == 422
        assert "different request" in other_application.json()["detail"]
        other_body = await move(first.subject, {"to": "in_review"})
        assert other_body.status_code == 422
    assert (await world.applications.find_one({"_id": second.subject}))["status"] == "routed"
    assert (await world.applications.find_one({"_id": first.subject}))["sequence"] == 2


async def test_the_citizens_answer_and_cancellation_reach_a_kafka_agency_on_its_inbox(world):
    answered = submitted("ktp-el", "3514", form={"reason": "baru"})
    cancelled = submitted("ktp-el", "3514", form={"reason": "hilang"})
    for event in (answered, cancelled):
        await world.routed(event)
    agency = "disdukcapil-3514"
    await agency_report(world, agency, answered.subject, agency=agency, status="received")
    await world.status(answered.subject, "received")
    await agency_report(
        world,
        agency,
        answered.subject,
        agency=agency,
        status="needs_info",
        requested_fields=["family_card_number"],
    )
    await world.status(answered.subject, "needs_info")
    scan = DocumentRef(sha256="a" * 64, name="kk.pdf", content_type="application/pdf", size=10)
    answer = InformationProvided(
        source="intake",
        subject=answered.subject,
        correlation_id=uuid7(),
        data=InformationData(
            application_id=answered.subject,
            tracking_number=answered.data.tracking_number,
            citizen_id="citizen-1",
            form={"family_card_number": "3514010101900001"},
            documents=[scan],
            note="KK terlampir",
        ),
    )
    await publish(world.runtime, world.topics.citizen_actions, answer)
    cancel = CancellationRequested(
        source="intake",
        subject=cancelled.subject,
        correlation_id=uuid7(),
        data=CancellationData(
            application_id=cancelled.subject,
            tracking_number=cancelled.data.tracking_number,
            citizen_id="citizen-1",
            reason="sudah tidak perlu",
        ),
    )
    await publish(world.runtime, world.topics.citizen_actions, cancel)

    inbox = world.topics.agency_inbox(agency)
    answers = about(answered.subject, AnswerForwarded)
    cancels = about(cancelled.subject, CancellationForwarded)
    events = await world.read(inbox, lambda es: answers(es) and cancels(es))
    [forwarded] = answers(events)
    assert forwarded.data.requested_fields == ["family_card_number"]
    assert forwarded.data.form == {"family_card_number": "3514010101900001"}
    assert forwarded.data.documents == [scan]
    assert forwarded.data.note == "KK terlampir"
    [told] = cancels(events)
    assert told.data.reason == "sudah tidak perlu"
    # In order on the application's key: dispatched first, then the answer.
    mine = [e.type for e in events if e.subject == answered.subject]
    assert mine == ["application.dispatched", "application.answer_forwarded"]
    stored = await world.status(answered.subject, "resubmitted")
    assert stored["form"]["family_card_number"] == "3514010101900001"
    assert stored["responses"][0]["requested_fields"] == ["family_card_number"]
    await world.status(cancelled.subject, "cancelled")
    # The demo agency takes the answer up again.
    resumed = report(json.loads(encode(forwarded)), "in_review")
    await publish_raw(
        world.runtime,
        world.topics.agency_updates(agency),
        json.dumps(resumed).encode(),
        answered.subject.encode(),
    )
    await world.status(answered.subject, "in_review")


async def test_a_webhook_agency_gets_the_answer_and_the_cancellation_signed(world):
    application = submitted("pajak-kendaraan", "3514", form={"plate": "N 1 AB"})
    await world.routed(application)
    async with world.api("samsat-3514") as api:
        for body in ({"to": "received"}, {"to": "needs_info", "requested_fields": ["plate"]}):
            moved = await api.post(
                f"/api/v1/agency/applications/{application.subject}/transitions", json=body
            )
            assert moved.status_code == 200, moved.text
    answer = InformationProvided(
        source="intake",
        subject=application.subject,
        correlation_id=uuid7(),
        data=InformationData(
            application_id=application.subject,
            tracking_number=application.data.tracking_number,
            citizen_id="citizen-1",
            form={"plate": "N 2 AB"},
        ),
    )
    await publish(world.runtime, world.topics.citizen_actions, answer)

    async def answers() -> list[dict]:
        return [
            e
            for e in world.hook.state.events
            if e["subject"] == application.subject and e["type"] == "application.answer_forwarded"
        ]

    [body] = await eventually(answers, timeout=20)
    assert body["data"]["form"] == {"plate": "N 2 AB"}
    assert body["data"]["requested_fields"] == ["plate"]


async def test_a_refused_cancellation_is_answered_to_the_citizen_not_dropped(world):
    application = submitted("izin-praktik-nakes", "3514")
    await world.routed(application)
    async with world.api("dinkes-3514") as api:
        for to in ("received", "in_review"):
            moved = await api.post(
                f"/api/v1/agency/applications/{application.subject}/transitions", json={"to": to}
            )
            assert moved.status_code == 200
    cancel = CancellationRequested(
        source="intake",
        subject=application.subject,
        correlation_id=uuid7(),
        data=CancellationData(
            application_id=application.subject,
            tracking_number=application.data.tracking_number,
            citizen_id="citizen-1",
        ),
    )
    await publish(world.runtime, world.topics.citizen_actions, cancel)
    refusals = about(application.subject, CancellationRefused)
    [refused] = refusals(await world.read(world.topics.status, refusals))
    assert refused.data.status == "in_review"
    assert "can no longer be cancelled" in refused.data.reason
    assert (await world.applications.find_one({"_id": application.subject}))["status"] == (
        "in_review"
    )


async def test_an_agency_issues_a_result_document_that_anyone_can_verify_and_it_can_revoke(
    world,
):
    application = submitted("izin-praktik-nakes", "3514")
    other = submitted("izin-praktik-nakes", "3514")
    for event in (application, other):
        await world.routed(event)
    path = f"/api/v1/agency/applications/{application.subject}"
    async with world.api("dinkes-3514") as api, httpx.AsyncClient(base_url=world.url) as public:
        for to in ("received", "in_review"):
            assert (await api.post(f"{path}/transitions", json={"to": to})).status_code == 200
        refused = await api.post(
            f"{path}/results", files={"file": ("hasil.exe", io.BytesIO(b"MZ\x90\x00"))}
        )
        assert refused.status_code == 415
        uploaded = await api.post(
            f"{path}/results", files={"file": ("surat-izin.pdf", io.BytesIO(PDF), "text/plain")}
        )
        assert uploaded.status_code == 201, uploaded.text
        draft = uploaded.json()
        assert draft["state"] == "draft"
        assert draft["content_type"] == "application/pdf"
        # A draft does not verify; an upload for another application cannot be issued here.
        assert (await public.get(f"/api/v1/verify/{draft['code']}")).status_code == 404
        wrong = await api.post(
            f"/api/v1/agency/applications/{other.subject}/transitions",
            json={"to": "received", "results": [draft["sha256"]]},
        )
        assert wrong.status_code == 422
        approved = await api.post(
            f"{path}/transitions", json={"to": "approved", "results": [draft["sha256"]]}
        )
        assert approved.status_code == 200, approved.text

        verified = (await public.get(f"/api/v1/verify/{draft['code']}")).json()
        assert verified["valid"] is True
        assert verified["agency"]["code"] == "dinkes-3514"
        assert verified["service"]["code"] == "izin-praktik-nakes"
        assert verified["sha256"] == draft["sha256"]
        assert "citizen" not in json.dumps(verified)
        by_hash = await public.get("/api/v1/verify", params={"sha256": draft["sha256"]})
        assert by_hash.json()["code"] == draft["code"]
        lowercase = draft["code"].lower().replace("-", " ")
        assert (await public.get(f"/api/v1/verify/{lowercase}")).json()["valid"] is True

        # Another agency cannot revoke it; its own can, and verification says so.
        async with world.api("samsat-3514") as stranger:
            foreign = await stranger.post(
                f"/api/v1/agency/results/{draft['code']}/revocation", json={"reason": "salah"}
            )
            assert foreign.status_code == 404
        # The fields intake posts for the citizen (signed as intake signs them) open this
        # application's result only; bent to the other application they are refused.
        secret = world.runtime.settings.document_link_secret
        path = f"/results/{draft['code']}"
        own = download_fields(draft, application.subject, secret)
        downloaded = await public.post(path, data=own)
        assert downloaded.status_code == 200
        assert downloaded.content == PDF
        bent = download_fields(draft, other.subject, secret)
        assert (await public.post(path, data=bent)).status_code == 403

        revoked = await api.post(
            f"/api/v1/agency/results/{draft['code']}/revocation",
            json={"reason": "salah cetak nama"},
        )
        assert revoked.status_code == 200
        after = (await public.get(f"/api/v1/verify/{draft['code']}")).json()
        assert (after["valid"], after["state"]) == (False, "revoked")
        assert after["revocation_reason"] == "salah cetak nama"
        gone = await public.post(path, data=own)
        assert gone.status_code == 410
        assert "salah cetak nama" in gone.json()["detail"]

    changes = about(application.subject, StatusChanged)
    events = await world.read(
        world.topics.status, lambda es: any(c.data.to_status == "approved" for c in changes(es))
    )
    [approval] = [c for c in changes(events) if c.data.to_status == "approved"]
    assert [r.code for r in approval.data.results] == [draft["code"]]
    issued = about(application.subject, DocumentIssued)
    revocations = about(application.subject, DocumentRevoked)
    register = await world.read(world.topics.documents, lambda es: issued(es) and revocations(es))
    assert issued(register)[0].data.code == draft["code"]
    assert revocations(register)[0].data.reason == "salah cetak nama"


async def test_a_kafka_agency_issues_a_result_it_uploaded_by_naming_it_in_its_report(world):
    application = submitted("ktp-el", "3514", form={"reason": "baru"})
    await world.routed(application)
    agency = "disdukcapil-3514"
    for status in ("received", "in_review"):
        await agency_report(world, agency, application.subject, agency=agency, status=status)
        await world.status(application.subject, status)
    async with world.api(agency) as api:
        uploaded = (
            await api.post(
                f"/api/v1/agency/applications/{application.subject}/results",
                files={"file": ("ktp.pdf", io.BytesIO(PDF + b"ktp"))},
            )
        ).json()
    # Naming a file never uploaded is dead-lettered and changes nothing ...
    await agency_report(
        world, agency, application.subject, agency=agency, status="approved", results=["b" * 64]
    )
    # ... the uploaded one is issued with the approval.
    await agency_report(
        world,
        agency,
        application.subject,
        agency=agency,
        status="approved",
        results=[uploaded["sha256"]],
    )
    stored = await world.status(application.subject, "approved")
    assert [r["code"] for r in stored["results"]] == [uploaded["code"]]
    letters = [
        e
        for e in await world.read(
            world.topics.deadletter,
            lambda es: any(
                isinstance(e, DeadLettered) and e.subject == application.subject for e in es
            ),
        )
        if isinstance(e, DeadLettered) and e.subject == application.subject
    ]
    assert "were not uploaded" in letters[0].data.reason
