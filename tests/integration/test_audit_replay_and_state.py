"""Auditors replay, rebuild and read a real history: applications submitted through
intake and moved through every status of the workflow, on the real broker and database.

Intake and audit run in this process once for the module; routing's status changes and
an officer's read are published as routing publishes them.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

import httpx
import orjson
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from ops.cli import main as mpp
from ops.localstack import LocalStack
from services.audit.keys import issue_key
from services.audit.replay import ReplayQuery, replay_store
from services.audit.state import differences, live_state, rebuild_state
from shared.events import (
    AccessData,
    DataAccessed,
    StatusChanged,
    StatusChangedData,
    encode,
    utcnow,
)
from shared.settings import Settings
from shared.workflow import STATUSES
from tests.e2e.helpers import Citizen, eventually, read_topic, register, submit
from tests.front_door import start_intake

# the steps (to status, actor) that bring a submitted application to each status
PATHS: dict[str, list[tuple[str, str]]] = {
    "submitted": [],
    "routing_failed": [("routing_failed", "system")],
    "payment_due": [("payment_due", "system")],
    "payment_expired": [("payment_due", "system"), ("payment_expired", "system")],
    "cancelled": [("cancelled", "citizen")],
    "routed": [("routed", "system")],
    "received": [("routed", "system"), ("received", "agency")],
    "in_review": [("routed", "system"), ("received", "agency"), ("in_review", "agency")],
    "needs_info": [("routed", "system"), ("received", "agency"), ("needs_info", "agency")],
    "resubmitted": [
        ("routed", "system"),
        ("received", "agency"),
        ("needs_info", "agency"),
        ("resubmitted", "citizen"),
    ],
    "rejected": [("routed", "system"), ("received", "agency"), ("rejected", "agency")],
    "approved": [
        ("routed", "system"),
        ("received", "agency"),
        ("in_review", "agency"),
        ("approved", "agency"),
    ],
    "completed": [
        ("routed", "system"),
        ("received", "agency"),
        ("in_review", "agency"),
        ("approved", "agency"),
        ("completed", "agency"),
    ],
}
OTHER_REGION = "3514"  # the application of the second citizen, in another regency


@dataclass
class History:
    settings: Settings
    intake: httpx.AsyncClient
    audit: httpx.AsyncClient
    owner: Citizen
    neighbour: Citizen
    started: datetime
    applications: dict[str, str] = field(default_factory=dict)  # final status -> id
    neighbours_application: str = ""
    approved_at: datetime | None = None  # after the completed one was approved

    @property
    def audit_db(self) -> AsyncDatabase:
        return self.audit.app.state.runtime.db  # type: ignore[attr-defined]

    @property
    def intake_db(self) -> AsyncDatabase:
        return self.intake.app.state.runtime.db  # type: ignore[attr-defined]


async def _serve(name: str, settings: Settings, running: AsyncExitStack) -> httpx.AsyncClient:
    app = import_module(f"services.{name}.app").build(settings)
    await running.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url=f"http://{name}")
    await running.enter_async_context(client)
    client.app = app  # type: ignore[attr-defined]
    return client


def _change(application: dict, region: str, sequence: int, came_from: str, step: tuple) -> Any:
    to_status, actor = step
    return StatusChanged(
        source="routing",
        subject=application["id"],
        region=region,
        correlation_id=application["id"],
        data=StatusChangedData(
            application_id=application["id"],
            tracking_number=application["tracking_number"],
            service="ktp-el",
            region=region,
            agency=f"disdukcapil-{region}",
            from_status=came_from,
            to_status=to_status,
            sequence=sequence,
            actor=actor,
        ),
    )


def _officer_read(application_id: str, region: str) -> DataAccessed:
    return DataAccessed(
        source="routing",
        subject=application_id,
        region=region,
        correlation_id=application_id,
        data=AccessData(
            application_id=application_id,
            actor_kind="officer",
            actor_id=f"disdukcapil-{region}/petugas-1",
            agency=f"disdukcapil-{region}",
            purpose="memproses permohonan / processing the application",
        ),
    )


@pytest.fixture(scope="module")
async def history(stack: LocalStack) -> AsyncIterator[History]:
    env = {
        "MPP_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "MPP_MONGO_URI": stack.mongo_uri,
        "MPP_NAMESPACE": f"t{uuid.uuid4().hex[:10]}",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)  # the CLI reads its settings from the environment
        settings = Settings()
        async with AsyncExitStack() as running:
            intake = await start_intake(running, settings)  # with identity, as behind the proxy
            audit = await _serve("audit", settings, running)
            yield await _make_history(settings, intake, audit)


async def _make_history(
    settings: Settings, intake: httpx.AsyncClient, audit: httpx.AsyncClient
) -> History:
    owner, neighbour = await register(intake), await register(intake)
    history = History(settings, intake, audit, owner, neighbour, utcnow())
    runtime = audit.app.state.runtime  # type: ignore[attr-defined]
    status_topic = runtime.topics.status
    submitted = {status: await submit(intake, owner) for status in PATHS}
    theirs = await submit(intake, neighbour, region=OTHER_REGION)
    history.neighbours_application = theirs["id"]
    for status, application in submitted.items():
        history.applications[status] = application["id"]
        came_from = "submitted"
        for sequence, step in enumerate(PATHS[status], start=1):
            event = _change(application, "3576", sequence, came_from, step)
            await runtime.broker.publish(encode(event), status_topic, key=event.subject.encode())
            came_from = step[0]
            if status == "completed" and came_from == "approved":
                history.approved_at = utcnow()
                await asyncio.sleep(0.01)
    routed = _change(theirs, OTHER_REGION, 1, "submitted", ("routed", "system"))
    await runtime.broker.publish(encode(routed), status_topic, key=routed.subject.encode())
    for application_id, region in (
        (history.applications["in_review"], "3576"),
        (history.neighbours_application, OTHER_REGION),
    ):
        read = _officer_read(application_id, region)
        await runtime.broker.publish(encode(read), runtime.topics.access, key=read.subject.encode())

    changes = sum(len(path) for path in PATHS.values()) + 1
    records = history.audit_db["records"]
    await eventually(
        lambda: records.count_documents(
            {"type": {"$in": ["application.submitted", "application.status_changed"]}}
        ),
        timeout=30,
        until=lambda n: n == len(PATHS) + 1 + changes,
    )
    await eventually(
        lambda: records.count_documents({"type": "application.accessed"}), 20, lambda n: n == 2
    )
    # Every change applied to intake's view, not only the first: intake reads its
    # changes in polls up to MPP_INTAKE_TIMELINE_LINGER_MS apart.
    finals = history.intake_db["applications"]
    applied = [
        {"_id": history.applications[status], "last_sequence": len(path)}
        for status, path in PATHS.items()
    ] + [{"_id": history.neighbours_application, "last_sequence": 1}]
    await eventually(
        lambda: finals.count_documents({"$or": applied}),
        timeout=30,
        until=lambda n: n == len(applied),
    )
    return history


def _cli(*argv: str) -> int:
    with pytest.raises(SystemExit) as exited:
        mpp(list(argv))
    return int(exited.value.code or 0)


async def test_the_state_rebuilt_now_equals_the_live_view_in_every_status(history):
    assert set(history.applications) == set(STATUSES)
    now = utcnow()
    for status, application_id in history.applications.items():
        rebuilt = await rebuild_state(history.audit_db, application_id, now)
        live = await live_state(history.intake_db, application_id)
        assert (rebuilt.status, rebuilt.anomalies) == (status, [])
        assert differences(rebuilt, live) == [], status


async def test_the_state_at_an_earlier_moment_is_the_status_the_application_had_then(history):
    completed = history.applications["completed"]
    then = await rebuild_state(history.audit_db, completed, history.approved_at)
    assert then.status == "approved"
    assert then.statuses == ["submitted", "routed", "received", "in_review", "approved"]
    before = await rebuild_state(history.audit_db, completed, history.started - timedelta(1))
    assert before.status is None


async def test_mpp_audit_state_exits_1_and_names_a_difference_from_the_live_view(history, capsys):
    rejected = history.applications["rejected"]
    assert await asyncio.to_thread(_cli, "audit", "state", "--application", rejected) == 0
    assert orjson.loads(capsys.readouterr().out)["differences"] == []

    applications = history.intake_db["applications"]
    await applications.update_one({"_id": rejected}, {"$set": {"status": "approved"}})
    try:
        assert await asyncio.to_thread(_cli, "audit", "state", "--application", rejected) == 1
    finally:
        await applications.update_one({"_id": rejected}, {"$set": {"status": "rejected"}})
    report = orjson.loads(capsys.readouterr().out)
    assert report["rebuilt"]["status"] == "rejected"
    assert report["differences"] == ["status: log says 'rejected', live view says 'approved'"]


async def test_mpp_audit_replay_gives_the_same_sequence_from_the_store_and_from_kafka(
    history, capsysbinary
):
    completed = history.applications["completed"]
    window = ["--since", history.started.isoformat(), "--application", completed]

    async def replay(*extra: str) -> list[bytes]:
        assert await asyncio.to_thread(_cli, "audit", "replay", *window, *extra) == 0
        return capsysbinary.readouterr().out.splitlines()

    from_store = await replay("--source", "store")
    from_kafka = await replay("--source", "kafka")
    assert from_kafka == from_store
    events = [orjson.loads(line) for line in from_store]
    assert [e["type"] for e in events] == ["application.submitted"] + 5 * [
        "application.status_changed"
    ]
    assert [e["data"].get("to_status") for e in events[1:]] == [
        step for step, _ in PATHS["completed"]
    ]

    changes_only = await replay("--source", "kafka", "--type", "application.status_changed")
    assert changes_only == from_store[1:]
    until_approved = await replay("--source", "store", "--until", history.approved_at.isoformat())
    assert until_approved == from_store[:5]


async def test_mpp_audit_republish_sends_a_replayed_range_to_the_replay_topic(history, capsys):
    needs_info = history.applications["needs_info"]
    argv = ["--since", history.started.isoformat(), "--application", needs_info]
    assert await asyncio.to_thread(_cli, "audit", "republish", *argv) == 0
    assert "4 events republished" in capsys.readouterr().out

    topic = history.audit.app.state.runtime.topics.replay  # type: ignore[attr-defined]
    republished = await read_topic(history.settings.kafka_bootstrap, topic, until=4)
    stored = await replay_store(
        history.audit_db, ReplayQuery(history.started, utcnow(), application_id=needs_info)
    )
    assert [event.id for event in republished] == [event.event_id for event in stored]


async def test_auditors_filter_events_by_application_agency_region_type_and_time(history):
    key = await issue_key(history.audit_db, "bpk-filter")
    auditor = {"Authorization": f"Bearer {key}"}

    async def ids(**query: Any) -> list[str]:
        found: list[str] = []
        cursor: int | None = 0
        while cursor is not None:
            page = await history.audit.get(
                "/api/v1/audit/events",
                params={**query, "cursor": cursor, "limit": 3},
                headers=auditor,
            )
            assert page.status_code == 200, page.text
            found += [item["event_id"] for item in page.json()["items"]]
            cursor = page.json()["next_cursor"]
        return found

    completed = history.applications["completed"]
    assert len(await ids(application_id=completed)) == 6
    theirs = history.neighbours_application
    in_other_region = await ids(region=OTHER_REGION)
    assert len(in_other_region) == 3  # submitted, routed, read by an officer
    assert len(await ids(agency=f"disdukcapil-{OTHER_REGION}")) == 2  # routed and the read
    assert len(await ids(application_id=theirs, type="application.submitted")) == 1
    assert await ids(region=OTHER_REGION, until=history.started.isoformat()) == []
    assert len(await ids(region=OTHER_REGION, since=history.started.isoformat())) == 3


async def test_the_auditor_api_refuses_every_write(history):
    key = await issue_key(history.audit_db, "bpk-write")
    auditor = {"Authorization": f"Bearer {key}"}
    completed = history.applications["completed"]
    for method, path in (
        ("POST", "/api/v1/audit/events"),
        ("PUT", f"/api/v1/audit/applications/{completed}"),
        ("DELETE", f"/api/v1/audit/applications/{completed}"),
        ("PATCH", "/api/v1/audit/events"),
    ):
        response = await history.audit.request(method, path, headers=auditor, json={})
        assert response.status_code == 405, (method, path)
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_citizen_sees_officers_and_auditors_reads_of_their_own_applications_only(
    history,
):
    key = await issue_key(history.audit_db, "inspektorat-jatim")
    in_review = history.applications["in_review"]
    read = await history.audit.get(
        f"/api/v1/audit/applications/{in_review}",
        params={"purpose": "pemeriksaan rutin / routine audit"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert read.status_code == 200
    assert [e["actor_kind"] for e in read.json()["accessed_by"]] == ["officer"]

    async def access_log(citizen: Citizen) -> list[dict]:
        response = await history.audit.get("/api/v1/me/access-log", headers=citizen.headers)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    seen = await eventually(lambda: access_log(history.owner), 20, lambda items: len(items) == 2)
    assert [(e["application_id"], e["actor_kind"], e["actor_id"]) for e in seen] == [
        (in_review, "officer", "disdukcapil-3576/petugas-1"),
        (in_review, "auditor", "inspektorat-jatim"),
    ]
    assert seen[1]["purpose"] == "pemeriksaan rutin / routine audit"
    assert [
        (e["application_id"], e["actor_kind"]) for e in await access_log(history.neighbour)
    ] == [(history.neighbours_application, "officer")]
    assert (await history.audit.get("/api/v1/me/access-log")).status_code == 401
