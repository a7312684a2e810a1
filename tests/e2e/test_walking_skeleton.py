"""One application through all four services and the demo agency, each its own process,
over the real broker and database."""

import time

import httpx
import pytest

from services.audit.chain import verify
from tests.e2e.helpers import Stores, eventually, register, submit


def pipeline(records: list[dict]) -> list[dict]:
    """Audit records of the pipeline itself: every event except the email channel's delivery
    states (the citizen's account also asks for email; no mail server runs here, so those
    retries go on in the background at their own pace)."""
    return [
        record
        for record in records
        if record["type"] != "notification.status_changed"
        or '"channel":"in_app"' in record["event"]
    ]


@pytest.fixture
async def stores(settings):
    views = Stores(settings)
    yield views
    await views.close()


async def test_every_service_reports_ready(platform):
    running = platform()
    async with httpx.AsyncClient() as client:
        for name in ("intake", "routing", "notify", "audit"):
            response = await client.get(f"{running.url(name)}/readyz")
            assert response.status_code == 200, (name, response.text)
            assert response.json()["checks"] == {
                "database": True,
                "broker": True,
                "consumers": True,
            }


async def test_a_submitted_application_is_received_notified_and_audited_within_5_seconds(
    platform, stores
):
    running = platform()
    async with httpx.AsyncClient(base_url=running.url("intake")) as client:
        citizen = await register(client)
        started = time.monotonic()
        accepted = await submit(client, citizen)
        assert accepted["status"] == "submitted"
        application_id = accepted["id"]

        async def received() -> dict | None:
            response = await client.get(
                f"/api/v1/applications/{application_id}", headers=citizen.headers
            )
            view = response.json()
            return view if view["status"] == "received" else None

        view = await eventually(received, timeout=5)

        async def notices() -> list:
            found = await stores.notify.notifications.find(
                {"application_id": application_id}
            ).to_list()
            return found if len(found) == 2 else []

        found = await eventually(notices, timeout=5 - (time.monotonic() - started))

        async def audited() -> list:
            found = await stores.audit.records.find({"subject": application_id}).to_list()
            records = pipeline(found)
            return records if len(records) == 7 else []

        records = await eventually(audited, timeout=max(0.1, 5 - (time.monotonic() - started)))
        elapsed = time.monotonic() - started

    assert elapsed < 5
    assert [step["status"] for step in view["timeline"]] == ["submitted", "routed", "received"]
    assert view["agency"] == "disdukcapil-3576"
    assert sorted(notice["status"] for notice in found) == ["received", "routed"]
    assert all(notice["citizen_id"] == citizen.id for notice in found)
    assert sorted(record["type"] for record in records) == sorted(
        [
            "application.submitted",
            "application.dispatched",
            "agency.status_reported",
            "application.status_changed",
            "application.status_changed",
            "notification.status_changed",
            "notification.status_changed",
        ]
    )
    chain = await stores.audit.records.find().sort("_id").to_list()
    assert verify(chain).ok


@pytest.mark.slow  # make test-slow
async def test_consumers_killed_mid_stream_resume_from_committed_offsets_without_loss_or_repeats(
    platform, stores
):
    running = platform()
    async with httpx.AsyncClient(base_url=running.url("intake")) as client:
        citizen = await register(client)
        first = [await submit(client, citizen) for _ in range(5)]
        await eventually(lambda: stores.notify.notifications.count_documents({}), 10)
        for name in ("routing", "notify", "audit"):
            running.kill(name)
        second = [await submit(client, citizen) for _ in range(5)]
        running.start("routing", "notify", "audit")
        ids = [accepted["id"] for accepted in first + second]

        async def view_of(application_id: str) -> dict:
            response = await client.get(
                f"/api/v1/applications/{application_id}", headers=citizen.headers
            )
            return response.json()

        async def all_received() -> bool:
            views = [await view_of(i) for i in ids]
            return all(view["status"] == "received" for view in views)

        await eventually(all_received, timeout=60)

        async def counts() -> tuple[int, int]:
            notices = await stores.notify.notifications.count_documents({})
            records = pipeline(await stores.audit.records.find().to_list())
            return notices, len(records)

        # 70 records for the ten applications, and the citizen's account (contacts) event.
        await eventually(counts, timeout=30, until=lambda found: found == (20, 71))
        views = [await view_of(i) for i in ids]

    for view in views:
        assert [s["status"] for s in view["timeline"]] == ["submitted", "routed", "received"]
    routed = await stores.routing.applications.find().to_list()
    assert sorted(app["_id"] for app in routed) == sorted(ids)
    assert {app["sequence"] for app in routed} == {2}
    notices = await stores.notify.notifications.find().to_list()
    assert len({(n["application_id"], n["status_sequence"]) for n in notices}) == 20
    chain = await stores.audit.records.find().sort("_id").to_list()
    assert len({record["event_id"] for record in pipeline(chain)}) == 71
    assert len({record["event_id"] for record in chain}) == len(chain)
    assert verify(chain).ok
