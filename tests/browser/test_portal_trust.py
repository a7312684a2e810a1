"""A citizen on a phone (Chromium, 390 × 844) through the deployment's own nginx: registers,
proves the account, applies with a 6 MB photo and a 9.5 MB PDF (sent in pieces with
progress shown), reads the application in plain words and local time, downloads their
data and erases the account. On the way every button of the pages it passes is clicked:
the service form's draft and submit, the application's cancel, the list, the status
check, the error page's way back, and each action on the security page."""

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ops.localstack import free_port
from tests.browser.conftest import chromium_path
from tests.browser.pages import go
from tests.nginx import nginx_binary, running_nginx

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

MB = 1_048_576
PHOTO = b"\xff\xd8\xff\xe0" + bytes(6 * MB)  # a phone's photo of the old licence
PDF = b"%PDF-1.4\n" + bytes(int(9.5 * MB)) + b"\n%%EOF\n"  # a scanned health certificate
NIK = "3576014507900001"
PASSWORD = "rahasia-sekali"
ADDRESS = {"street": "Jl. Gajah Mada 12", "rt": "003", "rw": "005"}
ADDRESS |= {"village": "Mentikan", "district": "Prajurit Kulon"}
PORTS = {"intake": 8000, "routing": 8001, "notify": 8002, "audit": 8003, "identity": 8004}
# One origin, as in docker-compose: every service's pages linked relatively, through nginx.
ONE_ORIGIN = '{"intake": "", "routing": "", "notify": "", "audit": "", "identity": ""}'
LOCAL_TIME = re.compile(r"\w+, \d{1,2} \w+ \d{4} pukul \d{2}\.\d{2} WIB")


def register_and_prove(citizen, site: str, stand_ins) -> None:
    citizen.goto(f"{site}/portal/register")
    citizen.fill("#f-nik", NIK)
    assert citizen.get_attribute("#f-nik", "inputmode") == "numeric"
    citizen.fill("#f-name", "Siti Aminah")
    citizen.fill("#f-email", "siti@example.id")
    citizen.fill("#f-phone", "081234567890")
    citizen.fill("#f-password", PASSWORD)
    go(citizen, "button[type=submit]:has-text('Daftar')")
    assert citizen.url == f"{site}/account/verify"
    for channel, address in (("email", "siti@example.id"), ("phone", "+6281234567890")):
        go(citizen, f"form[action$='/account/verify/{channel}/send'] button")
        citizen.fill(f"#f-{channel}-code", stand_ins.code_for(address))
        go(citizen, f"form[action$='/account/verify/{channel}/confirm'] button")
    citizen.fill("#f-nik-name", "Siti Aminah")
    go(citizen, "form[action$='/account/verify/nik'] button")
    expect(citizen.locator("#all-verified")).to_be_visible()


def fill_licence_form(citizen) -> None:
    citizen.select_option("#d-licence_class", "C")
    citizen.fill("#d-licence_number", "357601234567")
    assert citizen.get_attribute("#d-licence_number", "inputmode") == "numeric"
    if citizen.locator("#ap-birth_place").count():
        citizen.fill("#ap-birth_place", "Mojokerto")
    for part, value in ADDRESS.items():
        if citizen.locator(f"#ap-address-{part}").count():
            citizen.fill(f"#ap-address-{part}", value)


