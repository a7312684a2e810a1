"""The workbench, the dashboard, the inbox and the survey page in Chromium at phone width
(390 × 844), on the platform's processes, clicking every button on each page: an
officer filters the queue, moves one SKCK through every step to completion (a note, a
result PDF) and asks for more information on another before rejecting it; the pages say
statuses, fields and times in words, and the dashboard names the agency; the citizen's
inbox links each notice to its application and marks them read; the survey link from
the completion notice opens in a browser that never signed in, in Indonesian and in
English, refuses an incomplete answer and takes a complete one. No page is wider than
the phone."""

import re

import pytest
from playwright.sync_api import expect

from shared.workflow import STATUSES
from tests.browser.conftest import PHONE, add_staff, chromium_path
from tests.browser.pages import go, reload_until
from tests.browser.test_officer_signin import citizen_applies

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

USERNAME = "dewi.polres"
PASSWORD = "sandi-bripka-dewi-3576"
AGENCY = "polres-3576"
AGENCY_NAME = "Kepolisian Resor Kota Mojokerto"
PDF = b"%PDF-1.4\n% SKCK\n" + b"1" * 500
RAW = re.compile(
    r"\b(" + "|".join(map(re.escape, STATUSES)) + r")\b|\d{4}-\d{2}-\d{2}T|\b[a-z]+_[a-z_]+\b"
)


