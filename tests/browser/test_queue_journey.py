"""A citizen's whole visit to the MPP in Chromium, on the platform's processes (identity,
intake, notify and audit, on the real broker and database): booked on the phone, reminded
the evening before and an hour before, checked in at the kiosk with the QR code the
phone shows, called by the counter officer, shown on the hall's display over
server-sent events without reloading, served, and offered the SKM survey, whose link
opens the survey page on the phone. Beside it, a booking nobody checks in is released
after its grace period and its place goes to a walk-in.

The processes read one queue clock from a file (``MPP_QUEUE_CLOCK_FILE``), which the
test moves through the day; the release sweep and the reminders look every second."""

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import segno
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, add_staff, check_accessibility
from tests.browser.pages import go
from tests.e2e.helpers import Citizen, eventually, register
from tests.integration.test_queue_building import REGION, at, queue_day

# About a minute to start the four processes and forty seconds of journey on the shared
# test machine: it runs in make test-slow; the pages have their own tests in make test.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

KIOSK, OFFICER, PASSWORD = "kios.mojokerto", "loket.mojokerto", "sandi-antrean-3576"

_MODULES = """async () => {
  // The QR code as the phone draws it, read back module by module from its pixels.
  const svg = document.querySelector('svg');
  const image = new Image();
  image.src = 'data:image/svg+xml;base64,' + btoa(new XMLSerializer().serializeToString(svg));
  await image.decode();
  const canvas = new OffscreenCanvas(image.width, image.height);
  const pen = canvas.getContext('2d');
  pen.fillStyle = '#fff'; pen.fillRect(0, 0, canvas.width, canvas.height);
  pen.drawImage(image, 0, 0);
  const rows = [];
  for (let y = 4; y < canvas.height; y += 8) {
    let row = '';
    for (let x = 4; x < canvas.width; x += 8) {
      row += pen.getImageData(x, y, 1, 1).data[0] < 128 ? '1' : '0';
    }
    rows.push(row);
  }
  return rows;
}"""


class QueueClockFile:
    """The one clock every process of the platform reads (``MPP_QUEUE_CLOCK_FILE``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def move(self, moment: datetime) -> None:
        staged = self.path.with_suffix(".new")
        staged.write_text(moment.isoformat())
        staged.replace(self.path)  # a process never reads half a moment


def modules_of(code: str) -> list[str]:
    """The dark and light modules of ``code``'s QR code, without the quiet zone."""
    return ["".join("1" if m else "0" for m in row) for row in segno.make(code, error="m").matrix]


def without_quiet_zone(rows: list[str]) -> list[str]:
    dark = [i for i, row in enumerate(rows) if "1" in row]
    columns = [i for row in rows for i, m in enumerate(row) if m == "1"]
    return [row[min(columns) : max(columns) + 1] for row in rows[dark[0] : dark[-1] + 1]]


def run(work: Any) -> Any:
    """Do a coroutine beside Playwright's own event loop (as the phone app's calls)."""
    with ThreadPoolExecutor(1) as apart:
        return apart.submit(asyncio.run, work).result()


async def citizen_books(intake: str, start: str, day: date) -> tuple[Citizen, str]:
    """A citizen registers and books ktp-el at ``start`` as the phone app does."""
    async with httpx.AsyncClient(base_url=intake, timeout=30) as phone:
        citizen = await register(phone)
        body = {"region": REGION, "service": "ktp-el", "date": str(day), "start": start}
        headers = {**citizen.headers, "Idempotency-Key": str(uuid.uuid4())}
        answer = await phone.post("/api/v1/queue/bookings", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        return citizen, str(answer.json()["code"])


async def notice_arrives(notify: str, citizen: Citizen, words: str) -> dict[str, Any]:
    """The first notice in the citizen's inbox holding ``words``, once it arrives."""

    async def inbox() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=notify, timeout=10) as phone:
            answer = await phone.get("/api/v1/notifications", headers=citizen.headers)
            return list(answer.json()["items"])

    found = await eventually(inbox, 30, lambda items: any(words in n["body"] for n in items))
    return next(n for n in found if words in n["body"])


async def booking_status(intake: str, citizen: Citizen, code: str) -> str:
    async with httpx.AsyncClient(base_url=intake, timeout=10) as phone:
        mine = (await phone.get("/api/v1/queue/bookings", headers=citizen.headers)).json()
    return next(str(b["status"]) for b in mine if b["code"] == code)


def signed_in(browser: Any, site: str, page_path: str, username: str) -> Any:
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{site}{page_path}")
    assert "/oauth/authorize?" in page.url  # the password is typed on identity's page only
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    go(page, "button:has-text('Masuk')")
    assert page.url.startswith(f"{site}{page_path}"), page.url
    return page


def walk_in(kiosk: Any) -> Any:
    """A walk-in asks the kiosk for a ktp-el number; the kiosk's page after."""
    if kiosk.locator("#next-citizen").count():
        go(kiosk, "#next-citizen")
    kiosk.select_option("#f-service", "ktp-el")
    go(kiosk, "#walk-in")
    return kiosk


@pytest.fixture
def journey(platform: Any, tmp_path: Path) -> tuple[Any, QueueClockFile]:
    clock = QueueClockFile(tmp_path / "queue-clock")
    running = platform(
        "identity",
        "intake",
        "notify",
        "audit",
        MPP_QUEUE_CLOCK_FILE=str(clock.path),
        MPP_QUEUE_RELEASE_SWEEP_SECONDS="1",
        MPP_QUEUE_REMINDER_POLL_SECONDS="1",
    )
    for username, role in ((KIOSK, "queue_kiosk"), (OFFICER, "counter_officer")):
        add_staff(running.env, username, PASSWORD, "--role", role, "--region", REGION)
    return running, clock


