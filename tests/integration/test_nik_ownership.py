"""NIK ownership, against the real services: intake and notify in this process on the real
broker and database, the Dukcapil simulator and the mailbox as their real process.

A squatter who typed somebody's NIK first does not keep it: the NIK's holder registers
anyway and proves it — through Dukcapil, or at a counter with the KTP in hand — and the
squatter's account is frozen (kept, signed out, its owner told at its contacts). An
account that has not proven its contacts and NIK cannot submit."""

import asyncio
import time
import uuid
from contextlib import AsyncExitStack

import httpx
import pytest

from ops.simulators.running import StandIns, start_stand_ins
from services.intake.app import build as build_intake
from services.notify.app import build as build_notify
from shared.nik import parse_nik
from shared.settings import Settings
from tests.e2e.helpers import Citizen, eventually, new_nik, prove_account, register, sign_in
from tests.front_door import start_intake

pytestmark = pytest.mark.timeout(180)

PASSWORD = "kata-sandi-rahasia"
APPLICATION = {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}}


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory: pytest.TempPathFactory):
    process, ports = start_stand_ins(tmp_path_factory.mktemp("stand-ins"))
    yield StandIns(process, ports)
    process.stop()


def _settings(stack, stand_ins: StandIns, **overrides) -> Settings:
    env = stand_ins.env
    return Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
        dukcapil_url=env["MPP_DUKCAPIL_URL"],
        dukcapil_token=env["MPP_DUKCAPIL_TOKEN"],
        smtp_host=env["MPP_SMTP_HOST"],
        smtp_port=int(env["MPP_SMTP_PORT"]),
        messaging_provider_url=env["MPP_MESSAGING_PROVIDER_URL"],
        messaging_provider_token=env["MPP_MESSAGING_PROVIDER_TOKEN"],
        outbox_poll_seconds=0.2,
        retry_backoff_seconds=0.05,
        **overrides,
    )


async def _running(exits: AsyncExitStack, build, name: str, settings: Settings):
    if name == "intake":  # identity beside it, behind one client routing by path
        return await start_intake(exits, settings)
    app = build(settings)
    await exits.enter_async_context(app.router.lifespan_context(app))
    client = await exits.enter_async_context(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
    )
    client.app = app  # type: ignore[attr-defined]
    return client


@pytest.fixture(scope="module")
async def intake(stack, stand_ins):
    """Intake and notify sharing a namespace; notify sends to the mailbox."""
    settings = _settings(stack, stand_ins, nik_checks_per_day=3)
    async with AsyncExitStack() as exits:
        client = await _running(exits, build_intake, "intake", settings)
        await _running(exits, build_notify, "notify", settings)
        yield client


def resident(stand_ins: StandIns, name: str, female: bool = False) -> str:
    """A new NIK that Dukcapil (the simulator) knows, with ``name``."""
    nik = new_nik(female=female)
    stand_ins.add_resident(nik, name, parse_nik(nik).birth_date.isoformat())
    return nik


def _phone() -> str:
    return "0813" + str(uuid.uuid4().int)[:8]


async def registered(intake, nik: str, name: str) -> Citizen:
    """An account as a person registers it: contacts and NIK not proven."""
    return await register(intake, proven=False, nik=nik, name=name, phone=_phone())


async def confirm_contacts(intake, stand_ins: StandIns, citizen: Citizen) -> None:
    """The email and phone confirmed with the codes that reach the mailbox."""
    phone = (await intake.get("/api/v1/me", headers=citizen.headers)).json()["phone"]
    for channel, address in (("email", citizen.email), ("phone", phone)):
        sent = await intake.post(
            "/api/v1/me/contact-verifications", json={"channel": channel}, headers=citizen.headers
        )
        assert sent.status_code == 202, sent.text
        code = await asyncio.to_thread(stand_ins.code_for, address)
        confirmed = await intake.post(
            "/api/v1/me/contact-verifications/confirm",
            json={"channel": channel, "code": code},
            headers=citizen.headers,
        )
        assert confirmed.status_code == 200, confirmed.text


