"""Region administrators run their own staff, against the real broker and database with
identity, intake and routing in this process: Kota Mojokerto's administrator (3576) adds
an officer for its health office and a counter for its MPP, who sign in and work; it
cannot add, see, disable or reset another region's staff, a national office's, or any
administrator; only a staff administrator's valid token opens the API; the national
administrator manages every region's staff and stops a region's administrator; and
``mpp staff`` goes through the same rules, naming the operator."""

import pytest

from shared.auth import verify_citizen_token
from tests.e2e.helpers import register, sign_in
from tests.integration.test_staff_accounts import bearer, mpp

pytestmark = pytest.mark.integration

OWN_OFFICE = "dinkes-3576"


@pytest.fixture
async def mojokerto(service_app):
    """Intake (with identity) and routing; Mojokerto's and the nation's administrators
    signed in, and a Pasuruan officer already at work."""
    intake, routing = await service_app("intake"), await service_app("routing")
    staff = intake.identity.state.accounts.staff
    await staff.add("admin.mojokerto", "region_admin", "sandi-admin-mojokerto", region="3576")
    await staff.add("admin.nasional", "national_admin", "sandi-admin-nasional")
    await staff.add("yoga.pasuruan", "officer", "sandi-yoga-pasuruan", agency="dinkes-3514")
    region = await sign_in(intake, "admin.mojokerto", "sandi-admin-mojokerto")
    national = await sign_in(intake, "admin.nasional", "sandi-admin-nasional")
    return intake, routing, bearer(region), bearer(national)


async def add(intake, headers: dict[str, str], **body: str):
    return await intake.post("/api/v1/staff", json=body, headers=headers)


async def test_a_region_administrator_adds_an_officer_for_its_own_office_who_signs_in_and_works(
    mojokerto,
):
    intake, routing, region, _ = mojokerto
    added = await add(
        intake, region, username="sari.dinkes", role="officer", agency=OWN_OFFICE, name="Sari"
    )
    assert added.status_code == 201, added.text
    assert added.headers["cache-control"] == "no-store"
    officer = added.json()
    assert (officer["username"], officer["agency"], officer["active"]) == (
        "sari.dinkes", OWN_OFFICE, True
    )  # fmt: skip
    assert officer["created_by"] == "admin.mojokerto"
    assert len(officer["password"]) >= 12
    counter = await add(intake, region, username="loket-gajahmada-7", role="counter", region="3576")
    assert counter.status_code == 201, counter.text

    token = await sign_in(intake, "sari.dinkes", officer["password"])
    claims = verify_citizen_token(token, intake.app.state.runtime.settings)
    assert (claims.roles, claims.agency) == (("officer",), OWN_OFFICE)
    queue = await routing.get("/api/v1/agency/applications", headers=bearer(token))
    assert queue.status_code == 200, queue.text

    listed = await intake.get("/api/v1/staff", headers=region)
    assert listed.status_code == 200, listed.text
    assert [row["username"] for row in listed.json()] == ["loket-gajahmada-7", "sari.dinkes"]
    counters = await intake.get("/api/v1/staff", params={"role": "counter"}, headers=region)
    assert [row["username"] for row in counters.json()] == ["loket-gajahmada-7"]
    assert "password" not in listed.json()[0]


