"""A staff account stopped through identity's staff API is stopped at routing too, within
seconds, against the real broker and database: identity stages a ``staff.access_revoked``
event with the change, routing records it and refuses the officer's earlier token on the
agency API; the event names the account, never the person; and a revocation read on any
topic but the staff topic changes nothing."""

import json
import time
from datetime import datetime

import pytest

from shared.events import DeadLettered, StaffAccessRevoked, StaffRevocationData, utcnow
from shared.ids import uuid7
from tests.e2e.helpers import eventually, sign_in
from tests.integration.routing_support import publish, read_events
from tests.integration.test_staff_accounts import bearer
from tests.integration.test_staff_administration import OWN_OFFICE, add, mojokerto

pytestmark = pytest.mark.integration

__all__ = ["mojokerto"]  # the fixture: intake (identity beside it), routing, administrators

STOPPED_WITHIN_SECONDS = 10.0
PERSON = "Sari Wulandari"


async def _working_officer(intake, routing, region: dict[str, str], username: str) -> str:
    """An officer added through the staff API, signed in, whose token routing takes."""
    added = await add(
        intake, region, username=username, role="officer", agency=OWN_OFFICE, name=PERSON
    )
    assert added.status_code == 201, added.text
    token = await sign_in(intake, username, added.json()["password"])
    assert (await _queue(routing, token)).status_code == 200
    return token


async def _queue(routing, token: str):
    return await routing.get("/api/v1/agency/applications", headers=bearer(token))


async def _refused_by_routing(routing, token: str) -> float:
    """Seconds until routing answers 401 to ``token``; fails past the limit."""
    started = time.monotonic()

    async def status() -> int:
        return (await _queue(routing, token)).status_code

    await eventually(status, timeout=STOPPED_WITHIN_SECONDS, until=lambda s: s == 401, interval=0.1)
    return time.monotonic() - started


async def _announced(routing, username: str, count: int = 1) -> list[StaffAccessRevoked]:
    runtime = routing.app.state.runtime

    def about(events: list) -> list[StaffAccessRevoked]:
        return [e for e in events if isinstance(e, StaffAccessRevoked) and e.subject == username]

    events = await read_events(
        runtime.settings.kafka_bootstrap, runtime.topics.staff, lambda es: len(about(es)) >= count
    )
    return about(events)


async def test_an_officer_disabled_through_the_staff_api_is_refused_by_routing_within_seconds(
    mojokerto, service_app
):
    intake, routing, region, _ = mojokerto
    audit = await service_app("audit")
    token = await _working_officer(intake, routing, region, "sari.dinkes")

    disabled = await intake.post("/api/v1/staff/sari.dinkes/disable", headers=region)
    assert disabled.status_code == 200, disabled.text
    assert await _refused_by_routing(routing, token) < STOPPED_WITHIN_SECONDS
    refused = await _queue(routing, token)
    assert refused.headers["content-type"] == "application/problem+json"
    assert " / " in refused.json()["title"]

    [event] = await _announced(routing, "sari.dinkes")
    assert event.source == "identity"
    assert event.data.model_dump(exclude={"tokens_valid_after"}) == {
        "username": "sari.dinkes",
        "role": "officer",
        "agency": OWN_OFFICE,
        "region": None,
        "disabled": True,
        "by": "admin.mojokerto",
    }
    disabled_at = datetime.fromisoformat(disabled.json()["disabled_at"])
    assert event.data.tokens_valid_after == disabled_at

    audit_db = audit.app.state.runtime.db

    async def audited() -> dict | None:
        return await audit_db["records"].find_one(
            {"type": "staff.access_revoked", "subject": "sari.dinkes"}
        )

    record = await eventually(audited, timeout=STOPPED_WITHIN_SECONDS)
    assert json.loads(record["event"])["data"]["by"] == "admin.mojokerto"
    assert PERSON not in record["event"]  # the person's name stays in identity

    again = await intake.post("/api/v1/staff/sari.dinkes/disable", headers=region)
    assert again.status_code == 200
    assert len(await _announced(routing, "sari.dinkes")) == 1  # nothing changed: no event


async def test_a_password_reset_through_the_staff_api_ends_the_old_token_at_routing_only(
    mojokerto,
):
    intake, routing, region, _ = mojokerto
    old = await _working_officer(intake, routing, region, "sari.dinkes")

    reset = await intake.post("/api/v1/staff/sari.dinkes/reset-password", headers=region)
    assert reset.status_code == 200, reset.text
    assert await _refused_by_routing(routing, old) < STOPPED_WITHIN_SECONDS

    new = await sign_in(intake, "sari.dinkes", reset.json()["password"])
    assert (await _queue(routing, new)).status_code == 200  # reset, not disabled
    [event] = await _announced(routing, "sari.dinkes")
    assert (event.data.disabled, event.data.by) == (False, "admin.mojokerto")
    assert set(StaffRevocationData.model_fields) == {
        "username", "role", "agency", "region", "tokens_valid_after", "disabled", "by"
    }  # fmt: skip


async def test_a_revocation_read_on_another_topic_than_the_staff_topic_changes_nothing(
    mojokerto,
):
    intake, routing, region, _ = mojokerto
    token = await _working_officer(intake, routing, region, "sari.dinkes")
    runtime = routing.app.state.runtime
    topics = runtime.topics
    updates = topics.agency_updates(runtime.catalogue.kafka_inboxes()[0])
    forged = {}
    for topic in (updates, topics.accounts):
        event = StaffAccessRevoked(
            source="identity",
            subject="sari.dinkes",
            correlation_id=uuid7(),
            data=StaffRevocationData(
                username="sari.dinkes",
                role="officer",
                agency=OWN_OFFICE,
                tokens_valid_after=utcnow(),
                disabled=True,
                by="admin.mojokerto",
            ),
        )
        await publish(runtime, topic, event)
        forged[topic] = event.id

    def letter_of_forged(events: list) -> list[DeadLettered]:
        return [
            e
            for e in events
            if isinstance(e, DeadLettered)
            and e.data.payload
            and json.loads(e.data.payload).get("id") == forged[updates]
        ]

    letters = await read_events(
        runtime.settings.kafka_bootstrap, topics.deadletter, lambda es: bool(letter_of_forged(es))
    )
    [letter] = letter_of_forged(letters)
    assert (letter.data.topic, letter.data.consumer_group) == (
        updates, runtime.groups.routing_agency_updates
    )  # fmt: skip
    assert "not declared for that topic" in letter.data.reason

    # The genuine announcement of another officer's disabling is applied meanwhile …
    other = await _working_officer(intake, routing, region, "andi.dinkes")
    stopped = await intake.post("/api/v1/staff/andi.dinkes/disable", headers=region)
    assert stopped.status_code == 200, stopped.text
    await _refused_by_routing(routing, other)
    # … and the forged ones are not: Sari's token still opens the agency API.
    assert (await _queue(routing, token)).status_code == 200
    assert await runtime.db["staff_revocations"].find_one({"_id": "sari.dinkes"}) is None
