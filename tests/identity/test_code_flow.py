"""A service's pages signing a person in at the provider (shared.web.code_flow): the
browser goes to the provider's page, comes back with a code, and the service exchanges
it with its PKCE verifier; the provider served over real HTTP on the real database."""

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from shared.settings import Settings
from shared.web.code_flow import CodeFlow, CodeFlowFailed
from tests.identity.conftest import Served, sign_in_at

PAGES = "http://workbench.test"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The workbench's pages at PAGES, where the provider registers its callback."""
    return settings.model_copy(update={"web_urls": {**settings.web_urls, "routing": PAGES}})


def _pages(served: Served) -> tuple[FastAPI, CodeFlow]:
    """A service's pages as a relying party: a sign-in that starts the flow, and the
    callback that finishes it."""
    settings = served.settings.model_copy(
        update={
            "web_urls": {"routing": PAGES, "identity": served.base},
            "internal_urls": {"identity": served.base},
        }
    )
    flow = CodeFlow("workbench", "/workbench", "routing", settings)
    app = FastAPI()

    @app.get("/workbench/signin")
    async def signin(request: Request) -> Response:
        return flow.begin(request, request.query_params.get("next"))

    @app.get("/workbench/oidc/callback")
    async def callback(request: Request) -> Response:
        try:
            signed_in = await flow.finish(request)
        except CodeFlowFailed as failed:
            return flow.forget(JSONResponse({"failed": failed.reason}, 401))
        body = {"sub": signed_in.claims["sub"], "after": signed_in.after}
        return flow.forget(JSONResponse({**body, "token": signed_in.access_token}))

    return app, flow


@pytest.fixture
async def browser(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    app, _ = _pages(served)
    async with httpx.AsyncClient(
        mounts={PAGES: httpx.ASGITransport(app=app)}, timeout=30
    ) as client:
        yield client


async def _to_provider(browser: httpx.AsyncClient, after: str = "") -> str:
    start = await browser.get(f"{PAGES}/workbench/signin{after}")
    assert start.status_code == 303
    return start.headers["location"]


async def test_an_officer_signs_in_without_the_service_seeing_the_password(
    served: Served, browser: httpx.AsyncClient
):
    await served.app.state.accounts.staff.add(
        "dewi.polres", "officer", "sandi-dewi-polres", agency="polres-3576"
    )
    provider_page = await _to_provider(browser, "?next=/workbench/applications/x")
    query = parse_qs(urlsplit(provider_page).query)
    assert query["code_challenge_method"] == ["S256"]
    assert "code_verifier" not in query  # only its hash travels through the browser
    back = await sign_in_at(browser, provider_page, "dewi.polres", "sandi-dewi-polres")
    assert back.status_code in (302, 303)
    assert back.headers["location"].startswith(f"{PAGES}/workbench/oidc/callback?")
    answer = await browser.get(back.headers["location"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["sub"] == "dewi.polres"
    assert answer.json()["after"] == "/workbench/applications/x"
    principal = await served.app.state.verifier.verify_async(answer.json()["token"])
    assert (principal.staff_role, principal.agency) == ("officer", "polres-3576")


async def test_a_callback_this_browser_did_not_start_is_refused(
    served: Served, browser: httpx.AsyncClient
):
    """An attacker's own code, pushed into a victim's browser (login CSRF): the victim's
    browser holds no waiting state for it, so nobody is signed in."""
    await served.app.state.accounts.staff.add(
        "budi.polres", "officer", "sandi-budi-polres", agency="polres-3576"
    )
    provider_page = await _to_provider(browser)
    back = await sign_in_at(browser, provider_page, "budi.polres", "sandi-budi-polres")
    async with httpx.AsyncClient(
        mounts={PAGES: httpx.ASGITransport(app=_pages(served)[0])}
    ) as victim:
        pushed = await victim.get(back.headers["location"])
    assert pushed.status_code == 401
    assert pushed.json() == {"failed": "expired"}


async def test_a_code_used_twice_signs_in_once(served: Served, browser: httpx.AsyncClient):
    await served.app.state.accounts.staff.add(
        "eka.polres", "officer", "sandi-eka-polres", agency="polres-3576"
    )
    provider_page = await _to_provider(browser)
    back = await sign_in_at(browser, provider_page, "eka.polres", "sandi-eka-polres")
    callback = back.headers["location"]
    waiting = browser.cookies.get("mpp_oidc_workbench")
    assert (await browser.get(callback)).status_code == 200
    browser.cookies.set("mpp_oidc_workbench", waiting, path="/workbench/oidc/callback")
    again = await browser.get(callback)
    assert again.status_code == 401
    assert again.json() == {"failed": "refused"}


async def test_a_person_who_cancels_is_told_so_and_a_page_elsewhere_is_never_the_next_stop(
    served: Served, browser: httpx.AsyncClient
):
    provider_page = await _to_provider(browser, "?next=//evil.example/phish")
    state = parse_qs(urlsplit(provider_page).query)["state"][0]
    cancelled = await browser.get(
        f"{PAGES}/workbench/oidc/callback?error=access_denied&state={state}"
    )
    assert cancelled.json() == {"failed": "access_denied"}
    _, flow = _pages(served)
    assert flow._after("//evil.example/phish") == "/workbench/"
    assert flow._after("https://evil.example/") == "/workbench/"
