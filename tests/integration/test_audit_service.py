"""The audit service in-process on the real broker and database: auditors read and
verify the log with their keys, their reads are recorded for the citizen, and a replay
from Kafka gives the same events as a replay from the store."""

from datetime import timedelta

from services.audit.keys import issue_key
from services.audit.replay import ReplayQuery, replay_kafka, replay_store
from services.audit.signing import parse_public_key
from services.audit.verification import verify_export
from shared.auth import issue_token
from shared.events import (
    ApplicationSubmitted,
    StatusChanged,
    StatusChangedData,
    SubmittedData,
    encode,
    utcnow,
)
from tests.e2e.helpers import eventually


def submitted(
    application_id: str, citizen_id: str, applicant_sealed: str | None = None
) -> ApplicationSubmitted:
    """A submission as intake announces it; ``applicant_sealed`` as intake seals it."""
    return ApplicationSubmitted(
        source="intake",
        subject=application_id,
        region="3576",
        correlation_id=application_id,
        data=SubmittedData(
            application_id=application_id,
            tracking_number=f"3576-{application_id}",
            service="ktp-el",
            region="3576",
            channel="web",
            citizen_id=citizen_id,
            applicant_sealed=applicant_sealed,
            submitted_at=utcnow(),
        ),
    )


def routed(application_id: str) -> StatusChanged:
    return StatusChanged(
        source="routing",
        subject=application_id,
        region="3576",
        correlation_id=application_id,
        data=StatusChangedData(
            application_id=application_id,
            tracking_number=f"3576-{application_id}",
            service="ktp-el",
            region="3576",
            agency="disdukcapil-3576",
            from_status="submitted",
            to_status="routed",
            sequence=1,
            actor="system",
        ),
    )


async def test_auditors_read_verify_and_export_and_citizens_see_who_read_their_data(
    service_app, settings
):
    audit = await service_app("audit")
    runtime = audit.app.state.runtime
    started = utcnow()
    for n in range(3):
        await runtime.broker.publish(
            encode(submitted(f"app-{n}", f"citizen-{n}")), runtime.topics.submitted, key=b"k"
        )
        await runtime.broker.publish(encode(routed(f"app-{n}")), runtime.topics.status, key=b"k")
    records = runtime.db["records"]
    await eventually(lambda: records.count_documents({}), timeout=20, until=lambda n: n == 6)

    assert (await audit.get("/api/v1/audit/events")).status_code == 401
    key = await issue_key(runtime.db, "inspektorat-3576")
    auditor = {"Authorization": f"Bearer {key}"}

    page = (
        await audit.get("/api/v1/audit/events?type=application.submitted&limit=2", headers=auditor)
    ).json()
    assert [item["application_id"] for item in page["items"]] == ["app-0", "app-1"]
    rest = await audit.get(
        f"/api/v1/audit/events?type=application.submitted&cursor={page['next_cursor']}",
        headers=auditor,
    )
    assert [item["application_id"] for item in rest.json()["items"]] == ["app-2"]
    assert rest.json()["next_cursor"] is None

    timeline = (await audit.get("/api/v1/audit/applications/app-1", headers=auditor)).json()
    assert [e["type"] for e in timeline["events"]] == [
        "application.submitted",
        "application.status_changed",
    ]
    await eventually(lambda: records.count_documents({"type": "application.accessed"}), 20)
    again = (await audit.get("/api/v1/audit/applications/app-1", headers=auditor)).json()
    assert again["accessed_by"][0]["actor_id"] == "inspektorat-3576"

    token, _ = issue_token(settings, "citizen-1", ("citizen",))
    log = (
        await audit.get("/api/v1/me/access-log", headers={"Authorization": f"Bearer {token}"})
    ).json()
    assert next((e["application_id"], e["actor_kind"], e["actor_id"]) for e in log["items"]) == (
        "app-1",
        "auditor",
        "inspektorat-3576",
    )
    other, _ = issue_token(settings, "citizen-2", ("citizen",))
    assert (
        await audit.get("/api/v1/me/access-log", headers={"Authorization": f"Bearer {other}"})
    ).json()["items"] == []

    assert (await audit.get("/api/v1/audit/verify", headers=auditor)).json()["ok"] is True
    export = await audit.get("/api/v1/audit/export", headers=auditor)
    published = parse_public_key((await audit.get("/api/v1/audit/public-key")).json()["public_key"])
    verdict = verify_export(export.content.splitlines(keepends=True), published)
    assert verdict.ok
    assert verdict.checked >= 7

    await eventually(
        lambda: records.count_documents({"type": "application.accessed"}), 20, lambda n: n == 2
    )
    window = ReplayQuery(started - timedelta(seconds=1), utcnow(), application_id="app-1")
    from_store = await replay_store(runtime.db, window)
    from_kafka = await replay_kafka(settings, runtime.topics.all([]), window)
    assert [e.event_id for e in from_kafka] == [e.event_id for e in from_store]
    assert [e.type for e in from_store][:2] == [
        "application.submitted",
        "application.status_changed",
    ]
    assert len(from_store) >= 3
