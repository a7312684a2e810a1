"""A PBG's regional levy paid by QRIS through the SNAP bank simulator, against the real
broker and database: billed with the approval, completion refused until it is paid; a
notification signed with another secret is refused with SNAP's code; the same
notification five times pays once; a payment after the expiry is refused and recorded."""

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from ops.localstack import free_port
from ops.simulators import snap_bank
from services.routing.keys import ApiKeys
from services.routing.payments.qris import parse
from services.routing.payments.snap import service_signature, token_signature
from shared.catalogue import Catalogue
from shared.catalogue.packaging import compile_catalogue, package_from
from shared.events import BillChanged, PaymentRefused, utcnow
from tests.catalogue.support import adoption, national_document, region_document
from tests.e2e.helpers import eventually
from tests.integration.routing_support import (
    http_server,
    publish,
    read_events,
    running_routing,
    submitted,
)

FORM = {
    "building_function": "hunian",
    "floor_area_m2": 72.5,
    "floors": 1,
    "site_address": "Jl. Raya Bangil 10",
}


def levy_catalogue() -> Catalogue:
    """The demo catalogue, with Kabupaten Pasuruan's PBG levy at Rp10.000 per m²."""
    regions = {code: region_document(code) for code in ("3514", "3574", "3576", "3671")}
    adoption(regions["3514"], "pbg")[1]["fee_idr"] = 10000
    return compile_catalogue(
        package_from(national_document(), "national"),
        [package_from(document, code) for code, document in regions.items()],  # type: ignore[list-item]
    )


@contextlib.asynccontextmanager
async def world(stack: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient, str]]:
    routing_port, bank_port = free_port(), free_port()
    routing_url = f"http://127.0.0.1:{routing_port}"
    bank = snap_bank.create_app(routing_url, "local-bank", "local-snap-secret")
    async with (
        http_server(bank, bank_port),
        running_routing(
            stack,
            routing_port,
            catalogue=levy_catalogue(),
            payments_billing=True,
            payments_sweep_seconds=0.2,
        ) as (app, url),
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield app, client, f"http://127.0.0.1:{bank_port}"


async def approved_pbg(app: Any, client: httpx.AsyncClient) -> tuple[str, dict, dict]:
    """A PBG routed, then approved by its office; returns its id, its pending bill and the
    office's API key headers."""
    runtime = app.state.runtime
    event = submitted("pbg", "3514", form=FORM)
    await publish(runtime, runtime.topics.submitted, event)
    await eventually(
        lambda: runtime.db["applications"].find_one({"_id": event.subject}), timeout=20
    )
    key = await ApiKeys(runtime.db).issue("dpmptsp-3514")
    headers = {"authorization": f"Bearer {key.token}"}
    url = f"/api/v1/agency/applications/{event.subject}/transitions"
    for status in ("received", "in_review", "approved"):
        moved = await client.post(url, json={"to": status}, headers=headers)
        assert moved.status_code == 200, moved.text
    bill = await eventually(
        lambda: runtime.db["bills"].find_one({"application_id": event.subject}),
        timeout=20,
        until=lambda found: found and found["state"] == "pending",
    )
    return event.subject, bill, headers


async def scan(bank: str, qris: str, **plan: Any) -> list[dict]:
    async with httpx.AsyncClient(timeout=30) as client:
        paid = await client.post(f"{bank}/v1/qris/pay", json={"qris": qris, **plan})
    assert paid.status_code == 200, paid.text
    return paid.json()["answers"]


async def test_a_pbg_levy_is_billed_by_qris_at_approval_and_completion_waits_for_it(stack):
    async with world(stack) as (app, client, bank):
        application_id, bill, headers = await approved_pbg(app, client)
        assert (bill["amount_idr"], bill["kind"]) == (725000, "regional_levy")
        objects = parse(bill["qris"])
        assert (objects["01"], objects["54"], objects["53"]) == ("12", "725000", "360")
        url = f"/api/v1/agency/applications/{application_id}/transitions"
        early = await client.post(url, json={"to": "completed"}, headers=headers)
        assert early.status_code == 409, early.text

        (answer,) = await scan(bank, bill["qris"])
        assert answer == {
            "status": 200,
            "body": {"responseCode": "2005200", "responseMessage": "Successful"},
        }
        done = await client.post(url, json={"to": "completed"}, headers=headers)
        assert done.status_code == 200, done.text


async def test_a_notification_signed_with_another_secret_is_refused_with_snaps_code(stack):
    async with world(stack) as (app, client, bank):
        _application_id, bill, _headers = await approved_pbg(app, client)
        (answer,) = await scan(bank, bill["qris"], signature="bad")
        assert answer["status"] == 401
        assert answer["body"]["responseCode"] == "4015200"
        stored = await app.state.runtime.db["bills"].find_one({"_id": bill["_id"]})
        assert stored["state"] == "pending"


async def test_the_same_notification_five_times_pays_once_and_answers_alike(stack):
    async with world(stack) as (app, client, bank):
        application_id, bill, _headers = await approved_pbg(app, client)
        answers = await scan(bank, bill["qris"], repeat=5)
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
        stored = await runtime.db["bills"].find_one({"_id": bill["_id"]})
        assert stored["receipt"]["reference"]


async def test_a_payment_after_the_expiry_is_refused_and_recorded(stack):
    async with world(stack) as (app, client, bank):
        application_id, bill, _headers = await approved_pbg(app, client)
        runtime = app.state.runtime
        await runtime.db["bills"].update_one(
            {"_id": bill["_id"]}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}}
        )
        await eventually(
            lambda: runtime.db["bills"].find_one({"_id": bill["_id"]}),
            timeout=20,
            until=lambda found: found["state"] == "expired",
        )
        (answer,) = await scan(bank, bill["qris"])
        assert answer["status"] == 404
        assert answer["body"]["responseCode"] == "4045212"
        events = await read_events(
            runtime.settings.kafka_bootstrap,
            runtime.topics.payments,
            lambda found: any(isinstance(e, PaymentRefused) for e in found),
        )
        (refused,) = [e for e in events if isinstance(e, PaymentRefused)]
        assert (refused.subject, refused.data.answer_code) == (application_id, "expired")


