"""A mobile service unit's offline captures, sent in one batch: against the real database
and broker. A batch cut off half way and sent again whole creates each application once,
each with its captured time and an SLA counted from it; one operator's keys never answer
another's; each item's problem is that item's alone."""

import asyncio
import time
import uuid
from datetime import timedelta

import pytest

from shared.calendar import add_working_days
from shared.catalogue import load_catalogue
from shared.events import utcnow
from tests.e2e.helpers import eventually, read_topic, register, running_intake, sign_in


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


async def operator(intake, username: str, role: str = "mobile_unit", region: str = "3576"):
    """A staff account of ``role`` and its headers, signed in."""
    password = f"sandi-{username}-rahasia"
    await intake.identity.state.accounts.staff.add(username, role, password, region=region)
    return {"Authorization": f"Bearer {await sign_in(intake, username, password)}"}


def item(citizen, captured_at=None, key=None, **fields):
    return {
        "idempotency_key": key or str(uuid.uuid4()),
        "captured_at": (captured_at or utcnow() - timedelta(hours=5)).isoformat(),
        "citizen_nik": citizen.nik,
        "service": "ktp-el",
        "data": {"reason": "baru"},
        **fields,
    }


async def send(intake, headers, items):
    return await intake.post("/api/v1/batches", json={"items": items}, headers=headers)


def applications(intake):
    return intake.app.state.runtime.db["applications"]


async def test_a_batch_of_50_cut_off_after_20_and_sent_again_whole_yields_exactly_50_applications(
    intake,
):
    headers = await operator(intake, "keliling-gajahmada-1")
    citizens = [await register(intake) for _ in range(5)]
    start = utcnow().replace(microsecond=0) - timedelta(hours=30)
    batch = [item(citizens[i % 5], captured_at=start + timedelta(minutes=7 * i)) for i in range(50)]
    mine = {"operator_id": "keliling-gajahmada-1"}

    first = asyncio.create_task(send(intake, headers, batch))
    await eventually(lambda: applications(intake).count_documents(mine), 60, lambda n: n >= 20)
    while not first.done():  # the connection drops: the request is cut off where it is
        first.cancel()  # again if a wait_for of Python 3.11 swallowed it
        await asyncio.wait([first], timeout=0.01)
    assert first.cancelled()
    await asyncio.sleep(0.5)  # a commit already under way finishes
    stored_before = await applications(intake).count_documents(mine)
    assert 20 <= stored_before < 50

    started = time.perf_counter()
    again = await send(intake, headers, batch)
    elapsed = time.perf_counter() - started
    assert again.status_code == 200, again.text
    answer = again.json()
    print(f"\nresend of 50 ({stored_before} stored before): {elapsed:.2f} s")
    assert (answer["received"], answer["problems"]) == (50, 0)
    assert answer["duplicates"] == stored_before
    assert answer["accepted"] == 50 - stored_before
    assert [o["index"] for o in answer["items"]] == list(range(50))
    assert [o["idempotency_key"] for o in answer["items"]] == [i["idempotency_key"] for i in batch]

    stored = await applications(intake).find(mine).to_list(None)
    assert len(stored) == 50
    by_id = {a["_id"]: a for a in stored}
    sla_days = load_catalogue().service("ktp-el").sla_working_days
    for sent, outcome in zip(batch, answer["items"], strict=True):
        application = by_id[outcome["application"]["id"]]
        assert application["captured_at"].isoformat() == sent["captured_at"]
        assert application["channel"] == "mobile_unit"
        assert application["tracking_number"] == outcome["application"]["tracking_number"]
        assert application["sla_due_at"] == add_working_days(application["captured_at"], sla_days)
    assert len({a["tracking_number"] for a in stored}) == 50

    # and a third send changes nothing
    third = (await send(intake, headers, batch)).json()
    assert (third["accepted"], third["duplicates"]) == (0, 50)
    assert await applications(intake).count_documents(mine) == 50

    runtime = intake.app.state.runtime
    events = await read_topic(runtime.settings.kafka_bootstrap, runtime.topics.submitted, 50, 20)
    ours = {e.subject: e for e in events if e.subject in by_id}
    assert len(ours) == 50
    assert all(e.data.channel == "mobile_unit" and e.data.captured_at for e in ours.values())


async def test_a_second_operator_with_the_same_key_gets_its_own_application(intake):
    first = await operator(intake, "keliling-a")
    second = await operator(intake, "keliling-b")
    citizen = await register(intake)
    same = item(citizen, key="kunci-yang-sama-1")

    mine = (await send(intake, first, [same])).json()["items"][0]
    theirs = (await send(intake, second, [same])).json()["items"][0]
    assert (mine["outcome"], theirs["outcome"]) == ("accepted", "accepted")
    assert theirs["application"]["tracking_number"] != mine["application"]["tracking_number"]
    again = (await send(intake, second, [same])).json()["items"][0]
    assert again["outcome"] == "duplicate"
    assert again["application"] == theirs["application"]
    stored = (
        await applications(intake)
        .find({"_id": {"$in": [mine["application"]["id"], theirs["application"]["id"]]}})
        .to_list(None)
    )
    assert {a["operator_id"] for a in stored} == {"keliling-a", "keliling-b"}


