"""A walk-in without an account rates the service with the code printed on the ticket,
against the real broker and database with intake and notify on one namespace (intake's
events through its outbox): the kiosk's ticket carries a survey link and code, the
survey opens once the ticket is served, takes one answer counted in the region's IKM,
and refuses a forged code, another ticket's code, a code used before, a code before
serving and a code past its seven days. The code itself is never stored nor on the
queue topic."""

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from shared.events import QueueData, QueueServed, utcnow
from shared.topics import Topics
from shared.walk_in_survey import survey_digest
from tests.e2e.helpers import eventually, read_topic, register
from tests.integration.test_queue_building import REGION, at, book, queue_day, staff
from tests.integration.test_queue_notices import publish

pytestmark = pytest.mark.integration

SCORES = {f"u{i}": 3 for i in range(1, 10)}


def coded(code: str) -> dict[str, str]:
    return {"Survey-Token": code}


async def region_respondents(notify) -> int:
    rows = (await notify.get("/api/v1/ikm", params={"group_by": "region"})).json()["items"]
    return next((row["respondents"] for row in rows if row["region"] == REGION), 0)


async def test_a_walk_in_rates_the_service_once_with_the_code_on_the_ticket_and_no_other_code_works(
    service_app, settings
):
    intake = await service_app("intake")
    notify = await service_app("notify")
    day, hall = queue_day(3), intake.app.state.intake.hall
    kiosk, officer = staff(settings, "queue_kiosk"), staff(settings, "counter_officer")
    citizen = await register(intake)
    hall.clock.moved_to = at(day, "07:00")
    booked = await book(intake, citizen, "ktp-el", day, "10:00")

    hall.clock.moved_to = at(day, "10:05")
    key = {**kiosk, "Idempotency-Key": str(uuid.uuid4())}
    given = await intake.post("/api/v1/queue/walk-ins", json={"service": "ktp-el"}, headers=key)
    assert given.status_code == 201, given.text
    ticket, code = given.json()["id"], given.json()["survey_code"]
    link = urlsplit(given.json()["survey_url"])
    assert (link.path, link.query) == (f"/surveys/{ticket}", f"t={code}")
    again = await intake.post("/api/v1/queue/walk-ins", json={"service": "ktp-el"}, headers=key)
    assert again.json()["survey_code"] == code  # the kiosk's retry prints the same ticket
    other = await intake.post("/api/v1/queue/walk-ins", json={"service": "ktp-el"}, headers=kiosk)
    other_ticket, other_code = other.json()["id"], other.json()["survey_code"]
    assert other_code != code
    checked = await intake.post("/api/v1/queue/check-ins", json={"code": booked}, headers=kiosk)
    assert checked.json()["survey_code"] is None  # a citizen with an account: by notice

    survey = f"/api/v1/surveys/{ticket}"
    assert (await notify.get(survey, headers=coded(code))).status_code == 403  # not served yet
    body = {"counter": "loket-1", "services": ["ktp-el"]}
    served = []
    for _ in range(3):
        called = (await intake.post("/api/v1/queue/calls", json=body, headers=officer)).json()
        path = f"/api/v1/queue/tickets/{called['id']}/served"
        assert (await intake.post(path, headers=officer)).status_code == 200
        served.append(called["id"])
    assert {ticket, other_ticket} <= set(served)
    surveys = notify.app.state.runtime.db["surveys"]
    opened = await eventually(lambda: surveys.find_one({"_id": ticket}), 20, bool)
    assert opened["citizen_id"] is None
    assert code not in str(opened)  # its digest only
    await eventually(lambda: surveys.find_one({"_id": other_ticket}), 20, bool)

    forged = "ABCDEFGHJKLM"
    refused = await notify.get(survey, headers=coded(forged))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "Tautan survei tidak berlaku" in refused.json()["title"]
    assert (await notify.get(survey, headers=coded(other_code))).status_code == 403
    assert (await notify.post(survey, json=SCORES, headers=coded(other_code))).status_code == 403
    assert (await notify.get(survey, headers=coded(code.lower()))).status_code == 200  # typed

    before = await region_respondents(notify)
    form = await notify.get(survey, headers=coded(code))
    assert (form.json()["tracking_number"], form.json()["answered"]) == (
        given.json()["number"],
        False,
    )
    assert (await notify.post(survey, json=SCORES, headers=coded(code))).status_code == 201
    assert (await notify.post(survey, json=SCORES, headers=coded(code))).status_code == 409
    assert (await notify.get(survey, headers=coded(code))).json()["answered"] is True
    assert await region_respondents(notify) == before + 1
    assert (
        await notify.get(f"/api/v1/surveys/{other_ticket}", headers=coded(code))
    ).status_code == 403

    events = await read_topic(settings.kafka_bootstrap, Topics(settings.namespace).queue, 8)
    mine = [e for e in events if e.subject == ticket]
    assert [e.type for e in mine] == ["queue.walked_in", "queue.called", "queue.served"]
    assert all(e.data.survey_digest == survey_digest(ticket, code) for e in mine)
    assert not any(code in e.model_dump_json() for e in events)


async def test_a_walk_in_code_past_its_seven_days_opens_no_survey(service_app, settings):
    notify = await service_app("notify")
    ticket, code = f"{REGION}-2026-11-02-A-{uuid.uuid4().hex[:6]}", "QRSTUVWXYZ23"
    data = QueueData(
        region=REGION,
        service="ktp-el",
        day="2026-11-02",
        ticket=ticket,
        number="A-004",
        survey_digest=survey_digest(ticket, code),
    )
    event = QueueServed(
        source="intake",
        subject=ticket,
        region=REGION,
        correlation_id=ticket,
        time=utcnow() - timedelta(days=7, minutes=1),
        data=data,
    )
    await publish(notify, event)
    surveys = notify.app.state.runtime.db["surveys"]
    await eventually(lambda: surveys.find_one({"_id": ticket}), 20, bool)
    late = await notify.get(f"/api/v1/surveys/{ticket}", headers=coded(code))
    assert late.status_code == 403
