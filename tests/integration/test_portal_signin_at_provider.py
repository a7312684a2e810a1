"""The portal signs citizens in at the platform's provider, in process against the real
broker and database: the password is typed on identity's page only, the callback starts
the portal's session and names this device, a callback this browser did not start signs
nobody in, and another citizen's device cannot be signed out."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.helpers import new_nik, register, running_intake
from tests.front_door import front_door, portal_sign_in, provider_sign_in_page

pytestmark = pytest.mark.integration

ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile"


@pytest.fixture(scope="module")
async def platform(stack) -> AsyncIterator[httpx.AsyncClient]:
    async with running_intake(stack) as client:
        yield client


def browser(platform: httpx.AsyncClient) -> httpx.AsyncClient:
    """A browser of its own (cookies), on the one origin as behind the proxy."""
    return front_door(platform.app, platform.identity, headers={"User-Agent": ANDROID})


def _path(url: str) -> str:
    return httpx.URL(url).raw_path.decode("ascii")


async def _code_for(other: httpx.AsyncClient, email: str, password: str) -> str:
    """The provider's redirect to the portal's callback, for a sign-in ``other`` made."""
    _, action = await provider_sign_in_page(other)
    sent = await other.post(
        action, data={"csrf": other.cookies["mpp_csrf"], "username": email, "password": password}
    )
    assert sent.status_code == 302, sent.text
    return _path(sent.headers["location"])


async def test_a_citizen_signs_in_on_the_providers_page_and_the_portal_names_this_device(
    platform,
):
    citizen = await register(platform)
    async with browser(platform) as phone:
        started = await phone.get("/portal/signin", params={"next": "/portal/profile"})
        assert started.status_code == 303
        assert "/oauth/authorize?" in started.headers["location"]
        assert "mpp_session" not in phone.cookies
        done = await portal_sign_in(phone, citizen.email, citizen.password, "/portal/profile")
        assert (done.status_code, done.headers["location"]) == (303, "/portal/profile")
        assert "mpp_oidc_portal=" in done.headers.get("set-cookie", "")  # the wait, deleted
        token = phone.cookies["mpp_session"]
        listed = await phone.get("/api/v1/me/devices", headers={"Authorization": f"Bearer {token}"})
        names = {device["id"]: device["device_name"] for device in listed.json()}
        assert names[phone.cookies["mpp_device"]] == "Portal web — Chrome, Android"
        moved = await phone.get("/portal/profile")  # the profile is identity's page
        assert _path(moved.headers["location"]) == "/account/profile"
        profile = await phone.get("/account/profile")
        assert profile.status_code == 200
        assert 'value="Siti Aminah"' in profile.text


async def test_a_wrong_password_stays_on_the_providers_page_and_signs_nobody_in(platform):
    citizen = await register(platform)
    async with browser(platform) as phone:
        refused = await portal_sign_in(phone, citizen.email, "bukan-sandinya")
        assert refused.status_code == 401
        assert 'id="signin-error" data-reason="wrong"' in refused.text
        assert "mpp_session" not in phone.cookies


async def test_a_callback_this_browser_did_not_start_signs_nobody_in(platform):
    citizen = await register(platform)
    async with browser(platform) as attacker, browser(platform) as victim:
        # The attacker's own sign-in, its code sent to the victim's browser (login CSRF):
        # with no sign-in waiting there, and again with one of the victim's own waiting.
        callback = await _code_for(attacker, citizen.email, citizen.password)
        refused = await victim.get(callback)
        assert refused.status_code == 400
        assert 'id="signin-failed" data-reason="expired"' in refused.text
        assert re.search(r'id="signin-again" href="/portal/signin">Masuk lagi<', refused.text)
        await victim.get("/portal/signin")  # the victim's own sign-in waits
        again = await victim.get(callback)
        assert again.status_code == 400
        assert "mpp_session" not in victim.cookies
        # The attacker's browser, which started it, is signed in with it.
        assert (await attacker.get(callback)).status_code == 303
        assert attacker.cookies["mpp_session"]


async def test_a_cancelled_or_refused_sign_in_is_said_in_plain_words(platform):
    async with browser(platform) as phone:
        started = await phone.get("/portal/signin")
        state = httpx.URL(started.headers["location"]).params["state"]
        cancelled = await phone.get(
            "/portal/oidc/callback", params={"error": "access_denied", "state": state}
        )
        assert cancelled.status_code == 400
        assert 'data-reason="access_denied"' in cancelled.text
        assert "Anda membatalkan proses masuk" in cancelled.text
        again = await phone.get("/portal/signin")
        state = httpx.URL(again.headers["location"]).params["state"]
        forged = await phone.get(
            "/portal/oidc/callback", params={"code": "not-a-code", "state": state}
        )
        assert forged.status_code == 400
        assert 'data-reason="refused"' in forged.text
        english = await phone.get("/portal/oidc/callback?lang=en")
        assert "Not signed in yet" in english.text
        assert "Sign in again" in english.text
        assert "mpp_session" not in phone.cookies


async def test_another_citizens_device_cannot_be_signed_out_from_the_portal_or_the_account_page(
    platform,
):
    owner, other = await register(platform), await register(platform)
    async with browser(platform) as owners, browser(platform) as others:
        await portal_sign_in(owners, owner.email, owner.password)
        await portal_sign_in(others, other.email, other.password)
        device, owner_token = owners.cookies["mpp_device"], owners.cookies["mpp_session"]
        others.cookies.set("mpp_device", device)  # another citizen's device, named
        await others.get("/portal/")
        await others.post("/portal/signout", data={"csrf": others.cookies["mpp_csrf"]})
    # ... nor on the account's security page, by its address.
    async with browser(platform) as others:
        await portal_sign_in(others, other.email, other.password)
        await others.get("/account/security")
        refused = await others.post(
            f"/account/security/devices/{device}/signout", data={"csrf": others.cookies["mpp_csrf"]}
        )
        assert refused.status_code == 303
        assert others.cookies["mpp_session"]  # not this browser's device: still signed in
    headers = {"Authorization": f"Bearer {owner_token}"}
    listed = await platform.get("/api/v1/me/devices", headers=headers)
    assert device in [d["id"] for d in listed.json()]


async def test_the_registration_page_answers_only_a_citizens_clients_valid_request(platform):
    async with browser(platform) as phone:
        alone = await phone.get("/account/register")  # no request: the portal's "Daftar"
        assert _path(alone.headers["location"]) == "/portal/register"
        started = await phone.get("/portal/register")
        query = httpx.URL(started.headers["location"]).params
        assert query["prompt"] == "create"
        staff = {**dict(query), "client_id": "workbench"}  # a staff client: no registering
        refused = await phone.get("/account/register", params=staff)
        assert refused.status_code == 400
        assert 'id="refused-title"' in refused.text
        elsewhere = {**dict(query), "redirect_uri": "https://attacker.example/cb"}
        assert (await phone.get("/account/register", params=elsewhere)).status_code == 400
        account = {
            "nik": new_nik(),
            "name": "Siti Aminah",
            "email": f"daftar-{new_nik()}@example.id",
            "phone": "081234567890",
            "password": "rahasia-sekali",
        }
        form = {"csrf": phone.cookies.get("mpp_csrf", ""), **account}
        posted = await phone.post("/account/register", params=staff, data=form)
        assert posted.status_code == 400
        assert "mpp_session" not in phone.cookies
        # Nothing was made for the refused request: the same account can still be made.
        assert (await platform.post("/api/v1/accounts", json=account)).status_code == 201
