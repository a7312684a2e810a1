"""The building's queue pages in Chromium at a phone's width, on intake and identity
served over real HTTP in this process (so the queue's clock can be moved to opening
hours): a citizen books on the phone, the kiosk checks the booking in by its code, the
counter officer calls the number, the hall's display shows it over server-sent events
without reloading, and the officer marks it served; then an agency's officer refused
at sign-in, every other button — the walk-in with the priority lane, printing,
transfer, no-show, nobody waiting, signing out — and the display's streams end when the
server stops."""

import asyncio
import signal
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import expect
from sse_starlette.sse import AppStatus

from ops.localstack import free_port
from services.identity.app import build as build_identity
from services.intake.app import build as build_intake
from shared.settings import Settings
from tests.browser.conftest import PHONE, add_staff, check_accessibility
from tests.browser.pages import go
from tests.e2e.helpers import register
from tests.front_door import front_door
from tests.integration.test_queue_building import REGION, at, book, queue_day

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

KIOSK, OFFICER, PASSWORD = "kios.mojokerto", "loket.mojokerto", "sandi-antrean-3576"
AGENCY_OFFICER = "rina.polres"


class Building:
    """Identity and intake served by uvicorn on one event loop in a thread of their own;
    ``run`` does a coroutine on that loop (the apps' database clients live there)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.identity = build_identity(settings)
        self.intake = build_intake(settings)
        self.loop = asyncio.new_event_loop()
        self.servers = [
            uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", log_config=None))
            for app, port in (
                (self.identity, settings.identity_port),
                (self.intake, settings.intake_port),
            )
        ]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(asyncio.gather(*(s.serve() for s in self.servers)))
        finally:
            self.loop.close()

    def start(self) -> "Building":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not all(s.started for s in self.servers):
            assert time.monotonic() < deadline, "the services did not start"
            time.sleep(0.05)
        return self

    def run(self, work: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(60)

    def stop(self) -> float:
        """Seconds until both servers have stopped (open streams included) after the
        SIGTERM an operator's ``docker stop`` sends, handled as uvicorn handles it."""
        started = time.monotonic()
        try:
            for server in self.servers:
                server.handle_exit(signal.SIGTERM, None)
            self.thread.join(30)
        finally:
            AppStatus.should_exit = False  # the process's next servers start afresh
        return time.monotonic() - started

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.intake_port}"

    def move_clock(self, moment: Any) -> None:
        self.intake.state.intake.hall.clock.moved_to = moment


@pytest.fixture(scope="module")
def building(stack: Any) -> Iterator[Building]:
    namespace = f"t{uuid.uuid4().hex[:10]}"
    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=namespace,
        intake_port=free_port(),
        identity_port=free_port(),
    )
    running = Building(settings).start()
    env = {"MPP_MONGO_URI": stack.mongo_uri, "MPP_NAMESPACE": namespace}
    for username, role in ((KIOSK, "queue_kiosk"), (OFFICER, "counter_officer")):
        add_staff(env, username, PASSWORD, "--role", role, "--region", REGION)
    add_staff(env, AGENCY_OFFICER, PASSWORD, "--role", "officer", "--agency", "polres-3576")
    yield running
    if running.thread.is_alive():
        running.stop()


def citizen_books(building: Building, day: Any) -> str:
    """A citizen registers and books ktp-el at 09:00 from the phone (the API): the code."""

    async def booked() -> str:
        async with front_door(building.intake, building.identity) as phone:
            citizen = await register(phone)
            return await book(phone, citizen, "ktp-el", day, "09:00")

    return str(building.run(booked()))


def signing_in(browser: Any, building: Building, page_path: str, username: str) -> Any:
    """A phone-sized page of ``page_path``, after signing in at identity's page."""
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{building.url}{page_path}")
    assert "/oauth/authorize?" in page.url  # the password is typed on identity's page only
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    go(page, "button:has-text('Masuk')")
    return page


def signed_in(browser: Any, building: Building, page_path: str, username: str) -> Any:
    page = signing_in(browser, building, page_path, username)
    assert page.url.startswith(f"{building.url}{page_path}"), page.url
    return page


