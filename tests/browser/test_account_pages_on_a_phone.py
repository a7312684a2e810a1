"""The pages where a citizen signs in or types a password, in a real browser at a
phone's size (390x844), on the platform's processes: every button and link of each is
clicked — the portal's sign-in and its failure page, the provider's sign-in page, and
identity's registration, forgotten-password, reset and security pages — and each page
passes the accessibility check."""

import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, chromium_path
from tests.browser.pages import go

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

NIK = "3576014507900001"
EMAIL = "wulan@example.id"
PASSWORDS = ("rahasia-sekali", "sandi-kedua-sekali", "sandi-ketiga-sekali")
PHONE = {"width": 390, "height": 844}


def path_of(page) -> str:
    return urlsplit(page.url).path


def sign_in(page, portal: str, password: str) -> None:
    """From the portal's sign-in to the provider's page, and back signed in."""
    page.goto(f"{portal}/portal/signin")
    assert path_of(page) == "/oauth/authorize"
    page.fill("#f-username", EMAIL)
    page.fill("#f-password", password)
    go(page, "button[type=submit]:has-text('Masuk')")
    assert path_of(page).startswith(("/portal/", "/account/")), page.url  # signed in


def register_with_a_mistake_first(citizen, portal: str) -> None:
    """The failure page's buttons, the provider's page, and the registration page's."""
    citizen.goto(f"{portal}/portal/oidc/callback?state=forged&code=forged")
    expect(citizen.locator("#signin-failed")).to_have_attribute("data-reason", "expired")
    check_accessibility(citizen)
    go(citizen, "#signin-home")
    assert path_of(citizen) == "/portal/"
    citizen.go_back()
    go(citizen, "#signin-again")
    expect(citizen.locator("#signin-title")).to_have_attribute("data-kind", "citizen")
    check_accessibility(citizen)
    go(citizen, "#signin-register")
    assert path_of(citizen) == "/account/register"
    check_accessibility(citizen)
    go(citizen, "#register-signin")  # "already have an account?": the sign-in again
    assert path_of(citizen) == "/oauth/authorize"
    go(citizen, "#signin-register")
    for field, value in (("nik", "123"), ("name", "Wulan Sari"), ("email", EMAIL)):
        citizen.fill(f"#f-{field}", value)
    citizen.fill("#f-phone", "081234567891")
    citizen.fill("#f-password", PASSWORDS[0])
    go(citizen, "button[type=submit]:has-text('Daftar')")
    expect(citizen.locator(".field.invalid #f-nik-error")).to_be_visible()
    citizen.fill("#f-nik", NIK)
    citizen.fill("#f-password", PASSWORDS[0])
    go(citizen, "button[type=submit]:has-text('Daftar')")
    assert path_of(citizen) == "/account/verify"


def prove_the_email(citizen, stand_ins) -> str:
    go(citizen, "form[action$='/account/verify/email/send'] button")
    code = stand_ins.code_for(EMAIL)
    citizen.fill("#f-email-code", code)
    go(citizen, "form[action$='/account/verify/email/confirm'] button")
    return code


def use_every_button_of_the_security_page(citizen, laptop, portal: str) -> None:
    citizen.goto(f"{portal}/portal/security")  # the old address leads to identity's page
    assert path_of(citizen) == "/account/security"
    check_accessibility(citizen)
    go(citizen, "#devices tr[data-device]:not([data-current]) button")  # the laptop
    expect(citizen.locator("#removed")).to_be_visible()
    citizen.fill("#f-current_password", "bukan-sandinya")
    citizen.fill("#f-new_password", PASSWORDS[1])
    go(citizen, "button:has-text('Ganti kata sandi')")
    expect(citizen.locator("#f-current_password-error")).to_be_visible()
    with citizen.expect_download() as downloading:
        citizen.click("#export")
    assert NIK in downloading.value.path().read_text()
    citizen.fill("#f-current_password", PASSWORDS[0])
    citizen.fill("#f-new_password", PASSWORDS[1])
    go(citizen, "button:has-text('Ganti kata sandi')")
    expect(citizen.locator("#signin-notice")).to_be_visible()  # at the portal: sign in again
    go(citizen, "#signin-start")
    assert path_of(citizen) == "/oauth/authorize"
    sign_in(citizen, portal, PASSWORDS[1])
    citizen.goto(f"{portal}/portal/security")
    go(citizen, "header form button:has-text('Keluar')")  # the frame's sign-out, on identity
    assert path_of(citizen) == "/portal/"
    sign_in(laptop, portal, PASSWORDS[1])
    laptop.goto(f"{portal}/portal/security")
    go(laptop, "button:has-text('Keluar dari semua perangkat')")
    expect(laptop.locator("#signin-notice")).to_be_visible()


def reset_the_password(citizen, portal: str, stand_ins, verification_code: str) -> None:
    sign_in_page = f"{portal}/portal/signin"
    citizen.goto(sign_in_page)
    go(citizen, "a:has-text('Lupa kata sandi?')")
    assert path_of(citizen) == "/account/forgot"
    check_accessibility(citizen)
    go(citizen, "a:has-text('Kembali ke halaman masuk')")
    assert path_of(citizen) == "/oauth/authorize"
    citizen.goto(f"{portal}/portal/forgot")  # the old address leads to identity's page
    go(citizen, "a:has-text('Sudah punya kode?')")
    assert path_of(citizen) == "/account/reset"
    check_accessibility(citizen)
    go(citizen, "a:has-text('Minta kode baru')")
    citizen.fill("#f-username", EMAIL)
    go(citizen, "button:has-text('Kirim kode')")
    expect(citizen.locator("#reset-sent")).to_be_visible()
    deadline = time.monotonic() + 20
    code = stand_ins.code_for(EMAIL)
    while code == verification_code and time.monotonic() < deadline:
        time.sleep(0.3)
        code = stand_ins.code_for(EMAIL)
    citizen.fill("#f-username", EMAIL)
    citizen.fill("#f-code", code)
    citizen.fill("#f-new_password", PASSWORDS[2])
    go(citizen, "button:has-text('Simpan kata sandi baru')")
    expect(citizen.locator("#signin-notice")).to_be_visible()
    go(citizen, "#signin-start")
    citizen.fill("#f-username", EMAIL)
    citizen.fill("#f-password", PASSWORDS[2])
    go(citizen, "button[type=submit]:has-text('Masuk')")
    assert path_of(citizen) == "/account/verify"  # its NIK is still to prove


def erase_the_account(citizen, portal: str) -> None:
    citizen.goto(f"{portal}/portal/security")
    citizen.fill("#f-erase_password", "bukan-sandinya")
    go(citizen, "#erase")
    expect(citizen.locator("#f-erase_password-error")).to_be_visible()
    citizen.fill("#f-erase_password", PASSWORDS[2])
    go(citizen, "#erase")
    expect(citizen.locator("#erased")).to_be_visible()
    check_accessibility(citizen)


def test_every_button_of_the_sign_in_and_account_pages_works_on_a_phone(
    web_platform, stand_ins, browser
):
    chromium_path()
    running = web_platform()
    portal = running.direct_url("intake")  # where the provider sends the browser back
    citizen = browser.new_context(viewport=PHONE).new_page()
    laptop = browser.new_context(viewport=PHONE).new_page()
    register_with_a_mistake_first(citizen, portal)
    verification_code = prove_the_email(citizen, stand_ins)
    sign_in(laptop, portal, PASSWORDS[0])
    use_every_button_of_the_security_page(citizen, laptop, portal)
    reset_the_password(citizen, portal, stand_ins, verification_code)
    erase_the_account(citizen, portal)
