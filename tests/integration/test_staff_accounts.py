"""Staff accounts against the real broker and database: ``mpp staff`` adds, lists,
disables and resets them and refuses what does not fit; staff sign in with their
username and their token says what they are bound to; the old ``operators`` are moved
to ``staff``; a counter looks a citizen up by NIK and sees only minimal data; counters
and kiosks submit only in their own region, a kiosk only for the citizen signed in at
it."""

import asyncio
import os
import sys
import uuid

import pytest
from argon2 import PasswordHasher

from shared.auth import issue_token, verify_citizen_token
from shared.mongo import make_mongo
from tests.e2e.helpers import register, sign_in
from tests.integration.routing_support import ROOT

pytestmark = pytest.mark.integration

SKCK = {"service": "skck", "region": "3576", "data": {"purpose": "melamar kerja"}}


async def mpp(env: dict[str, str], *args: str, stdin: str = "") -> tuple[int, str]:
    """``python -m ops ...`` against the test's namespace; its exit code and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ops",
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=180)
    return process.returncode or 0, output.decode()


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


async def submit_as(intake, token: str, body: dict, **headers: str):
    return await intake.post(
        "/api/v1/applications",
        json=body,
        headers=bearer(token, **{"Idempotency-Key": str(uuid.uuid4())}, **headers),
    )


@pytest.mark.slow  # fifteen `mpp` processes, two minutes of a worker: make test-slow
@pytest.mark.timeout(300)
async def test_mpp_staff_adds_lists_disables_and_resets_and_refuses_what_does_not_fit(
    stack_env, service_app
):
    added = await mpp(
        stack_env, "staff", "add", "andi.pratama", "--role", "officer",
        "--agency", "polres-3576", "--name", "Bripka Andi",
    )  # fmt: skip
    assert added[0] == 0, added[1]
    assert "andi.pratama\tofficer\tpolres-3576\tBripka Andi" in added[1]
    password = added[1].split("kata sandi / password: ")[1].split()[0]
    assert len(password) >= 12
    counter = await mpp(
        stack_env, "staff", "add", "loket-1", "--role", "counter", "--region", "3576",
        "--password-stdin", stdin="sandi-loket-gajah-mada\n",
    )  # fmt: skip
    assert counter[0] == 0, counter[1]
    assert "sandi-loket-gajah-mada" not in counter[1]

    refusals = {
        "unknown agency": ("x.y", "--role", "officer", "--agency", "polres-9999"),
        "unknown region": ("x.y", "--role", "kiosk", "--region", "9999"),
        "bound to one agency": ("x.y", "--role", "supervisor", "--region", "3576"),
        "bound to one MPP region": ("x.y", "--role", "counter", "--agency", "polres-3576"),
        "bound to no agency or region": ("x.y", "--role", "admin", "--region", "3576"),
        "unknown role": ("x.y", "--role", "lurah"),
        "username: 3-40": ("Andi Pratama", "--role", "admin"),
        "at least 12": ("x.y", "--role", "admin", "--password-stdin"),
    }
    for message, args in refusals.items():
        code, output = await mpp(stack_env, "staff", "add", *args, stdin="pendek\n")
        assert (code, message in output) == (2, True), (message, output)
    taken = await mpp(stack_env, "staff", "add", "andi.pratama", "--role", "admin")
    assert taken[0] == 1
    assert "username andi.pratama is taken" in taken[1]
    both = await mpp(
        stack_env, "staff", "add", "x.y", "--role", "officer",
        "--agency", "polres-3576", "--region", "3576",
    )  # fmt: skip
    assert both[0] == 2  # argparse: --agency and --region exclude each other

    listed = await mpp(stack_env, "staff", "list", "--agency", "polres-3576")
    assert listed[1].splitlines()[0].split("\t") == [
        "andi.pratama", "officer", "polres-3576", "Bripka Andi", "active"
    ]  # fmt: skip
    assert "loket-1" not in listed[1]
    counters = await mpp(stack_env, "staff", "list", "--role", "counter")
    assert "loket-1\tcounter\t3576\t-\tactive" in counters[1]
    assert (await mpp(stack_env, "staff", "list", "--agency", "polres-9999"))[0] == 2

    intake = await service_app("intake")
    token = await sign_in(intake, "andi.pratama", password)
    assert verify_citizen_token(token, intake.app.state.runtime.settings).agency == "polres-3576"

    reset = await mpp(
        stack_env, "staff", "reset-password", "andi.pratama", "--password-stdin",
        stdin="sandi-baru-bripka-andi\n",
    )  # fmt: skip
    assert reset[0] == 0, reset[1]
    assert (await intake.post("/api/v1/auth/token", data={
        "username": "andi.pratama", "password": password
    })).status_code == 401  # fmt: skip
    await sign_in(intake, "andi.pratama", "sandi-baru-bripka-andi")

    disabled = await mpp(stack_env, "staff", "disable", "andi.pratama")
    assert disabled[0] == 0, disabled[1]
    assert "disabled: andi.pratama" in disabled[1]
    again = await mpp(stack_env, "staff", "disable", "andi.pratama")
    assert (again[0], "already disabled" in again[1]) == (0, True)
    refused = await intake.post(
        "/api/v1/auth/token",
        data={"username": "andi.pratama", "password": "sandi-baru-bripka-andi"},
    )
    assert refused.status_code == 401
    listed = await mpp(stack_env, "staff", "list", "--agency", "polres-3576")
    assert "\tdisabled " in listed[1]
    for action in ("disable", "reset-password"):
        missing = await mpp(stack_env, "staff", action, "nobody.here")
        assert missing == (1, "Tidak ada petugas nobody.here / no staff member nobody.here\n")


async def test_staff_sign_in_with_their_username_and_the_token_carries_role_and_binding(
    service_app,
):
    intake = await service_app("intake")
    staff = intake.identity.state.accounts.staff
    settings = intake.app.state.runtime.settings
    await staff.add(
        "rina.dinkes", "supervisor", "sandi-rina-dinkes", agency="dinkes-3514", name="Rina"
    )
    await staff.add("kios-1", "kiosk", "sandi-kios-bangil", region="3514")
    await staff.add("admin.platform", "admin", "sandi-admin-platform")

    supervisor = verify_citizen_token(
        await sign_in(intake, " Rina.Dinkes ", "sandi-rina-dinkes"), settings
    )
    assert (supervisor.subject, supervisor.roles) == ("rina.dinkes", ("supervisor",))
    assert (supervisor.agency, supervisor.region, supervisor.name) == ("dinkes-3514", None, "Rina")
    assert supervisor.agency_role == "supervisor"
    assert not supervisor.is_citizen
    kiosk = verify_citizen_token(await sign_in(intake, "kios-1", "sandi-kios-bangil"), settings)
    assert (kiosk.roles, kiosk.region, kiosk.agency, kiosk.operator_role) == (
        ("kiosk",), "3514", None, "kiosk"
    )  # fmt: skip
    admin = verify_citizen_token(
        await sign_in(intake, "admin.platform", "sandi-admin-platform"), settings
    )
    assert (admin.staff_role, admin.agency, admin.region) == ("admin", None, None)

    citizen = await register(intake)
    plain = verify_citizen_token(citizen.token, settings)
    assert (plain.roles, plain.agency, plain.region, plain.name) == (("citizen",), None, None, None)
    assert plain.issued_at is not None

    wrong = await intake.post(
        "/api/v1/auth/token", data={"username": "rina.dinkes", "password": "salah-sekali-ya"}
    )
    assert wrong.status_code == 401
    unknown = await intake.post(
        "/api/v1/auth/token", data={"username": "nobody.here", "password": "sandi-rina-dinkes"}
    )
    assert unknown.status_code == 401
    # Staff have no citizen's profile.
    me = await intake.get(
        "/api/v1/me", headers=bearer(await sign_in(intake, "kios-1", "sandi-kios-bangil"))
    )
    assert me.status_code == 403


async def test_the_old_operators_move_to_staff_at_start_and_still_serve_at_the_counter(
    settings, service_app
):
    mongo = make_mongo(settings, "test")
    try:
        operators = mongo[settings.database_name("identity")]["operators"]
        await operators.insert_one(
            {
                "_id": "loket-3576-07",
                "roles": ["counter"],
                "region": "3576",
                "password_hash": PasswordHasher().hash("sandi-lama"),
            }
        )
    finally:
        await mongo.close()
    intake = await service_app("intake")
    db = intake.identity.state.runtime.db
    assert "operators" not in await db.list_collection_names()
    moved = await db["staff"].find_one({"_id": "loket-3576-07"})
    assert (moved["role"], moved["region"], moved["disabled_at"]) == ("counter", "3576", None)

    token = await sign_in(intake, "loket-3576-07", "sandi-lama")
    citizen = await register(intake)
    accepted = await submit_as(intake, token, {**SKCK, "citizen_nik": citizen.nik})
    assert accepted.status_code == 202, accepted.text
    stored = await intake.app.state.runtime.db["applications"].find_one(
        {"_id": accepted.json()["id"]}
    )
    assert (stored["channel"], stored["operator_id"], stored["citizen_id"]) == (
        "counter", "loket-3576-07", citizen.id
    )  # fmt: skip


async def test_a_counter_looks_a_citizen_up_by_nik_and_sees_only_minimal_data(service_app):
    intake = await service_app("intake")
    staff = intake.identity.state.accounts.staff
    await staff.add("loket-2", "counter", "sandi-loket-dua", region="3576")
    await staff.add("kios-2", "kiosk", "sandi-kios-dua-x", region="3576")
    await staff.add("budi.disduk", "officer", "sandi-budi-disduk", agency="disdukcapil-3576")
    counter = await sign_in(intake, "loket-2", "sandi-loket-dua")
    citizen = await register(intake, birth_place=None, family_card_number=None)

    found = await intake.post(
        "/api/v1/counter/citizens", json={"nik": citizen.nik}, headers=bearer(counter)
    )
    assert found.status_code == 200, found.text
    assert found.json() == {
        "id": citizen.id,
        "name": "Siti Aminah",
        "present_fields": ["nik", "name", "birth_date", "sex", "address", "phone", "email"],
        "missing_fields": ["birth_place", "family_card_number"],
    }
    for personal in (citizen.email, "0812", "Gajah Mada", citizen.nik):
        assert personal not in found.text

    def lookup(token: str, nik: str = citizen.nik):
        return intake.post("/api/v1/counter/citizens", json={"nik": nik}, headers=bearer(token))

    assert (await lookup(counter, "3576015508900009")).status_code == 404
    assert (await lookup(counter, "12345")).status_code == 422
    others = {
        "citizen": citizen.token,
        "kiosk": await sign_in(intake, "kios-2", "sandi-kios-dua-x"),
        "officer": await sign_in(intake, "budi.disduk", "sandi-budi-disduk"),
    }
    assert {who: (await lookup(token)).status_code for who, token in others.items()} == {
        "citizen": 403,
        "kiosk": 403,
        "officer": 403,
    }
    assert (
        await intake.post("/api/v1/counter/citizens", json={"nik": citizen.nik})
    ).status_code == 401

    await staff.disable("loket-2")
    refused = await lookup(counter)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


async def test_counters_and_kiosks_submit_in_their_own_region_a_kiosk_for_the_signed_in_citizen(
    service_app,
):
    intake = await service_app("intake")
    staff = intake.identity.state.accounts.staff
    settings = intake.app.state.runtime.settings
    applications = intake.app.state.runtime.db["applications"]
    await staff.add("loket-3", "counter", "sandi-loket-tiga", region="3576")
    await staff.add("kios-3", "kiosk", "sandi-kios-tiga-x", region="3576")
    await staff.add("sari.polres", "officer", "sandi-sari-polres", agency="polres-3576")
    counter = await sign_in(intake, "loket-3", "sandi-loket-tiga")
    kiosk = await sign_in(intake, "kios-3", "sandi-kios-tiga-x")
    officer = await sign_in(intake, "sari.polres", "sandi-sari-polres")
    citizen = await register(intake)

    at_counter = await submit_as(intake, counter, {**SKCK, "citizen_nik": citizen.nik})
    assert at_counter.status_code == 202, at_counter.text
    elsewhere = await submit_as(
        intake, counter, {**SKCK, "region": "3514", "citizen_nik": citizen.nik}
    )
    assert elsewhere.status_code == 403
    assert elsewhere.json()["errors"] == [{"field": "region", "message": "must be 3576"}]

    # A kiosk cannot vouch for a NIK: the citizen signs in at it.
    with_nik = await submit_as(intake, kiosk, {**SKCK, "citizen_nik": citizen.nik})
    assert with_nik.status_code == 422
    assert with_nik.json()["errors"][0]["field"] == "citizen_nik"
    signed_out = await submit_as(intake, kiosk, SKCK)
    assert signed_out.status_code == 422
    assert signed_out.json()["errors"][0]["field"] == "X-Citizen-Token"
    at_kiosk = await submit_as(intake, kiosk, SKCK, **{"X-Citizen-Token": citizen.token})
    assert at_kiosk.status_code == 202, at_kiosk.text
    not_a_citizen = await submit_as(intake, kiosk, SKCK, **{"X-Citizen-Token": officer})
    assert not_a_citizen.status_code == 403
    forged, _ = issue_token(settings, citizen.id, ("citizen",))
    garbage = await submit_as(intake, kiosk, SKCK, **{"X-Citizen-Token": forged[:-4] + "AAAA"})
    assert garbage.status_code == 401

    stored = {
        a["_id"]: (a["channel"], a["operator_id"], a["citizen_id"])
        async for a in applications.find({"citizen_id": citizen.id})
    }
    assert stored == {
        at_counter.json()["id"]: ("counter", "loket-3", citizen.id),
        at_kiosk.json()["id"]: ("kiosk", "kios-3", citizen.id),
    }
    mine = await intake.get("/api/v1/applications", headers=citizen.headers)
    assert {a["channel"] for a in mine.json()} == {"counter", "kiosk"}

    # The citizen's token is judged as if the citizen called: once they sign out
    # everywhere, the kiosk cannot use it.
    signed_out_everywhere = await intake.post(
        "/api/v1/auth/signout-everywhere", headers=citizen.headers
    )
    assert signed_out_everywhere.status_code == 204
    stale = await submit_as(intake, kiosk, SKCK, **{"X-Citizen-Token": citizen.token})
    assert stale.status_code == 401
    assert stale.json()["detail"].startswith("X-Citizen-Token: ")

    # An agency officer does not submit; a reset password ends the counter's session.
    assert (await submit_as(intake, officer, SKCK)).status_code == 403
    await staff.reset_password("loket-3", "sandi-loket-tiga-baru")
    after_reset = await submit_as(intake, counter, {**SKCK, "citizen_nik": citizen.nik})
    assert after_reset.status_code == 401
    fresh = await sign_in(intake, "loket-3", "sandi-loket-tiga-baru")
    assert (await submit_as(intake, fresh, {**SKCK, "citizen_nik": citizen.nik})).status_code == 202
