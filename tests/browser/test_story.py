"""The whole story in a real browser, on the platform's processes: a citizen registers,
proves the email and phone with the codes that reach the mailbox and the NIK with the
Dukcapil simulator, and applies (seeing which of their data goes to the agency, and
completing what the profile lacks), an officer reads the applicant and asks for more
information, the citizen answers with a new photo, the officer reads the answer and
approves with a result document, the citizen downloads it and anyone can verify its
code, the citizen reads the notice, and an auditor verifies the log. Every page visited
is checked for accessibility and saved at phone and desktop widths."""

import hashlib
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import add_staff, chromium_path, issue_key
from tests.browser.pages import go

# The whole story (about three minutes of a worker) runs in make test-slow, in CI after
# make test; the pages it visits have their own tests in make test.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
NEW_PNG = b"\x89PNG\r\n\x1a\n" + bytes(300)  # the photo sent again with the answer
PDF = b"%PDF-1.4\n% SKCK 3576\n" + bytes(400) + b"\n%%EOF\n"  # the result the police issue
NIK = "3576014507900001"
ADDRESS = {"street": "Jl. Gajah Mada 12", "rt": "003", "rw": "005"}
ADDRESS |= {"village": "Mentikan", "district": "Prajurit Kulon"}


def apply_for_skck(citizen, intake: str, first: bool = False) -> str:
    """Fill the SKCK form with a photo and submit it; the application's page URL. What
    the police need and the profile lacks (birth place, address) is typed on the form."""
    if not first:
        citizen.goto(f"{intake}/portal/services/skck?region=3576")
    citizen.fill("#d-purpose", "melamar pekerjaan")
    if citizen.locator("#ap-birth_place").count():
        citizen.fill("#ap-birth_place", "Mojokerto")
    for part, value in ADDRESS.items():
        if citizen.locator(f"#ap-address-{part}").count():
            citizen.fill(f"#ap-address-{part}", value)
    citizen.set_input_files(
        "#doc-pas_foto", files=[{"name": "pas-foto.png", "mimeType": "image/png", "buffer": PNG}]
    )
    go(citizen, "button:has-text('Kirim permohonan')")
    citizen.locator("#tracking-number").wait_for()
    return citizen.url


def posted_document(page, form):
    """What the workbench's document form opens: its hidden fields posted to its action
    (the signature travels in the body, never in a URL)."""
    action = form.get_attribute("action")
    assert "?" not in action
    fields = form.evaluate("f => Object.fromEntries(new FormData(f))")
    assert fields["signature"]
    return page.request.post(action, form=fields)


def reload_until(page, selector: str, timeout: float = 40) -> None:
    """Pages are server-rendered: a person reloads to see the news, and so do we."""
    deadline = time.monotonic() + timeout
    while page.locator(selector).count() == 0:
        assert time.monotonic() < deadline, f"{selector} never appeared on {page.url}"
        time.sleep(0.5)
        page.reload()


