"""Refunds of a paid PBG levy, asked by the region's finance officer and made by the SNAP
bank simulator, against the real broker and database: part then the rest and never
more, two refunds at once never beyond the paid amount, a replayed Idempotency-Key
answered with the same refund and refused with another body, another region's officer
and a citizen refused, a refusal by the bank giving the amount back, and a bank that
does not answer leaving the refund submitted until the same key asks again."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from ops.localstack import free_port
from ops.simulators import snap_bank
from shared.auth import issue_token
from shared.events import RefundFailed, RefundSubmitted, RefundSucceeded
from tests.integration.routing_support import http_server, read_events, running_routing
from tests.integration.test_payments_snap_qris import approved_pbg, levy_catalogue


@contextlib.asynccontextmanager
async def world(stack: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient, str]]:
    """Routing with billing on and the bank simulator both ways: it pays levies to
    routing and takes routing's refunds."""
    routing_port, bank_port = free_port(), free_port()
    bank_url = f"http://127.0.0.1:{bank_port}"
    bank = snap_bank.create_app(
        f"http://127.0.0.1:{routing_port}", "local-bank", "local-snap-secret"
    )
    async with (
        http_server(bank, bank_port),
        running_routing(
            stack,
            routing_port,
            catalogue=levy_catalogue(),
            payments_billing=True,
            payments_sweep_seconds=0.2,
            snap_bank_url=bank_url,
            snap_timeout_seconds=2,
        ) as (app, url),
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield app, client, bank_url


async def paid_levy(app: Any, client: httpx.AsyncClient, bank: str) -> dict:
    """A PBG levy of Rp725.000 in Kabupaten Pasuruan, paid to its virtual account."""
    _application_id, bill, _headers = await approved_pbg(app, client)
    async with httpx.AsyncClient(timeout=30) as plain:
        paid = await plain.post(
            f"{bank}/v1/va/pay", json={"virtual_account": bill["virtual_account"]}
        )
    assert paid.json()["answers"][0]["status"] == 200, paid.text
    return bill


def bearer(app: Any, subject: str, role: str, region: str | None) -> dict[str, str]:
    token, _ = issue_token(app.state.runtime.settings, subject, (role,), region=region)
    return {"Authorization": f"Bearer {token}"}


def officer(app: Any, key: str, region: str = "3514") -> dict[str, str]:
    return {**bearer(app, f"keu.{region}", "finance_officer", region), "Idempotency-Key": key}


async def refund(
    client: httpx.AsyncClient, bill: dict, headers: dict, amount: int, reason: str = "dobel bayar"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/payments/bills/{bill['_id']}/refunds",
        json={"amount_idr": amount, "reason": reason},
        headers=headers,
    )


async def bank_state(bank: str) -> tuple[dict, list]:
    async with httpx.AsyncClient(timeout=10) as plain:
        stats = (await plain.get(f"{bank}/v1/stats")).json()
        made = (await plain.get(f"{bank}/v1/refunds")).json()
    return stats, made


async def test_a_finance_officer_refunds_part_then_the_rest_and_never_more(stack):
    async with world(stack) as (app, client, bank):
        bill = await paid_levy(app, client, bank)
        part = await refund(client, bill, officer(app, "k-1"), 200000)
        assert part.status_code == 201, part.text
        assert (part.json()["state"], part.json()["refundable_idr"]) == ("success", 525000)
        rest = await refund(client, bill, officer(app, "k-2"), 525000)
        assert (rest.json()["state"], rest.json()["refundable_idr"]) == ("success", 0)
        more = await refund(client, bill, officer(app, "k-3"), 1)
        assert more.status_code == 422, more.text
        assert more.json()["code"] == "above_refundable"

        _stats, made = await bank_state(bank)
        assert sorted(r["amount"] for r in made) == [200000, 525000]
        listed = await client.get(
            f"/api/v1/payments/bills/{bill['_id']}/refunds",
            headers=bearer(app, "keu.3514", "finance_officer", "3514"),
        )
        assert listed.json()["refundable_idr"] == 0
        assert [r["amount_idr"] for r in listed.json()["refunds"]] == [200000, 525000]
        runtime = app.state.runtime
        events = await read_events(
            runtime.settings.kafka_bootstrap,
            runtime.topics.payments,
            lambda found: sum(isinstance(e, RefundSucceeded) for e in found) == 2,
        )
        kinds = [type(e) for e in events if isinstance(e, RefundSubmitted | RefundSucceeded)]
        assert kinds.count(RefundSubmitted) == 2
        assert kinds.count(RefundSucceeded) == 2


async def test_two_refunds_at_once_never_take_more_than_was_paid(stack):
    async with world(stack) as (app, client, bank):
        bill = await paid_levy(app, client, bank)
        answers = await asyncio.gather(
            refund(client, bill, officer(app, "a"), 500000),
            refund(client, bill, officer(app, "b"), 500000),
        )
        assert sorted(a.status_code for a in answers) == [201, 422]
        _stats, made = await bank_state(bank)
        assert [r["amount"] for r in made] == [500000]
        stored = await app.state.runtime.db["bills"].find_one({"_id": bill["_id"]})
        assert stored["refundable_idr"] == 225000


async def test_a_replayed_key_answers_the_same_refund_and_another_body_under_it_is_refused(
    stack,
):
    async with world(stack) as (app, client, bank):
        bill = await paid_levy(app, client, bank)
        first = await refund(client, bill, officer(app, "same"), 100000)
        again = await refund(client, bill, officer(app, "same"), 100000)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]
        other = await refund(client, bill, officer(app, "same"), 300000)
        assert other.status_code == 422, other.text
        assert other.json()["code"] == "idempotency_conflict"
        stats, _made = await bank_state(bank)
        assert stats["refunds_made"] == 1
        stored = await app.state.runtime.db["bills"].find_one({"_id": bill["_id"]})
        assert stored["refundable_idr"] == 625000


