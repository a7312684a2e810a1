"""The dashboard's payment totals against the real database and broker, with SKCK bills
made by routing and paid through the SIMPONI simulator: three bills in Kabupaten
Pasuruan, one paid, one expired by the sweep, one still owed, are exactly what the
payments store's aggregation counts per service, agency and local day, and what the
public dashboard shows in rupiah; a refund the bank confirmed is counted as refunded."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from services.routing.payments.totals import PaymentTotals
from shared.events import utcnow
from tests.integration.test_payments_simponi import pay, skck, stored, world

WIB = ZoneInfo("Asia/Jakarta")


async def test_the_totals_per_service_agency_and_day_match_the_bills_made_and_paid(stack):
    async with world(stack) as (app, url, simulator):
        db = app.state.runtime.db
        (_a, paid), (_b, expiring), (_c, _owed) = [await skck(app) for _ in range(3)]
        assert (await pay(simulator, paid["billing_code"])).status_code == 200
        await stored(app, "bills", {"_id": paid["_id"]}, lambda b: b["state"] == "paid")
        await db["bills"].update_one(
            {"_id": expiring["_id"]}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}}
        )
        await stored(app, "bills", {"_id": expiring["_id"]}, lambda b: b["state"] == "expired")
        await db["refunds"].insert_one(  # as a refund the bank confirmed is stored
            {
                "_id": "refund-1",
                "bill_id": paid["_id"],
                "region": "3514",
                "amount_idr": 10000,
                "state": "success",
                "updated_at": utcnow(),
            }
        )
        catalogue = app.state.runtime.catalogue
        today = utcnow().astimezone(WIB).date()

        totals = await PaymentTotals(db).read(
            today - timedelta(days=1),
            catalogue.zone_of,
            lambda service, region: catalogue.agency_for(service, region).code,
        )
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            page = await client.get("/dashboard")

        expected_count = {"billed": 3, "paid": 1, "expired": 1, "refunded": 1}
        expected_amount = {"billed": 90000, "paid": 30000, "expired": 30000, "refunded": 10000}
        assert totals.overall.count == expected_count
        assert totals.overall.amount_idr == expected_amount
        assert set(totals.by_service) == {"skck"}
        assert totals.by_service["skck"].count == expected_count
        assert set(totals.by_agency) == {"polres-3514"}
        assert totals.by_agency["polres-3514"].amount_idr == expected_amount
        assert set(totals.by_day) == {today}
        assert page.status_code == 200
        section = page.text[page.text.index('id="payments"') :]
        assert 'id="payments-billed">Rp90.000<' in section
        assert 'id="payments-paid">Rp30.000<' in section
        assert 'id="payments-refunded">Rp10.000<' in section
        assert "Kepolisian Resor Kabupaten Pasuruan" in section
        assert "3 · Rp90.000" in section


async def test_the_totals_leave_out_what_was_billed_before_the_window(stack):
    async with world(stack) as (app, _url, _simulator):
        db = app.state.runtime.db
        _a, bill = await skck(app)
        await db["bills"].update_one(
            {"_id": bill["_id"]}, {"$set": {"created_at": utcnow() - timedelta(days=40)}}
        )
        catalogue = app.state.runtime.catalogue
        today = utcnow().astimezone(WIB).date()

        totals = await PaymentTotals(db).read(
            today - timedelta(days=29), catalogue.zone_of, lambda _s, _r: None
        )

        assert totals.overall.count["billed"] == 0