async def contacts_marked(intake, citizen: Citizen) -> None:
    """Test set-up where notify is not running: the contacts marked confirmed."""
    await intake.identity.state.accounts.accounts.update_one(
        {"_id": citizen.id}, {"$set": {"email_verified": True, "phone_verified": True}}
    )


async def contacts_confirmed(intake, stand_ins: StandIns, nik: str, name: str) -> Citizen:
    citizen = await registered(intake, nik, name)
    await confirm_contacts(intake, stand_ins, citizen)
    return citizen


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def prove_with_dukcapil(intake, citizen: Citizen, **body) -> httpx.Response:
    return await intake.post("/api/v1/me/nik-verification", json=body, headers=citizen.headers)


async def submit(intake, citizen: Citizen) -> httpx.Response:
    return await intake.post(
        "/api/v1/applications",
        json=APPLICATION,
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )


async def counter_operator(intake, username: str, region: str = "3576") -> str:
    await intake.identity.state.accounts.staff.add(
        username, "counter", f"sandi-{username}-rahasia", region=region
    )
    return await sign_in(intake, username, f"sandi-{username}-rahasia")


async def test_the_nik_holder_proves_it_through_dukcapil_and_the_squatter_is_frozen_and_told(
    intake, stand_ins
):
    nik = resident(stand_ins, "Rina Wulandari", female=True)
    squatter = await registered(intake, nik, "Orang Lain")
    refused = await submit(intake, squatter)
    assert refused.status_code == 403
    assert refused.json()["type"] == "https://mpp.go.id/problems/unverified-account"
    assert refused.json()["to_verify"] == ["email", "phone", "nik"]
    assert "nik-verification" in refused.json()["detail"]
    # No Dukcapil try before the contacts are confirmed: bulk accounts cannot guess.
    early = await prove_with_dukcapil(intake, squatter)
    assert early.status_code == 403
    assert early.json()["to_verify"] == ["email", "phone"]
    await confirm_contacts(intake, stand_ins, squatter)
    # The squatter does not know the holder's name: Dukcapil says no match.
    guess = await prove_with_dukcapil(intake, squatter)
    assert guess.status_code == 422
    assert guess.headers["content-type"] == "application/problem+json"
    assert guess.json()["attempts_left"] == 2

    # The holder registers anyway (no 409) and proves the NIK.
    holder = await contacts_confirmed(intake, stand_ins, nik, "Rina Wulandari")
    proven = await prove_with_dukcapil(intake, holder, name="RINA  wulandari")
    assert proven.status_code == 200, proven.text
    assert (proven.json()["nik_verified"], proven.json()["nik_verified_by"]) == (True, "dukcapil")
    assert (proven.json()["to_verify"], proven.json()["can_submit"]) == ([], True)

    # The squatter is frozen: signed out, no sign-in, told at both contacts.
    me = await intake.get("/api/v1/me", headers=squatter.headers)
    assert me.status_code == 401
    again = await intake.post(
        "/api/v1/auth/token", data={"username": squatter.email, "password": PASSWORD}
    )
    assert again.status_code == 403
    assert "KTP" in again.json()["detail"]
    # Waited for off the event loop: notify sends the notice on this loop.
    told = await asyncio.to_thread(stand_ins.wait_for_message, squatter.email, "dibekukan")
    assert "Rina" not in told["body"]  # the notice does not say who proved the NIK
    stored = await intake.identity.state.runtime.db["accounts"].find_one({"_id": squatter.id})
    assert stored["frozen_reason"] == "nik_proven_by_another"  # kept for audit
    squatter_phone = await intake.app.state.runtime.personal.open(stored["phone"], squatter.id)
    assert await asyncio.to_thread(stand_ins.wait_for_message, squatter_phone, "dibekukan")

    # The NIK signs in to its holder now, and cannot be proven by anybody else.
    token = await sign_in(intake, nik, PASSWORD)
    assert (await intake.get("/api/v1/me", headers=bearer(token))).json()["id"] == holder.id
    late = await contacts_confirmed(intake, stand_ins, nik, "Rina Wulandari")
    calls = stand_ins.verify_calls()
    assert (await prove_with_dukcapil(intake, late)).status_code == 409
    # Refused before asking Dukcapil: the answer tells nothing about the name.
    assert stand_ins.verify_calls() == calls