def test_a_citizen_applies_an_officer_decides_and_an_auditor_verifies(
    web_platform, stand_ins, browser, shots
):
    chromium_path()
    running = web_platform()
    intake, routing = running.url("intake"), running.url("routing")
    notify, audit = running.url("notify"), running.url("audit")
    officer_password = "sandi-bripka-andi-3576"
    add_staff(
        running.env,
        "andi.pratama",
        officer_password,
        *("--role", "officer", "--agency", "polres-3576", "--name", "Bripka Andi"),
    )
    auditor_key = issue_key(running.env, "audit", "issue-key", "inspektorat")

    citizen = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    officer = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    auditor = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()

    # The public status page and the English switch, before anyone signs in.
    citizen.goto(f"{intake}/portal/track?lang=en")
    assert citizen.locator("html").get_attribute("lang") == "en"
    shots(citizen, "track-en")
    citizen.goto(f"{intake}/portal/track?lang=id")
    assert citizen.locator("html").get_attribute("lang") == "id"

    # A citizen registers; a wrong NIK is shown next to the NIK field.
    citizen.goto(f"{intake}/portal/register")
    shots(citizen, "register")
    citizen.fill("#f-nik", "123")
    citizen.fill("#f-name", "Siti Aminah")
    citizen.fill("#f-email", "siti@example.id")
    citizen.fill("#f-phone", "081234567890")
    citizen.fill("#f-password", "rahasia-sekali")
    go(citizen, "button[type=submit]:has-text('Daftar')")
    expect(citizen.locator(".field.invalid #f-nik-error")).to_be_visible()
    shots(citizen, "register-error")
    citizen.fill("#f-nik", NIK)
    citizen.fill("#f-password", "rahasia-sekali")
    go(citizen, "button[type=submit]:has-text('Daftar')")

    # A new account lands on the three steps that prove it: email, phone and NIK (on
    # identity's own address: the provider sends the browser back to the registered
    # callback, intake's, not to this test's front door, and the portal on to identity).
    assert urlsplit(citizen.url).path == "/account/verify"
    for step in ("email", "phone", "nik"):
        expect(citizen.locator(f"#{step}-state")).to_have_attribute("data-state", "todo")
    shots(citizen, "verify-account")
    # A code to each contact, read where it arrives (the mailbox: real SMTP, and the SMS
    # provider's API), then the NIK checked with Dukcapil (the simulator knows Siti).
    for channel, address in (("email", "siti@example.id"), ("phone", "+6281234567890")):
        go(citizen, f"form[action$='/account/verify/{channel}/send'] button")
        expect(citizen.locator(f"#{channel}-sent")).to_be_visible()
        citizen.fill(f"#f-{channel}-code", stand_ins.code_for(address))
        go(citizen, f"form[action$='/account/verify/{channel}/confirm'] button")
        expect(citizen.locator(f"#{channel}-state")).to_have_attribute("data-state", "done")
    citizen.fill("#f-nik-name", "Siti Aminah")
    go(citizen, "form[action$='/account/verify/nik'] button")
    expect(citizen.locator("#nik-state")).to_have_attribute("data-state", "done")
    expect(citizen.locator("#all-verified")).to_be_visible()
    shots(citizen, "verified")

    # The profile, entered once: a wrong number is shown at its field, and the saved
    # family card number fills in the next form that asks for it.
    go(citizen, "nav >> text=Profil saya")
    shots(citizen, "profile")
    citizen.fill("#f-phone", "123")
    go(citizen, "button:has-text('Simpan profil')")
    expect(citizen.locator(".field.invalid #f-phone-error")).to_be_visible()
    shots(citizen, "profile-error")
    citizen.fill("#f-phone", "081234567890")
    citizen.fill("#f-family_card_number", "3576010101010001")
    go(citizen, "button:has-text('Simpan profil')")
    expect(citizen.locator("#saved")).to_be_visible()
    citizen.reload()
    assert citizen.input_value("#f-family_card_number") == "3576010101010001"
    citizen.goto(f"{intake}/portal/services/ktp-el?region=3576")
    assert citizen.input_value("#d-family_card_number") == "3576010101010001"
    citizen.goto(f"{intake}/portal/")

    # Region and service, with requirements, fee and SLA.
    citizen.select_option("#region", "3576")
    go(citizen, "button:has-text('Tampilkan layanan')")
    shots(citizen, "services")
    go(citizen, "text=Surat Keterangan Catatan Kepolisian (SKCK)")
    assert "Rp30.000" in citizen.content()
    # Before submitting, the form says which of the citizen's data the police receive —
    # what the profile holds, and inputs for the birth place and address it lacks.
    sharing = citizen.locator("#shared-data")
    expect(sharing.locator("h2")).to_have_text(
        "Data Anda yang dikirim ke Kepolisian Resor Kota Mojokerto"
    )
    expect(sharing.locator("tr[data-field=nik] td")).to_have_text(NIK)
    expect(sharing.locator("tr[data-field=name] td")).to_have_text("Siti Aminah")
    expect(sharing.locator("tr[data-field=birth_date] td")).to_have_text("05-07-1990")
    expect(sharing.locator("tr[data-field=sex] td")).to_have_text("Perempuan")
    expect(sharing.locator("tr[data-field=birth_place] td")).to_contain_text("belum ada")
    assert sharing.locator("tr").count() == 6  # nothing else: no phone, email or KK
    expect(citizen.locator("#ap-birth_place")).to_be_visible()
    expect(citizen.locator("#ap-address-rt")).to_be_visible()
    shots(citizen, "service-form")

    # A validation error is shown next to its field.
    citizen.fill("#d-purpose", "x")
    go(citizen, "button:has-text('Kirim permohonan')")
    error = citizen.locator(".field.invalid:has(#d-purpose) .error")
    expect(error).to_be_visible()
    assert citizen.locator("#d-purpose").get_attribute("aria-invalid") == "true"
    shots(citizen, "service-form-error")

    application_url = apply_for_skck(citizen, intake, first=True)
    tracking = citizen.locator("#tracking-number").inner_text()
    assert tracking
    expect(citizen.locator("#shared-data")).to_contain_text("Tempat lahir")
    expect(citizen.locator("#shared-data")).not_to_contain_text("Nomor HP")

    # The officer signs in with their own account and sees it in the queue.
    officer.goto(f"{routing}/workbench/signin")
    assert officer.url.startswith(f"{running.page_url('identity')}/oauth/authorize?")
    shots(officer, "workbench-signin")
    officer.fill("#f-username", "andi.pratama")
    officer.fill("#f-password", officer_password)
    go(officer, "button:has-text('Masuk')")
    reload_until(officer, f"text={tracking}")
    shots(officer, "workbench-queue")
    go(officer, f"text={tracking}")
    reload_until(officer, "button[value=received]")
    # The applicant as the police received it: the declared fields, typed on the form.
    expect(officer.locator("#applicant tr[data-field=nik] td")).to_have_text(NIK)
    expect(officer.locator("#applicant tr[data-field=birth_place] td")).to_have_text("Mojokerto")
    expect(officer.locator("#applicant tr[data-field=address] td")).to_contain_text(
        "Jl. Gajah Mada 12, RT 003/RW 005, Mentikan, Prajurit Kulon"
    )
    assert officer.locator("#applicant tr[data-field=phone]").count() == 0
    shots(officer, "workbench-application")
    # Opening the photo is recorded as an access (the citizen sees it below).
    assert posted_document(officer, officer.locator("form.document-link").first).status == 200
    go(officer, "button[value=received]")

    citizen.goto(application_url)
    reload_until(citizen, "[data-status=received]")
    shots(citizen, "application-received")

    # The officer asks for more information; only allowed transitions are buttons.
    assert officer.locator("button[value=approved]").count() == 0
    officer.check("#req-purpose")
    officer.check("#req-pas_foto")
    officer.fill("#info-note", "Sebutkan nama perusahaan tujuan dan kirim foto terbaru.")
    go(officer, "button:has-text('Minta data')")
    officer.fill("#text", "Pemohon dihubungi lewat portal.")
    go(officer, "button:has-text('Simpan catatan')")
    assert "Pemohon dihubungi lewat portal." in officer.content()

    reload_until(citizen, "[data-status=needs_info]")
    shots(citizen, "application-needs-info")
    citizen.fill("#a-purpose", "melamar pekerjaan di PT Maju")
    citizen.set_input_files(
        "#a-doc-pas_foto",
        files=[{"name": "foto-baru.png", "mimeType": "image/png", "buffer": NEW_PNG}],
    )
    go(citizen, "button:has-text('Kirim jawaban')")
    expect(citizen.locator("text=Jawaban Anda sudah dikirim")).to_be_visible()

    reload_until(citizen, "[data-status=resubmitted]")
    reload_until(officer, "button[value=in_review]")

    # The officer reads the citizen's answer: the field (by its label), its value, and
    # the new photo.
    answer = officer.locator(".response").last
    expect(answer).to_contain_text("Keperluan")
    expect(answer).to_contain_text("atas permintaan: Keperluan, Pas foto")
    expect(answer).to_contain_text("melamar pekerjaan di PT Maju")
    # Named by its kind, not the citizen's file name (which may carry a person's name).
    new_photo = answer.locator("form.document-link", has_text="pas_foto.png")
    opened = posted_document(officer, new_photo)
    assert opened.status == 200
    assert opened.body() == NEW_PNG
    shots(officer, "workbench-answer")

    # The officer reviews and approves, issuing the SKCK itself as the result document.
    go(officer, "button[value=in_review]")
    reload_until(officer, "button[value=approved]")
    officer.set_input_files(
        "#result", files=[{"name": "skck.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    go(officer, "button[value=approved]")
    reload_until(officer, "[data-status=approved]")
    code = officer.locator("#issued code").inner_text()
    assert code.startswith("MPP-")
    expect(officer.locator("#results .result-code")).to_have_text(code)
    shots(officer, "workbench-result-issued")

    # The citizen downloads the result through the portal, and its code verifies.
    citizen.goto(application_url)
    reload_until(citizen, f".result[data-code='{code}']")
    shots(citizen, "application-result")
    with citizen.expect_download() as downloading:
        citizen.click(f".result[data-code='{code}'] a:has-text('Unduh')")
    download = downloading.value
    assert download.suggested_filename == "skck.pdf"
    assert Path(download.path()).read_bytes() == PDF
    go(citizen, f".result[data-code='{code}'] a:has-text('Periksa keaslian')")
    assert citizen.url.startswith(f"{routing}/verify/")
    expect(citizen.locator("#verdict[data-valid=true]")).to_be_visible()
    expect(citizen.locator("#verified-code")).to_have_text(code)
    expect(citizen.locator("#verified-agency")).to_have_text("Kepolisian Resor Kota Mojokerto")
    expect(citizen.locator("#verified-sha256")).to_have_text(hashlib.sha256(PDF).hexdigest())
    for personal in ("Siti", NIK, "Gajah Mada", "melamar"):
        assert personal not in citizen.content()
    shots(citizen, "verify")

    # The citizen sees the notice, the timeline, and who read their data.
    citizen.goto(application_url)
    reload_until(citizen, "[data-status=approved]")
    citizen.goto(f"{intake}/portal/applications")
    shots(citizen, "my-applications")
    citizen.goto(f"{notify}/inbox")
    reload_until(citizen, ".notice-item[data-status=approved]")
    shots(citizen, "inbox")

    # Once completed, the citizen rates the service (SKM survey).
    go(officer, "button[value=completed]")
    reload_until(officer, "[data-status=completed]")
    reload_until(citizen, ".notice-item[data-status=completed] a[href*='/surveys/']")
    go(citizen, ".notice-item[data-status=completed] a[href*='/surveys/']")
    shots(citizen, "survey")
    for element in range(1, 10):
        citizen.check(f"#u{element}-4")
    go(citizen, "button:has-text('Kirim penilaian')")
    expect(citizen.locator("text=Terima kasih")).to_be_visible()
    citizen.goto(f"{audit}/me/access")
    reload_until(citizen, "text=Kepolisian Resor Kota Mojokerto (andi.pratama)")
    reload_until(citizen, "text=pas_foto.png")
    shots(citizen, "who-read-my-data")

    # The public lookup shows the status and nothing personal.
    anonymous = browser.new_context().new_page()
    anonymous.goto(f"{intake}/portal/track?number={tracking}")
    reload_until(anonymous, "[data-status=completed]")
    assert "Siti" not in anonymous.content()
    shots(anonymous, "track")

    # Anyone can type the code from the paper; a wrong one is said to be unknown.
    anonymous.goto(f"{routing}/verify")
    shots(anonymous, "verify-form")
    anonymous.fill("#code", code.lower().replace("-", " "))
    go(anonymous, "button:has-text('Periksa')")
    expect(anonymous.locator("#verdict[data-valid=true]")).to_be_visible()
    expect(anonymous.locator("#verified-code")).to_have_text(code)
    anonymous.fill("#code", "MPP-AAAA-BBBB-CCCC")
    go(anonymous, "button:has-text('Periksa')")
    expect(anonymous.locator("#verdict[data-valid=unknown]")).to_be_visible()
    shots(anonymous, "verify-unknown")

    # The public dashboard: volumes, decisions within SLA, IKM.
    anonymous.goto(f"{routing}/dashboard")
    expect(anonymous.locator("svg[role=img]").first).to_be_visible()
    assert int(anonymous.locator("#total").inner_text()) >= 1
    shots(anonymous, "dashboard")

    # The auditor searches, reads the timeline, verifies, exports.
    auditor.goto(f"{audit}/console/signin")
    shots(auditor, "console-signin")
    auditor.fill("#f-key", auditor_key)
    go(auditor, "button:has-text('Masuk')")
    shots(auditor, "console-search")
    application_id = application_url.split("?")[0].rsplit("/", 1)[-1]
    auditor.fill("#f-application_id", application_id)
    go(auditor, "button:has-text('Cari')")
    reload_until(auditor, f"a[href$='/console/applications/{application_id}']")
    go(auditor, f"a[href$='/console/applications/{application_id}']")
    assert "application.submitted" in auditor.content()
    shots(auditor, "console-timeline")
    auditor.goto(f"{audit}/console/")
    go(auditor, "button:has-text('Verifikasi sekarang')")
    expect(auditor.locator("#verdict.ok")).to_be_visible()
    shots(auditor, "console-verify")
    exported = auditor.request.get(f"{audit}/console/export")
    assert exported.status == 200
    first = exported.text().splitlines()[0]
    assert json.loads(first)

    assert len(shots.taken) >= 2 * 24
