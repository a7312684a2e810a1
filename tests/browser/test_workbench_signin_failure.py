"""When an officer's sign-in at the provider does not finish, the workbench says why in
words, at phone width (390 × 844) in Chromium, on identity and routing as processes:
a cancelled sign-in and one that was never started in this browser each show a page
with a message in both languages and one button, and clicking every button on it leads
back to the provider's sign-in page, from where the officer reaches the workbench."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, add_staff, check_accessibility, chromium_path
from tests.browser.pages import go

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

USERNAME = "wulan.polres"
PASSWORD = "sandi-briptu-wulan-3576"
MACHINE_WORDS = re.compile(r"\b\d{3}\b|\b[a-z]+_[a-z_]+\b|\b(expired|refused|unavailable)\b")


def reads_for_people(page) -> None:
    """The message in both languages, no status code or reason key, nothing wider than
    the phone, every field labelled."""
    check_accessibility(page)
    text = page.locator("main").inner_text()
    assert " / " in page.locator("#signin-failed-message").inner_text()
    assert MACHINE_WORDS.search(text) is None, (MACHINE_WORDS.search(text), text)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def clicks_every_button(page, failed_at: str, identity: str) -> None:
    """Each button of the failure page, on a fresh load of it: each leads to the
    provider's sign-in page for the workbench."""
    count = page.locator("button").count()
    assert count == 1  # one way on: signing in again
    for n in range(count):
        page.goto(failed_at)
        button = page.locator("button").nth(n)
        expect(button).to_have_text("Masuk lagi / Sign in again")
        go(page, f"button >> nth={n}")
        assert page.url.startswith(f"{identity}/oauth/authorize?"), page.url
        assert parse_qs(urlsplit(page.url).query)["client_id"] == ["workbench"]


def test_a_sign_in_that_did_not_finish_is_said_in_words_and_one_button_signs_in_again(
    platform, browser
):
    chromium_path()
    running = platform("identity", "routing")
    routing, identity = running.url("routing"), running.url("identity")
    add_staff(running.env, USERNAME, PASSWORD, "--role", "officer", "--agency", "polres-3576")
    officer = browser.new_context(viewport=PHONE).new_page()

    # Cancelled at the provider (it sends the browser back with access_denied).
    officer.goto(f"{routing}/workbench/signin?next=/workbench/?status=routed")
    state = parse_qs(urlsplit(officer.url).query)["state"][0]
    cancelled = f"{routing}/workbench/oidc/callback?error=access_denied&state={state}"
    officer.goto(cancelled)
    expect(officer.locator("#signin-failed-message")).to_contain_text("membatalkan")
    reads_for_people(officer)
    clicks_every_button(officer, cancelled, identity)

    # A callback this browser never started (its wait cookie gone: a planted link).
    officer.context.clear_cookies()
    planted = f"{routing}/workbench/oidc/callback?code=bukan-kode&state=bukan-milik-anda"
    officer.goto(planted)
    expect(officer.locator("#signin-failed-message")).to_contain_text("Silakan mulai lagi")
    reads_for_people(officer)
    clicks_every_button(officer, planted, identity)

    # From the provider's page the button led to, the officer signs in.
    officer.fill("#f-username", USERNAME)
    officer.fill("#f-password", PASSWORD)
    go(officer, "button:has-text('Masuk')")
    assert officer.url == f"{routing}/workbench/"
    expect(officer.locator("nav")).to_contain_text(USERNAME)
