"""An SKCK's PNBP fee through SIMPONI, against the real broker and database and the SIMPONI
simulator over HTTP: the application is held until its billing code is paid, the agency
sees it only then, a bank's repeated report changes nothing more, and reports that do
not match a payable bill are refused and recorded."""

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from ops.localstack import free_port
from ops.processes import simulators_process
from ops.simulators import simponi
from shared.events import BillChanged, PaymentRefused, StatusChanged, utcnow
from tests.e2e.helpers import eventually
from tests.integration.routing_support import (
    http_server,
    publish,
    read_events,
    running_routing,
    submitted,
)

SECRET = "test-simponi-secret"


@contextlib.asynccontextmanager
async def world(
    stack: Any, ledger: simponi.Ledger | None = None, **overrides: Any
) -> AsyncIterator[tuple[Any, str, str]]:
    """Routing with billing on, and the SIMPONI simulator (keeping ``ledger``) reporting
    to it; yields the routing app, its URL and the simulator's URL."""
    routing_port, simponi_port = free_port(), free_port()
    callback = f"http://127.0.0.1:{routing_port}/api/v1/payments/simponi/callback"
    simulator = f"http://127.0.0.1:{simponi_port}"
    async with (
        http_server(simponi.create_app(SECRET, callback, ledger), simponi_port),
        running_routing(
            stack,
            routing_port,
            payments_billing=True,
            simponi_url=simulator,
            simponi_secret=SECRET,
            payments_sweep_seconds=0.2,
            **overrides,
        ) as (app, url),
    ):
        yield app, url, simulator


async def stored(app: Any, collection: str, query: dict, until: Any = bool) -> Any:
    db = app.state.runtime.db
    return await eventually(lambda: db[collection].find_one(query), timeout=20, until=until)


async def skck(app: Any) -> tuple[str, dict]:
    """An SKCK submitted in Kabupaten Pasuruan, once its billing code is issued."""
    event = submitted("skck", "3514", form={"purpose": "melamar kerja"})
    await publish(app.state.runtime, app.state.runtime.topics.submitted, event)
    bill = await stored(
        app, "bills", {"application_id": event.subject}, lambda b: b and b["state"] == "pending"
    )
    return event.subject, bill


async def pay(simulator: str, code: str, **plan: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(f"{simulator}/v1/billing/{code}/pay", json=plan)


async def agency_sees(app: Any, application_id: str) -> bool:
    page = await app.state.parts.agency_applications.page("polres-3514", None, 0, 100)
    return application_id in {item["_id"] for item in page}


async def test_an_skck_reaches_the_police_only_once_its_simponi_billing_code_is_paid(stack):
    async with world(stack) as (app, _url, simulator):
        topics = app.state.runtime.topics
        application_id, bill = await skck(app)
        assert re.fullmatch(r"[0-9]{15}", bill["billing_code"])
        assert (bill["amount_idr"], bill["kind"], bill["account"]) == (30000, "pnbp", "425213")
        assert timedelta(hours=47) < bill["expires_at"] - bill["created_at"] < timedelta(hours=49)
        held = await stored(
            app, "applications", {"_id": application_id}, lambda a: a["status"] == "payment_due"
        )
        assert held["agency"] is None
        assert held["sla_due_at"] is None
        assert not await agency_sees(app, application_id)

        paid = await pay(simulator, bill["billing_code"])
        assert paid.status_code == 200, paid.text
        ntpn = paid.json()["ntpn"]
        assert paid.json()["answers"][0]["status"] == 200

        routed = await stored(
            app, "applications", {"_id": application_id}, lambda a: a["status"] == "routed"
        )
        assert routed["agency"] == "polres-3514"
        assert routed["sla_due_at"] > utcnow()
        assert await agency_sees(app, application_id)
        changes = await read_events(
            app.state.runtime.settings.kafka_bootstrap,
            topics.status,
            lambda events: any(
                isinstance(e, StatusChanged) and e.data.to_status == "routed" for e in events
            ),
        )
        mine = [e.data for e in changes if e.subject == application_id]
        assert [c.to_status for c in mine] == ["payment_due", "routed"]
        assert bill["billing_code"] in (mine[0].note or "")
        assert f"NTPN {ntpn}" in (mine[1].note or "")


async def test_the_same_report_five_times_pays_the_bill_once_and_answers_alike(stack):
    async with world(stack) as (app, _url, simulator):
        topics = app.state.runtime.topics
        application_id, bill = await skck(app)

        paid = await pay(simulator, bill["billing_code"], repeat=5)
        answers = paid.json()["answers"]
        assert [a["status"] for a in answers] == [200] * 5
        assert len({str(a["body"]) for a in answers}) == 1

        events = await read_events(
            app.state.runtime.settings.kafka_bootstrap,
            topics.payments,
            lambda found: any(isinstance(e, BillChanged) and e.data.state == "paid" for e in found),
        )
        states = [e.data.state for e in events if e.subject == application_id]
        assert states == ["created", "pending", "paid"]
        application = await stored(app, "applications", {"_id": application_id})
        assert (application["status"], application["sequence"]) == ("routed", 3)


async def test_a_report_signed_with_another_secret_is_refused_and_changes_nothing(stack):
    async with world(stack) as (app, _url, simulator):
        application_id, bill = await skck(app)

        forged = await pay(simulator, bill["billing_code"], signature="bad")
        (answer,) = forged.json()["answers"]
        assert answer["status"] == 401
        assert answer["body"]["code"] == "invalid_signature"
        assert (await stored(app, "bills", {"_id": bill["_id"]}))["state"] == "pending"
        application = await stored(app, "applications", {"_id": application_id})
        assert application["status"] == "payment_due"


async def test_an_unpaid_bill_expires_and_a_late_report_is_refused_and_recorded(stack):
    async with world(stack) as (app, _url, simulator):
        topics = app.state.runtime.topics
        application_id, bill = await skck(app)
        db = app.state.runtime.db
        await db["bills"].update_one(
            {"_id": bill["_id"]}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}}
        )
        expired = await stored(
            app, "applications", {"_id": application_id}, lambda a: a["status"] == "payment_expired"
        )
        assert expired["agency"] is None
        assert (await stored(app, "bills", {"_id": bill["_id"]}))["state"] == "expired"

        late = await pay(simulator, bill["billing_code"], late=True)
        (answer,) = late.json()["answers"]
        assert answer["status"] == 410
        assert answer["body"]["code"] == "expired"
        events = await read_events(
            app.state.runtime.settings.kafka_bootstrap,
            topics.payments,
            lambda found: any(isinstance(e, PaymentRefused) for e in found),
        )
        (refused,) = [e for e in events if isinstance(e, PaymentRefused)]
        assert (refused.subject, refused.data.answer_code) == (application_id, "expired")
        assert not await agency_sees(app, application_id)


