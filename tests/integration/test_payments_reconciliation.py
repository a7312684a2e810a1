"""Reconciliation against the real database and broker: SKCK bills paid through the
SIMPONI simulator, then the day's settlement file imported with ``mpp payments
reconcile``. A file with one entry the platform never billed and without one bill paid
that day finds exactly those two; importing it again adds nothing; a wrong amount is
found; and only the region's own finance officer reads the findings over the API."""

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from services.routing.payments.reconciliation import SETTLEMENT_ZONE
from shared.auth import issue_token
from tests.integration.routing_support import run_cli
from tests.integration.test_payments_simponi import pay, skck, stored, world

HEADER = "settlement_date,channel,billing_code,amount_idr,receipt,ntb,paid_at\n"


async def paid_skck(app: Any, simulator: str) -> dict:
    """An SKCK bill in Kabupaten Pasuruan, paid at the simulated bank."""
    _application_id, bill = await skck(app)
    answer = await pay(simulator, bill["billing_code"])
    assert answer.status_code == 200, answer.text
    return await stored(app, "bills", {"_id": bill["_id"]}, lambda b: b["state"] == "paid")


def day_of(bill: dict) -> date:
    return bill["receipt"]["paid_at"].astimezone(SETTLEMENT_ZONE).date()


def line(bill: dict, amount: int | None = None, code: str | None = None) -> str:
    receipt = bill["receipt"]
    return (
        f"{day_of(bill).isoformat()},simponi,{code or bill['billing_code']},"
        f"{amount or bill['amount_idr']},{receipt['ntpn']},{receipt['ntb'] or ''},"
        f"{receipt['paid_at'].isoformat()}\n"
    )


async def reconcile(stack: Any, app: Any, path: Path, text: str) -> tuple[int, str]:
    await asyncio.to_thread(path.write_text, text)
    namespace = app.state.runtime.settings.namespace
    return await run_cli(stack, namespace, "payments", "reconcile", str(path))


async def findings(app: Any) -> list[dict]:
    collection = app.state.runtime.db["reconciliation_findings"]
    return await collection.find({}).sort("kind").to_list(None)


async def test_an_unknown_settled_entry_and_a_missing_paid_bill_are_exactly_the_two_findings(
    stack, tmp_path
):
    async with world(stack) as (app, _url, simulator):
        settled, missing = await paid_skck(app, simulator), await paid_skck(app, simulator)
        unknown = line(settled, code="999000111222333").replace(
            settled["receipt"]["ntpn"], "ZZZZ000011112222"
        )
        text = HEADER + line(settled) + unknown

        code, output = await reconcile(stack, app, tmp_path / "simponi.csv", text)

        assert code == 1, output
        assert "paid but unmatched" in output
        assert "matched but unsettled" in output
        found = await findings(app)
        assert [(f["kind"], f["reason"]) for f in found] == [
            ("unmatched", "no_bill"),
            ("unsettled", "not_in_file"),
        ]
        assert found[0]["billing_code"] == "999000111222333"
        assert found[1]["bill_id"] == missing["_id"]
        assert (found[1]["region"], found[1]["agency"]) == ("3514", "polres-3514")
        run = await app.state.runtime.db["reconciliation_runs"].find_one({})
        assert (run["entries"], run["matched"]) == (2, 1)
        (total,) = run["totals"]
        assert (total["service"], total["agency"], total["count"]) == ("skck", "polres-3514", 1)
        assert total["amount_idr"] == settled["amount_idr"]


async def test_importing_the_same_settlement_file_twice_keeps_the_same_findings(stack, tmp_path):
    async with world(stack) as (app, _url, simulator):
        settled, _missing = await paid_skck(app, simulator), await paid_skck(app, simulator)
        text = HEADER + line(settled) + line(settled, code="999000111222333")
        first_code, _ = await reconcile(stack, app, tmp_path / "a.csv", text)
        first = await findings(app)

        again_code, output = await reconcile(stack, app, tmp_path / "a.csv", text)

        assert first_code == again_code == 1, output
        again = await findings(app)
        assert len(again) == 2
        assert [f["_id"] for f in again] == [f["_id"] for f in first]
        assert [f["found_at"] for f in again] == [f["found_at"] for f in first]
        assert await app.state.runtime.db["reconciliation_runs"].count_documents({}) == 2


async def test_an_entry_settled_for_another_amount_is_an_amount_mismatch(stack, tmp_path):
    async with world(stack) as (app, _url, simulator):
        bill = await paid_skck(app, simulator)
        text = HEADER + line(bill, amount=bill["amount_idr"] - 5000)

        code, output = await reconcile(stack, app, tmp_path / "amount.csv", text)

        assert code == 1, output
        (finding,) = await findings(app)
        assert finding["kind"] == "amount"
        assert (finding["amount_settled_idr"], finding["amount_billed_idr"]) == (25000, 30000)

        corrected, output = await reconcile(
            stack, app, tmp_path / "amount.csv", HEADER + line(bill)
        )
        assert corrected == 0, output
        assert await findings(app) == []


async def test_only_the_regions_own_finance_officer_reads_its_reconciliation(stack, tmp_path):
    async with world(stack) as (app, url, simulator):
        settled, missing = await paid_skck(app, simulator), await paid_skck(app, simulator)
        await reconcile(stack, app, tmp_path / "day.csv", HEADER + line(settled))
        settings = app.state.runtime.settings
        day = day_of(settled).isoformat()

        def bearer(subject: str, role: str, region: str | None) -> dict[str, str]:
            token, _ = issue_token(settings, subject, (role,), region=region)
            return {"Authorization": f"Bearer {token}"}

        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            path = "/api/v1/payments/reconciliation"
            own = await client.get(
                path,
                params={"date": day},
                headers=bearer("keu.pasuruan", "finance_officer", "3514"),
            )
            other = bearer("keu.makassar", "finance_officer", "7371")
            elsewhere = await client.get(path, params={"date": day}, headers=other)
            asked = await client.get(path, params={"date": day, "region": "3514"}, headers=other)
            citizen = await client.get(
                path, params={"date": day}, headers=bearer("warga-1", "citizen", None)
            )
            stranger = await client.get(path, params={"date": day})

        assert own.status_code == 200, own.text
        (finding,) = own.json()["findings"]
        assert (finding["kind"], finding["bill_id"]) == ("unsettled", missing["_id"])
        assert own.json()["totals"][0]["count"] == 1
        assert elsewhere.status_code == 200
        assert elsewhere.json()["findings"] == []
        assert elsewhere.json()["totals"] == []
        assert asked.status_code == 403
        assert asked.headers["content-type"].startswith("application/problem+json")
        assert citizen.status_code == 403
        assert stranger.status_code == 401
