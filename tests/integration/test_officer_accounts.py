"""Officers act as themselves, against the real broker and database with identity,
intake and routing in this process: an officer signs in at identity, and routing's
agency API takes that token for the officer's own agency only, recording each read and
each transition under their username; ``mpp staff disable`` and ``reset-password`` end
their sessions at routing at once; the workbench signs the officer in at the identity
service's provider, where the password is typed, and keeps only the token."""

import re
import uuid

import httpx
import pytest

from shared.events import DataAccessed
from tests.e2e.helpers import eventually, register, sign_in
from tests.integration.officer_browser import OfficerBrowser
from tests.integration.routing_support import read_events
from tests.integration.test_staff_accounts import bearer, mpp

pytestmark = pytest.mark.integration

AGENCY = "polres-3576"


@pytest.fixture
async def platform(service_app):
    """Intake and routing in this process; an SKCK for polres-3576 (a workbench
    agency) routed; two officers of it, one of another agency, a counter operator."""
    intake, routing = await service_app("intake"), await service_app("routing")
    staff = intake.identity.state.accounts.staff
    await staff.add("andi.pratama", "officer", "sandi-andi-pratama", agency=AGENCY, name="Andi")
    await staff.add("dewi.kasat", "supervisor", "sandi-dewi-kasat-1", agency=AGENCY)
    await staff.add("yoga.pasuruan", "officer", "sandi-yoga-pasuruan", agency="polres-3514")
    await staff.add("loket-9", "counter", "sandi-loket-sembilan", region="3576")
    citizen = await register(intake)
    uploaded = await intake.post(
        "/api/v1/documents",
        files={"file": ("pas-foto.pdf", b"%PDF-1.4\n" + b"1" * 300, "application/pdf")},
        headers=citizen.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    accepted = await intake.post(
        "/api/v1/applications",
        json={
            "service": "skck",
            "region": "3576",
            "data": {"purpose": "melamar kerja"},
            "documents": [uploaded.json()["sha256"]],
        },
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert accepted.status_code == 202, accepted.text
    application_id = accepted.json()["id"]
    applications = routing.app.state.runtime.db["applications"]
    await eventually(
        lambda: applications.find_one({"_id": application_id, "status": "routed"}),
        timeout=30,
    )
    return intake, routing, citizen, application_id


async def test_an_officer_works_their_own_agency_only_and_every_read_and_move_names_them(
    platform,
):
    intake, routing, citizen, application_id = platform
    runtime = routing.app.state.runtime
    andi = await sign_in(intake, "andi.pratama", "sandi-andi-pratama")
    dewi = await sign_in(intake, "dewi.kasat", "sandi-dewi-kasat-1")
    path = f"/api/v1/agency/applications/{application_id}"

    listing = await routing.get("/api/v1/agency/applications", headers=bearer(andi))
    assert application_id in [item["id"] for item in listing.json()["items"]]
    read = await routing.get(path, headers=bearer(andi, **{"X-Officer-Id": "Kapolres"}))
    assert read.status_code == 200, read.text
    moved = await routing.post(
        f"{path}/transitions",
        json={"to": "received", "note": "berkas diterima"},
        headers=bearer(dewi, **{"Idempotency-Key": "terima-1"}),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "received"

    # Another agency's officer, a citizen and a counter operator get nothing.
    yoga = await sign_in(intake, "yoga.pasuruan", "sandi-yoga-pasuruan")
    assert (await routing.get(path, headers=bearer(yoga))).status_code == 404
    other_move = await routing.post(
        f"{path}/transitions", json={"to": "in_review"}, headers=bearer(yoga)
    )
    assert other_move.status_code == 404
    theirs = await routing.get("/api/v1/agency/applications", headers=bearer(yoga))
    assert application_id not in [item["id"] for item in theirs.json()["items"]]
    counter = await sign_in(intake, "loket-9", "sandi-loket-sembilan")
    for token in (citizen.token, counter):
        refused = await routing.get(path, headers=bearer(token))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"

    def records(events) -> list[DataAccessed]:
        return [e for e in events if isinstance(e, DataAccessed) and e.subject == application_id]

    events = await read_events(
        runtime.settings.kafka_bootstrap, runtime.topics.access, lambda es: len(records(es)) >= 2
    )
    assert [(r.data.actor_id, r.data.purpose) for r in records(events)] == [
        (f"{AGENCY}/andi.pratama", "memproses permohonan / processing the application"),
        (f"{AGENCY}/dewi.kasat", "mengubah status menjadi received / moved the status to received"),
    ]
    assert {r.data.actor_kind for r in records(events)} == {"officer"}

    # The citizen's timeline says the agency acted, with its note, as before.
    async def timeline() -> list:
        answer = await intake.get(f"/api/v1/applications/{application_id}", headers=citizen.headers)
        return answer.json()["timeline"]

    steps = await eventually(timeline, timeout=20, until=lambda t: t[-1]["status"] == "received")
    assert steps[-1]["note"] == "berkas diterima"


async def test_disabling_an_officer_or_resetting_their_password_ends_their_sessions_at_once(
    platform, stack_env
):
    intake, routing, _, application_id = platform
    path = f"/api/v1/agency/applications/{application_id}"
    andi = await sign_in(intake, "andi.pratama", "sandi-andi-pratama")
    dewi = await sign_in(intake, "dewi.kasat", "sandi-dewi-kasat-1")
    assert (await routing.get(path, headers=bearer(andi))).status_code == 200

    code, output = await mpp(
        stack_env, "staff", "reset-password", "dewi.kasat", "--password-stdin",
        stdin="sandi-dewi-kasat-2\n",
    )  # fmt: skip
    assert code == 0, output
    assert (await routing.get(path, headers=bearer(dewi))).status_code == 401
    dewi_again = await sign_in(intake, "dewi.kasat", "sandi-dewi-kasat-2")
    assert (await routing.get(path, headers=bearer(dewi_again))).status_code == 200

    code, output = await mpp(stack_env, "staff", "disable", "andi.pratama")
    assert code == 0, output
    refused = await routing.get(path, headers=bearer(andi))
    assert refused.status_code == 401
    assert "dinonaktifkan" in refused.json()["detail"]
    assert (
        await routing.get("/workbench/", headers={"Cookie": f"mpp_workbench={andi}"})
    ).status_code == 303
    signing_in = await intake.post(
        "/api/v1/auth/token", data={"username": "andi.pratama", "password": "sandi-andi-pratama"}
    )
    assert signing_in.status_code == 401


async def test_the_workbench_signs_an_officer_in_at_the_provider_and_keeps_only_the_token(
    platform,
):
    intake, routing, citizen, application_id = platform
    async with OfficerBrowser(routing.app, intake.identity) as browser:
        provider_page = await browser.to_provider()
        assert provider_page.startswith(f"{browser.identity_url}/oauth/authorize?")
        page = await browser.client.get(provider_page)
        assert 'name="username"' in page.text
        assert 'type="password"' in page.text
        assert 'name="key"' not in page.text
        assert 'name="officer"' not in page.text

        wrong = await browser.sign_in("andi.pratama", "bukan-sandinya")
        assert wrong.status_code == 401
        assert "Nama pengguna atau kata sandi salah" in wrong.text
        assert 'value="andi.pratama"' in wrong.text
        as_citizen = await browser.sign_in(citizen.email, citizen.password)
        assert as_citizen.status_code == 401  # the staff form takes no citizen
        assert "mpp_workbench" not in browser.client.cookies
        as_counter = await browser.sign_in("loket-9", "sandi-loket-sembilan")
        assert as_counter.status_code == 403
        assert "bukan akun petugas instansi" in as_counter.text
        assert "mpp_workbench" not in browser.client.cookies

        signed = await browser.sign_in("andi.pratama", "sandi-andi-pratama")
        assert signed.status_code == 303, signed.text
        assert signed.headers["location"] == "/workbench/"
        [cookie] = [
            c for c in signed.headers.get_list("set-cookie") if c.startswith("mpp_workbench=")
        ]
        for flag in ("HttpOnly", "Path=/workbench", "SameSite=lax", "Max-Age=3600"):
            assert flag in cookie, cookie

        queue = await browser.client.get("/workbench/")
        assert queue.status_code == 200
        assert "Keluar (Andi)" in queue.text
        detail = await browser.client.get(f"/workbench/applications/{application_id}")
        assert detail.status_code == 200
        # The document's form carries the officer's username, covered by its signature.
        [action] = re.findall(
            r'<form class="document-link" method="post" action="([^"]*)"', detail.text
        )
        assert "?" not in action
        assert 'name="officer" value="andi.pratama"' in detail.text

        # The provider out of reach for the code's exchange: the page says so in words.
        routing.app.state.workbench.flow.transport = httpx.MockTransport(_unreachable)
        browser.client.cookies.delete("mpp_workbench")
        unreachable = await browser.sign_in("andi.pratama", "sandi-andi-pratama")
        assert unreachable.status_code == 503
        assert "tidak dapat dihubungi" in unreachable.text
        assert "mpp_workbench" not in browser.client.cookies


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)
