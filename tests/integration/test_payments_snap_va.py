"""A PBG's regional levy paid to its virtual account at the region's bank, through the
SNAP bank simulator, against the real broker and database: the bill offers the account
beside its QRIS; the bank's inquiry answers what it owes, or SNAP's not-found, expired
and paid codes; the payment applies once however often it comes; a payment after the
expiry, of another amount, or signed with another secret is refused with SNAP's code."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from shared.events import BillChanged, PaymentRefused, utcnow
from tests.e2e.helpers import eventually
from tests.integration.routing_support import read_events
from tests.integration.test_payments_snap_qris import approved_pbg, world


async def pay_va(bank: str, account: str, **plan: Any) -> dict:
    async with httpx.AsyncClient(timeout=30) as client:
        paid = await client.post(f"{bank}/v1/va/pay", json={"virtual_account": account, **plan})
    assert paid.status_code == 200, paid.text
    return paid.json()


async def bill_now(app: Any, bill: dict) -> dict:
    return await app.state.runtime.db["bills"].find_one({"_id": bill["_id"]})


async def expire(app: Any, bill: dict) -> None:
    bills = app.state.runtime.db["bills"]
    await bills.update_one(
        {"_id": bill["_id"]}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}}
    )
    await eventually(
        lambda: bills.find_one({"_id": bill["_id"]}),
        timeout=20,
        until=lambda found: found["state"] == "expired",
    )


async def test_a_levy_offers_a_virtual_account_beside_its_qris_and_the_bank_pays_it(stack):
    async with world(stack) as (app, client, bank):
        application_id, bill, headers = await approved_pbg(app, client)
        account = bill["virtual_account"]
        assert account == "9" + bill["billing_code"]
        assert len(account) == 17

        paid = await pay_va(bank, account)
        inquiry = paid["inquiry"]
        assert inquiry["status"] == 200
        assert inquiry["body"]["responseCode"] == "2002400"
        owed = inquiry["body"]["virtualAccountData"]
        assert owed["totalAmount"] == {"value": "725000.00", "currency": "IDR"}
        assert owed["virtualAccountName"] == f"RETRIBUSI PBG {bill['tracking_number']}"
        (answer,) = paid["answers"]
        assert answer["status"] == 200
        assert answer["body"]["responseCode"] == "2002500"
        assert (await bill_now(app, bill))["receipt"]["reference"] == paid["payment_request_id"]

        url = f"/api/v1/agency/applications/{application_id}/transitions"
        done = await client.post(url, json={"to": "completed"}, headers=headers)
        assert done.status_code == 200, done.text
        runtime = app.state.runtime
        events = await read_events(
            runtime.settings.kafka_bootstrap,
            runtime.topics.payments,
            lambda found: any(isinstance(e, BillChanged) and e.data.state == "paid" for e in found),
        )
        (pending,) = [e for e in events if isinstance(e, BillChanged) and e.data.state == "pending"]
        kinds = {channel.kind: channel.code for channel in pending.data.channels}
        assert kinds == {"qris": bill["qris"], "virtual_account": account}


async def test_the_same_virtual_account_payment_five_times_pays_once_and_answers_alike(stack):
    async with world(stack) as (app, client, bank):
        application_id, bill, _headers = await approved_pbg(app, client)
        paid = await pay_va(bank, bill["virtual_account"], repeat=5)
        answers = paid["answers"]
        assert [a["status"] for a in answers] == [200] * 5
        assert len({str(a["body"]) for a in answers}) == 1
        runtime = app.state.runtime
        events = await read_events(
            runtime.settings.kafka_bootstrap,
            runtime.topics.payments,
            lambda found: any(isinstance(e, BillChanged) and e.data.state == "paid" for e in found),
        )
        states = [e.data.state for e in events if e.subject == application_id]
        assert states == ["created", "pending", "paid"]


async def test_the_inquiry_answers_snaps_codes_for_an_unknown_a_paid_and_an_expired_account(
    stack,
):
    async with world(stack) as (app, client, bank):
        _application_id, paid_bill, _headers = await approved_pbg(app, client)
        _other_id, late_bill, _other_headers = await approved_pbg(app, client)
        unknown = await pay_va(bank, "93514000000000001", amount=1000)
        assert unknown["inquiry"]["body"]["responseCode"] == "4042412"
        assert unknown["answers"][0]["body"]["responseCode"] == "4042512"

        await pay_va(bank, paid_bill["virtual_account"])
        again = await pay_va(bank, paid_bill["virtual_account"], amount=725000)
        assert again["inquiry"]["status"] == 404
        assert again["inquiry"]["body"]["responseCode"] == "4042414"
        assert again["answers"][0]["body"]["responseCode"] == "4042514"
        assert (await bill_now(app, paid_bill))["receipt"]["reference"] != again[
            "payment_request_id"
        ]

        await expire(app, late_bill)
        late = await pay_va(bank, late_bill["virtual_account"], amount=725000)
        assert late["inquiry"]["body"]["responseCode"] == "4042419"


async def test_a_virtual_account_payment_after_the_expiry_is_refused_and_recorded(stack):
    async with world(stack) as (app, client, bank):
        application_id, bill, _headers = await approved_pbg(app, client)
        await expire(app, bill)
        paid = await pay_va(bank, bill["virtual_account"], amount=725000, inquire=False)
        (answer,) = paid["answers"]
        assert answer["status"] == 404
        assert answer["body"]["responseCode"] == "4042519"
        runtime = app.state.runtime
        events = await read_events(
            runtime.settings.kafka_bootstrap,
            runtime.topics.payments,
            lambda found: any(isinstance(e, PaymentRefused) for e in found),
        )
        (refused,) = [e for e in events if isinstance(e, PaymentRefused)]
        assert (refused.subject, refused.data.answer_code) == (application_id, "expired")
        assert refused.data.channel == "snap-va"
        assert (await bill_now(app, bill))["state"] == "expired"


async def test_a_virtual_account_payment_of_another_amount_is_refused_and_the_bill_waits(stack):
    async with world(stack) as (app, client, bank):
        _application_id, bill, _headers = await approved_pbg(app, client)
        paid = await pay_va(bank, bill["virtual_account"], amount=700000, inquire=False)
        (answer,) = paid["answers"]
        assert (answer["status"], answer["body"]["responseCode"]) == (404, "4042513")
        assert (await bill_now(app, bill))["state"] == "pending"


async def test_a_virtual_account_payment_signed_with_another_secret_is_refused(stack):
    async with world(stack) as (app, client, bank):
        _application_id, bill, _headers = await approved_pbg(app, client)
        paid = await pay_va(bank, bill["virtual_account"], signature="bad")
        (answer,) = paid["answers"]
        assert (answer["status"], answer["body"]["responseCode"]) == (401, "4012500")
        assert (await bill_now(app, bill))["state"] == "pending"


async def test_a_payment_inquired_before_the_expiry_but_reported_after_it_is_refused(stack):
    async with world(stack) as (app, client, bank):
        _application_id, bill, _headers = await approved_pbg(app, client)
        paying = asyncio.create_task(pay_va(bank, bill["virtual_account"], delay_seconds=4))
        await asyncio.sleep(1)  # the inquiry is answered meanwhile
        await expire(app, bill)
        paid = await paying
        assert paid["inquiry"]["body"]["responseCode"] == "2002400"
        (answer,) = paid["answers"]
        assert (answer["status"], answer["body"]["responseCode"]) == (404, "4042519")
        assert (await bill_now(app, bill))["state"] == "expired"
