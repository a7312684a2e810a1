"""The building's queue pages against the real database and broker, without a browser:
the hall's display answers the numbers called in its HTML (a screen without JavaScript
reloads it), and the kiosk's and the counter's pages refuse who must not use them — a
kiosk of another region, a citizen's session.

The browser tests (tests/browser/test_queue_pages.py) click every button and follow a
booking from the phone to the hall's display over server-sent events."""

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from services.audit.app import build as build_audit
from services.intake.web.queue_display import MAX_STREAMS
from shared.settings import Settings
from tests.e2e.helpers import register
from tests.front_door import start_intake
from tests.integration.test_queue_building import REGION, at, book, hall_of, queue_day, staff

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def platform(stack: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
    )
    async with AsyncExitStack() as running:
        intake = await start_intake(running, settings)
        audit = build_audit(settings)
        await running.enter_async_context(audit.router.lifespan_context(audit))
        yield intake, settings


def signed_in_as(intake: httpx.AsyncClient, headers: dict[str, str]) -> httpx.AsyncClient:
    """A browser of the same app whose ``/antrean`` cookie holds the token of ``headers``."""
    browser = httpx.AsyncClient(transport=intake._transport, base_url="http://intake")
    browser.cookies.set("mpp_antrean", headers["Authorization"][7:], path="/antrean")
    return browser


async def post_form(
    browser: httpx.AsyncClient, page: str, path: str, **form: Any
) -> httpx.Response:
    """Open ``page`` (for its form token), then send the form to ``path``."""
    opened = await browser.get(page)
    assert opened.status_code in (200, 403), opened.text
    return await browser.post(path, data={"csrf": browser.cookies["mpp_csrf"], **form})


async def test_without_javascript_the_hall_display_carries_the_numbers_called_and_reloads(
    platform,
):
    intake, settings = platform
    day, hall = queue_day(6), hall_of(intake)
    kiosk, officer = staff(settings, "queue_kiosk"), staff(settings, "counter_officer")
    hall.clock.moved_to = at(day, "09:05")
    for _ in range(2):
        given = await intake.post(
            "/api/v1/queue/walk-ins", json={"service": "kartu-keluarga"}, headers=kiosk
        )
        assert given.status_code == 201, given.text
    body = {"counter": "loket-4", "services": ["kartu-keluarga"]}
    called = await intake.post("/api/v1/queue/calls", json=body, headers=officer)
    number = called.json()["number"]

    page = await intake.get(f"/antrean/{REGION}/layar")
    assert page.status_code == 200
    shown = page.text
    assert re.search(r'<noscript><meta http-equiv="refresh" content="\d+"></noscript>', shown)
    latest = re.search(r'id="latest-number">([^<]+)<', shown)
    assert latest
    assert latest.group(1) == number
    assert 'id="latest-counter">Loket 4<' in shown
    assert "09.05 WIB" in shown  # called at, in the region's zone, in words
    assert re.search(r"Kartu Keluarga[^<]*: <strong>1</strong>", shown)  # one still waits
    assert "kartu-keluarga" not in shown.replace(f"/antrean/{REGION}/layar", "")
    assert "T09:" not in shown
    assert "loket-4" not in shown

    # A process serves a bounded number of screens; one more is told to come back.
    watch = intake.app.state.board_watch
    watch.streams = MAX_STREAMS
    try:
        refused = await intake.get(f"/antrean/{REGION}/layar/siaran")
    finally:
        watch.streams = 0
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "30"

    unknown = await intake.get("/antrean/9999/layar")
    assert unknown.status_code == 404
    assert "Loket" not in unknown.text


async def test_a_kiosk_of_another_region_does_not_find_this_mpps_booking_on_its_page(platform):
    intake, settings = platform
    day, hall = queue_day(7), hall_of(intake)
    citizen = await register(intake)
    hall.clock.moved_to = at(day, "07:00")
    code = await book(intake, citizen, "skck", day, "09:00")
    hall.clock.moved_to = at(day, "08:50")

    async with signed_in_as(intake, staff(settings, "queue_kiosk", region="3514")) as elsewhere:
        refused = await post_form(elsewhere, "/antrean/kios", "/antrean/kios/check-in", code=code)
    assert refused.status_code == 422
    assert "Kode antrean tidak dikenal / Unknown booking code" in refused.text
    assert 'id="ticket-number"' not in refused.text

    async with signed_in_as(intake, staff(settings, "queue_kiosk")) as kiosk:
        given = await post_form(
            kiosk, "/antrean/kios", "/antrean/kios/check-in", code=code.lower(), priority="lansia"
        )
    assert given.status_code == 200, given.text
    assert re.search(r'id="ticket-number">P-\d{3}<', given.text)  # the priority lane
    assert "Antrean prioritas" in given.text


async def test_a_citizens_session_cannot_call_or_serve_at_the_counter(platform):
    intake, settings = platform
    day, hall = queue_day(8), hall_of(intake)
    hall.clock.moved_to = at(day, "11:02")
    kiosk = staff(settings, "queue_kiosk")
    given = await intake.post("/api/v1/queue/walk-ins", json={"service": "skck"}, headers=kiosk)
    ticket = given.json()
    citizen = await register(intake)

    async with signed_in_as(intake, citizen.headers) as browser:
        page = await browser.get("/antrean/loket")
        assert page.status_code == 403
        assert "bukan akun kios antrean atau petugas loket" in page.text
        form = {"loket": "loket-1", "layanan": "skck"}
        call = await post_form(browser, "/antrean/loket", "/antrean/loket/panggil", **form)
        assert call.status_code == 403
        served = await post_form(
            browser, "/antrean/loket", f"/antrean/loket/tiket/{ticket['id']}/selesai", **form
        )
        assert served.status_code == 403
    # The portal's session is not the counter's: to the staff sign-in, nothing called.
    async with httpx.AsyncClient(transport=intake._transport, base_url="http://intake") as portal:
        portal.cookies.set("mpp_session", citizen.headers["Authorization"][7:])
        away = await portal.get("/antrean/loket")
        assert away.status_code == 303
        assert away.headers["location"].startswith("/antrean/signin")
    kept = await hall.tickets.find(REGION, ticket["id"])
    assert kept is not None
    assert kept["status"] == "waiting"
