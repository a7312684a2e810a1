"""Hole 3: a counter operator (or a mobile unit) knowing only a NIK rewrote a proven
citizen's contacts, and a counter proof of a squatter's account locked the real owner
out for good.

Against the real broker and database (intake in this process). What must hold: a counter
or a mobile unit never changes a citizen's email or phone; it fills only the profile
fields that are missing, and each change names the operator in the citizen's account
history; a counter proof is taken back by a Disdukcapil supervisor with the KTP in hand,
recorded with the supervisor and a reason, after which the real owner proves the NIK.
"""

import uuid
from datetime import timedelta

import pytest

from shared.events import utcnow
from shared.topics import Topics
from tests.e2e.helpers import eventually, new_nik, read_topic, register, sign_in

pytestmark = pytest.mark.integration

KTP_EL = {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}}
OPERATOR_EMAIL = "petugas.loket@example.id"
OPERATOR_PHONE = "089912345678"


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


async def staff_member(intake, username: str, role: str, **bound: str) -> str:
    password = f"sandi-{username}-rahasia"
    await intake.identity.state.accounts.staff.add(username, role, password, **bound)
    return await sign_in(intake, username, password)


async def at_counter(intake, token: str, body: dict):
    headers = bearer(token, **{"Idempotency-Key": str(uuid.uuid4())})
    return await intake.post("/api/v1/applications", json=body, headers=headers)


async def test_a_counter_submission_never_rewrites_a_proven_citizens_email_or_phone(
    service_app,
):
    intake = await service_app("intake")
    counter = await staff_member(intake, "loket-hole3-a", "counter", region="3576")
    citizen = await register(intake)
    before = (await intake.get("/api/v1/me", headers=citizen.headers)).json()

    rewritten = await at_counter(
        intake,
        counter,
        {
            **KTP_EL,
            "citizen_nik": citizen.nik,
            "applicant": {"email": OPERATOR_EMAIL, "phone": OPERATOR_PHONE},
        },
    )

    assert rewritten.status_code == 403, rewritten.text
    assert rewritten.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in rewritten.json()["errors"]} == {
        "applicant.email",
        "applicant.phone",
    }
    after = (await intake.get("/api/v1/me", headers=citizen.headers)).json()
    assert (after["email"], after["phone"]) == (before["email"], before["phone"])
    assert (after["email_verified"], after["phone_verified"], after["can_submit"]) == (
        True,
        True,
        True,
    )


async def test_a_mobile_unit_batch_never_rewrites_a_citizens_contacts(service_app):
    intake = await service_app("intake")
    unit = await staff_member(intake, "keliling-hole3", "mobile_unit", region="3576")
    citizen = await register(intake)
    item = {
        "idempotency_key": str(uuid.uuid4()),
        "captured_at": (utcnow() - timedelta(hours=1)).isoformat(),
        "citizen_nik": citizen.nik,
        **KTP_EL,
        "applicant": {"phone": OPERATOR_PHONE, "notification_channels": ["sms"]},
    }

    sent = await intake.post("/api/v1/batches", json={"items": [item]}, headers=bearer(unit))

    assert sent.status_code == 200, sent.text
    [outcome] = sent.json()["items"]
    assert outcome["outcome"] == "problem"
    assert outcome["problem"]["status"] == 403
    me = (await intake.get("/api/v1/me", headers=citizen.headers)).json()
    assert me["phone"] == "+6281234567890"
    assert me["notification_channels"] == ["in_app", "email"]
    assert me["phone_verified"]


async def test_a_counter_fills_only_missing_fields_and_the_citizen_sees_the_operator_named(
    service_app,
):
    intake = await service_app("intake")
    counter = await staff_member(intake, "loket-hole3-b", "counter", region="3576")
    citizen = await register(intake, birth_place=None, family_card_number=None)

    overwritten = await at_counter(
        intake,
        counter,
        {**KTP_EL, "citizen_nik": citizen.nik, "applicant": {"name": "Nama Lain Sekali"}},
    )
    assert overwritten.status_code == 403, overwritten.text
    assert overwritten.json()["errors"][0]["field"] == "applicant.name"

    filled = await at_counter(
        intake,
        counter,
        {
            **KTP_EL,
            "citizen_nik": citizen.nik,
            "applicant": {"birth_place": "Mojokerto", "family_card_number": "3576010101010001"},
        },
    )
    assert filled.status_code == 202, filled.text

    me = (await intake.get("/api/v1/me", headers=citizen.headers)).json()
    assert (me["name"], me["birth_place"]) == ("Siti Aminah", "Mojokerto")
    history = await intake.get("/api/v1/me/history", headers=citizen.headers)
    assert history.status_code == 200, history.text
    [change] = [c for c in history.json()["items"] if c["kind"] == "profile_filled"]
    assert change["actor_kind"] == "counter"
    assert change["actor_id"] == "loket-hole3-b"
    assert change["region"] == "3576"
    assert sorted(change["fields"]) == ["birth_place", "family_card_number"]

    # The history goes with the account when the citizen erases it.
    erased = await intake.post(
        "/api/v1/me/erasure", json={"password": citizen.password}, headers=citizen.headers
    )
    assert erased.status_code == 200, erased.text
    db = intake.identity.state.runtime.db
    assert await db["account_history"].count_documents({"citizen_id": citizen.id}) == 0


