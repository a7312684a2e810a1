"""The agency API on routing, against the real broker and database: an agency sees and
moves only its own applications, every read is recorded, illegal moves are refused."""

from datetime import timedelta

import pytest

from services.routing.keys import ApiKeys
from shared.auth import issue_token
from shared.events import DataAccessed, StatusChanged, utcnow
from tests.e2e.helpers import eventually
from tests.integration.routing_support import publish, read_events, submitted


@pytest.fixture
async def routing(service_app):
    return await service_app("routing")


async def routed(runtime, *events) -> None:
    for event in events:
        await publish(runtime, runtime.topics.submitted, event)
    ids = [event.subject for event in events]
    await eventually(
        lambda: runtime.db["applications"].count_documents({"_id": {"$in": ids}}),
        timeout=20,
        until=lambda n: n == len(ids),
    )


def bearer(key) -> dict:
    return {"authorization": f"Bearer {key.token}"}


async def test_an_agency_sees_its_own_applications_overdue_first_and_never_another_agencys(
    routing,
):
    runtime = routing.app.state.runtime
    keys = ApiKeys(runtime.db)
    dinkes, polres = await keys.issue("dinkes-3514"), await keys.issue("polres-3514")
    later = submitted()
    overdue = submitted(sla_due_at=utcnow() - timedelta(days=6))
    police = submitted("skck", "3514", form={"purpose": "melamar kerja"})
    await routed(runtime, later, overdue, police)

    listing = await routing.get("/api/v1/agency/applications", headers=bearer(dinkes))
    assert listing.status_code == 200, listing.text
    items = listing.json()["items"]
    assert [item["id"] for item in items] == [overdue.subject, later.subject]
    assert items[0]["overdue"] is True
    assert items[0]["working_days_left"] < 0
    assert items[1]["overdue"] is False
    assert items[1]["allowed_next"] == ["received"]

    filtered = await routing.get(
        "/api/v1/agency/applications", params={"status": "received"}, headers=bearer(dinkes)
    )
    assert filtered.json()["items"] == []
    paged = await routing.get(
        "/api/v1/agency/applications", params={"page_size": 1}, headers=bearer(dinkes)
    )
    assert len(paged.json()["items"]) == 1
    assert paged.json()["next_page"] == 2

    other = await routing.get(
        f"/api/v1/agency/applications/{police.subject}", headers=bearer(dinkes)
    )
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    touch = await routing.post(
        f"/api/v1/agency/applications/{police.subject}/transitions",
        json={"to": "received"},
        headers=bearer(dinkes),
    )
    assert touch.status_code == 404
    theirs = await routing.get("/api/v1/agency/applications", headers=bearer(polres))
    assert [item["id"] for item in theirs.json()["items"]] == [police.subject]


async def test_reading_an_application_shows_its_form_and_records_the_person_or_the_key(routing):
    runtime = routing.app.state.runtime
    key = await ApiKeys(runtime.db).issue("dinkes-3514")
    officer, _ = issue_token(
        runtime.settings, "rina.dinkes", ("officer",), agency="dinkes-3514", name="Rina"
    )
    application = submitted()
    await routed(runtime, application)
    url = f"/api/v1/agency/applications/{application.subject}"

    # What a caller types never names a person: X-Officer-Id is ignored.
    detail = await routing.get(
        url, headers={"authorization": f"Bearer {officer}", "x-officer-id": "someone else"}
    )
    assert detail.status_code == 200, detail.text
    assert detail.json()["form"] == {"profession": "bidan"}
    by_key = await routing.get(url, headers={**bearer(key), "x-officer-id": "officer-7"})
    assert by_key.status_code == 200

    def reads(events) -> list[DataAccessed]:
        return [
            e for e in events if isinstance(e, DataAccessed) and e.subject == application.subject
        ]

    events = await read_events(
        runtime.settings.kafka_bootstrap, runtime.topics.access, lambda es: len(reads(es)) >= 2
    )
    assert {(r.data.actor_kind, r.data.actor_id, r.data.agency) for r in reads(events)} == {
        ("officer", "dinkes-3514/rina.dinkes", "dinkes-3514"),
        ("officer", f"dinkes-3514/key:{key.key_id}", "dinkes-3514"),
    }


async def test_an_illegal_transition_is_refused_with_the_allowed_next_statuses(routing):
    runtime = routing.app.state.runtime
    key = await ApiKeys(runtime.db).issue("dinkes-3514")
    application = submitted()
    await routed(runtime, application)
    url = f"/api/v1/agency/applications/{application.subject}/transitions"

    refused = await routing.post(url, json={"to": "approved"}, headers=bearer(key))
    assert refused.status_code == 409
    assert refused.json()["allowed_next"] == ["received"]
    assert "received" in refused.json()["detail"]

    moved = await routing.post(
        url, json={"to": "received", "note": "berkas lengkap"}, headers=bearer(key)
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "received"
    assert moved.json()["sequence"] == 2
    assert "in_review" in moved.json()["allowed_next"]

    missing = await routing.post(url, json={"to": "needs_info"}, headers=bearer(key))
    assert missing.status_code == 422
    asked = await routing.post(
        url,
        json={"to": "needs_info", "requested_fields": ["str_number"]},
        headers={**bearer(key), "idempotency-key": "ask-1"},
    )
    again = await routing.post(
        url,
        json={"to": "needs_info", "requested_fields": ["str_number"]},
        headers={**bearer(key), "idempotency-key": "ask-1"},
    )
    assert asked.json()["sequence"] == again.json()["sequence"] == 3

    def changes(events) -> list[StatusChanged]:
        return [
            e for e in events if isinstance(e, StatusChanged) and e.subject == application.subject
        ]

    events = await read_events(
        runtime.settings.kafka_bootstrap, runtime.topics.status, lambda es: len(changes(es)) >= 3
    )
    assert [(c.data.to_status, c.data.sequence) for c in changes(events)] == [
        ("routed", 1),
        ("received", 2),
        ("needs_info", 3),
    ]
    assert changes(events)[2].data.requested_fields == ["str_number"]


async def test_requests_without_a_valid_unrevoked_key_are_refused(routing):
    keys = ApiKeys(routing.app.state.runtime.db)
    key = await keys.issue("dinkes-3514")
    assert (await routing.get("/api/v1/agency/applications")).status_code == 401
    wrong = {"authorization": key.token[:-2] + "xx"}
    assert (await routing.get("/api/v1/agency/applications", headers=wrong)).status_code == 401
    assert (
        await routing.get("/api/v1/agency/applications", headers=bearer(key))
    ).status_code == 200
    assert await keys.revoke(key.key_id) == "dinkes-3514"
    revoked = await routing.get("/api/v1/agency/applications", headers=bearer(key))
    assert revoked.status_code == 401
    assert revoked.json()["title"].startswith("Kunci API")
    stored = await routing.app.state.runtime.db["agency_keys"].find_one({"_id": key.key_id})
    assert key.token.split("_")[-1] not in str(stored)