async def test_only_a_mobile_units_operator_sends_batches_and_a_disabled_one_no_longer(intake):
    citizen = await register(intake)
    for username, role in (("loket-batch", "counter"), ("kios-batch", "kiosk")):
        refused = await send(intake, await operator(intake, username, role), [item(citizen)])
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await send(intake, citizen.headers, [item(citizen)])).status_code == 403
    assert (await intake.post("/api/v1/batches", json={"items": []})).status_code == 401

    headers = await operator(intake, "keliling-dinonaktifkan")
    await intake.identity.state.accounts.staff.disable("keliling-dinonaktifkan")
    assert (await send(intake, headers, [item(citizen)])).status_code == 401


async def test_a_mobile_unit_sends_through_batches_not_one_by_one(intake):
    headers = await operator(intake, "keliling-satu")
    citizen = await register(intake)
    body = {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}}
    single = await intake.post(
        "/api/v1/applications",
        json={**body, "citizen_nik": citizen.nik},
        headers={**headers, "Idempotency-Key": "k-1"},
    )
    assert single.status_code == 403
    assert "/api/v1/batches" in single.json()["detail"]


async def test_each_items_problem_is_its_own_and_the_rest_of_the_batch_is_accepted(intake):
    headers = await operator(intake, "keliling-masalah")
    citizen = await register(intake)
    unproven = await register(intake, proven=False)
    now = utcnow()
    reused = item(citizen, key="dipakai-dua-kali")
    batch = [
        item(citizen, captured_at=now - timedelta(hours=71)),
        item(citizen, captured_at=now + timedelta(hours=2)),  # the device's clock is wrong
        item(citizen, captured_at=now - timedelta(hours=73)),  # past the 72-hour window
        item(citizen, citizen_nik="3576011508909999"),  # nobody proved this NIK
        item(unproven),
        item(citizen, region="3514"),  # not this unit's region
        item(citizen, data={"reason": "bukan-pilihan"}),
        {"idempotency_key": "rusak", "captured_at": "kemarin"},
        reused,
        {**reused, "data": {"reason": "hilang"}},  # the same key for another application
    ]
    response = await send(intake, headers, batch)
    assert response.status_code == 200, response.text
    outcomes = response.json()["items"]
    assert [o["outcome"] for o in outcomes] == [
        "accepted", "problem", "problem", "problem", "problem", "problem", "problem",
        "problem", "accepted", "problem",
    ]  # fmt: skip
    problems = {i: o["problem"] for i, o in enumerate(outcomes) if o["problem"]}
    assert problems[1]["errors"][0]["field"] == "captured_at"
    assert "future" in problems[1]["detail"]
    assert "72" in problems[2]["detail"]
    assert (problems[3]["status"], problems[3]["errors"][0]["field"]) == (422, "citizen_nik")
    assert problems[4]["status"] == 422  # an account that never proved its NIK is not found
    assert problems[5]["status"] == 403
    assert problems[6]["errors"][0]["field"].startswith("data.")
    assert {e["field"] for e in problems[7]["errors"]} >= {"captured_at", "citizen_nik"}
    assert outcomes[7]["idempotency_key"] == "rusak"
    assert problems[9]["status"] == 422
    assert "reused" in problems[9]["title"]
    assert response.json()["accepted"] == 2
    stored = await applications(intake).count_documents({"operator_id": "keliling-masalah"})
    assert stored == 2


async def test_a_batch_over_the_limit_is_refused_whole_with_413(intake):
    headers = await operator(intake, "keliling-besar")
    citizen = await register(intake)
    too_many = [item(citizen) for _ in range(101)]
    response = await send(intake, headers, too_many)
    assert response.status_code == 413
    assert response.json()["max_items"] == 100
    assert await applications(intake).count_documents({"operator_id": "keliling-besar"}) == 0
    assert (await send(intake, headers, [])).status_code == 422


async def test_the_citizen_sees_the_application_with_its_captured_time_in_english(intake):
    headers = await operator(intake, "keliling-warga")
    citizen = await register(intake)
    captured = utcnow().replace(microsecond=0) - timedelta(hours=48)
    answer = (await send(intake, headers, [item(citizen, captured_at=captured)])).json()
    accepted = answer["items"][0]["application"]
    view = await intake.get(f"/api/v1/applications/{accepted['id']}", headers=citizen.headers)
    assert view.json()["channel"] == "mobile_unit"
    assert view.json()["captured_at"].startswith(captured.strftime("%Y-%m-%dT%H:%M:%S"))
    assert view.json()["sla_due_at"] == accepted["sla_due_at"]

    future = item(citizen, captured_at=utcnow() + timedelta(days=1))
    english = await intake.post(
        "/api/v1/batches",
        json={"items": [future]},
        headers={**headers, "Accept-Language": "en"},
    )
    assert english.json()["items"][0]["problem"]["title"] == "Capture time refused"