async def test_a_report_for_a_code_never_issued_is_refused_and_recorded(stack):
    async with world(stack) as (app, _url, simulator):
        topics = app.state.runtime.topics
        stranger = await pay(simulator, "820261207999999", amount=30000)
        (answer,) = stranger.json()["answers"]
        assert answer["status"] == 404
        assert answer["body"]["code"] == "unknown"
        events = await read_events(
            app.state.runtime.settings.kafka_bootstrap,
            topics.payments,
            lambda found: any(isinstance(e, PaymentRefused) for e in found),
        )
        assert [e.data.billing_code for e in events] == ["820261207999999"]


@pytest.mark.parametrize("fault", [{"status": 503}, {"status": 200, "delay_seconds": 2}])
async def test_a_biller_that_is_down_is_asked_again_until_it_issues_the_code(stack, fault):
    async with world(stack, simponi_timeout_seconds=0.5) as (app, _url, simulator):
        plan = {"fail_next": 2, "status": 503, **fault}
        if plan["status"] == 200:
            plan["status"] = 503  # delayed past the timeout, then an error
        async with httpx.AsyncClient() as client:
            await client.post(f"{simulator}/v1/faults", json=plan)
        _application_id, bill = await skck(app)
        assert bill["attempts"] == 2
        async with httpx.AsyncClient() as client:
            stats = (await client.get(f"{simulator}/v1/stats")).json()
        assert stats["billing_calls"] == 3


async def test_a_report_that_overtakes_the_stored_code_is_applied_by_its_bill_id(stack):
    ledger = simponi.Ledger()
    async with world(stack, ledger, payments_issue_attempts=50) as (app, _url, simulator):
        async with httpx.AsyncClient() as client:  # SIMPONI's answers to routing get lost
            await client.post(f"{simulator}/v1/faults", json={"fail_next": 1000, "status": 503})
        event = submitted("skck", "3514", form={"purpose": "melamar kerja"})
        await publish(app.state.runtime, app.state.runtime.topics.submitted, event)
        bill = await stored(app, "bills", {"application_id": event.subject})
        assert bill["billing_code"] is None
        # SIMPONI made the code for this bill, and the citizen paid it, before routing
        # stored the code.
        made = ledger.bill(
            simponi.BillingRequest(
                reference=bill["_id"], amount=bill["amount_idr"], account="425213", valid_hours=48
            ),
            utcnow(),
        )
        paid = await pay(simulator, made.code)
        assert paid.json()["answers"][0]["status"] == 200

        routed = await stored(
            app, "applications", {"_id": event.subject}, lambda a: a["status"] == "routed"
        )
        assert routed["agency"] == "polres-3514"
        settled = await stored(app, "bills", {"_id": bill["_id"]})
        assert (settled["state"], settled["billing_code"]) == ("paid", made.code)


def test_the_stand_ins_process_serves_simponi_only_with_billing_on(tmp_path):
    ports = {name: free_port() for name in ("dukcapil", "mailbox", "smtp", "simponi")}
    env = {
        "MPP_DUKCAPIL_URL": f"http://127.0.0.1:{ports['dukcapil']}",
        "MPP_MESSAGING_PROVIDER_URL": f"http://127.0.0.1:{ports['mailbox']}",
        "MPP_SMTP_HOST": "127.0.0.1",
        "MPP_SMTP_PORT": str(ports["smtp"]),
        "MPP_SIMPONI_URL": f"http://127.0.0.1:{ports['simponi']}",
    }
    for billing, serves in (("true", True), ("false", False)):
        process = simulators_process(
            {**env, "MPP_PAYMENTS_BILLING": billing}, ports["dukcapil"], tmp_path
        ).start()
        try:
            process.wait_ready(timeout=20)
            try:
                answer = httpx.get(f"{env['MPP_SIMPONI_URL']}/readyz", timeout=2)
                served = answer.status_code == 200
            except httpx.ConnectError:
                served = False
            assert served is serves
        finally:
            process.stop()
