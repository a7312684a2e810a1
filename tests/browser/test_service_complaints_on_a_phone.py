"""The portal's complaints page in Chromium at phone width (390 × 844), on the platform's
processes, clicking each of its buttons: a signed-in citizen opens "Pengaduan" from the
menu, chooses the region and the service, writes a confidential complaint with an
attachment and sends it, sees it with the number the SP4N-LAPOR! simulator gave it, the
workbench agency's officer answers it without learning who filed it, and the citizen reads
the answer and replies on the same page. Another citizen's page lists none of it."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, add_staff, chromium_path
from tests.browser.pages import go, reload_until
from tests.browser.test_officer_signin import citizen_applies
from tests.browser.test_staff_pages_in_chromium import reads_plainly

# make test-slow: a whole platform and a browser (kept out of make test for its time)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300), pytest.mark.slow]

USERNAME = "dewi.polres"
PASSWORD = "sandi-bripda-dewi-3576"
AGENCY = "polres-3576"
PDF = b"%PDF-1.4\n% foto antrean\n" + bytes(300) + b"\n%%EOF\n"
COMPLAINT = "Loket SKCK tutup sebelum jam layanan berakhir"
ANSWER = "Mohon maaf, mulai besok loket SKCK buka sampai pukul 15.00"
REPLY = "Terima kasih atas perbaikannya"


def signed_in(browser, intake: str, auth: dict[str, str]):
    page = browser.new_context(viewport=PHONE).new_page()
    token = auth["Authorization"].removeprefix("Bearer ")
    page.context.add_cookies([{"name": "mpp_session", "value": token, "url": intake}])
    return page


def citizen_files(citizen, intake: str, shots) -> None:
    citizen.goto(f"{intake}/portal/")
    go(citizen, "nav a:has-text('Pengaduan')")
    expect(citizen.locator("#no-complaints")).to_be_visible()
    citizen.select_option("#p-region", "3576")
    go(citizen, "#choose-region")
    citizen.select_option("#p-service", "skck")
    citizen.click("#p-konsultasi")
    citizen.click("#p-pengaduan")
    citizen.fill("#p-text", COMPLAINT)
    citizen.set_input_files(
        "#p-file", files=[{"name": "antrean.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    citizen.check("#p-confidential")
    reads_plainly(citizen)
    go(citizen, "#send-complaint")
    expect(citizen.locator("#complaint-sent")).to_be_visible()
    reload_until(citizen, ".complaint[data-state=forwarded]")  # SP4N-LAPOR! recorded it
    card = citizen.locator(".complaint").first
    expect(card.locator(".said-citizen")).to_contain_text(COMPLAINT)
    expect(card).to_contain_text("SP4N-LAPOR! dengan nomor LPR-")
    expect(card).to_contain_text("Identitas Anda dirahasiakan")
    expect(card).to_contain_text("WIB")
    expect(card.locator(".about")).to_contain_text("Kota Mojokerto")
    reads_plainly(citizen)
    shots(citizen, "service-complaint-filed")


def officer_answers(officer, routing: str) -> None:
    officer.goto(f"{routing}/workbench/signin")
    officer.fill("#f-username", USERNAME)
    officer.fill("#f-password", PASSWORD)
    go(officer, "button:has-text('Masuk')")
    go(officer, "nav a:has-text('Pengaduan')")
    reload_until(officer, f"text={COMPLAINT}")
    mine = officer.locator(".complaint", has_text=COMPLAINT)
    expect(mine).to_contain_text("dirahasiakan")
    mine.locator("textarea[name=answer]").fill(ANSWER)
    go(officer, f".complaint:has-text('{COMPLAINT}') button:has-text('Kirim jawaban')")
    expect(officer.locator(".complaint[data-state=answered]")).to_contain_text(ANSWER)


def citizen_replies(citizen, shots) -> None:
    reload_until(citizen, ".complaint .said-agency")
    card = citizen.locator(".complaint").first
    expect(card.locator(".said-agency")).to_contain_text(ANSWER)
    expect(card).to_contain_text("Bila tidak ada tanggapan")
    reads_plainly(citizen)
    card.locator("textarea[name=text]").fill(REPLY)
    go(citizen, ".complaint button:has-text('Kirim tanggapan')")
    expect(citizen.locator("#reply-sent")).to_be_visible()
    card = citizen.locator(".complaint").first
    expect(card.locator(".said-citizen")).to_have_count(2)
    expect(card.locator("h3")).to_contain_text("Menunggu jawaban")
    reads_plainly(citizen)
    shots(citizen, "service-complaint-replied")


def test_a_citizen_complains_about_a_service_the_officer_answers_and_the_citizen_replies(
    web_platform, browser, shots
):
    chromium_path()
    running = web_platform(MPP_LAPOR_SYNC_SECONDS="1")
    intake, routing = running.url("intake"), running.url("routing")
    add_staff(running.env, USERNAME, PASSWORD, "--role", "officer", "--agency", AGENCY)
    _application, _tracking, auth = citizen_applies(intake, running.env)
    _other_application, _other_tracking, other_auth = citizen_applies(intake, running.env)

    citizen = signed_in(browser, intake, auth)
    citizen_files(citizen, intake, shots)
    officer = browser.new_context(viewport=PHONE).new_page()
    officer_answers(officer, routing)
    citizen.reload()
    citizen_replies(citizen, shots)

    other = signed_in(browser, intake, other_auth)
    other.goto(f"{intake}/portal/complaints")
    expect(other.locator("#no-complaints")).to_be_visible()
    expect(other.locator("main")).not_to_contain_text(COMPLAINT)