async def test_a_counter_operator_proves_the_nik_with_the_ktp_in_hand(intake, stand_ins):
    nik = new_nik()  # Dukcapil need not know it: the counter sees the card
    squatter = await registered(intake, nik, "Penyerobot")
    holder = await registered(intake, nik, "Bambang Sutrisno")
    counter = await counter_operator(intake, "loket-nik-1")

    holders = await intake.post(
        "/api/v1/counter/nik-holders", json={"nik": nik}, headers=bearer(counter)
    )
    assert holders.status_code == 200, holders.text
    shown = {h["id"]: h for h in holders.json()}
    assert set(shown) == {squatter.id, holder.id}
    assert shown[holder.id]["email_hint"].startswith(holder.email[0] + "***@")
    assert holder.email not in holders.text  # contacts masked

    # The NIK typed from the card must be the account's.
    wrong = await intake.post(
        "/api/v1/counter/nik-verifications",
        json={"citizen_id": holder.id, "nik": new_nik()},
        headers=bearer(counter),
    )
    assert wrong.status_code == 422
    done = await intake.post(
        "/api/v1/counter/nik-verifications",
        json={"citizen_id": holder.id, "nik": nik},
        headers=bearer(counter),
    )
    assert done.status_code == 200, done.text
    assert done.json()["frozen_accounts"] == 1
    profile = (await intake.get("/api/v1/me", headers=holder.headers)).json()
    assert (profile["nik_verified"], profile["nik_verified_by"]) == (True, "counter")
    stored = await intake.identity.state.runtime.db["accounts"].find_one({"_id": holder.id})
    assert stored["nik_verification"]["operator_id"] == "loket-nik-1"
    assert (await intake.get("/api/v1/me", headers=squatter.headers)).status_code == 401
    # Counter-proven: one account for this NIK from now on.
    again = await intake.post(
        "/api/v1/accounts",
        json={
            "nik": nik,
            "name": "Penyerobot",
            "email": f"lagi-{uuid.uuid4().hex[:8]}@example.id",
            "phone": _phone(),
            "password": PASSWORD,
        },
    )
    assert again.status_code == 409


async def test_a_ktp_at_the_counter_takes_a_nik_back_from_whoever_proved_it_with_known_facts(
    intake, stand_ins
):
    """Name and birth date are not secrets: a squatter who knew them proved the NIK through
    Dukcapil. The holder registers anyway, and the counter's card check wins."""
    nik = resident(stand_ins, "Hendra Gunawan")
    squatter = await contacts_confirmed(intake, stand_ins, nik, "Hendra Gunawan")
    assert (await prove_with_dukcapil(intake, squatter)).status_code == 200
    holder = await registered(intake, nik, "Hendra Gunawan")
    counter = await counter_operator(intake, "loket-nik-2")
    done = await intake.post(
        "/api/v1/counter/nik-verifications",
        json={"citizen_id": holder.id, "nik": nik},
        headers=bearer(counter),
    )
    assert done.status_code == 200, done.text
    assert done.json()["frozen_accounts"] == 1
    assert (await intake.get("/api/v1/me", headers=squatter.headers)).status_code == 401
    assert await intake.identity.state.accounts.find_by_nik(nik) is not None
    assert (await intake.identity.state.accounts.find_by_nik(nik))["_id"] == holder.id


