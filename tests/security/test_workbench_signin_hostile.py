"""What the workbench's sign-in at the provider must refuse, with identity, intake and
routing in this process on the real broker and database: a citizen at the workbench's
client (by password, or with a code the portal's client was given), a callback this
browser did not start (login CSRF), and a next page on another site. Each refusal signs
nobody in and says why in words, with one way on: signing in again."""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from services.identity.oidc.clients import platform_clients
from tests.e2e.helpers import register
from tests.identity.conftest import CSRF
from tests.integration.officer_browser import OfficerBrowser

pytestmark = pytest.mark.integration

AGENCY = "polres-3576"
VISIBLE = re.compile(r"<main.*?</main>", re.S)


@pytest.fixture
async def desk(service_app):
    intake, routing = await service_app("intake"), await service_app("routing")
    staff = intake.identity.state.accounts.staff
    await staff.add("andi.pratama", "officer", "sandi-andi-pratama", agency=AGENCY, name="Andi")
    await staff.add("yoga.pasuruan", "officer", "sandi-yoga-pasuruan", agency="polres-3514")
    return intake, routing


def browser(desk, ip: str) -> OfficerBrowser:
    intake, routing = desk
    return OfficerBrowser(routing.app, intake.identity, ip)


def says_why_in_words(page) -> None:
    """The page for people: a message in both languages and the one button, no status
    code and no reason key."""
    main = VISIBLE.search(page.text).group(0)
    assert "Masuk lagi / Sign in again" in main
    assert re.findall(r"<button[^>]*>", main) == ['<button type="submit" id="signin-again">']
    assert 'action="/workbench/signin"' in main
    text = re.sub(r"<[^>]+>", " ", main)
    assert not re.search(r"\b\d{3}\b|\b[a-z]+_[a-z_]+\b", text), text


async def test_a_citizen_cannot_sign_in_at_the_workbench_by_password_or_by_a_portal_code(desk):
    intake, routing = desk
    citizen = await register(intake)
    async with browser(desk, "203.0.113.80") as at_workbench:
        typed = await at_workbench.sign_in(citizen.email, citizen.password)
        assert typed.status_code == 401  # the staff form takes no citizen's account
        assert "kata sandi salah" in typed.text
        assert "mpp_workbench" not in at_workbench.client.cookies

        # The citizen signs in at the portal's client, and takes that code to the
        # workbench's callback with a state the workbench did start in this browser.
        asked = parse_qs(urlsplit(await at_workbench.to_provider()).query)
        query = {
            "response_type": "code",
            "client_id": "portal",
            "redirect_uri": portal_callback(routing),
            "scope": "openid",
            "state": "portal-state",
            "nonce": asked["nonce"][0],
            "code_challenge": asked["code_challenge"][0],
            "code_challenge_method": "S256",
        }
        authorize = f"{at_workbench.identity_url}/oauth/authorize?{urlencode(query)}"
        page = await at_workbench.client.get(authorize)
        csrf = CSRF.search(page.text)
        assert csrf is not None, page.text
        given = await at_workbench.client.post(
            authorize,
            data={"csrf": csrf.group(1), "username": citizen.email, "password": citizen.password},
        )
        assert given.status_code in (302, 303), given.text
        code = parse_qs(urlsplit(given.headers["location"]).query)["code"][0]
        pushed = await at_workbench.client.get(
            f"/workbench/oidc/callback?{urlencode({'code': code, 'state': asked['state'][0]})}"
        )
    assert pushed.status_code == 401
    says_why_in_words(pushed)
    assert "mpp_workbench" not in pushed.headers.get("set-cookie", "")


def portal_callback(routing) -> str:
    """The portal client's registered redirect URI (docs/oidc.md, the platform's clients)."""
    clients = platform_clients(routing.app.state.runtime.settings)
    [portal] = [client for client in clients if client.client_id == "portal"]
    return portal.redirect_uris[0]


async def test_a_callback_this_browser_did_not_start_signs_nobody_in(desk):
    async with browser(desk, "203.0.113.81") as attacker, browser(desk, "198.51.100.30") as victim:
        # The attacker signs in as their own officer and keeps the callback unvisited.
        typed = await attacker.at_provider("yoga.pasuruan", "sandi-yoga-pasuruan")
        assert typed.status_code in (302, 303), typed.text
        planted = typed.headers["location"]

        # The victim never started a sign-in; then one that waits for its own state.
        unstarted = await victim.client.get(planted)
        await victim.to_provider()
        started = await victim.client.get(planted)
        for answer in (unstarted, started):
            assert answer.status_code == 401
            says_why_in_words(answer)
            assert "mpp_workbench" not in victim.client.cookies
        queue = await victim.client.get("/workbench/")
        assert queue.status_code == 303
        assert queue.headers["location"].startswith("/workbench/signin")


async def test_a_cancelled_sign_in_is_said_in_words_and_a_page_elsewhere_is_never_next(desk):
    async with browser(desk, "198.51.100.31") as officer:
        state = parse_qs(urlsplit(await officer.to_provider()).query)["state"][0]
        cancelled = await officer.client.get(
            f"/workbench/oidc/callback?error=access_denied&state={state}"
        )
        assert cancelled.status_code == 401
        says_why_in_words(cancelled)
        assert "membatalkan" in cancelled.text
        assert "mpp_oidc_workbench=" in cancelled.headers["set-cookie"]  # the wait forgotten

        signed = await officer.sign_in(
            "andi.pratama", "sandi-andi-pratama", "?next=//evil.example/phish"
        )
        assert signed.status_code == 303, signed.text
        assert signed.headers["location"] == "/workbench/"
        # A workbench page that needs sign-in comes back to itself.
        officer.client.cookies.delete("mpp_workbench")
        wanted = await officer.client.get("/workbench/?status=routed")
        assert (
            wanted.headers["location"] == "/workbench/signin?next=%2Fworkbench%2F%3Fstatus%3Drouted"
        )
