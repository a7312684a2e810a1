"""The dashboard's MPP queue section in Chromium at a phone's width (390 × 844), on
routing served over real HTTP in this process with the demo regions and Kota
Makassar's example package: queue events published on the queue topic reach routing's
projection, and a reader reads today's waiting and service minutes per service and per
counter in plain words with the MPP's zone, moves to the day before (no tickets) and
back, to Makassar's MPP (WITA) and to its today. Nothing is wider than the phone."""

import asyncio
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import expect

from ops.localstack import free_port
from services.routing.app import build as build_routing
from shared.events import QueueCalled, QueueData, QueueServed, QueueWalkedIn, encode
from shared.i18n.zones import WIB
from shared.settings import Settings
from tests.browser.conftest import PHONE, check_accessibility
from tests.browser.pages import go, reload_until
from tests.catalogue.test_region_examples import examples_catalogue

# make test-slow: a whole platform and a browser (kept out of make test for its time)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300), pytest.mark.slow]

REGION = "3576"
DAY = datetime.now(WIB).date()  # today at Kota Mojokerto's MPP


class Routing:
    """Routing served by uvicorn on an event loop in a thread of its own."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = build_routing(settings, examples_catalogue()[0])
        self.loop = asyncio.new_event_loop()
        config = uvicorn.Config(
            self.app, port=settings.routing_port, log_level="warning", log_config=None
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.serve())
        finally:
            self.loop.close()

    def start(self) -> "Routing":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline, "routing did not start"
            time.sleep(0.05)
        return self

    def run(self, work: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(60)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.routing_port}"


@pytest.fixture
def routing(stack: Any) -> Iterator[Routing]:
    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
        routing_port=free_port(),
        notify_url="http://127.0.0.1:9",
    )
    running = Routing(settings).start()
    yield running
    running.stop()


def ticket_steps(number: str, counter: str, given: str, called: str, served: str) -> list:
    """One SKCK ticket's steps at Kota Mojokerto's MPP, as intake announces them."""
    ticket = f"{REGION}-{DAY}-{number}"
    steps = []
    for kind, moment in ((QueueWalkedIn, given), (QueueCalled, called), (QueueServed, served)):
        data = QueueData(
            region=REGION,
            service="skck",
            day=str(DAY),
            ticket=ticket,
            number=number,
            counter=None if kind is QueueWalkedIn else counter,
            at=datetime.fromisoformat(f"{DAY}T{moment}").replace(tzinfo=WIB),
        )
        steps.append(
            kind(source="intake", subject=ticket, region=REGION, correlation_id=ticket, data=data)
        )
    return steps


def test_a_reader_chooses_the_mpp_and_a_day_and_reads_the_queue_times_on_a_phone(
    routing, browser, shots
):
    runtime = routing.app.state.runtime
    steps = ticket_steps("C-001", "loket-2", "08:05", "08:17", "08:25")
    steps += ticket_steps("C-002", "loket-4", "08:10", "08:40", "08:58")

    async def publish() -> None:
        for event in steps:
            await runtime.broker.publish(
                encode(event), runtime.topics.queue, key=event.subject.encode()
            )

    routing.run(publish())
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{routing.url}/dashboard")
    expect(page.locator("#queue-times-heading")).to_contain_text("Antrean di MPP")
    reload_until(page, "#queue-by-service td:has-text('SKCK')")
    service_row = page.locator("#queue-by-service tbody tr").first
    # Waits of 12 and 30 minutes, services of 8 and 18.
    expect(service_row).to_contain_text("21.0 / 30.0")
    expect(service_row).to_contain_text("13.0 / 18.0")
    expect(page.locator("#queue-by-counter")).to_contain_text("Loket 2")
    expect(page.locator("#queue-by-counter")).to_contain_text("Loket 4")
    expect(page.locator("#q-when")).to_contain_text("Kota Mojokerto")
    expect(page.locator("#q-when")).to_contain_text("(WIB)")
    expect(page.locator("#q-when")).to_contain_text("08.58 WIB")
    section = page.locator("#queue-times").inner_text()
    assert "loket-" not in section
    assert "skck" not in section
    assert "T08:" not in section
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the dashboard is {width}px wide"
    check_accessibility(page)
    shots(page, "dashboard-queue-times")

    go(page, "#q-before")
    assert f"antrean_tanggal={DAY - timedelta(days=1)}" in page.url
    expect(page.locator("#queue-by-service")).to_contain_text("Belum ada tiket pada hari ini.")
    go(page, "#q-after")
    expect(page.locator("#queue-by-service")).to_contain_text("21.0 / 30.0")
    go(page, "#q-region-7371")
    expect(page.locator("#q-when")).to_contain_text("Kota Makassar")
    expect(page.locator("#q-when")).to_contain_text("(WITA)")
    expect(page.locator("#queue-by-counter")).to_contain_text("Belum ada tiket pada hari ini.")
    go(page, "#q-today")
    expect(page.locator("#q-regions strong")).to_have_text("Kota Makassar")
    assert "antrean_tanggal" not in page.url
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the dashboard is {width}px wide"
    go(page, "#q-region-3576")
    expect(page.locator("#q-regions strong")).to_have_text("Kota Mojokerto")
    page.context.close()
