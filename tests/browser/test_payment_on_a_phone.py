"""Paying for an SKCK in Chromium at phone width (390 × 844), on the platform's processes
with billing on and the SIMPONI simulator: the citizen opens the application's page, sees
what to pay (Rp30.000), the billing code in groups, and until when in WIB; copies the
code with its button; the simulator pays it as a bank teller would, and the page shows
the receipt (NTPN). A regional levy's QRIS opens with its button as an image. Neither
state shows a machine word, and nothing is wider than the phone."""

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
import uvicorn
from playwright.sync_api import expect

from ops.localstack import free_port
from ops.simulators import simponi
from services.routing.payments.levies import merchant_for
from services.routing.payments.qris import dynamic_payload
from shared.catalogue import load_catalogue
from shared.events import BillChanged, BillData, encode, utcnow
from shared.ids import uuid7
from shared.topics import Topics
from tests.browser.conftest import PHONE, chromium_path
from tests.browser.pages import reload_until
from tests.browser.test_officer_signin import citizen_applies
from tests.browser.test_staff_pages_in_chromium import reads_plainly

# make test-slow: a whole platform and a browser (kept out of make test for its time)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300), pytest.mark.slow]

SECRET = "browser-simponi-secret"


class _Server(uvicorn.Server):
    """Served from a thread: signals stay with the test process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.contextmanager
def simponi_serving(port: int, callback: str) -> Iterator[str]:
    """The SIMPONI simulator on ``port``, reporting payments to ``callback``."""
    app = simponi.create_app(SECRET, callback)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = _Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the SIMPONI simulator did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def announce_levy(env: dict[str, str], application_id: str, tracking: str) -> None:
    """A regional levy's pending bill with its QRIS, as routing announces one (the SNAP
    bank that pays levies is not among the platform's processes here)."""
    number = f"LV{tracking.replace('-', '')}"
    payload = dynamic_payload(merchant_for("3576", load_catalogue()), 250000, number)
    event = BillChanged(
        source="routing",
        subject=application_id,
        region="3576",
        correlation_id=str(uuid7()),
        data=BillData(
            bill_id=str(uuid7()),
            application_id=application_id,
            tracking_number=tracking,
            service="ktp-el",
            region="3576",
            state="pending",
            amount_idr=250000,
            kind="regional_levy",
            channel="snap",
            billing_code=number,
            qris=payload,
            expires_at=utcnow() + timedelta(days=7),
        ),
    )

    async def send() -> None:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=env["MPP_KAFKA_BOOTSTRAP"])
        await producer.start()
        try:
            topic = Topics(env["MPP_NAMESPACE"]).payments
            await producer.send_and_wait(topic, encode(event), key=application_id.encode())
        finally:
            await producer.stop()

    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API holds this thread's loop
        thread.submit(asyncio.run, send()).result()


def citizen_pays_the_billing_code(page, intake: str, application_id: str, simulator: str, shots):
    page.goto(f"{intake}/portal/applications/{application_id}")
    reload_until(page, "#payment[data-state=pending]")
    expect(page.locator("#payment-amount")).to_have_text("Rp30.000")
    code = page.locator("#billing-code").inner_text()
    assert re.fullmatch(r"\d{5} \d{5} \d{5}", code), code
    expect(page.locator("#payment-due")).to_contain_text("WIB")
    reads_plainly(page)
    shots(page, "payment-due")

    page.click("#payment [data-copy]")
    expect(page.locator("#copied")).to_contain_text("Disalin: " + code.replace(" ", ""))
    assert page.evaluate("navigator.clipboard.readText()") == code.replace(" ", "")

    paid = httpx.post(f"{simulator}/v1/billing/{code.replace(' ', '')}/pay", json={}, timeout=30)
    assert paid.status_code == 200, paid.text
    reload_until(page, "#payment[data-state=paid]")
    expect(page.locator("#receipt-ntpn")).to_have_text(paid.json()["ntpn"])
    expect(page.locator("#receipt")).to_contain_text("WIB")
    assert page.locator("#payment [data-copy]").count() == 0
    reads_plainly(page)
    shots(page, "payment-receipt")


def citizen_opens_the_qris(page, intake: str, application_id: str, shots):
    page.goto(f"{intake}/portal/applications/{application_id}")
    reload_until(page, "#payment[data-state=pending] [data-channel=qris]")
    expect(page.locator("#payment-amount")).to_have_text("Rp250.000")
    expect(page.locator("#qris-image")).to_be_hidden()
    page.click("#show-qris")
    image = page.locator("#qris-image")
    expect(image).to_be_visible()
    assert "QRIS" in (image.get_attribute("alt") or "")
    drawn = "() => { const i = document.getElementById('qris-image'); return i.naturalWidth > 0; }"
    page.wait_for_function(drawn, timeout=5000)  # the drawing loads as an image
    reads_plainly(page)
    shots(page, "payment-qris")


def test_a_citizen_sees_the_bill_copies_the_code_pays_and_reads_the_receipt_on_a_phone(
    web_platform, browser, shots
):
    chromium_path()
    simponi_port = free_port()
    running = web_platform(
        MPP_PAYMENTS_BILLING="true",
        MPP_SIMPONI_URL=f"http://127.0.0.1:{simponi_port}",
        MPP_SIMPONI_SECRET=SECRET,
        MPP_PAYMENTS_SWEEP_SECONDS="0.5",
    )
    intake, routing = running.url("intake"), running.url("routing")
    callback = f"{routing}/api/v1/payments/simponi/callback"
    with simponi_serving(simponi_port, callback) as simulator:
        application_id, _tracking, auth = citizen_applies(intake, running.env)
        context = browser.new_context(viewport=PHONE)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=intake)
        token = auth["Authorization"].removeprefix("Bearer ")
        context.add_cookies([{"name": "mpp_session", "value": token, "url": intake}])
        page = context.new_page()
        citizen_pays_the_billing_code(page, intake, application_id, simulator, shots)

        other = httpx.post(
            f"{intake}/api/v1/applications",
            json={"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}},
            headers={**auth, "Idempotency-Key": str(uuid7())},
            timeout=20,
        )
        assert other.status_code == 202, other.text
        announce_levy(running.env, other.json()["id"], other.json()["tracking_number"])
        citizen_opens_the_qris(page, intake, other.json()["id"], shots)