def test_a_citizen_books_on_the_phone_is_reminded_checked_in_by_qr_called_served_and_surveyed(
    journey, browser, shots
):
    running, clock = journey
    intake, notify = running.url("intake"), running.url("notify")
    site = running.page_url("intake")
    day = queue_day(0)
    clock.move(at(day - timedelta(days=1), "12:00"))
    citizen, code = run(citizen_books(intake, "09:00", day))
    late, late_code = run(citizen_books(intake, "10:00", day))  # never comes

    # The phone shows the booking's QR code; read back from its pixels, it is the code's.
    phone = browser.new_context(viewport=PHONE, extra_http_headers=citizen.headers).new_page()
    phone.goto(f"{intake}/api/v1/queue/bookings/{code}/qr.svg")
    shown = without_quiet_zone(phone.evaluate(_MODULES))
    assert shown == modules_of(code)
    assert shown != modules_of(late_code)
    scanned = code  # no QR decoder is installed: the code whose modules the image shows

    clock.move(at(day - timedelta(days=1), "18:00"))
    evening = run(notice_arrives(notify, citizen, "Pengingat antrean: besok"))
    assert code in evening["body"]
    assert "pukul 09.00 WIB" in evening["body"]
    clock.move(at(day, "08:00"))
    hour = run(notice_arrives(notify, citizen, "Pengingat antrean: satu jam lagi"))
    assert code in hour["body"]

    clock.move(at(day, "08:45"))
    hall = browser.new_context(viewport=PHONE).new_page()
    # The hall's screen reaches intake itself: the test's front door answers whole
    # responses only, and a stream never ends.
    hall.goto(f"{running.direct_url('intake')}/antrean/{REGION}/layar")
    expect(hall.locator("#board")).to_have_attribute("data-live", "yes")
    hall.evaluate("window.sameDocument = true")  # gone if the page ever reloads

    kiosk = signed_in(browser, site, "/antrean/kios", KIOSK)
    kiosk.locator("#f-code").type(scanned)  # the scanner types what the QR code holds
    go(kiosk, "#check-in")
    number = kiosk.locator("#ticket-number").inner_text()
    assert number.startswith("A-")

    counter = signed_in(browser, site, "/antrean/loket", OFFICER)
    counter.select_option("#f-loket", "loket-1")
    counter.check("input[name=layanan][value=ktp-el]")
    go(counter, "#call-next")
    called = time.monotonic()
    expect(counter.locator("#called-number")).to_have_text(number)
    expect(hall.locator("#latest-number")).to_have_text(number, timeout=10_000)
    print(f"\nthe hall's display showed the call {time.monotonic() - called:.2f} s after it")
    expect(hall.locator("#latest-counter")).to_have_text("Loket 1")
    assert hall.evaluate("window.sameDocument") is True
    go(counter, "#served")
    expect(counter.locator("#counter-done")).to_contain_text(f"{number} selesai dilayani")

    offered = run(notice_arrives(notify, citizen, "/surveys/"))
    link = offered["survey"]
    assert f"/surveys/{offered['application_id']}?t=" in link
    survey = browser.new_context(viewport=PHONE).new_page()  # signed out: the link alone
    survey.goto(link)
    expect(survey.locator("h1")).to_have_text("Survei Kepuasan Masyarakat")
    expect(survey.locator("#tracking")).to_have_text(number)
    expect(survey.locator("fieldset")).to_have_count(9)
    shots(survey, "queue-journey-survey")

    # The late booking: two walk-ins fill the 10:00 slot's walk-in places, a third is
    # refused; at 10:15 the booking is released and its place serves the third.
    clock.move(at(day, "10:00"))
    walk_ins = []
    for _ in range(2):
        walk_in(kiosk)
        walk_ins.append(
            (
                kiosk.locator("#ticket-number").inner_text(),
                kiosk.get_attribute("#survey-link", "href"),
            )
        )
    expect(walk_in(kiosk).locator("#walk-in-error")).to_contain_text("Kuota datang langsung")
    clock.move(at(day, "10:14"))
    time.sleep(2)  # two sweeps: not released before the grace period ends
    assert run(booking_status(intake, late, late_code)) == "active"
    clock.move(at(day, "10:15"))
    run(eventually(lambda: booking_status(intake, late, late_code), 20, "released".__eq__))
    assert walk_in(kiosk).locator("#ticket-number").inner_text().startswith("A-")
    expect(kiosk.locator("#survey-link")).to_contain_text("/surveys/")  # printed with it
    shots(kiosk, "queue-journey-walk-in-ticket")
    go(kiosk, "#next-citizen")
    kiosk.fill("#f-code", late_code)
    go(kiosk, "#check-in")
    expect(kiosk.locator("#check-in-error")).to_be_visible()
    check_accessibility(kiosk)

    # The first walk-in, served, rates the service with the link printed on the ticket.
    walked, printed = walk_ins[0]
    go(counter, "#call-next")
    expect(counter.locator("#called-number")).to_have_text(walked)
    go(counter, "#served")
    rating = browser.new_context(viewport=PHONE).new_page()

    def opened() -> bool:
        rating.goto(printed)
        return rating.locator("fieldset").count() == 9

    deadline = time.monotonic() + 20  # notify opens it when the served event arrives
    while not opened():
        assert time.monotonic() < deadline, rating.content()
        time.sleep(0.5)
    expect(rating.locator("#tracking")).to_have_text(walked)
    for element in range(1, 10):
        rating.check(f"#u{element}-4")
    go(rating, "button[type=submit]")
    expect(rating.locator("#thanks")).to_be_visible()
    for page in (phone, hall, kiosk, counter, survey, rating):
        page.context.close()
