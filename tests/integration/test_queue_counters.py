"""The MPP's counters as the region's package declares them, against the real database
and broker: an officer calls only from a declared counter and only its services, the
counter's page offers the declared counters, and a counter of another region — Kota
Makassar's, in the same catalogue — is no counter of Kota Mojokerto's MPP."""

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from shared.settings import Settings
from tests.catalogue.test_region_examples import examples_catalogue
from tests.front_door import start_intake
from tests.integration.test_queue_building import REGION, at, hall_of, queue_day, staff
from tests.integration.test_queue_pages import post_form, signed_in_as
from tests.regions import serve_catalogue

pytestmark = pytest.mark.integration

MAKASSAR = "7371"
UNDECLARED = "Loket tidak terdaftar / Counter not declared"


@pytest.fixture
async def platform(
    stack: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """Intake (identity beside it) serving the demo regions and Makassar's example package."""
    catalogue, _ = examples_catalogue()
    serve_catalogue(monkeypatch, catalogue)
    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
    )
    async with AsyncExitStack() as running:
        yield await start_intake(running, settings), settings


async def call(intake: httpx.AsyncClient, officer: dict, counter: str, *services: str):
    body: dict[str, Any] = {"counter": counter}
    if services:
        body["services"] = list(services)
    return await intake.post("/api/v1/queue/calls", json=body, headers=officer)


async def test_an_officer_calls_only_from_a_declared_counter_and_only_its_services(platform):
    intake, settings = platform
    day, hall = queue_day(2), hall_of(intake)
    hall.clock.moved_to = at(day, "09:05")
    kiosk, officer = staff(settings, "queue_kiosk"), staff(settings, "counter_officer")
    given = await intake.post("/api/v1/queue/walk-ins", json={"service": "ktp-el"}, headers=kiosk)
    assert given.status_code == 201, given.text
    ticket = given.json()

    listed = await intake.get("/api/v1/queue/counters", headers=officer)
    assert listed.status_code == 200, listed.text
    assert [(c["id"], c["label"]) for c in listed.json()][:2] == [
        ("loket-1", "Loket 1"),
        ("loket-2", "Loket 2"),
    ]
    assert {"id": "loket-3", "label": "Loket 3", "services": ["perpanjangan-sim"]} in listed.json()

    # Loket 3 calls only driving licences: the KTP-el ticket is not its to call.
    assert (await call(intake, officer, "loket-3")).status_code == 204
    refused = await call(intake, officer, "loket-3", "ktp-el")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["title"] == "Bukan layanan loket ini / Not this counter's service"
    for undeclared in ("loket-9", "disdukcapil-1"):  # none, and Makassar's counter
        answer = await call(intake, officer, undeclared)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["title"] == UNDECLARED
        assert f"{undeclared} bukan loket MPP ini" in answer.json()["detail"]
    waiting = await hall.tickets.find(REGION, ticket["id"])
    assert waiting is not None
    assert waiting["status"] == "waiting"

    # Loket 5 calls KTP-el and Kartu Keluarga: with no service named, both.
    called = await call(intake, officer, "loket-5")
    assert called.status_code == 200, called.text
    assert (called.json()["id"], called.json()["counter"]) == (ticket["id"], "loket-5")


async def test_a_makassar_officer_cannot_call_from_a_mojokerto_counter_nor_reach_its_tickets(
    platform,
):
    intake, settings = platform
    day, hall = queue_day(3), hall_of(intake)
    hall.clock.moved_to = at(day, "10:05")
    kiosk = staff(settings, "queue_kiosk")
    given = await intake.post("/api/v1/queue/walk-ins", json={"service": "ktp-el"}, headers=kiosk)
    assert given.status_code == 201, given.text
    makassar = staff(settings, "counter_officer", MAKASSAR)

    listed = await intake.get("/api/v1/queue/counters", headers=makassar)
    assert [c["id"] for c in listed.json()] == ["disdukcapil-1", "disdukcapil-2", "disdukcapil-3"]
    for mojokerto_counter in ("loket-5", "loket-1"):
        answer = await call(intake, makassar, mojokerto_counter, "ktp-el")
        assert answer.status_code == 422, answer.text
        assert answer.json()["title"] == UNDECLARED
    own = await call(intake, makassar, "disdukcapil-1")
    assert own.status_code == 204  # nobody waits in Makassar; Mojokerto's ticket is not its
    kept = await hall.tickets.find(REGION, given.json()["id"])
    assert kept is not None
    assert kept["status"] == "waiting"

    # Makassar's own ticket, called from its own counter: the hall reads the label.
    makassar_kiosk = staff(settings, "queue_kiosk", MAKASSAR)
    theirs = await intake.post(
        "/api/v1/queue/walk-ins", json={"service": "ktp-el"}, headers=makassar_kiosk
    )
    assert theirs.status_code == 201, theirs.text
    called = await call(intake, makassar, "disdukcapil-1")
    assert (called.json()["id"], called.json()["counter"]) == (theirs.json()["id"], "disdukcapil-1")
    board = await intake.get(f"/antrean/{MAKASSAR}/layar")
    assert 'id="latest-counter">Loket 1 Disdukcapil<' in board.text


async def test_the_counter_page_offers_the_declared_counters_and_refuses_another(platform):
    intake, settings = platform
    day, hall = queue_day(4), hall_of(intake)
    hall.clock.moved_to = at(day, "11:05")
    kiosk, officer = staff(settings, "queue_kiosk"), staff(settings, "counter_officer")
    given = await intake.post("/api/v1/queue/walk-ins", json={"service": "skck"}, headers=kiosk)
    assert given.status_code == 201, given.text

    async with signed_in_as(intake, officer) as browser:
        page = await browser.get("/antrean/loket")
        assert page.status_code == 200
        assert '<option value="loket-4">Loket 4: Kartu Keluarga' in page.text
        assert "disdukcapil" not in page.text
        form = {"loket": "disdukcapil-2", "layanan": "skck"}
        foreign = await post_form(browser, "/antrean/loket", "/antrean/loket/panggil", **form)
        assert foreign.status_code == 422
        assert UNDECLARED in foreign.text
        form = {"loket": "loket-4"}  # no service ticked: all of Loket 4's
        called = await post_form(browser, "/antrean/loket", "/antrean/loket/panggil", **form)
        assert called.status_code == 303, called.text
        shown = await browser.get(called.headers["location"])
    assert "<h1>Loket 4</h1>" in shown.text
    assert f'id="called-number">{given.json()["number"]}<' in shown.text
    assert '<option value="loket-4" selected>' in shown.text