async def test_a_token_asked_with_another_key_is_refused_and_an_external_id_reused_conflicts(
    stack,
):
    async with world(stack) as (app, client, _bank):
        application_id, bill, _headers = await approved_pbg(app, client)
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        timestamp = datetime.now(UTC).isoformat(timespec="seconds")
        forged = await client.post(
            "/api/snap/v1.0/access-token/b2b",
            json={"grantType": "client_credentials"},
            headers={
                "X-TIMESTAMP": timestamp,
                "X-CLIENT-KEY": "local-bank",
                "X-SIGNATURE": token_signature(stranger, "local-bank", timestamp),
            },
        )
        assert forged.status_code == 401
        assert forged.json()["responseCode"] == "4017300"

        bank_key = load_pem_private_key(snap_bank.LOCAL_BANK_KEY.encode(), password=None)
        granted = await client.post(
            "/api/snap/v1.0/access-token/b2b",
            json={"grantType": "client_credentials"},
            headers={
                "X-TIMESTAMP": timestamp,
                "X-CLIENT-KEY": "local-bank",
                "X-SIGNATURE": token_signature(bank_key, "local-bank", timestamp),  # type: ignore[arg-type]
            },
        )
        token = granted.json()["accessToken"]

        async def notify(reference: str) -> httpx.Response:
            body = json.dumps(
                {
                    "originalReferenceNo": reference,
                    "originalPartnerReferenceNo": bill["billing_code"],
                    "latestTransactionStatus": "00",
                    "amount": {"value": f"{bill['amount_idr']}.00", "currency": "IDR"},
                }
            )
            path = "/api/snap/v1.0/qr/qr-mpm-notify"
            return await client.post(
                path,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {token}",
                    "X-TIMESTAMP": timestamp,
                    "X-SIGNATURE": service_signature(
                        "local-snap-secret", "POST", path, token, body, timestamp
                    ),
                    "X-PARTNER-ID": "local-bank",
                    "X-EXTERNAL-ID": "000000000000000001",
                    "CHANNEL-ID": "95221",
                },
            )

        first = await notify("111111111111")
        assert first.json()["responseCode"] == "2005200"
        other = await notify("222222222222")
        assert other.status_code == 409
        assert other.json()["responseCode"] == "4095200"
        stored = await app.state.runtime.db["bills"].find_one({"application_id": application_id})
        assert stored["receipt"]["reference"] == "111111111111"
