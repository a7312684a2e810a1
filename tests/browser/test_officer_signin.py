"""An officer signs in to the workbench with their own account, in a real browser on the
platform's processes: the workbench sends them to the identity service's sign-in page,
where a wrong password is refused on the page and their own opens the agency's queue;
the citizen's access log names that officer — by username, for the read and for the
status change — on the API and on the citizen's page. Once an administrator disables
the account (``mpp staff disable``), the session already open is refused at the next
page and signing in again fails."""

import asyncio
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import expect

from ops.proven_citizens import mark_proven
from ops.sample_data import SAMPLE_PROFILE
from shared.settings import Settings
from tests.browser.conftest import add_staff, chromium_path
from tests.browser.pages import go, reload_until
from tests.e2e.helpers import new_nik

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

USERNAME = "rina.polres"
PASSWORD = "sandi-aipda-rina-3576"
AGENCY = "polres-3576"


def citizen_applies(intake: str, env: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    """A citizen registers, is proven (test set-up: the codes and Dukcapil have their own
    tests) and applies for an SKCK through the API: (application id, tracking number, the
    citizen's authorization header)."""
    with httpx.Client(base_url=intake, timeout=20) as client:
        email = f"warga-{uuid.uuid4().hex[:8]}@example.id"
        registered = client.post(
            "/api/v1/accounts",
            json={
                "nik": new_nik(),
                "name": "Siti Aminah",
                "email": email,
                "phone": "081234567890",
                "password": "kata-sandi-warga",
                **SAMPLE_PROFILE,
            },
        )
        assert registered.status_code == 201, registered.text
        settings = Settings(mongo_uri=env["MPP_MONGO_URI"], namespace=env["MPP_NAMESPACE"])
        proven = mark_proven(settings, [registered.json()["id"]], operator="test-setup")
        with ThreadPoolExecutor(1) as thread:  # Playwright's sync API holds this thread's loop
            thread.submit(asyncio.run, proven).result()
        token = client.post(
            "/api/v1/auth/token", data={"username": email, "password": "kata-sandi-warga"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        accepted = client.post(
            "/api/v1/applications",
            json={"service": "skck", "region": "3576", "data": {"purpose": "melamar kerja"}},
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert accepted.status_code == 202, accepted.text
        return accepted.json()["id"], accepted.json()["tracking_number"], headers


def access_log(audit: str, headers: dict[str, str]) -> list[dict]:
    answer = httpx.get(f"{audit}/api/v1/me/access-log", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_an_officer_signs_in_as_themselves_and_the_citizens_access_log_names_them(
    web_platform, browser, shots
):
    chromium_path()
    running = web_platform()
    intake, routing, audit = running.url("intake"), running.url("routing"), running.url("audit")
    added = add_staff(
        running.env,
        USERNAME,
        PASSWORD,
        *("--role", "officer", "--agency", AGENCY, "--name", "Aipda Rina"),
    )
    assert USERNAME in added
    assert PASSWORD not in added  # read from standard input, never printed
    application_id, tracking, citizen = citizen_applies(intake, running.env)

    officer = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    officer.goto(f"{routing}/workbench/signin")
    # The provider's page, on identity's address: the password is typed there only.
    assert officer.url.startswith(f"{running.page_url('identity')}/oauth/authorize?")
    expect(officer.locator("#signin-title")).to_have_attribute("data-kind", "staff")
    # No field for an agency key or a typed name: the account says who the officer is.
    assert officer.locator("#f-key, #f-officer").count() == 0
    officer.fill("#f-username", USERNAME)
    officer.fill("#f-password", "not-the-password")
    go(officer, "button:has-text('Masuk')")
    expect(officer.locator("#signin-error")).to_contain_text("kata sandi salah")
    shots(officer, "officer-signin-refused")

    officer.fill("#f-username", USERNAME)
    officer.fill("#f-password", PASSWORD)
    go(officer, "button:has-text('Masuk')")
    assert officer.url.endswith("/workbench/")
    expect(officer.locator("nav")).to_contain_text("Aipda Rina")
    reload_until(officer, f"text={tracking}")
    shots(officer, "officer-queue")
    go(officer, f"text={tracking}")
    reload_until(officer, "button[value=received]")
    go(officer, "button[value=received]")
    reload_until(officer, "[data-status=received]")

    # The citizen's access log names the officer, for the read and for the change.
    actor = f"{AGENCY}/{USERNAME}"
    deadline = time.monotonic() + 40
    while True:
        entries = [e for e in access_log(audit, citizen) if e["application_id"] == application_id]
        purposes = {e["purpose"] for e in entries if e["actor_id"] == actor}
        if any("received" in p for p in purposes) and len(purposes) >= 2:
            break
        assert time.monotonic() < deadline, entries
        time.sleep(0.5)
    assert {e["actor_kind"] for e in entries} == {"officer"}
    assert {e["actor_id"] for e in entries} == {actor}
    page = browser.new_context().new_page()
    page.context.add_cookies(
        [{"name": "mpp_session", "value": citizen["Authorization"][7:], "url": audit}]
    )
    page.goto(f"{audit}/me/access")
    # In words: the kind of reader, the agency's name, the officer's own username.
    expect(page.locator("main")).to_contain_text(
        f"Petugas Kepolisian Resor Kota Mojokerto ({USERNAME})"
    )
    expect(page.locator("main")).not_to_contain_text("officer")
    shots(page, "access-log-names-the-officer")

    # An administrator disables the account: the open session ends at the next page.
    subprocess.run(
        [sys.executable, "-m", "ops", "staff", "disable", USERNAME],
        env={**os.environ, **running.env},
        check=True,
        capture_output=True,
        timeout=180,
    )
    officer.goto(f"{routing}/workbench/")
    assert officer.url.startswith(f"{running.page_url('identity')}/oauth/authorize?")
    officer.fill("#f-username", USERNAME)
    officer.fill("#f-password", PASSWORD)
    go(officer, "button:has-text('Masuk')")
    expect(officer.locator("#signin-error")).to_be_visible()
