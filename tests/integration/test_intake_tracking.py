"""Tracking: the citizen follows every status change — when, what, the agency's note —
and sees the due date and the working days left, built from the status topic; against
the real broker and database."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.calendar import add_working_days, working_days_remaining
from shared.events import StatusChanged, StatusChangedData, encode, utcnow
from tests.e2e.helpers import eventually, register, running_intake, submit


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


def status_change(accepted, citizen, to, sequence, at, **fields) -> StatusChanged:
    return StatusChanged(
        source="routing",
        subject=accepted["id"],
        correlation_id="tracking-test",
        time=at,
        data=StatusChangedData(
            application_id=accepted["id"],
            tracking_number=accepted["tracking_number"],
            service="ktp-el",
            region="3576",
            citizen_id=citizen.id,
            to_status=to,
            sequence=sequence,
            actor="agency" if sequence > 1 else "system",
            **fields,
        ),
    )


async def publish(intake, *events: StatusChanged) -> None:
    runtime = intake.app.state.runtime
    for event in events:
        key = event.data.application_id.encode()
        await runtime.broker.publish(encode(event), runtime.topics.status, key=key)


async def timeline_until(intake, citizen, accepted, sequence: int) -> dict:
    url = f"/api/v1/applications/{accepted['id']}"

    async def current() -> dict:
        return (await intake.get(url, headers=citizen.headers)).json()

    return await eventually(
        current, timeout=20, until=lambda view: view["timeline"][-1]["sequence"] >= sequence
    )


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_every_status_change_shows_in_the_timeline_with_its_time_and_note(intake):
    citizen = await register(intake)
    accepted = await submit(intake, citizen)
    start = utcnow().replace(microsecond=0)
    new_due = add_working_days(start, 7)
    routed = status_change(
        accepted, citizen, "routed", 1, start, agency="disdukcapil-3576", note="Diteruskan"
    )
    received = status_change(
        accepted,
        citizen,
        "received",
        2,
        start + timedelta(minutes=5),
        agency="disdukcapil-3576",
        note="Berkas diterima petugas",
        sla_due_at=new_due,
    )
    # Redelivered and stale changes must not appear twice or move the status back.
    await publish(intake, routed, received, routed)
    await timeline_until(intake, citizen, accepted, 2)
    await publish(intake, status_change(accepted, citizen, "routed", 1, start))

    view = (
        await intake.get(f"/api/v1/applications/{accepted['id']}", headers=citizen.headers)
    ).json()
    assert view["status"] == "received"
    assert view["agency"] == "disdukcapil-3576"
    assert [(e["status"], e["note"]) for e in view["timeline"]] == [
        ("submitted", None),
        ("routed", "Diteruskan"),
        ("received", "Berkas diterima petugas"),
    ]
    assert [when(e["at"]) for e in view["timeline"][1:]] == [start, start + timedelta(minutes=5)]
    assert when(view["timeline"][0]["at"]) <= start + timedelta(seconds=1)
    assert when(view["sla_due_at"]) == new_due
    assert view["working_days_remaining"] == working_days_remaining(utcnow(), new_due)
    assert view["working_days_remaining"] >= 6

    [listed] = (await intake.get("/api/v1/applications", headers=citizen.headers)).json()
    assert listed == view


async def test_a_finished_application_shows_no_days_remaining(intake):
    citizen = await register(intake)
    accepted = await submit(intake, citizen)
    fresh = (await intake.get("/api/v1/applications", headers=citizen.headers)).json()[0]
    due = when(accepted["sla_due_at"])
    assert fresh["working_days_remaining"] == working_days_remaining(utcnow(), due)
    assert fresh["working_days_remaining"] > 0

    now = datetime.now(UTC)
    await publish(
        intake,
        status_change(accepted, citizen, "routed", 1, now),
        status_change(accepted, citizen, "received", 2, now),
        status_change(accepted, citizen, "rejected", 3, now, note="Dokumen tidak lengkap"),
    )
    view = await timeline_until(intake, citizen, accepted, 3)
    assert view["status"] == "rejected"
    assert view["timeline"][-1]["note"] == "Dokumen tidak lengkap"
    assert view["working_days_remaining"] is None
    assert view["sla_due_at"] == fresh["sla_due_at"]


async def test_my_applications_come_newest_first_one_page_at_a_time(intake):
    citizen = await register(intake)
    submitted = [await submit(intake, citizen) for _ in range(5)]
    await submit(intake)  # someone else's, never listed

    seen, pages = [], []
    url: str | None = "/api/v1/applications?limit=2"
    while url is not None:
        response = await intake.get(url, headers=citizen.headers)
        assert response.status_code == 200
        pages.append(len(response.json()))
        seen += [application["id"] for application in response.json()]
        following = response.links.get("next")
        url = following["url"] if following else None

    assert pages == [2, 2, 1]
    assert seen == [accepted["id"] for accepted in reversed(submitted)]
    too_many = await intake.get("/api/v1/applications?limit=1000", headers=citizen.headers)
    assert too_many.status_code == 422
    assert too_many.headers["content-type"] == "application/problem+json"
