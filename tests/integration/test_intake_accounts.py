"""One account per citizen: registration with NIK checks, sign-in, the profile — against
the real database and broker."""

import pytest

from shared.events import AccountContactsChanged
from tests.e2e.helpers import eventually, new_nik, read_topic, register, running_intake, sign_in


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


PASSWORD = "kata-sandi-rahasia"


def account(nik: str, **fields) -> dict:
    return {
        "nik": nik,
        "name": "Budi Santoso",
        "email": f"b{nik}@example.id",
        "phone": "0812-3456-7890",
        "password": PASSWORD,
        **fields,
    }


async def test_a_citizen_registers_signs_in_with_nik_or_email_and_reads_the_profile(intake):
    nik = new_nik(female=True)
    created = await intake.post("/api/v1/accounts", json=account(nik))
    assert created.status_code == 201, created.text
    assert created.json()["phone"] == "+6281234567890"
    assert created.json()["region"] == "3576"
    for username in (nik, f"B{nik}@EXAMPLE.ID"):
        token = await sign_in(intake, username, PASSWORD)
        me = await intake.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["id"] == created.json()["id"]
    stored = await intake.identity.state.runtime.db["accounts"].find_one(
        {"_id": created.json()["id"]}
    )
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in str(stored)
    # At rest every personal field is sealed: a raw read shows none of them.
    for value in (nik, "Budi", f"b{nik}@example.id", "81234567890"):
        assert value not in str(stored)
    assert stored["nik"].startswith("pdp1.")
    assert stored["email"].startswith("pdp1.")


async def test_a_typed_nik_does_not_lock_out_its_owner_but_a_proven_one_or_a_used_email_is_409(
    intake,
):
    nik = new_nik()
    first = await intake.post("/api/v1/accounts", json=account(nik))
    assert first.status_code == 201
    # Typing somebody's NIK first proves nothing: its owner can still register.
    again = await intake.post("/api/v1/accounts", json=account(nik, email="other@example.id"))
    assert again.status_code == 201, again.text
    assert again.json()["nik_verified"] is False
    assert again.json()["can_submit"] is False
    # Two unverified holders: the NIK alone no longer says which account to sign in to.
    ambiguous = await intake.post(
        "/api/v1/auth/token", data={"username": nik, "password": PASSWORD}
    )
    assert ambiguous.status_code == 401
    assert "email" in ambiguous.json()["detail"]
    # Once a counter has proven the NIK, nobody registers it again.
    await intake.identity.state.ownership.prove(again.json()["id"], method="counter")
    third = await intake.post("/api/v1/accounts", json=account(nik, email="third@example.id"))
    assert third.status_code == 409
    assert third.headers["content-type"] == "application/problem+json"
    assert third.json()["errors"][0]["field"] == "nik"
    assert "KTP" in third.json()["detail"]
    same_email = await intake.post(
        "/api/v1/accounts", json=account(new_nik(), email=f"b{nik}@example.id")
    )
    assert same_email.status_code == 409
    assert same_email.json()["errors"][0]["field"] == "email"


async def test_a_malformed_nik_is_refused_with_a_message_naming_the_wrong_part(intake):
    cases = {
        "357601150890": "16",
        "9976011508900001": "province",
        "3576013302900001": "birth date",
        "3576011508900000": "13–16",
    }
    for nik, says in cases.items():
        response = await intake.post("/api/v1/accounts", json=account(nik))
        assert response.status_code == 422, nik
        assert says in response.json()["detail"], response.json()
        assert response.json()["errors"][0]["field"] == "nik"
    accounts = intake.identity.state.runtime.db["accounts"]
    before = await accounts.count_documents({})
    for nik in cases:
        await intake.post("/api/v1/accounts", json=account(nik))
    assert await accounts.count_documents({}) == before


async def test_a_wrong_password_gets_401_and_no_token(intake):
    citizen = await register(intake)
    response = await intake.post(
        "/api/v1/auth/token", data={"username": citizen.nik, "password": "salah-sekali"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "access_token" not in response.text


async def test_profile_changes_are_kept_and_contacts_reach_only_the_accounts_topic(intake):
    citizen = await register(intake, proven=False)
    patch = {
        "address": {"street": "Jl. Gajah Mada 1", "city": "Kota Mojokerto", "postal_code": "61311"},
        "language": "en",
        "notification_channels": ["whatsapp", "in_app"],
        "phone": "+6285712345678",
        "current_password": citizen.password,  # a new phone needs it
    }
    changed = await intake.patch("/api/v1/me", json=patch, headers=citizen.headers)
    assert changed.status_code == 200, changed.text
    me = (await intake.get("/api/v1/me", headers=citizen.headers)).json()
    assert me["address"]["city"] == "Kota Mojokerto"
    assert me["notification_channels"] == ["whatsapp", "in_app"]
    assert me["language"] == "en"

    topics = intake.app.state.runtime.topics
    bootstrap = intake.app.state.runtime.settings.kafka_bootstrap

    async def mine() -> list:
        events = await read_topic(bootstrap, topics.accounts, until=1, timeout=5)
        return [event for event in events if event.subject == citizen.id]

    events = await eventually(mine, timeout=20, until=lambda found: len(found) >= 2)
    assert all(isinstance(event, AccountContactsChanged) for event in events)
    latest = max(events, key=lambda event: event.data.profile_version)
    assert latest.subject == citizen.id
    assert latest.data.channels == ["whatsapp", "in_app"]
    # The phone travels sealed under the citizen's key; notify (with the key) opens it.
    assert "6285712345678" not in latest.data.phone
    personal = intake.app.state.runtime.personal
    assert await personal.open(latest.data.phone, citizen.id) == "+6285712345678"
    assert latest.data.language == "en"
    assert citizen.nik not in str([event.model_dump() for event in events])


async def test_the_nik_and_server_fields_of_a_profile_cannot_be_changed(intake):
    citizen = await register(intake)
    for field, value in (("nik", new_nik()), ("id", "x"), ("roles", ["counter"])):
        response = await intake.patch("/api/v1/me", json={field: value}, headers=citizen.headers)
        assert response.status_code == 422, field
    duplicate = await intake.patch(
        "/api/v1/me", json={"notification_channels": ["sms", "sms"]}, headers=citizen.headers
    )
    assert duplicate.status_code == 422