def test_a_citizen_applies_with_phone_sized_files_through_nginx_and_uses_their_data_rights(
    web_platform, stand_ins, browser, shots, tmp_path: Path
):
    chromium_path()
    nginx_binary()
    running = web_platform(MPP_WEB_URLS=ONE_ORIGIN)
    upstreams = {
        name: f"{port}|127.0.0.1:{running.processes[name].port}" for name, port in PORTS.items()
    }
    with running_nginx(tmp_path, upstreams, free_port()) as site:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        citizen = context.new_page()
        register_and_prove(citizen, site, stand_ins)

        # The home page: a region, then its services.
        citizen.goto(f"{site}/portal/")
        citizen.select_option("#region", "3576")
        go(citizen, "button:has-text('Tampilkan layanan')")
        citizen.goto(f"{site}/portal/services/perpanjangan-sim?region=3576")
        shots(citizen, "licence-form")
        # Options read as words; keep a draft first (documents are not kept in drafts).
        expect(citizen.locator("#d-licence_class option[value=C]")).to_have_text(
            "SIM C (sepeda motor)"
        )
        fill_licence_form(citizen)
        go(citizen, "button:has-text('Simpan draf')")
        expect(citizen.locator("#draft-saved")).to_be_visible()

        # Both files are larger than a piece: the page's script sends them in pieces and
        # shows how far each got, then the form carries only the uploads' ids.
        fill_licence_form(citizen)
        citizen.set_input_files(
            "#doc-sim_lama",
            files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": PHOTO}],
        )
        citizen.set_input_files(
            "#doc-surat_sehat",
            files=[{"name": "surat sehat.pdf", "mimeType": "application/pdf", "buffer": PDF}],
        )
        pieces = []
        citizen.on(
            "request",
            lambda r: pieces.append(r.method) if "/portal/uploads" in r.url else None,
        )
        with citizen.expect_navigation(timeout=120_000):
            citizen.click("button:has-text('Kirim permohonan')")
        citizen.locator("#tracking-number").wait_for()
        assert pieces.count("POST") == 2, pieces
        assert pieces.count("PATCH") >= 8, pieces
        application_url = citizen.url
        shots(citizen, "application-submitted")

        # Plain words, the next step, the stepper and local times with their zone.
        status = citizen.locator("#status-now .badge")
        code = status.get_attribute("data-status")
        assert status.inner_text().strip() not in ("", code)
        expect(citizen.locator("#next-step")).not_to_be_empty()
        expect(citizen.locator("#progress li[aria-current=step]")).to_have_count(1)
        assert LOCAL_TIME.search(citizen.locator("#status-now").inner_text())
        assert LOCAL_TIME.search(citizen.locator("#timeline").inner_text())
        documents = citizen.locator("#documents li")
        expect(documents).to_have_count(2)
        expect(citizen.locator("#documents")).to_contain_text("SIM lama (JPG)")
        expect(citizen.locator("#documents")).to_contain_text("Surat keterangan sehat (PDF)")
        # Named by their kind: the phone's file names never left the browser.
        assert citizen.locator("li[data-name='surat_sehat.pdf']").count() == 1

        # The inbox notice leads to the application.
        application_id = application_url.split("?")[0].rsplit("/", 1)[-1]
        citizen.goto(f"{running.url('notify')}/inbox")
        wait_for_a_notice(citizen)
        linked = f".notice-item a[href*='/portal/applications/{application_id}']"
        expect(citizen.locator(linked).first).to_be_visible()
        go(citizen, f"{linked} >> nth=0")
        citizen.locator("#tracking-number").wait_for()

        # My applications, and the public status check, both in words.
        citizen.goto(f"{site}/portal/applications")
        expect(citizen.locator(f".application[data-id='{application_id}']")).to_be_visible()
        tracking = citizen.locator(".application strong").first.inner_text()
        citizen.goto(f"{site}/portal/track")
        citizen.fill("#number", tracking)
        go(citizen, "button:has-text('Cek')")
        expect(citizen.locator("#found")).to_contain_text("WIB")
        shots(citizen, "track-in-words")

        # An expired form answers a page that says so and leads back to the form.
        citizen.goto(application_url)
        citizen.click("summary:has-text('Batalkan permohonan')")
        citizen.evaluate(
            "document.querySelector(\"form[action$='/cancel'] input[name=csrf]\").value = 'x'"
        )
        go(citizen, "button:has-text('Batalkan')")
        expect(citizen.locator("#error-title")).to_have_attribute("data-reason", "form_expired")
        shots(citizen, "form-expired")
        go(citizen, "#error-back")
        assert citizen.url == application_url
        citizen.click("summary:has-text('Batalkan permohonan')")
        citizen.fill("#c-reason", "salah pilih layanan")
        go(citizen, "button:has-text('Batalkan')")
        assert citizen.url.endswith("?cancelled=1")

        use_the_security_page(browser, citizen, site, shots)
        context.close()


def use_the_security_page(browser, citizen, site: str, shots) -> None:
    """Every action on the security page, ending with the account erased."""
    laptop = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(laptop, site)
    citizen.goto(f"{site}/portal/security")
    shots(citizen, "security")
    expect(citizen.locator("#export")).to_be_visible()
    expect(citizen.locator("#erase")).to_be_visible()
    assert "Unduh data saya" not in citizen.title()
    other = citizen.locator("#devices tr[data-device]:not([data-current]) button")
    go(citizen, "#devices tr[data-device]:not([data-current]) button >> nth=0")
    expect(citizen.locator("#removed")).to_be_visible()
    assert other.count() == 0

    citizen.fill("#f-current_password", "bukan-sandinya")
    citizen.fill("#f-new_password", "sandi-baru-sekali")
    go(citizen, "button:has-text('Ganti kata sandi')")
    expect(citizen.locator("#f-current_password-error")).to_be_visible()

    # "Download my data": the copy arrives as a file, with the profile in it.
    with citizen.expect_download() as downloading:
        citizen.click("#export")
    exported = json.loads(Path(downloading.value.path()).read_text())
    assert NIK in json.dumps(exported)

    go(citizen, "button:has-text('Keluar dari semua perangkat')")
    expect(citizen.locator("#signin-notice")).to_be_visible()
    sign_in(citizen, site)
    citizen.goto(f"{site}/portal/security")

    citizen.fill("#f-erase_password", "bukan-sandinya")
    go(citizen, "#erase")
    expect(citizen.locator("#f-erase_password-error")).to_be_visible()
    citizen.fill("#f-erase_password", PASSWORD)
    go(citizen, "#erase")
    expect(citizen.locator("#erased")).to_be_visible()
    shots(citizen, "erased")
    citizen.goto(f"{site}/portal/signin")
    citizen.fill("#f-username", NIK)
    citizen.fill("#f-password", PASSWORD)
    go(citizen, "button[type=submit]:has-text('Masuk')")
    assert citizen.locator(".errors").count() == 1  # the erased account signs in no more
    # A reset code for it goes nowhere; the reset page still answers in words.
    citizen.goto(f"{site}/portal/reset")
    citizen.fill("#f-username", NIK)
    citizen.fill("#f-code", "123456")
    citizen.fill("#f-new_password", "sandi-baru-sekali")
    go(citizen, "button:has-text('Simpan kata sandi baru')")
    expect(citizen.locator(".field.invalid").first).to_be_visible()


def sign_in(page, site: str) -> None:
    """On the provider's sign-in page, where ``/portal/signin`` sends the browser."""
    page.goto(f"{site}/portal/signin")
    page.fill("#f-username", NIK)
    page.fill("#f-password", PASSWORD)
    go(page, "button[type=submit]:has-text('Masuk')")
    deadline = time.monotonic() + 5
    while "/portal/" not in page.url and time.monotonic() < deadline:  # the provider's page
        time.sleep(0.1)


def wait_for_a_notice(page, timeout: float = 30) -> None:
    """Reload the inbox until the submission's notice is there."""
    deadline = time.monotonic() + timeout
    while page.locator(".notice-item").count() == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
