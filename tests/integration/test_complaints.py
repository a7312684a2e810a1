"""Complaints on the real broker and database, with the SP4N-LAPOR! simulator over real
HTTP: a complaint on a late application reaches a Kafka agency and a workbench agency,
is forwarded to LAPOR! with its tracking id stored, the agency's answer comes back to
the citizen's thread, LAPOR!'s status comes back, and the 3/5/10 working-day timers fire
on the region's dates across a weekend and national holidays."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from pydantic import SecretStr

from ops.simulators import lapor
from services.routing.complaints.handling import AnswerComplaint, answer
from services.routing.keys import ApiKeys
from services.routing.signing import generate_secret
from shared.auth import issue_token
from shared.events import (
    ComplaintEscalated,
    ComplaintFiled,
    ComplaintFiledData,
    ComplaintForwarded,
    DeadLettered,
    decode,
    encode,
)
from shared.ids import uuid7
from shared.settings import Settings
from tests.e2e.helpers import eventually
from tests.integration.routing_support import (
    http_server,
    publish,
    read_events,
    running_routing,
    submitted,
)
from tests.integration.test_routing_handlers import recording_receiver

TOKEN = "test-lapor-token"
WIB = timedelta(hours=7)


@pytest.fixture
async def lapor_url() -> AsyncIterator[str]:
    async with http_server(lapor.create_app(TOKEN)) as url:
        yield url


@pytest.fixture
def settings(settings: Settings, lapor_url: str) -> Settings:
    """Routing pointed at the simulator; its own loops slow, so each test turns the
    clock by hand."""
    return settings.model_copy(
        update={
            "lapor_url": lapor_url,
            "lapor_token": SecretStr(TOKEN),
            "lapor_timeout_seconds": 0.5,
            "lapor_backoff_seconds": 0.01,
            "lapor_sync_seconds": 3600.0,
            "complaint_sweep_seconds": 3600.0,
        }
    )


@pytest.fixture
async def routing(service_app):
    return await service_app("routing")


@pytest.fixture
def simulator(lapor_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=lapor_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    )


def filing(
    application,
    *,
    citizen: str = "citizen-1",
    at: datetime | None = None,
    confidential: bool = False,
) -> ComplaintFiled:
    complaint_id = uuid7()
    return ComplaintFiled(
        source="intake",
        subject=complaint_id,
        region=application.region,
        correlation_id=uuid7(),
        data=ComplaintFiledData(
            complaint_id=complaint_id,
            kind="pengaduan",
            application_id=application.subject,
            tracking_number=application.data.tracking_number,
            service=application.data.service,
            region=application.region,
            citizen_id=citizen,
            text="Sudah lewat batas waktu, belum ada kabar",
            confidential=confidential,
            filed_at=at or datetime.now(UTC),
        ),
    )


async def routed(runtime, event) -> None:
    await publish(runtime, runtime.topics.submitted, event)

    async def status() -> str | None:
        found = await runtime.db["applications"].find_one({"_id": event.subject})
        return found and found["status"]

    await eventually(status, timeout=20, until=lambda s: s == "routed")


async def stored(runtime, complaint_id: str) -> dict:
    async def read() -> dict | None:
        return await runtime.db["complaints"].find_one({"_id": complaint_id})

    return await eventually(read, timeout=20)


async def bearer(runtime, agency: str) -> dict[str, str]:
    key = await ApiKeys(runtime.db).issue(agency)
    return {"authorization": f"Bearer {key.token}"}


def citizen_headers(settings: Settings, citizen: str) -> dict[str, str]:
    token, _ = issue_token(settings, citizen, ("citizen",))
    return {"authorization": f"Bearer {token}"}


async def test_a_complaint_on_a_late_application_reaches_both_agencies_and_lapor_and_is_answered(
    routing, simulator, settings
):
    runtime = routing.app.state.runtime
    late = datetime.now(UTC) - timedelta(days=3)
    by_kafka = submitted("ktp-el", "3514", sla_due_at=late)
    by_workbench = submitted("izin-praktik-nakes", "3514", sla_due_at=late)
    for application in (by_kafka, by_workbench):
        await routed(runtime, application)
    to_kafka, to_workbench = filing(by_kafka), filing(by_workbench)
    for event in (to_kafka, to_kafka, to_workbench):  # the first one replayed
        await publish(runtime, runtime.topics.citizen_actions, event)
    await stored(runtime, to_kafka.subject)
    await stored(runtime, to_workbench.subject)
    assert await runtime.db["complaints"].count_documents({}) == 2

    # The Kafka agency reads it on its inbox, without the citizen.
    inbox = runtime.topics.agency_inbox(runtime.catalogue.inbox_of("disdukcapil-3514"))
    events = await read_events(
        settings.kafka_bootstrap,
        inbox,
        lambda es: any(isinstance(e, ComplaintForwarded) for e in es),
    )
    forwarded = [e for e in events if isinstance(e, ComplaintForwarded)]
    assert [e.data.complaint_id for e in forwarded] == [to_kafka.subject]
    assert forwarded[0].data.tracking_number == by_kafka.data.tracking_number
    assert b"citizen-1" not in encode(forwarded[0])

    # The workbench agency sees it through the agency API; the other agency does not.
    dinkes, dukcapil = (
        await bearer(runtime, "dinkes-3514"),
        await bearer(runtime, "disdukcapil-3514"),
    )
    listed = (await routing.get("/api/v1/agency/complaints", headers=dinkes)).json()
    assert [c["id"] for c in listed] == [to_workbench.subject]
    theirs = (await routing.get("/api/v1/agency/complaints", headers=dukcapil)).json()
    assert [c["id"] for c in theirs] == [to_kafka.subject]

    # SP4N-LAPOR! records both; the tracking ids are stored.
    assert await routing.app.state.parts.lapor.sync_once() == 2
    reports = (await simulator.get("/v1/laporan")).json()
    assert sorted(r["external_id"] for r in reports) == sorted(
        [to_kafka.subject, to_workbench.subject]
    )
    assert "citizen-1" not in orjson.dumps(reports).decode()
    complaint = await stored(runtime, to_workbench.subject)
    assert complaint["lapor"]["tracking_id"].startswith("LPR-")
    assert complaint["state"] == "forwarded"

    # The workbench agency answers; another agency cannot.
    url = f"/api/v1/agency/complaints/{to_workbench.subject}/answers"
    refused = await routing.post(url, json={"answer": "bukan urusan kami"}, headers=dukcapil)
    assert refused.status_code == 404
    answered = await routing.post(url, json={"answer": "Izin terbit besok."}, headers=dinkes)
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered"

    # The citizen reads the thread; another citizen reads nothing of it.
    thread_url = f"/api/v1/citizen/applications/{by_workbench.subject}/complaints"
    own = await routing.get(thread_url, headers=citizen_headers(settings, "citizen-1"))
    assert [s["text"] for s in own.json()[0]["thread"]] == [
        "Sudah lewat batas waktu, belum ada kabar",
        "Izin terbit besok.",
    ]
    stranger = await routing.get(thread_url, headers=citizen_headers(settings, "citizen-2"))
    assert stranger.status_code == 404
    agency_key = await routing.get(thread_url, headers=dinkes)
    assert agency_key.status_code == 401
    token, _ = issue_token(settings, "sari.dinkes", ("officer",), agency="dinkes-3514")
    officer = await routing.get(thread_url, headers={"authorization": f"Bearer {token}"})
    assert officer.status_code == 403

    # LAPOR!'s status comes back.
    tracking = complaint["lapor"]["tracking_id"]
    changed = await simulator.post(f"/v1/laporan/{tracking}/status", json={"status": "selesai"})
    assert changed.status_code == 204
    await routing.app.state.parts.lapor.sync_once()
    assert (await stored(runtime, to_workbench.subject))["lapor"]["status"] == "selesai"
    shown = (await routing.get(thread_url, headers=citizen_headers(settings, "citizen-1"))).json()
    assert shown[0]["lapor_tracking_id"] == tracking
    assert shown[0]["lapor_status"] == "selesai"


async def test_a_confidential_complaint_reaches_the_agency_without_the_application(
    routing, settings
):
    runtime = routing.app.state.runtime
    application = submitted("ktp-el", "3514")
    await routed(runtime, application)
    secret = filing(application, confidential=True)
    await publish(runtime, runtime.topics.citizen_actions, secret)
    await stored(runtime, secret.subject)
    inbox = runtime.topics.agency_inbox(runtime.catalogue.inbox_of("disdukcapil-3514"))
    events = await read_events(
        settings.kafka_bootstrap,
        inbox,
        lambda es: any(isinstance(e, ComplaintForwarded) for e in es),
    )
    forwarded = next(e for e in events if isinstance(e, ComplaintForwarded))
    body = encode(forwarded)
    assert forwarded.data.confidential
    assert application.subject.encode() not in body
    assert application.data.tracking_number.encode() not in body
    assert b"citizen-1" not in body
    listed = (
        await routing.get(
            "/api/v1/agency/complaints", headers=await bearer(runtime, "disdukcapil-3514")
        )
    ).json()
    assert listed[0]["application_id"] is None
    assert listed[0]["tracking_number"] is None


async def test_a_complaint_about_another_citizens_application_is_dead_lettered_unstored(routing):
    runtime = routing.app.state.runtime
    application = submitted("ktp-el", "3514")
    await routed(runtime, application)
    foreign = filing(application, citizen="someone-else")
    await publish(runtime, runtime.topics.citizen_actions, foreign)
    events = await read_events(
        runtime.settings.kafka_bootstrap,
        runtime.topics.deadletter,
        lambda es: any(isinstance(e, DeadLettered) and e.subject == foreign.subject for e in es),
    )
    assert events
    assert await runtime.db["complaints"].count_documents({"_id": foreign.subject}) == 0


async def test_lapor_down_keeps_the_complaint_and_it_is_forwarded_once_lapor_is_back(
    routing, simulator
):
    runtime = routing.app.state.runtime
    sync = routing.app.state.parts.lapor
    application = submitted("izin-praktik-nakes", "3514")
    await routed(runtime, application)
    event = filing(application)
    await publish(runtime, runtime.topics.citizen_actions, event)
    await stored(runtime, event.subject)

    await simulator.post("/v1/faults", json={"fail_next": 100, "mode": "down"})
    now = datetime.now(UTC)
    assert await sync.sync_once(now) == 0
    waiting = await stored(runtime, event.subject)
    assert waiting["lapor"]["tracking_id"] is None
    assert waiting["lapor"]["attempts"] == 1
    assert waiting["state"] == "filed"
    calls = (await simulator.get("/v1/stats")).json()["calls"]
    assert calls == 1 + sync.settings.lapor_retries  # bounded: the tries, then it stops

    await simulator.post("/v1/faults", json={"fail_next": 0})
    assert await sync.sync_once(now) == 0  # not due again yet
    later = waiting["lapor"]["next_try_at"] + timedelta(seconds=1)
    # A slow answer the first time times out; the retry in the same round gets through.
    await simulator.post("/v1/faults", json={"fail_next": 1, "mode": "slow", "delay_seconds": 2})
    assert await sync.sync_once(later) == 1
    forwarded = await stored(runtime, event.subject)
    assert forwarded["lapor"]["tracking_id"].startswith("LPR-")
    assert forwarded["state"] == "forwarded"
    assert len((await simulator.get("/v1/laporan")).json()) == 1


async def test_the_3_5_10_working_day_timers_fire_on_the_regions_dates_over_weekend_and_holidays(
    routing, settings
):
    """Filed Wednesday 23 December 2026, 10:00 WIB. Christmas (Friday 25) and the weekend
    are skipped: forwarding is due by Tuesday 29 December, the answer by Thursday 31
    December. Answered Monday 4 January 2027: New Year's Day and 5 January (a national
    holiday in the calendar) are skipped, so it closes after Tuesday 19 January."""
    runtime = routing.app.state.runtime
    clock = routing.app.state.parts.complaint_clock
    application = submitted("izin-praktik-nakes", "3514")
    await routed(runtime, application)
    filed_at = datetime(2026, 12, 23, 10, 0, tzinfo=UTC) - WIB
    event = filing(application, at=filed_at)
    await publish(runtime, runtime.topics.citizen_actions, event)
    complaint = await stored(runtime, event.subject)
    forward_due = datetime(2026, 12, 29, 23, 59, 59, tzinfo=UTC) - WIB
    answer_due = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC) - WIB
    assert complaint["forward_due_at"] == forward_due
    assert complaint["answer_due_at"] == answer_due

    second = timedelta(seconds=1)
    assert await clock.sweep_once(forward_due) == []
    assert await clock.sweep_once(forward_due + second) == [(event.subject, "forward")]
    assert await clock.sweep_once(forward_due + second) == []  # once
    assert await clock.sweep_once(answer_due) == []
    assert await clock.sweep_once(answer_due + second) == [(event.subject, "answer")]

    answered_at = datetime(2027, 1, 4, 9, 0, tzinfo=UTC) - WIB
    command = AnswerComplaint(
        complaint_id=event.subject,
        agency="dinkes-3514",
        answered_by="sari.dinkes",
        answer="Sudah kami proses.",
        correlation_id=uuid7(),
        at=answered_at,
    )
    await answer(command, runtime.units())
    close_due = datetime(2027, 1, 19, 23, 59, 59, tzinfo=UTC) - WIB
    assert (await stored(runtime, event.subject))["close_due_at"] == close_due
    assert await clock.sweep_once(close_due) == []
    assert await clock.sweep_once(close_due + second) == [(event.subject, "close")]
    assert (await stored(runtime, event.subject))["state"] == "closed"

    def announced(events) -> list[str]:
        kinds = []
        for e in events:
            if e.subject != event.subject:
                continue
            kinds.append(
                f"escalated:{e.data.step}" if isinstance(e, ComplaintEscalated) else e.type
            )
        return kinds

    events = await read_events(
        settings.kafka_bootstrap,
        runtime.topics.complaints,
        lambda es: "complaint.closed" in announced(es),
    )
    assert announced(events) == [
        "complaint.forwarded",
        "escalated:forward",
        "escalated:answer",
        "complaint.answered",
        "complaint.closed",
    ]
    escalation = next(e for e in events if isinstance(e, ComplaintEscalated))
    assert escalation.data.escalate_to  # the agency's supervisor


async def officer(routing, username: str, agency: str) -> None:
    """As the workbench's sign-in leaves it: the officer's own token in its cookie."""
    settings = routing.app.state.runtime.settings
    token, _ = issue_token(settings, username, ("officer",), agency=agency, name=username)
    routing.cookies.set("mpp_workbench", token)
    await routing.get("/workbench/")  # the CSRF cookie


async def test_a_workbench_officer_answers_on_the_complaints_page_and_another_agency_cannot(
    routing,
):
    runtime = routing.app.state.runtime
    application = submitted("izin-praktik-nakes", "3514")
    await routed(runtime, application)
    event = filing(application)
    await publish(runtime, runtime.topics.citizen_actions, event)
    await stored(runtime, event.subject)
    answer_url = f"/workbench/complaints/{event.subject}/answers"

    await officer(routing, "budi.polres", "polres-3514")
    foreign_page = await routing.get("/workbench/complaints")
    assert "Sudah lewat batas waktu" not in foreign_page.text
    foreign = await routing.post(
        answer_url, data={"csrf": routing.cookies["mpp_csrf"], "answer": "bukan kami"}
    )
    assert foreign.status_code == 422
    assert "Pengaduan tidak ditemukan" in foreign.text

    await officer(routing, "sari.dinkes", "dinkes-3514")
    page = await routing.get("/workbench/complaints")
    assert page.status_code == 200
    assert "Sudah lewat batas waktu, belum ada kabar" in page.text
    assert application.data.tracking_number in page.text
    answered = await routing.post(
        answer_url, data={"csrf": routing.cookies["mpp_csrf"], "answer": "Besok terbit."}
    )
    assert answered.status_code == 303
    complaint = await stored(runtime, event.subject)
    assert complaint["state"] == "answered"
    assert complaint["thread"][-1]["text"] == "Besok terbit."


async def test_the_citizens_reply_reaches_the_kafka_agency_and_nobody_else_can_reply(
    routing, settings
):
    runtime = routing.app.state.runtime
    application = submitted("ktp-el", "3514")
    await routed(runtime, application)
    event = filing(application)
    await publish(runtime, runtime.topics.citizen_actions, event)
    await stored(runtime, event.subject)
    reply_url = f"/api/v1/citizen/complaints/{event.subject}/replies"
    owner = citizen_headers(settings, "citizen-1")
    early = await routing.post(reply_url, json={"text": "halo?"}, headers=owner)
    assert early.status_code == 409  # nothing answered yet

    dukcapil = await bearer(runtime, "disdukcapil-3514")
    url = f"/api/v1/agency/complaints/{event.subject}/answers"
    assert (
        await routing.post(url, json={"answer": "Sedang dicetak."}, headers=dukcapil)
    ).status_code == 200

    stranger = await routing.post(
        reply_url, json={"text": "saya juga"}, headers=citizen_headers(settings, "citizen-2")
    )
    assert stranger.status_code == 404
    replied = await routing.post(reply_url, json={"text": "Kapan selesai?"}, headers=owner)
    assert replied.status_code == 200, replied.text
    assert replied.json()["state"] == "filed"  # LAPOR! has not recorded it yet
    again = await routing.post(url, json={"answer": "Besok."}, headers=dukcapil)
    assert again.status_code == 200

    inbox = runtime.topics.agency_inbox(runtime.catalogue.inbox_of("disdukcapil-3514"))
    events = await read_events(
        settings.kafka_bootstrap,
        inbox,
        lambda es: any(e.type == "complaint.replied" for e in es),
    )
    replies = [e for e in events if e.type == "complaint.replied"]
    assert [e.data.text for e in replies] == ["Kapan selesai?"]
    assert b"citizen-1" not in encode(replies[0])


async def test_the_audit_log_records_every_step_of_a_complaint(routing, service_app):
    audit = await service_app("audit")
    runtime = routing.app.state.runtime
    application = submitted("izin-praktik-nakes", "3514")
    await routed(runtime, application)
    event = filing(application)
    await publish(runtime, runtime.topics.citizen_actions, event)
    await stored(runtime, event.subject)
    await routing.app.state.parts.lapor.sync_once()
    records = audit.app.state.runtime.db["records"]

    async def recorded() -> set[str]:
        found = records.find({"type": {"$regex": "^complaint\\."}, "subject": event.subject})
        return {r["type"] for r in await found.to_list(None)}

    expected = {"complaint.filed", "complaint.forwarded", "complaint.tracked"}
    assert await eventually(recorded, timeout=30, until=lambda t: t >= expected) >= expected


async def test_a_webhook_agency_receives_the_complaint_as_a_signed_delivery(stack):
    secret = generate_secret()
    receiver = recording_receiver(secret, 204)
    async with (
        http_server(receiver) as receiver_url,
        running_routing(
            stack,
            webhook_allow_private_targets=True,
            webhook_secrets={"dpmptsp-3514": secret},
            webhook_urls={"dpmptsp-3514": f"{receiver_url}/hook"},
            webhook_poll_seconds=0.05,
            lapor_sync_seconds=3600.0,
            complaint_sweep_seconds=3600.0,
        ) as (app, _url),
    ):
        runtime = app.state.runtime
        application = submitted("nib", "3514")
        await routed(runtime, application)
        event = filing(application)
        await publish(runtime, runtime.topics.citizen_actions, event)

        async def complaints() -> list[dict]:
            return [
                r
                for r in receiver.state.requests
                if decode(r["body"]).type == "complaint.forwarded"
            ]

        [request] = await eventually(complaints, timeout=20)
        assert request["verified"], "the reference library rejected the signature"
        body = decode(request["body"])
        assert body.data.complaint_id == event.subject
        assert body.data.agency == "dpmptsp-3514"
        assert b"citizen-1" not in request["body"]


async def test_a_complaint_about_a_service_reaches_the_regions_office_and_the_citizens_list(
    routing, settings
):
    runtime = routing.app.state.runtime
    complaint_id = uuid7()
    event = ComplaintFiled(
        source="intake",
        subject=complaint_id,
        region="3514",
        correlation_id=uuid7(),
        data=ComplaintFiledData(
            complaint_id=complaint_id,
            kind="konsultasi",
            about="service",
            service="ktp-el",
            region="3514",
            citizen_id="citizen-7",
            text="Apakah perekaman KTP-el buka hari Sabtu?",
            filed_at=datetime.now(UTC),
        ),
    )
    await publish(runtime, runtime.topics.citizen_actions, event)
    complaint = await stored(runtime, complaint_id)
    assert (complaint["agency"], complaint["handler_kind"]) == ("disdukcapil-3514", "kafka")
    inbox = runtime.topics.agency_inbox(runtime.catalogue.inbox_of("disdukcapil-3514"))
    events = await read_events(
        settings.kafka_bootstrap,
        inbox,
        lambda es: any(getattr(e.data, "complaint_id", None) == complaint_id for e in es),
    )
    [forwarded] = [e for e in events if getattr(e.data, "complaint_id", None) == complaint_id]
    assert forwarded.data.application_id is None
    mine = await routing.get(
        "/api/v1/citizen/complaints", headers=citizen_headers(settings, "citizen-7")
    )
    assert [(c["id"], c["about"]) for c in mine.json()] == [(complaint_id, "service")]
    theirs = await routing.get(
        "/api/v1/citizen/complaints", headers=citizen_headers(settings, "citizen-8")
    )
    assert theirs.json() == []
