"""Hole 4: one auditor key read every citizen in plain text, and nobody saw it.

Against the real broker and database, with the services running: what an auditor reads
in bulk — a page of submissions, a page of contacts changes, the export — holds each
personal value sealed (``pdp1.…``) as stored. The plain values open only for one
application or one citizen at a time, on a request stating its purpose, and the
citizen's "who read my data" log then names the auditor and the purpose.
"""

import uuid

from services.audit.keys import issue_key
from shared.auth import issue_token
from shared.events import (
    AccountContactsChanged,
    ContactsData,
    encode,
)
from tests.e2e.helpers import eventually
from tests.integration.test_audit_service import submitted

NIK, NAME = "3576014101900007", "Sari Wulandari Hole"
EMAIL, PHONE = "sari.hole4@example.org", "+6281300004444"
PLAIN = (NIK, NAME, EMAIL, PHONE)


async def _recorded(services, citizen_id: str) -> str:
    """A submission with its applicant sealed, and the citizen's contacts, both in the
    audit log; returns the application id."""
    audit = services.runtime("audit")
    application_id = f"app-hole4-{uuid.uuid4().hex[:8]}"
    applicant = await audit.personal.seal(citizen_id, {"nik": NIK, "name": NAME})
    submission = submitted(application_id, citizen_id, applicant_sealed=applicant)
    contacts = AccountContactsChanged(
        source="intake",
        subject=citizen_id,
        correlation_id=citizen_id,
        data=ContactsData(
            citizen_id=citizen_id,
            channels=["email", "sms"],
            email=await audit.personal.seal(citizen_id, EMAIL),
            phone=await audit.personal.seal(citizen_id, PHONE),
            profile_version=1,
        ),
    )
    await audit.broker.publish(encode(submission), audit.topics.submitted, key=b"k")
    await audit.broker.publish(encode(contacts), audit.topics.accounts, key=b"k")
    ids = [submission.id, contacts.id]
    await eventually(
        lambda: audit.db["records"].count_documents({"event_id": {"$in": ids}}),
        timeout=20,
        until=lambda n: n == 2,
    )
    return application_id


def _plain_in(text: str) -> list[str]:
    return [value for value in PLAIN if value in text]


async def test_bulk_reads_hold_sealed_values_and_opening_one_citizen_is_recorded(services):
    audit, api = services.runtime("audit"), services["audit"]
    citizen_id = f"citizen-hole4-{uuid.uuid4().hex[:8]}"
    application_id = await _recorded(services, citizen_id)
    auditor = {"Authorization": f"Bearer {await issue_key(audit.db, 'inspektorat-hole4')}"}

    # Bulk: every submission, every contacts change, the export — sealed as stored.
    for kind in ("application.submitted", "account.contacts_changed"):
        page = await api.get(f"/api/v1/audit/events?type={kind}&limit=1000", headers=auditor)
        assert page.status_code == 200
        assert _plain_in(page.text) == []
    page = await api.get(f"/api/v1/audit/events?citizen_id={citizen_id}", headers=auditor)
    submitted = next(i for i in page.json()["items"] if i["type"] == "application.submitted")
    assert submitted["event"]["data"]["applicant_sealed"].startswith("pdp1.")
    timeline = await api.get(f"/api/v1/audit/applications/{application_id}", headers=auditor)
    assert timeline.status_code == 200
    assert _plain_in(timeline.text) == []
    export = await api.get("/api/v1/audit/export", headers=auditor)
    assert export.status_code == 200
    assert _plain_in(export.text) == []

    # Opening needs a stated purpose …
    opening = f"/api/v1/audit/applications/{application_id}/open"
    refused = await api.post(opening, json={}, headers=auditor)
    assert refused.status_code == 422
    purpose = "pengaduan warga nomor 7/2026"
    opened = await api.post(opening, json={"purpose": purpose}, headers=auditor)
    assert opened.status_code == 200
    assert NAME in opened.text
    assert NIK in opened.text
    contacts_purpose = "memeriksa perubahan kontak yang diadukan"
    contacts = await api.post(
        f"/api/v1/audit/citizens/{citizen_id}/open",
        json={"purpose": contacts_purpose},
        headers=auditor,
    )
    assert contacts.status_code == 200
    assert EMAIL in contacts.text
    assert PHONE in contacts.text

    # … and each opening is in the citizen's "who read my data" log, naming the auditor.
    token, _ = issue_token(services.settings, citizen_id, ("citizen",))
    citizen = {"Authorization": f"Bearer {token}"}

    async def reads() -> list[tuple]:
        answer = await api.get("/api/v1/me/access-log", headers=citizen)
        return [
            (e["application_id"], e["actor_kind"], e["actor_id"], e["purpose"])
            for e in answer.json()["items"]
        ]

    found = await eventually(
        reads,
        timeout=20,
        until=lambda rows: {r[3] for r in rows} >= {purpose, contacts_purpose},
    )
    assert (application_id, "auditor", "inspektorat-hole4", purpose) in found
    assert (None, "auditor", "inspektorat-hole4", contacts_purpose) in found
