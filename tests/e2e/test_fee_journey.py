"""An SKCK with its PNBP fee, through every service as its own process and the SIMPONI
simulator: the citizen reads the billing code on the application and in a notice, pays
it, and reads the NTPN on both; the police receive the application only then; the audit
log holds the bill's three states."""

import httpx

from ops.localstack import free_port
from ops.simulators import simponi
from tests.e2e.helpers import Stores, eventually, register, submit
from tests.integration.routing_support import http_server

SECRET = "e2e-simponi-secret"


async def test_an_skck_is_billed_paid_and_then_received_with_its_ntpn_shown_everywhere(
    platform, settings
):
    simponi_port = free_port()
    running = platform(
        MPP_PAYMENTS_BILLING="true",
        MPP_SIMPONI_URL=f"http://127.0.0.1:{simponi_port}",
        MPP_SIMPONI_SECRET=SECRET,
        MPP_PAYMENTS_SWEEP_SECONDS="0.2",
    )
    callback = f"{running.url('routing')}/api/v1/payments/simponi/callback"
    stores = Stores(settings)
    async with (
        http_server(simponi.create_app(SECRET, callback), simponi_port) as simulator,
        httpx.AsyncClient(base_url=running.url("intake"), timeout=30) as client,
    ):
        citizen = await register(client)
        accepted = await submit(
            client, citizen, service="skck", region="3576", data={"purpose": "melamar kerja"}
        )
        url = f"/api/v1/applications/{accepted['id']}"

        async def view_in(status: str) -> dict | None:
            view = (await client.get(url, headers=citizen.headers)).json()
            return view if view["status"] == status else None

        due = await eventually(lambda: view_in("payment_due"), timeout=30)
        bill = await stores.routing["bills"].find_one({"application_id": accepted["id"]})
        assert bill["billing_code"] in due["timeline"][-1]["note"]
        held = await stores.routing["applications"].find_one({"_id": accepted["id"]})
        assert held["agency"] is None

        async with httpx.AsyncClient(timeout=30) as bank:
            paid = await bank.post(f"{simulator}/v1/billing/{bill['billing_code']}/pay", json={})
        ntpn = paid.json()["ntpn"]

        routed = await eventually(lambda: view_in("routed"), timeout=30)
        assert f"NTPN {ntpn}" in routed["timeline"][-1]["note"]
        stored = await stores.routing["applications"].find_one({"_id": accepted["id"]})
        assert stored["agency"] == "polres-3576"

        async def notices() -> list:
            found = await stores.notify.notifications.find(
                {"application_id": accepted["id"]}
            ).to_list()
            return found if any(ntpn in str(notice) for notice in found) else []

        found = await eventually(notices, timeout=30)
        assert any(bill["billing_code"] in str(notice) for notice in found)

        async def audited() -> list:
            records = await stores.audit.records.find(
                {"subject": accepted["id"], "type": "payment.bill_changed"}
            ).to_list()
            return records if len(records) == 3 else []

        records = await eventually(audited, timeout=30)
        assert [r["topic"].rsplit(".", 1)[-1] for r in records] == ["payments"] * 3
    await stores.close()
