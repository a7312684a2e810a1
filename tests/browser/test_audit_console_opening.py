"""The auditor console in Chromium at phone width (390 × 844), on the platform's
processes, clicking every button of an application's page: the timeline shows the
applicant as "tersegel" (never the ciphertext, never the name); "verify now" gives the
verdict; opening the personal data with no purpose, then a purpose too short, is refused
at the field; a stated purpose shows the applicant's name, says the reading was
recorded, and the citizen's access log names the auditor and that purpose. Read again,
the page is sealed. No page is wider than the phone."""

import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, chromium_path, issue_key
from tests.browser.pages import go, reload_until
from tests.browser.test_officer_signin import citizen_applies

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

AUDITOR = "inspektorat-jatim"
APPLICANT = "Siti Aminah"  # the name citizen_applies registers with
PURPOSE = "pengaduan warga nomor 44/2026 tentang SKCK"


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def sealed_page(page) -> None:
    """The applicant's values as the word "tersegel": no ciphertext, no name."""
    text = page.locator("main").inner_text()
    assert "pdp1." not in page.content()
    assert APPLICANT not in text
    assert "tersegel" in text
    fits_the_phone(page)


def test_an_auditor_opens_an_applications_personal_data_for_a_purpose_at_phone_width(
    web_platform, browser, shots
):
    chromium_path()
    running = web_platform()
    intake, audit = running.url("intake"), running.url("audit")
    key = issue_key(running.env, "audit", "issue-key", AUDITOR)
    application_id, _, citizen = citizen_applies(intake, running.env)

    auditor = browser.new_context(viewport=PHONE).new_page()
    auditor.goto(f"{audit}/console/signin")
    auditor.fill("#f-key", key)
    go(auditor, "button:has-text('Masuk')")
    auditor.fill("#f-application_id", application_id)
    go(auditor, "button:has-text('Cari')")
    reload_until(auditor, f"a[href$='/console/applications/{application_id}']")
    go(auditor, f"a[href$='/console/applications/{application_id}']")
    reload_until(auditor, "text=application.submitted")
    sealed_page(auditor)
    shots(auditor, "console-application-sealed")

    go(auditor, "button:has-text('Verifikasi sekarang')")
    expect(auditor.locator("#verdict")).to_be_visible()
    fits_the_phone(auditor)
    auditor.goto(f"{audit}/console/applications/{application_id}")

    for purpose in ("", "singkat"):
        auditor.fill("#f-purpose", purpose)
        go(auditor, "#open-form button[type=submit]")
        expect(auditor.locator("#f-purpose-error")).to_contain_text("10–200 karakter")
        expect(auditor.locator("#f-purpose")).to_have_attribute("aria-invalid", "true")
        assert APPLICANT not in auditor.locator("main").inner_text()
        fits_the_phone(auditor)
    shots(auditor, "console-open-refused")

    auditor.fill("#f-purpose", PURPOSE)
    go(auditor, "#open-form button[type=submit]")
    expect(auditor.locator("#opened")).to_contain_text("dicatat di log akses warga")
    expect(auditor.locator("#opened")).to_contain_text(PURPOSE)
    expect(auditor.locator("main")).to_contain_text(APPLICANT)
    assert "tersegel" not in auditor.locator("main").inner_text()
    fits_the_phone(auditor)
    shots(auditor, "console-application-opened")

    # The citizen's access log names the auditor and the purpose.
    deadline = time.monotonic() + 40
    while True:
        answer = httpx.get(f"{audit}/api/v1/me/access-log", headers=citizen, timeout=10)
        reads = {(e["actor_id"], e["purpose"]) for e in answer.json()["items"]}
        if (AUDITOR, PURPOSE) in reads:
            break
        assert time.monotonic() < deadline, reads
        time.sleep(0.5)

    # Nothing of the opening was kept: the page read again is sealed.
    auditor.goto(f"{audit}/console/applications/{application_id}")
    sealed_page(auditor)
    go(auditor, "button:has-text('Keluar')")
    assert auditor.url.endswith("/console/signin")
