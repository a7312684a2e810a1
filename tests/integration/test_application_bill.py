"""The bill on the citizen's application and at the counter, against the real broker and
database, with routing over real HTTP and the SIMPONI simulator paying as a teller
would: an SKCK due before the police start shows its billing code, amount, expiry and
``pending`` state in ``GET /api/v1/applications/{id}``, then ``paid`` with its NTPN. No
other citizen reads it; a counter operator of the region reads a walk-in's bill, only
read: nothing an operator sends makes a bill paid. A repeated or late bill event never
moves the bill back."""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from ops.localstack import free_port
from ops.simulators import simponi
from services.routing.app import build as build_routing
from shared.events import (
    BillChanged,
    BillData,
    RefundData,
    RefundSubmitted,
    RefundSucceeded,
    encode,
    utcnow,
)
from shared.ids import uuid7
from shared.settings import Settings
from tests.e2e.helpers import Citizen, eventually, register, sign_in, submit
from tests.integration.routing_support import http_server

SECRET = "test-simponi-secret"
PORTS = {"routing": free_port(), "simponi": free_port()}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Billing on, SIMPONI the simulator, the bill sweep quick."""
    return settings.model_copy(
        update={
            "payments_billing": True,
            "simponi_url": f"http://127.0.0.1:{PORTS['simponi']}",
            "simponi_secret": SecretStr(SECRET),
            "payments_sweep_seconds": 0.2,
        }
    )


@pytest.fixture
async def world(settings: Settings, service_app) -> AsyncIterator[dict[str, Any]]:
    """Intake (with identity) in this process, routing and the simulator over HTTP."""
    callback = f"http://127.0.0.1:{PORTS['routing']}/api/v1/payments/simponi/callback"
    routing = build_routing(settings)
    async with (
        http_server(simponi.create_app(SECRET, callback), PORTS["simponi"]) as simulator,
        http_server(routing, PORTS["routing"]),
    ):
        intake = await service_app("intake")
        yield {"intake": intake, "simulator": simulator, "routing": routing}


async def bill_in(
    intake: httpx.AsyncClient, who: Citizen, application_id: str, state: str, status: str = ""
):
    """The application's view once its bill is in ``state`` (and the application in
    ``status``: the two travel on different topics, so either may show first)."""

    async def shown() -> dict | None:
        view = await intake.get(f"/api/v1/applications/{application_id}", headers=who.headers)
        bill = view.json().get("bill")
        wanted = bill and bill["state"] == state and view.json()["status"].startswith(status)
        return view.json() if wanted else None

    return await eventually(shown, timeout=30)


async def pay(simulator: str, code: str) -> str:
    async with httpx.AsyncClient(timeout=30) as bank:
        paid = await bank.post(f"{simulator}/v1/billing/{code}/pay", json={})
    assert paid.status_code == 200, paid.text
    return paid.json()["ntpn"]


async def test_the_citizens_view_shows_the_skck_bill_pending_then_paid_with_its_ntpn(world):
    intake, simulator = world["intake"], world["simulator"]
    citizen = await register(intake)
    accepted = await submit(
        intake, citizen, service="skck", region="3576", data={"purpose": "melamar kerja"}
    )

    view = await bill_in(intake, citizen, accepted["id"], "pending", "payment_due")
    bill = view["bill"]
    assert view["status"] == "payment_due"
    assert re.fullmatch(r"[0-9]{15}", bill["reference"])
    assert (bill["amount_idr"], bill["kind"]) == (30000, "pnbp")
    assert bill["channels"] == [{"kind": "billing_code", "value": bill["reference"], "bank": None}]
    expires = datetime.fromisoformat(bill["expires_at"])
    submitted = datetime.fromisoformat(view["submitted_at"])
    assert timedelta(hours=47) < expires - submitted < timedelta(hours=49)
    assert bill["receipt"] is None

    ntpn = await pay(simulator, bill["reference"])
    paid = await bill_in(intake, citizen, accepted["id"], "paid")
    assert paid["bill"]["receipt"]["ntpn"] == ntpn
    assert paid["bill"]["receipt"]["paid_at"]
    assert paid["bill"]["channels"] == []  # nothing left to pay with
    assert paid["bill"]["reference"] == bill["reference"]

    # Another citizen learns nothing, not even that the application exists.
    stranger = await register(intake)
    theirs = await intake.get(f"/api/v1/applications/{accepted['id']}", headers=stranger.headers)
    assert theirs.status_code == 404
    assert bill["reference"] not in theirs.text
    mine = (await intake.get("/api/v1/applications", headers=stranger.headers)).json()
    assert mine == []


async def test_a_free_service_has_no_bill(world):
    intake = world["intake"]
    citizen = await register(intake)
    accepted = await submit(intake, citizen)  # a KTP-el: free
    view = await intake.get(f"/api/v1/applications/{accepted['id']}", headers=citizen.headers)
    assert view.json()["bill"] is None


async def counter_operator(intake, username: str, region: str) -> dict[str, str]:
    password = f"sandi-{username}-rahasia"
    await intake.identity.state.accounts.staff.add(username, "counter", password, region=region)
    return {"Authorization": f"Bearer {await sign_in(intake, username, password)}"}


async def test_the_counter_shows_a_walk_ins_bill_read_only_and_only_in_its_region(world):
    intake, simulator = world["intake"], world["simulator"]
    citizen = await register(intake)
    counter = await counter_operator(intake, f"loket-{uuid.uuid4().hex[:6]}", "3576")
    taken = await intake.post(
        "/api/v1/applications",
        json={
            "service": "skck",
            "region": "3576",
            "channel": "counter",
            "citizen_nik": citizen.nik,
            "data": {"purpose": "melamar kerja"},
        },
        headers={**counter, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert taken.status_code == 202, taken.text
    url = f"/api/v1/applications/{taken.json()['id']}/bill"

    async def pending() -> dict | None:
        shown = await intake.get(url, headers=counter)
        return shown.json() if shown.status_code == 200 else None

    bill = await eventually(pending, timeout=30, until=lambda b: b and b["state"] == "pending")
    assert bill["amount_idr"] == 30000
    assert bill["channels"][0]["kind"] == "billing_code"
    # The citizen reads the same bill on their own phone, in the view and on its own.
    own = await bill_in(intake, citizen, taken.json()["id"], "pending")
    assert own["bill"]["reference"] == bill["reference"]
    assert (await intake.get(url, headers=citizen.headers)).json() == bill

    # An operator cannot call it paid, whatever they send.
    claimed = {"state": "paid", "receipt": {"ntpn": "0A1B2C3D4E5F6071"}}
    for method in ("POST", "PUT", "PATCH"):
        answer = await intake.request(method, url, json=claimed, headers=counter)
        assert answer.status_code == 405
    forged = await intake.post(
        "/api/v1/payments/simponi/callback",
        json={"billing_code": bill["reference"], "amount": 30000, "ntpn": "0A1B2C3D4E5F6071"},
        headers=counter,
    )
    assert forged.status_code == 404  # intake has no payment door at all
    assert (await intake.get(url, headers=counter)).json()["state"] == "pending"

    # Another region's operator and another citizen learn nothing.
    elsewhere = await counter_operator(intake, f"loket-{uuid.uuid4().hex[:6]}", "3514")
    assert (await intake.get(url, headers=elsewhere)).status_code == 404
    stranger = await register(intake)
    assert (await intake.get(url, headers=stranger.headers)).status_code == 404
    assert (await intake.get(f"{url}/qris.svg", headers=counter)).status_code == 404  # PNBP

    # Paid only through the bank's signed report; the counter then sees the receipt.
    ntpn = await pay(simulator, bill["reference"])

    async def paid() -> dict | None:
        shown = (await intake.get(url, headers=counter)).json()
        return shown if shown["state"] == "paid" else None

    assert (await eventually(paid, timeout=30))["receipt"]["ntpn"] == ntpn


def bill_event(application: dict, bill_id: str, state: str, **data: Any) -> BillChanged:
    return BillChanged(
        source="routing",
        subject=application["id"],
        region="3576",
        correlation_id="bill-order-test",
        data=BillData(
            bill_id=bill_id,
            application_id=application["id"],
            tracking_number=application["tracking_number"],
            service="skck",
            region="3576",
            state=state,
            amount_idr=30000,
            kind="pnbp",
            channel="simponi",
            billing_code="820261207000123",
            **data,
        ),
    )


async def test_a_repeated_or_late_bill_event_never_moves_the_bill_back(service_app):
    intake = await service_app("intake")
    citizen = await register(intake)
    accepted = await submit(intake, citizen)
    runtime = intake.app.state.runtime
    older, newer = str(uuid7()), str(uuid7())
    paid_at = utcnow()
    events = [
        bill_event(accepted, older, "pending"),
        bill_event(accepted, newer, "pending"),
        bill_event(accepted, newer, "paid", ntpn="0A1B2C3D4E5F6071", paid_at=paid_at),
        bill_event(accepted, newer, "pending"),  # redelivered after the payment
        bill_event(accepted, older, "expired"),  # the older bill's late news
    ]
    for event in events:  # one key: one partition, read in this order
        key = accepted["id"].encode()
        await runtime.broker.publish(encode(event), runtime.topics.payments, key=key)
    view = await bill_in(intake, citizen, accepted["id"], "paid")
    assert view["bill"]["id"] == newer
    assert view["bill"]["receipt"]["ntpn"] == "0A1B2C3D4E5F6071"
    await asyncio.sleep(2)  # the two events after the payment are read by now
    again = await intake.get(f"/api/v1/applications/{accepted['id']}", headers=citizen.headers)
    assert again.json()["bill"]["state"] == "paid"
    assert again.json()["bill"]["id"] == newer


def refund_event(application: dict[str, Any], bill_id: str, refund_id: str, kind: type, state: str):
    return kind(
        source="routing",
        subject=application["id"],
        correlation_id=application["id"],
        data=RefundData(
            refund_id=refund_id,
            bill_id=bill_id,
            application_id=application["id"],
            tracking_number=application["tracking_number"],
            service="skck",
            region="3576",
            state=state,
            amount_idr=10000,
            refundable_idr=20000,
            reason="layanan tidak dapat diberikan",
            by="keuangan-3576",
        ),
    )


async def test_a_refund_reaches_the_citizens_bill_and_a_late_submitted_never_undoes_it(
    service_app,
):
    intake = await service_app("intake")
    citizen, stranger = await register(intake), await register(intake)
    accepted = await submit(intake, citizen)
    runtime = intake.app.state.runtime
    bill_id, refund_id = str(uuid7()), str(uuid7())
    events = [
        bill_event(accepted, bill_id, "paid", ntpn="0A1B2C3D4E5F6071", paid_at=utcnow()),
        refund_event(accepted, bill_id, refund_id, RefundSubmitted, "submitted"),
        refund_event(accepted, bill_id, refund_id, RefundSucceeded, "success"),
        refund_event(accepted, bill_id, refund_id, RefundSubmitted, "submitted"),  # again
        refund_event(accepted, bill_id, refund_id, RefundSucceeded, "success"),  # again
        refund_event(accepted, str(uuid7()), str(uuid7()), RefundSucceeded, "success"),
    ]
    for event in events:
        key = accepted["id"].encode()
        await runtime.broker.publish(encode(event), runtime.topics.payments, key=key)
    url = f"/api/v1/applications/{accepted['id']}"

    async def refunds() -> list[dict[str, Any]]:
        view = (await intake.get(url, headers=citizen.headers)).json()
        return (view.get("bill") or {}).get("refunds") or []

    await eventually(
        refunds, timeout=30, until=lambda found: found and found[0]["state"] == "success"
    )
    await asyncio.sleep(2)  # the replays after the bank's answer are read by now
    shown = await refunds()
    assert [(r["id"], r["amount_idr"], r["state"]) for r in shown] == [
        (refund_id, 10000, "success")
    ], "one refund, returned; another bill's refund is not this bill's"
    assert (await intake.get(url, headers=stranger.headers)).status_code == 404


async def test_a_levys_qris_is_served_as_an_image_to_its_citizen_only(service_app):
    intake = await service_app("intake")
    citizen, stranger = await register(intake), await register(intake)
    accepted = await submit(intake, citizen)
    runtime = intake.app.state.runtime
    payload = "00020101021226570011ID.CO.BPD.WWW0118936003576000000000063041234"
    levy = bill_event(accepted, str(uuid7()), "pending", qris=payload)
    levy = levy.model_copy(update={"data": levy.data.model_copy(update={"kind": "regional_levy"})})
    await runtime.broker.publish(encode(levy), runtime.topics.payments, key=accepted["id"].encode())
    view = await bill_in(intake, citizen, accepted["id"], "pending")
    assert view["bill"]["channels"] == [{"kind": "qris", "value": payload, "bank": None}]

    url = f"/api/v1/applications/{accepted['id']}/bill/qris.svg"
    image = await intake.get(url, headers=citizen.headers)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/svg+xml"
    assert image.text.startswith("<?xml")
    assert 'xmlns="http://www.w3.org/2000/svg"' in image.text
    assert accepted["tracking_number"] in image.text  # its title, for a screen reader
    assert (await intake.get(url, headers=stranger.headers)).status_code == 404