def test_a_booking_is_checked_in_at_the_kiosk_called_at_the_counter_and_shown_live_in_the_hall(
    building, browser, shots
):
    day = queue_day(10)
    building.move_clock(at(day, "07:00"))
    code = citizen_books(building, day)
    building.move_clock(at(day, "08:50"))

    hall = browser.new_context(viewport=PHONE).new_page()
    hall.goto(f"{building.url}/antrean/{REGION}/layar")
    expect(hall.locator("#board")).to_have_attribute("data-live", "yes")
    expect(hall.locator("#latest-none")).to_be_visible()
    hall.evaluate("window.sameDocument = true")  # gone if the page ever reloads
    check_accessibility(hall)

    kiosk = signed_in(browser, building, "/antrean/kios", KIOSK)
    kiosk.locator("#f-code").type(code.lower())  # a QR scanner types the code it reads
    go(kiosk, "#check-in")
    number = kiosk.locator("#ticket-number").inner_text()
    assert number.startswith("A-")
    shots(kiosk, "queue-kiosk-ticket")

    counter = signed_in(browser, building, "/antrean/loket", OFFICER)
    counter.select_option("#f-loket", "loket-2")
    counter.check("input[name=layanan][value=ktp-el]")
    go(counter, "#call-next")
    called = time.monotonic()
    expect(counter.locator("#called-number")).to_have_text(number)

    # The hall's display shows the call by itself: server-sent events, no reload.
    expect(hall.locator("#latest-number")).to_have_text(number, timeout=10_000)
    print(f"\nthe hall's display showed the call {time.monotonic() - called:.2f} s after it")
    expect(hall.locator("#latest-counter")).to_have_text("Loket 2")
    assert hall.evaluate("window.sameDocument") is True
    shots(hall, "queue-hall-display")

    go(counter, "#served")
    expect(counter.locator("#counter-done")).to_contain_text(f"{number} selesai dilayani")
    shots(counter, "queue-counter-served")
    hall.context.close()
    kiosk.context.close()
    counter.context.close()


def test_every_kiosk_and_counter_button_works_and_the_display_streams_end_on_shutdown(
    building, browser
):
    day = queue_day(11)
    building.move_clock(at(day, "10:05"))
    # An agency's officer is staff, but not the queue's: refused at the callback.
    outsider = signing_in(browser, building, "/antrean/loket", AGENCY_OFFICER)
    expect(outsider.locator("#queue-refused-why")).to_contain_text("bukan akun kios antrean")
    outsider.goto(f"{building.url}/antrean/loket")
    assert "/oauth/authorize?" in outsider.url  # no counter page: asked to sign in again
    outsider.context.close()
    hall = browser.new_context(viewport=PHONE).new_page()
    hall.goto(f"{building.url}/antrean/{REGION}/layar")
    expect(hall.locator("#board")).to_have_attribute("data-live", "yes")

    kiosk = signed_in(browser, building, "/antrean/kios", KIOSK)
    kiosk.select_option("#f-service", "ktp-el")
    kiosk.select_option("#f-walk-in-priority", "hamil")
    go(kiosk, "#walk-in")
    expect(kiosk.locator("#ticket-priority")).to_be_visible()
    number = kiosk.locator("#ticket-number").inner_text()
    assert number.startswith("P-")  # the priority lane
    kiosk.evaluate("window.print = () => { window.printed = true; }")
    kiosk.click("#print")
    assert kiosk.evaluate("window.printed") is True
    kiosk.emulate_media(media="print")
    expect(kiosk.locator("header.top")).to_be_hidden()  # the printed ticket: the number
    expect(kiosk.locator("#ticket-number")).to_be_visible()
    kiosk.emulate_media(media="screen")
    go(kiosk, "#next-citizen")
    expect(kiosk.locator("#check-in-form")).to_be_visible()
    kiosk.fill("#f-code", "ZZZZ2222")
    go(kiosk, "#check-in")
    expect(kiosk.locator("#check-in-error")).to_contain_text("Kode antrean tidak dikenal")

    counter = signed_in(browser, building, "/antrean/loket", OFFICER)
    counter.select_option("#f-loket", "loket-5")
    counter.check("input[name=layanan][value=ktp-el]")
    go(counter, "#call-next")
    expect(counter.locator("#called-number")).to_have_text(number)
    expect(hall.locator("#latest-counter")).to_have_text("Loket 5", timeout=10_000)
    counter.select_option("#f-transfer", "kartu-keluarga")
    go(counter, "#transfer")
    expect(counter.locator("#counter-done")).to_contain_text("dialihkan")
    go(counter, "#call-next")
    expect(counter.locator("#counter-nobody")).to_be_visible()  # ktp-el: nobody now
    counter.check("input[name=layanan][value=kartu-keluarga]")
    go(counter, "#call-next")
    expect(counter.locator("#called-number")).to_have_text(number)  # kept its place
    go(counter, "#no-show")
    expect(counter.locator("#counter-done")).to_contain_text(f"{number} tidak hadir")
    check_accessibility(counter)

    go(kiosk, "#signout")
    assert "/oauth/authorize?" in kiosk.url  # signed out: the next page asks again
    kiosk.goto(f"{building.url}/antrean/kios")
    assert "/oauth/authorize?" in kiosk.url

    # The display's stream is still open: stopping the server ends it, promptly.
    assert hall.locator("#board").get_attribute("data-live") == "yes"
    assert building.stop() < 10
    assert not building.thread.is_alive()
    for page in (hall, kiosk, counter):
        page.context.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{building.url}/antrean/{REGION}/layar", timeout=2)