async def test_another_regions_officer_a_citizen_and_a_stranger_cannot_refund(stack):
    async with world(stack) as (app, client, bank):
        bill = await paid_levy(app, client, bank)
        elsewhere = await refund(client, bill, officer(app, "x", region="7371"), 1000)
        citizen = await refund(
            client, bill, {**bearer(app, "warga-1", "citizen", None), "Idempotency-Key": "y"}, 1000
        )
        stranger = await refund(client, bill, {"Idempotency-Key": "z"}, 1000)
        assert (elsewhere.status_code, citizen.status_code, stranger.status_code) == (
            403,
            403,
            401,
        )
        listed = await client.get(
            f"/api/v1/payments/bills/{bill['_id']}/refunds",
            headers=bearer(app, "keu.7371", "finance_officer", "7371"),
        )
        assert listed.status_code == 403
        stats, _made = await bank_state(bank)
        assert stats["refund_calls"] == 0
        stored = await app.state.runtime.db["bills"].find_one({"_id": bill["_id"]})
        assert "refundable_idr" not in stored


async def test_a_refund_the_bank_refuses_fails_and_its_amount_is_refundable_again(stack):
    async with world(stack) as (app, client, bank):
        bill = await paid_levy(app, client, bank)
        async with httpx.AsyncClient(timeout=10) as plain:
            await plain.post(f"{bank}/v1/faults", json={"fail_next": 1, "status": 403})
        refused = await refund(client, bill, officer(app, "k"), 725000)
        assert refused.status_code == 201, refused.text
        assert refused.json()["state"] == "failed"
        assert refused.json()["refundable_idr"] == 725000
        retried = await refund(client, bill, officer(app, "k2"), 725000)
        assert retried.json()["state"] == "success"
        runtime = app.state.runtime
        events = await read_events(
            runtime.settings.kafka_bootstrap,
            runtime.topics.payments,
            lambda found: any(isinstance(e, RefundSucceeded) for e in found),
        )
        (failed,) = [e for e in events if isinstance(e, RefundFailed)]
        assert failed.data.refundable_idr == 725000
        assert failed.subject == bill["application_id"]


async def test_a_refund_the_bank_does_not_answer_stays_submitted_until_its_key_asks_again(
    stack,
):
    async with world(stack) as (app, client, bank):
        bill = await paid_levy(app, client, bank)
        async with httpx.AsyncClient(timeout=10) as plain:
            await plain.post(f"{bank}/v1/faults", json={"fail_next": 1, "status": 503})
        unsure = await refund(client, bill, officer(app, "k"), 100000)
        assert unsure.status_code == 201, unsure.text
        assert (unsure.json()["state"], unsure.json()["refundable_idr"]) == ("submitted", 625000)
        again = await refund(client, bill, officer(app, "k"), 100000)
        assert again.status_code == 200
        assert (again.json()["id"], again.json()["state"]) == (unsure.json()["id"], "success")
        stats, _made = await bank_state(bank)
        assert (stats["refund_calls"], stats["refunds_made"]) == (2, 1)