async def test_a_disdukcapil_supervisor_with_the_ktp_takes_back_a_squatters_counter_proof(
    service_app, settings
):
    """A counter proved the squatter's account by mistake; the real holder could never
    register nor prove their own NIK again — until a supervisor takes the proof back."""
    intake = await service_app("intake")
    counter = await staff_member(intake, "loket-hole3-c", "counter", region="3576")
    supervisor = await staff_member(
        intake, "sari.disduk", "supervisor", agency="disdukcapil-3576", name="Sari"
    )
    police = await staff_member(intake, "andi.polres", "supervisor", agency="polres-3576")
    nik = new_nik()
    squatter = await register(intake, proven=False, nik=nik, name="Penyerobot")
    proven = await intake.post(
        "/api/v1/counter/nik-verifications",
        json={"citizen_id": squatter.id, "nik": nik},
        headers=bearer(counter),
    )
    assert proven.status_code == 200, proven.text
    holder_profile = {"nik": nik, "name": "Pemilik Asli", "password": "kata-sandi-rahasia"}
    refused = await intake.post(
        "/api/v1/accounts",
        json={**holder_profile, "email": "pemilik@example.id", "phone": "081311112222"},
    )
    assert refused.status_code == 409

    revocation = {"citizen_id": squatter.id, "nik": nik, "reason": "KTP asli dibawa pemiliknya"}
    for token in (counter, police):
        taken = await intake.post(
            "/api/v1/counter/nik-revocations", json=revocation, headers=bearer(token)
        )
        assert taken.status_code == 403, taken.text
    wrong_ktp = await intake.post(
        "/api/v1/counter/nik-revocations",
        json={**revocation, "nik": new_nik()},
        headers=bearer(supervisor),
    )
    assert wrong_ktp.status_code == 422
    no_reason = await intake.post(
        "/api/v1/counter/nik-revocations",
        json={**revocation, "reason": ""},
        headers=bearer(supervisor),
    )
    assert no_reason.status_code == 422

    taken = await intake.post(
        "/api/v1/counter/nik-revocations", json=revocation, headers=bearer(supervisor)
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["revoked_by"] == "sari.disduk"

    holder = await intake.post(
        "/api/v1/accounts",
        json={**holder_profile, "email": "pemilik@example.id", "phone": "081311112222"},
    )
    assert holder.status_code == 201, holder.text
    holder_id = holder.json()["id"]
    owned = await intake.post(
        "/api/v1/counter/nik-verifications",
        json={"citizen_id": holder_id, "nik": nik},
        headers=bearer(counter),
    )
    assert owned.status_code == 200, owned.text
    squatter_again = await intake.post(
        "/api/v1/auth/token", data={"username": squatter.email, "password": squatter.password}
    )
    assert squatter_again.status_code == 403  # frozen: the NIK is the holder's now

    db = intake.identity.state.runtime.db
    record = await db["account_history"].find_one(
        {"citizen_id": squatter.id, "kind": "nik_proof_revoked"}
    )
    assert record is not None
    assert (record["actor_kind"], record["actor_id"]) == ("supervisor", "sari.disduk")
    assert "KTP asli" not in str(record)  # the reason is sealed under the citizen's key
    history = await intake.identity.state.identity.accounts.history.of(squatter.id)
    assert history[0]["reason"] == "KTP asli dibawa pemiliknya"

    # The taking back is in the tamper-evident log too, naming the supervisor (the
    # reason only in the account's history, sealed); notify tells the account's owner.
    async def revocations() -> list:
        events = await read_topic(
            settings.kafka_bootstrap, Topics(settings.namespace).accounts, until=10**6, timeout=2
        )
        return [
            e for e in events if e.type == "account.frozen" and e.data.reason == "nik_proof_revoked"
        ]

    [revoked] = await eventually(revocations, timeout=30, until=bool)
    assert (revoked.data.citizen_id, revoked.data.revoked_by) == (squatter.id, "sari.disduk")
    assert "KTP asli" not in revoked.model_dump_json()