async def test_a_region_administrator_cannot_add_staff_elsewhere_nor_any_administrator(mojokerto):
    intake, _, region, _ = mojokerto
    staff = intake.identity.state.accounts.staff
    refused = {
        "another region's office": {"role": "officer", "agency": "dinkes-3514"},
        "a national office": {"role": "supervisor", "agency": "bpjs-kesehatan"},
        "another region's counter": {"role": "counter", "region": "3514"},
        "a region administrator": {"role": "region_admin", "region": "3576"},
        "a national administrator": {"role": "national_admin"},
        "a platform administrator": {"role": "admin"},
    }
    for what, body in refused.items():
        answer = await add(intake, region, username="coba.coba", **body)
        assert answer.status_code == 403, (what, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert " / " in answer.json()["title"]
    assert await staff.find("coba.coba") is None  # nothing was stored

    unknown = await add(intake, region, username="coba.coba", role="officer", agency="dinkes-9999")
    assert unknown.status_code == 422
    taken = await add(intake, region, username="yoga.pasuruan", role="counter", region="3576")
    assert taken.status_code == 409


async def test_a_region_administrator_disables_and_resets_its_own_staff_only(mojokerto):
    intake, _, region, _ = mojokerto
    made = await add(intake, region, username="sari.dinkes", role="officer", agency=OWN_OFFICE)
    sari = await sign_in(intake, "sari.dinkes", made.json()["password"])
    yoga = await sign_in(intake, "yoga.pasuruan", "sandi-yoga-pasuruan")

    for action in ("disable", "reset-password"):
        for username in ("yoga.pasuruan", "admin.nasional", "nobody.here"):
            answer = await intake.post(f"/api/v1/staff/{username}/{action}", headers=region)
            assert answer.status_code == 404, (action, username, answer.text)
    assert (await intake.get("/api/v1/staff/me", headers=bearer(yoga))).status_code == 200
    assert "yoga.pasuruan" not in {r["username"] for r in (await intake.get(
        "/api/v1/staff", headers=region
    )).json()}  # fmt: skip

    reset = await intake.post("/api/v1/staff/sari.dinkes/reset-password", headers=region)
    assert reset.status_code == 200, reset.text
    assert (await intake.get("/api/v1/staff/me", headers=bearer(sari))).status_code == 401
    sari = await sign_in(intake, "sari.dinkes", reset.json()["password"])

    disabled = await intake.post("/api/v1/staff/sari.dinkes/disable", headers=region)
    assert disabled.status_code == 200, disabled.text
    assert (disabled.json()["active"], disabled.json()["disabled_by"]) == (
        False, "admin.mojokerto"
    )  # fmt: skip
    assert (await intake.get("/api/v1/staff/me", headers=bearer(sari))).status_code == 401
    signing_in = await intake.post(
        "/api/v1/auth/token",
        data={"username": "sari.dinkes", "password": reset.json()["password"]},
    )
    assert signing_in.status_code == 401


async def test_only_a_staff_administrators_valid_token_opens_the_staff_api(mojokerto):
    intake, _, region, national = mojokerto
    staff = intake.identity.state.accounts.staff
    await staff.add("andi.dinkes", "officer", "sandi-andi-dinkes", agency=OWN_OFFICE)
    await staff.add("loket-9", "counter", "sandi-loket-sembilan", region="3576")
    officer = await sign_in(intake, "andi.dinkes", "sandi-andi-dinkes")
    counter = await sign_in(intake, "loket-9", "sandi-loket-sembilan")
    citizen = await register(intake)
    body = {"username": "coba.coba", "role": "counter", "region": "3576"}

    nobody = await intake.post("/api/v1/staff", json=body)
    assert nobody.status_code == 401
    for token in (officer, counter, citizen.token):
        for method, path in (("POST", "/api/v1/staff"), ("GET", "/api/v1/staff")):
            answer = await intake.request(method, path, json=body, headers=bearer(token))
            assert answer.status_code == 403, (method, answer.text)
        moved = await intake.post("/api/v1/staff/loket-9/disable", headers=bearer(token))
        assert moved.status_code == 403
    assert (await staff.find("loket-9"))["disabled_at"] is None

    stopped = await intake.post("/api/v1/staff/admin.mojokerto/disable", headers=national)
    assert stopped.status_code == 200, stopped.text
    assert (await add(intake, region, **body)).status_code == 401  # its token, disabled since
    assert await staff.find("coba.coba") is None


async def test_the_national_administrator_manages_every_regions_staff_but_adds_no_administrator(
    mojokerto,
):
    intake, _, _, national = mojokerto
    office = await add(
        intake, national, username="budi.bpjs", role="officer", agency="bpjs-kesehatan"
    )
    assert office.status_code == 201, office.text
    elsewhere = await intake.post("/api/v1/staff/yoga.pasuruan/reset-password", headers=national)
    assert elsewhere.status_code == 200, elsewhere.text
    for role, region in (("region_admin", "3576"), ("national_admin", None), ("admin", None)):
        body = {"username": "admin.baru", "role": role} | ({"region": region} if region else {})
        assert (await add(intake, national, **body)).status_code == 403, role
    for username in ("admin.mojokerto", "admin.nasional"):
        reset = await intake.post(f"/api/v1/staff/{username}/reset-password", headers=national)
        assert reset.status_code == 404, username
    listed = {
        row["username"] for row in (await intake.get("/api/v1/staff", headers=national)).json()
    }
    assert {"budi.bpjs", "yoga.pasuruan", "admin.mojokerto"} <= listed


async def test_mpp_staff_takes_the_same_path_and_names_the_operator(stack_env, mojokerto):
    intake, routing, region, _ = mojokerto
    added = await mpp(
        stack_env, "staff", "add", "rudi.dinkes", "--role", "officer", "--agency", OWN_OFFICE,
        "--operator", "ops.wawan",
    )  # fmt: skip
    assert added[0] == 0, added[1]
    listed = {row["username"]: row for row in (await intake.get(
        "/api/v1/staff", headers=region
    )).json()}  # fmt: skip
    assert listed["rudi.dinkes"]["created_by"] == "operator:ops.wawan"
    password = added[1].split("kata sandi / password: ")[1].split()[0]
    rudi = await sign_in(intake, "rudi.dinkes", password)
    assert (
        await routing.get("/api/v1/agency/applications", headers=bearer(rudi))
    ).status_code == 200

    # An operator disabling the officer a region's administrator sees tells routing too.
    stopped = await mpp(stack_env, "staff", "disable", "rudi.dinkes", "--operator", "ops.wawan")
    assert stopped[0] == 0, stopped[1]
    refused = await routing.get("/api/v1/agency/applications", headers=bearer(rudi))
    assert refused.status_code == 401
    after = await intake.get("/api/v1/staff", params={"agency": OWN_OFFICE}, headers=region)
    assert [(r["active"], r["disabled_by"]) for r in after.json()] == [
        (False, "operator:ops.wawan")
    ]


async def test_a_region_administrator_adds_its_mpps_queue_kiosk_and_counter_officer_only(
    mojokerto,
):
    intake, _, region, _ = mojokerto
    for role in ("queue_kiosk", "counter_officer"):
        elsewhere = await add(intake, region, username=f"{role}.x", role=role, region="3514")
        assert elsewhere.status_code == 403, elsewhere.text
        unbound = await add(intake, region, username=f"{role}.y", role=role)
        assert unbound.status_code in (403, 422), unbound.text
    kiosk = await add(intake, region, username="kios-antrean-1", role="queue_kiosk", region="3576")
    assert kiosk.status_code == 201, kiosk.text
    token = await sign_in(intake, "kios-antrean-1", kiosk.json()["password"])
    claims = verify_citizen_token(token, intake.app.state.runtime.settings)
    assert (claims.roles, claims.region) == (("queue_kiosk",), "3576")
    # The kiosk is let in (the MPP's hours decide the rest); an officer's role is not.
    walk_in = await intake.post(
        "/api/v1/queue/walk-ins", json={"service": "skck"}, headers=bearer(token)
    )
    assert walk_in.status_code in (201, 409, 422), walk_in.text
    officer = await add(
        intake, region, username="petugas-loket-1", role="counter_officer", region="3576"
    )
    assert officer.status_code == 201, officer.text
    officer_token = await sign_in(intake, "petugas-loket-1", officer.json()["password"])
    refused = await intake.post(
        "/api/v1/queue/walk-ins", json={"service": "skck"}, headers=bearer(officer_token)
    )
    assert refused.status_code == 403
