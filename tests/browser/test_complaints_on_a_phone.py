"""A complaint in Chromium at phone width (390 × 844), on the platform's processes,
clicking each button: the citizen files a complaint with an attachment from the
application's page and sees the number the SP4N-LAPOR! simulator gave it, the officer of
the workbench agency answers it on the workbench's complaints page, and the citizen
reads the answer on the application's page and replies. Both pages say states and times
in words (with the zone), and neither is wider than the phone."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, add_staff, chromium_path
from tests.browser.pages import go, reload_until
from tests.browser.test_officer_signin import citizen_applies
from tests.browser.test_staff_pages_in_chromium import reads_plainly

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

USERNAME = "rina.polres"
PASSWORD = "sandi-bripka-rina-3576"
AGENCY = "polres-3576"
PDF = b"%PDF-1.4\n% bukti\n" + bytes(300) + b"\n%%EOF\n"
COMPLAINT = "Sudah seminggu belum ada kabar soal SKCK saya"
ANSWER = "SKCK Anda selesai besok, silakan ambil di loket 4"


def citizen_complains(citizen, intake: str, application_id: str, shots) -> None:
    citizen.goto(f"{intake}/portal/applications/{application_id}")
    reload_until(citizen, "[data-entry=routed]")
    citizen.locator("#complaints summary").click()
    citizen.fill("#q-text", COMPLAINT)
    citizen.set_input_files(
        "#q-file", files=[{"name": "bukti.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    go(citizen, "#complaints details button[type=submit]")
    expect(citizen.locator("#complaint-sent")).to_be_visible()
    reload_until(citizen, ".complaint .said-citizen")
    expect(citizen.locator(".complaint .said-citizen")).to_contain_text(COMPLAINT)
    reload_until(citizen, ".complaint[data-state=forwarded]")  # SP4N-LAPOR! recorded it
    expect(citizen.locator(".complaint").first).to_contain_text("SP4N-LAPOR! dengan nomor LPR-")
    expect(citizen.locator(".complaint").first).to_contain_text("WIB")
    reads_plainly(citizen)
    shots(citizen, "complaint-filed")


def officer_answers(officer, routing: str, shots) -> None:
    officer.goto(f"{routing}/workbench/signin")
    officer.fill("#f-username", USERNAME)
    officer.fill("#f-password", PASSWORD)
    go(officer, "button:has-text('Masuk')")
    go(officer, "nav a:has-text('Pengaduan')")
    reload_until(officer, f"text={COMPLAINT}")
    expect(officer.locator(".complaint").first).to_contain_text("WIB")
    reads_plainly(officer)
    shots(officer, "workbench-complaints")
    officer.locator(".complaint textarea[name=answer]").first.fill(ANSWER)
    go(officer, ".complaint button:has-text('Kirim jawaban')")
    expect(officer.locator(".complaint[data-state=answered]")).to_contain_text(ANSWER)
    reads_plainly(officer)


def citizen_replies(citizen, shots) -> None:
    reload_until(citizen, ".complaint .said-agency")
    expect(citizen.locator(".complaint .said-agency")).to_contain_text(ANSWER)
    reads_plainly(citizen)
    citizen.locator(".complaint textarea[name=text]").first.fill("Baik, terima kasih")
    go(citizen, ".complaint button:has-text('Kirim tanggapan')")
    expect(citizen.locator("#reply-sent")).to_be_visible()
    expect(citizen.locator(".complaint .said-citizen")).to_have_count(2)
    expect(citizen.locator(".complaint h3")).to_contain_text("menunggu jawaban")
    reads_plainly(citizen)
    shots(citizen, "complaint-replied")


def test_a_citizen_complains_the_officer_answers_and_the_citizen_replies_on_a_phone(
    web_platform, browser, shots
):
    chromium_path()
    running = web_platform(MPP_LAPOR_SYNC_SECONDS="1")  # the simulator records it at once
    intake, routing = running.url("intake"), running.url("routing")
    add_staff(running.env, USERNAME, PASSWORD, "--role", "officer", "--agency", AGENCY)
    application_id, _tracking, auth = citizen_applies(intake, running.env)

    citizen = browser.new_context(viewport=PHONE).new_page()
    token = auth["Authorization"].removeprefix("Bearer ")
    citizen.context.add_cookies([{"name": "mpp_session", "value": token, "url": intake}])
    citizen_complains(citizen, intake, application_id, shots)

    officer = browser.new_context(viewport=PHONE).new_page()
    officer_answers(officer, routing, shots)

    citizen.reload()
    citizen_replies(citizen, shots)