def reads_plainly(page) -> None:
    """No machine word in what the page shows, and nothing wider than the phone."""
    text = page.locator("main").inner_text()
    text = re.sub(r"https?://\S+", "", text)
    assert RAW.search(text) is None, (RAW.search(text), page.url)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def officer_works_the_queue(officer, routing: str, first: str, second: str) -> None:
    officer.goto(f"{routing}/workbench/signin")
    officer.fill("#f-username", USERNAME)
    officer.fill("#f-password", PASSWORD)
    go(officer, "button:has-text('Masuk')")
    officer.select_option("#status", "routed")
    go(officer, "button:has-text('Saring')")
    reload_until(officer, f"text={first}")
    expect(officer.locator("main")).to_contain_text("Diteruskan ke instansi")
    reads_plainly(officer)

    go(officer, f"text={first}")
    expect(officer.locator("#form")).to_contain_text("Keperluan")  # the field's label
    for to, words in (("received", "Diterima instansi"), ("in_review", "Sedang diperiksa")):
        reload_until(officer, f"button[value={to}]")
        go(officer, f"button[value={to}]")
        expect(officer.locator("#moved")).to_contain_text(words)
        reads_plainly(officer)
    officer.fill("#text", "KTP asli sudah dicocokkan")
    go(officer, "button:has-text('Simpan catatan')")
    expect(officer.locator("main")).to_contain_text("WIB")  # the note's time, in words
    reload_until(officer, "button[value=approved]")
    officer.set_input_files(
        "#result", files=[{"name": "skck.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    go(officer, "button[value=approved]")
    expect(officer.locator("#issued")).to_be_visible()
    reload_until(officer, "button[value=completed]")
    go(officer, "button[value=completed]")
    reload_until(officer, "[data-status=completed]")
    expect(officer.locator("[data-status=completed]")).to_have_text("Selesai")
    reads_plainly(officer)

    officer.goto(f"{routing}/workbench/")
    reload_until(officer, f"text={second}")
    go(officer, f"text={second}")
    reload_until(officer, "button[value=received]")
    go(officer, "button[value=received]")
    officer.check("#req-purpose")
    officer.check("#req-pas_foto")
    expect(officer.locator("label[for=req-pas_foto]")).to_have_text("Pas foto")
    go(officer, "button:has-text('Minta data')")
    reload_until(officer, "button[value=rejected]")
    reads_plainly(officer)
    go(officer, "button[value=rejected]")
    reload_until(officer, "[data-status=rejected]")


def dashboard_names_the_agency(officer, routing: str) -> None:
    officer.goto(f"{routing}/dashboard")
    reload_until(officer, f"svg text:has-text('{AGENCY_NAME[:27]}')")
    assert AGENCY not in officer.locator("main").inner_text()
    reads_plainly(officer)
    assert officer.locator("main button").count() == 0  # the public page has no button
    officer.goto(f"{routing}/workbench/")
    go(officer, "nav button")  # signing out, the workbench's last button
    # Back at the sign-in: the provider's page, which asks for the password again.
    assert "/oauth/authorize?" in officer.url
    assert "client_id=workbench" in officer.url
    officer.goto(f"{routing}/workbench/")
    assert "/oauth/authorize?" in officer.url  # the workbench's cookie is gone


def inbox_links_each_notice(citizen, notify: str, intake: str, application_id: str) -> str:
    citizen.goto(f"{notify}/inbox")
    reload_until(citizen, ".notice-item[data-status=completed]")
    reads_plainly(citizen)
    links = citizen.locator(".notice-item a.application-link")
    assert links.count() >= 4
    for href in links.evaluate_all("links => links.map(link => link.href)"):
        assert href == f"{intake}/portal/applications/{application_id}"
    expect(citizen.locator(".notice-item").first).to_contain_text("WIB")
    survey = citizen.locator(".notice-item[data-status=completed] a.survey-link")
    link = survey.get_attribute("href")
    assert link is not None
    assert link.startswith(f"{notify}/surveys/{application_id}?t=")
    while citizen.locator(".notice-item button").count():  # every "mark as read"
        go(citizen, ".notice-item button >> nth=0")
    assert citizen.locator(".notice-item.unread").count() == 0
    go(citizen, ".notice-item a.application-link >> nth=0")
    assert citizen.url.startswith(f"{intake}/portal/")
    return link


def survey_signed_out(browser, link: str, english: bool, answer: bool) -> None:
    """The survey link in a browser that never signed in: the form in the language
    asked for, an incomplete answer refused with what was chosen kept, and (``answer``)
    a complete one taken."""
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(link + ("&lang=en" if english else ""))
    assert "?t=" not in page.url  # the token left the address
    expect(page.locator("h1")).to_have_text(
        "Public satisfaction survey" if english else "Survei Kepuasan Masyarakat"
    )
    reads_plainly(page)
    page.check("#u1-4")
    go(page, "main button[type=submit]")
    expect(page.locator("#survey-errors")).to_be_visible()
    assert page.is_checked("#u1-4")  # what was chosen stays chosen
    reads_plainly(page)
    if answer:
        for element in range(2, 10):
            page.check(f"#u{element}-3")
        go(page, "main button[type=submit]")
        expect(page.locator("#thanks")).to_have_text(
            "Thank you for your rating." if english else "Terima kasih atas penilaian Anda."
        )
    page.context.close()


def test_staff_pages_inbox_and_survey_read_plainly_at_phone_width(web_platform, browser):
    chromium_path()
    running = web_platform()
    intake, routing, notify = (running.url(n) for n in ("intake", "routing", "notify"))
    add_staff(running.env, USERNAME, PASSWORD, "--role", "officer", "--agency", AGENCY)
    first, first_tracking, citizen_auth = citizen_applies(intake, running.env)
    _second, second_tracking, _ = citizen_applies(intake, running.env)

    officer = browser.new_context(viewport=PHONE).new_page()
    officer_works_the_queue(officer, routing, first_tracking, second_tracking)
    dashboard_names_the_agency(officer, routing)

    citizen = browser.new_context(viewport=PHONE).new_page()
    token = citizen_auth["Authorization"].removeprefix("Bearer ")
    citizen.context.add_cookies(
        [{"name": "mpp_session", "value": token, "url": u} for u in (notify, intake)]
    )
    link = inbox_links_each_notice(citizen, notify, intake, first)

    survey_signed_out(browser, link, english=False, answer=False)
    survey_signed_out(browser, link, english=True, answer=True)
    # The same link again, in Indonesian: already answered, it says so and asks nothing.
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(link)
    expect(page.locator("#thanks")).to_be_visible()
    assert page.locator("form[action*='/surveys/']").count() == 0