async def test_only_a_counter_operator_marks_a_nik_proven(intake, stand_ins):
    nik = new_nik()
    citizen = await registered(intake, nik, "Yanti")
    other = await register(intake)  # a proven citizen
    staff = intake.identity.state.accounts.staff
    await staff.add("kios-nik", "kiosk", "sandi-kios-nik-x", region="3576")
    await staff.add("petugas.nik", "officer", "sandi-petugas-nik", agency="disdukcapil-3576")
    body = {"citizen_id": citizen.id, "nik": nik}
    for token in (
        other.token,
        citizen.token,  # nobody proves their own NIK by saying so
        await sign_in(intake, "kios-nik", "sandi-kios-nik-x"),
        await sign_in(intake, "petugas.nik", "sandi-petugas-nik"),
    ):
        refused = await intake.post(
            "/api/v1/counter/nik-verifications", json=body, headers=bearer(token)
        )
        assert refused.status_code == 403, refused.text
        listed = await intake.post(
            "/api/v1/counter/nik-holders", json={"nik": nik}, headers=bearer(token)
        )
        assert listed.status_code == 403
    assert (await intake.get("/api/v1/me", headers=citizen.headers)).json()["nik_verified"] is False


async def test_a_counter_submission_needs_the_nik_proven_but_the_operator_can_prove_it_there(
    intake, stand_ins
):
    nik = new_nik()
    citizen = await registered(intake, nik, "Sri Rahayu")
    counter = await counter_operator(intake, "loket-nik-3")
    body = {**APPLICATION, "channel": "counter", "citizen_nik": nik}

    async def at_counter() -> httpx.Response:
        return await intake.post(
            "/api/v1/applications",
            json=body,
            headers={**bearer(counter), "Idempotency-Key": str(uuid.uuid4())},
        )

    assert (await at_counter()).status_code == 422  # no proven account for this NIK yet
    proven = await intake.post(
        "/api/v1/counter/nik-verifications",
        json={"citizen_id": citizen.id, "nik": nik},
        headers=bearer(counter),
    )
    assert proven.status_code == 200
    accepted = await at_counter()
    assert accepted.status_code == 202, accepted.text  # the citizen is present: no codes


async def test_dukcapil_tries_are_few_per_day(intake, stand_ins):
    nik = resident(stand_ins, "Joko Susilo")
    citizen = await contacts_confirmed(intake, stand_ins, nik, "Joko")
    answers = [(await prove_with_dukcapil(intake, citizen)).status_code for _ in range(4)]
    assert answers == [422, 422, 422, 429]
    # Even the right name waits now: the tries are spent.
    right = await prove_with_dukcapil(intake, citizen, name="Joko Susilo")
    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) > 3600
    # A second account for the same NIK gets the NIK's remaining tries, and no more.
    second = await contacts_confirmed(intake, stand_ins, nik, "Joko S")
    more = [(await prove_with_dukcapil(intake, second)).status_code for _ in range(3)]
    assert more == [422, 422, 422]
    third = await contacts_confirmed(intake, stand_ins, nik, "Joko Su")
    assert (await prove_with_dukcapil(intake, third, name="Joko Susilo")).status_code == 429


async def test_an_unreachable_dukcapil_is_a_503_and_the_circuit_opens_then_recovers(
    stack, stand_ins
):
    settings = _settings(
        stack,
        stand_ins,
        dukcapil_retries=1,
        dukcapil_breaker_failures=2,
        dukcapil_breaker_seconds=1.0,
        dukcapil_timeout_seconds=0.5,
    )
    nik = resident(stand_ins, "Wahyu Hidayat")

    def calls() -> int:
        return httpx.get(f"{stand_ins.dukcapil_url}/v1/stats").json()["verify_calls"]

    async with AsyncExitStack() as exits:
        intake = await _running(exits, build_intake, "intake", settings)
        citizen = await registered(intake, nik, "Wahyu Hidayat")
        await contacts_marked(intake, citizen)
        stand_ins.dukcapil("/v1/faults", {"fail_next": 100, "status": 503})
        try:
            before = calls()
            for _ in range(2):  # two failures, each after a retry: the circuit opens
                down = await prove_with_dukcapil(intake, citizen)
                assert down.status_code == 503
                assert int(down.headers["Retry-After"]) >= 1
                assert "loket" in down.json()["detail"]
            assert calls() - before == 4
            fast = await prove_with_dukcapil(intake, citizen)
            assert fast.status_code == 503
            assert calls() - before == 4  # refused at once: Dukcapil was not asked
        finally:
            stand_ins.dukcapil("/v1/faults", {"fail_next": 0})
        await eventually(
            lambda: prove_with_dukcapil(intake, citizen),
            timeout=10,
            until=lambda r: r.status_code == 200,
            interval=0.3,
        )


