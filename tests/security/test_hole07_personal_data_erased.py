"""Hole 7: personal data that was never sealed, and so survived an erasure.

An issued document (the agency's result file) rested in routing's GridFS as it came;
form answers about other people — the deceased's NIK on a death certificate — rested in
plaintext in intake, in routing, in the audit log and in every event; a browser's push
subscription stayed in notify's ``devices``. Erasing the account destroyed the
citizen's key, but none of these were under it. Now each is sealed under the citizen's
key (or deleted on erasure), read in plaintext only by the citizen and the agency that
gets it, and unreadable in every database of the platform once the citizen is erased.
"""

import uuid
from typing import Any

from shared.document_links import link_query
from tests.e2e.helpers import eventually, new_nik, register
from tests.e2e.test_personal_data_erasure import everything_stored
from tests.push_receivers import Browser
from tests.security.test_authorisation_matrix import staff_token

AGENCY = "disdukcapil-3576"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n"


def download_fields(
    application_id: str, citizen_id: str, result: dict[str, Any], secret
) -> dict[str, str]:
    """The fields intake posts to routing for the citizen's result, signed as it signs them."""
    fields = link_query(
        secret, application_id, result["sha256"], "citizen", 300, officer=citizen_id
    )
    fields["citizen"] = fields.pop("officer")
    del fields["agency"]
    return fields


async def test_after_erasure_no_result_file_personal_form_answer_or_push_endpoint_is_readable(
    services,
):
    intake, routing, notify = services["intake"], services["routing"], services["notify"]
    citizen = await register(intake, name="Sari Wulandari")
    deceased_nik = new_nik()
    certificate = f"AKTA KEMATIAN {deceased_nik} ayah dari Sari Wulandari".encode()
    endpoint = f"https://1.1.1.1/push/{uuid.uuid4().hex}"

    device = await notify.post(
        "/api/v1/devices",
        json={"kind": "webpush", "subscription": Browser("hp", endpoint).subscription()},
        headers=citizen.headers,
    )
    assert device.status_code == 201, device.text
    accepted = await intake.post(
        "/api/v1/applications",
        json={
            "service": "akta-kematian",
            "region": "3576",
            "data": {
                "deceased_nik": deceased_nik,
                "date_of_death": "2026-11-20",
                "relationship": "orang_tua",
            },
        },
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert accepted.status_code == 202, accepted.text
    application_id = accepted.json()["id"]

    # The agency that gets the application reads the answer, through its recorded API.
    _, officer = await staff_token(services, "officer", agency=AGENCY)
    as_officer = {"Authorization": f"Bearer {officer}"}
    path = f"/api/v1/agency/applications/{application_id}"
    read = await eventually(
        lambda: routing.get(path, headers=as_officer), 30, lambda r: r.status_code == 200
    )
    assert read.json()["form"]["deceased_nik"] == deceased_nik
    for to in ("received", "in_review"):
        moved = await routing.post(f"{path}/transitions", json={"to": to}, headers=as_officer)
        assert moved.status_code == 200, moved.text
    uploaded = await routing.post(
        f"{path}/results",
        files={"file": ("akta-kematian.pdf", PDF + certificate, "application/pdf")},
        headers=as_officer,
    )
    assert uploaded.status_code == 201, uploaded.text
    result = uploaded.json()
    approved = await routing.post(
        f"{path}/transitions",
        json={"to": "approved", "results": [result["sha256"]]},
        headers=as_officer,
    )
    assert approved.status_code == 200, approved.text
    secret = services.settings.document_link_secret
    fields = download_fields(application_id, citizen.id, result, secret)
    downloaded = await routing.post(f"/results/{result['code']}", data=fields)
    assert downloaded.status_code == 200
    assert downloaded.content == PDF + certificate  # the citizen gets their document

    erased = await intake.post(
        "/api/v1/me/erasure", json={"password": citizen.password}, headers=citizen.headers
    )
    assert erased.status_code == 200, erased.text

    # Notify has heard of the erasure once the citizen's contacts are gone.
    notify_db = services.runtime("notify").db
    await eventually(
        lambda: notify_db["contacts"].count_documents({"_id": citizen.id}), 30, lambda n: n == 0
    )
    stored = await everything_stored(services.settings.mongo_uri, services.settings.namespace)
    readable = {
        "the deceased's NIK (intake, routing, audit, outboxes)": deceased_nik,
        "the result file's bytes": certificate.decode(),
        "the push subscription's endpoint": endpoint,
    }
    assert [what for what, value in readable.items() if value in stored] == []
    # Routing forgets its cached copy of the key within MPP_DATA_KEY_CACHE_SECONDS (60);
    # the test does not wait the minute.
    services.runtime("routing").personal.vault.forget(citizen.id)
    gone = await routing.post(
        f"/results/{result['code']}",
        data=download_fields(application_id, citizen.id, result, secret),
    )
    assert gone.status_code == 410
    after = await routing.get(path, headers=as_officer)
    assert deceased_nik not in after.text
