"""Hole 6: a sealed value pasted as input turned the API into a decryption oracle.

Whoever holds a copy of the database sees every citizen's personal data as ``pdp1.…``
strings. Sending one of them back as one's own name and reading the profile again
opened it — with the key of the citizen it belongs to. Every door where personal data
comes in now refuses a value that looks sealed, and a sealed value opens only under the
read of the citizen it was sealed for.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.privacy.personal import is_sealed
from tests.e2e.helpers import new_nik, register, sign_in, submit
from tests.security.test_authorisation_matrix import staff_token

VICTIM_NAME = "Ani Rahma"  # short: its sealed form fits a name field (100)


async def sealed_name_of(services, citizen_id: str) -> str:
    """What a copy of intake's database shows of a citizen's name."""
    stored = await services.runtime("identity").db["accounts"].find_one({"_id": citizen_id})
    assert is_sealed(stored["name"])
    return str(stored["name"])


def refused_as_sealed(answer: Any, field: str) -> bool:
    problem = answer.json()
    return answer.status_code == 422 and any(
        e["field"].endswith(field) and "pdp1." in e["message"] for e in problem.get("errors", [])
    )


async def test_another_citizens_sealed_name_sent_as_ones_own_is_refused_and_never_read_back(
    services,
):
    intake = services["intake"]
    victim = await register(intake, name=VICTIM_NAME)
    attacker = await register(intake, name="Penyusup")
    sealed = await sealed_name_of(services, victim.id)

    changed = await intake.patch("/api/v1/me", json={"name": sealed}, headers=attacker.headers)

    assert refused_as_sealed(changed, "name"), changed.text
    assert changed.headers["content-type"].startswith("application/problem+json")
    me = await intake.get("/api/v1/me", headers=attacker.headers)
    assert me.json()["name"] == "Penyusup"
    assert VICTIM_NAME not in me.text


async def test_every_door_for_personal_data_refuses_a_value_that_looks_sealed(services):
    intake = services["intake"]
    victim = await register(intake, name=VICTIM_NAME)
    sealed = await sealed_name_of(services, victim.id)
    citizen = await register(intake)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    registration = await intake.post(
        "/api/v1/accounts",
        json={
            "nik": new_nik(),
            "name": sealed,
            "email": f"w-{uuid.uuid4().hex[:8]}@example.id",
            "phone": "081234567890",
            "password": "kata-sandi-rahasia",
        },
    )
    assert refused_as_sealed(registration, "name"), registration.text

    in_address = await intake.patch(
        "/api/v1/me", json={"address": {"street": sealed}}, headers=citizen.headers
    )
    assert refused_as_sealed(in_address, "address.street"), in_address.text

    in_form = await intake.post(
        "/api/v1/applications",
        json={"service": "akta-kematian", "region": "3576", "data": {"deceased_nik": sealed}},
        headers={**citizen.headers, **key},
    )
    assert refused_as_sealed(in_form, "data.deceased_nik"), in_form.text

    in_applicant = await intake.post(
        "/api/v1/applications",
        json={
            "service": "ktp-el",
            "region": "3576",
            "data": {"reason": "baru"},
            "applicant": {"birth_place": sealed},
        },
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert refused_as_sealed(in_applicant, "applicant.birth_place"), in_applicant.text

    in_draft = await intake.put(
        "/api/v1/drafts/akta-kelahiran",
        json={"region": "3576", "data": {"child_name": sealed}},
        headers=citizen.headers,
    )
    assert refused_as_sealed(in_draft, "data.child_name"), in_draft.text

    application = await submit(intake, citizen)
    in_answer = await intake.post(
        f"/api/v1/applications/{application['id']}/responses",
        json={"data": {"family_card_number": sealed}},
        headers=citizen.headers,
    )
    assert refused_as_sealed(in_answer, "data.family_card_number"), in_answer.text

    _, counter = await staff_token(services, "counter", region="3576")
    at_counter = await intake.post(
        "/api/v1/applications",
        json={
            "service": "ktp-el",
            "region": "3576",
            "data": {"reason": "baru"},
            "channel": "counter",
            "citizen_nik": citizen.nik,
            "applicant": {"name": sealed},
        },
        headers={"Authorization": f"Bearer {counter}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert refused_as_sealed(at_counter, "applicant.name"), at_counter.text

    _, mobile = await staff_token(services, "mobile_unit", region="3576")
    batch = await intake.post(
        "/api/v1/batches",
        json={
            "items": [
                {
                    "idempotency_key": str(uuid.uuid4()),
                    "captured_at": datetime.now(UTC).isoformat(),
                    "citizen_nik": citizen.nik,
                    "service": "akta-kelahiran",
                    "data": {
                        "child_name": sealed,
                        "birth_date": "2026-11-01",
                        "birth_place": "Malang",
                    },
                }
            ]
        },
        headers={"Authorization": f"Bearer {mobile}"},
    )
    assert batch.status_code == 200, batch.text
    (item,) = batch.json()["items"]
    assert item["outcome"] == "problem"
    assert item["problem"]["status"] == 422
    assert any("pdp1." in e["message"] for e in item["problem"]["errors"]), item


async def test_a_sealed_value_planted_in_a_citizens_record_does_not_open_under_their_read(
    services,
):
    """Even written straight into the database, another citizen's sealed value is not
    opened with that other citizen's key when this citizen reads their profile."""
    intake = services["intake"]
    victim = await register(intake, name=VICTIM_NAME)
    holder = await register(intake, name="Pemilik Akun")
    sealed = await sealed_name_of(services, victim.id)
    await (
        services.runtime("identity")
        .db["accounts"]
        .update_one({"_id": holder.id}, {"$set": {"name": sealed}})
    )

    me = await intake.get(
        "/api/v1/me",
        headers={"Authorization": f"Bearer {await sign_in(intake, holder.email, holder.password)}"},
    )

    assert VICTIM_NAME not in me.text