async def test_a_slow_dukcapil_times_out_instead_of_holding_the_citizen(stack, stand_ins):
    settings = _settings(stack, stand_ins, dukcapil_retries=0, dukcapil_timeout_seconds=0.3)
    async with AsyncExitStack() as exits:
        intake = await _running(exits, build_intake, "intake", settings)
        citizen = await registered(intake, resident(stand_ins, "Lambat Sekali"), "Lambat Sekali")
        await contacts_marked(intake, citizen)
        stand_ins.dukcapil("/v1/faults", {"fail_next": 1, "status": 503, "delay_seconds": 2})
        try:
            started = time.monotonic()
            slow = await prove_with_dukcapil(intake, citizen)
            waited = time.monotonic() - started
        finally:
            stand_ins.dukcapil("/v1/faults", {"fail_next": 0})
        assert slow.status_code == 503
        assert waited < 1.5  # the simulator would have answered after 2 s


async def test_a_proven_account_submits_and_a_frozen_ones_refresh_token_is_dead(intake, stand_ins):
    nik = resident(stand_ins, "Dian Sastro", female=True)
    squatter = await registered(intake, nik, "Dian")
    pair = await intake.post(
        "/api/v1/auth/token", data={"username": squatter.email, "password": PASSWORD}
    )
    refresh_token = pair.json()["refresh_token"]
    holder = await registered(intake, nik, "Dian Sastro")
    await prove_account(intake, holder.id)
    assert (await submit(intake, holder)).status_code == 202
    renewed = await intake.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
    )
    assert renewed.status_code == 401


async def test_a_counter_brings_back_the_holders_account_frozen_by_a_squatters_proof(
    intake, stand_ins
):
    """The squatter knew the name and proved first, freezing the holder's older account;
    the holder shows the KTP at a counter, names their email, and gets the account back."""
    nik = resident(stand_ins, "Putri Maharani", female=True)
    holder = await registered(intake, nik, "Putri Maharani")
    squatter = await contacts_confirmed(intake, stand_ins, nik, "Putri Maharani")
    assert (await prove_with_dukcapil(intake, squatter)).status_code == 200
    assert (await intake.get("/api/v1/me", headers=holder.headers)).status_code == 401
    counter = await counter_operator(intake, "loket-nik-4")
    listed = await intake.post(
        "/api/v1/counter/nik-holders",
        json={"nik": nik, "email": holder.email},
        headers=bearer(counter),
    )
    assert [(h["id"], h["frozen"]) for h in listed.json()] == [(holder.id, True)]
    done = await intake.post(
        "/api/v1/counter/nik-verifications",
        json={"citizen_id": holder.id, "nik": nik},
        headers=bearer(counter),
    )
    assert done.status_code == 200, done.text
    token = await sign_in(intake, holder.email, PASSWORD)
    me = (await intake.get("/api/v1/me", headers=bearer(token))).json()
    assert (me["nik_verified"], me["nik_verified_by"]) == (True, "counter")
    again = await intake.post(
        "/api/v1/auth/token", data={"username": squatter.email, "password": PASSWORD}
    )
    assert again.status_code == 403  # the squatter's account is the frozen one now


async def test_an_application_never_changes_the_email_and_the_account_stays_proven(
    intake, stand_ins
):
    citizen = await register(intake)  # proven
    changed = await intake.post(
        "/api/v1/applications",
        json={**APPLICATION, "applicant": {"email": f"baru-{uuid.uuid4().hex[:6]}@example.id"}},
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert changed.status_code == 403  # only the profile, with the password, changes it
    assert changed.json()["errors"][0]["field"] == "applicant.email"
    me = (await intake.get("/api/v1/me", headers=citizen.headers)).json()
    assert (me["email"], me["email_verified"], me["can_submit"]) == (citizen.email, True, True)
