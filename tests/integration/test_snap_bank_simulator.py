"""The SNAP bank simulator as ``make up`` runs it (``python -m ops.simulators``, a real
process): started only with billing on and ``MPP_SNAP_BANK_URL`` on this machine, and
its refund door's faults fail the next calls then clear."""

from collections.abc import Iterator

import httpx
import pytest

from ops.localstack import free_port
from ops.processes import simulators_process
from ops.simulators import local_stand_ins
from ops.simulators.running import stand_in_env
from services.routing.payments.bank_refunds import BankRefused, BankUnsure, RefundBank
from shared.settings import Settings


def test_the_snap_bank_simulator_runs_only_with_billing_on_and_its_url_on_this_machine():
    local = "http://localhost:8024"
    assert (
        local_stand_ins(Settings(payments_billing=True, snap_bank_url=local)).snap_bank_port == 8024
    )
    assert (
        local_stand_ins(Settings(payments_billing=False, snap_bank_url=local)).snap_bank_port
        is None
    )
    remote = Settings(payments_billing=True, snap_bank_url="https://snap.bpd.example.id")
    assert local_stand_ins(remote).snap_bank_port is None


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ports = {
        name: free_port() for name in ("dukcapil", "mailbox", "smtp", "lapor", "simponi", "bank")
    }
    env = {
        **stand_in_env(ports),
        "MPP_PAYMENTS_BILLING": "true",
        "MPP_SIMPONI_URL": f"http://127.0.0.1:{ports['simponi']}",
        "MPP_SNAP_BANK_URL": f"http://127.0.0.1:{ports['bank']}",
    }
    process = simulators_process(env, ports["bank"], tmp_path_factory.mktemp("bank")).start()
    process.wait_ready(timeout=30)
    yield f"http://127.0.0.1:{ports['bank']}"
    process.stop()


def _refund(bank: str) -> httpx.Response:
    """A refund call without routing's token: refused as unsigned, after any fault."""
    return httpx.post(f"{bank}/v1.0/qr/qr-mpm-refund", json={}, timeout=10)


def test_make_ups_simulators_serve_the_bank_and_its_refund_door_refuses_an_unsigned_call(bank):
    assert httpx.get(f"{bank}/readyz", timeout=5).json() == {"status": "ready"}
    unsigned = _refund(bank)
    assert unsigned.status_code == 401
    assert unsigned.json()["responseCode"] == "4017800"


def test_a_forged_token_request_to_the_bank_is_refused_with_snaps_code(bank):
    forged = httpx.post(
        f"{bank}/v1.0/access-token/b2b",
        json={"grantType": "client_credentials"},
        headers={
            "X-CLIENT-KEY": "local-bank",
            "X-TIMESTAMP": "2026-12-07T10:00:00+07:00",
            "X-SIGNATURE": "AAAA",
        },
        timeout=5,
    )
    assert forged.status_code == 401
    assert forged.json()["responseCode"] == "4017300"


async def test_refund_faults_answer_the_next_signed_calls_with_their_status_then_clear(bank):
    """Routing's own client, signed with the local platform key, against the process."""
    client = RefundBank(Settings(snap_bank_url=bank, snap_timeout_seconds=2))
    refund = {"_id": "refund-1", "amount_idr": 1000, "reason": "dobel bayar"}
    async with httpx.AsyncClient(timeout=5) as plain:
        await plain.post(f"{bank}/v1/faults", json={"fail_next": 1, "status": 503})
        with pytest.raises(BankUnsure):
            await client.refund(refund, "000000000001")
        await plain.post(f"{bank}/v1/faults", json={"fail_next": 1, "status": 403})
        with pytest.raises(BankRefused, match="4037800"):
            await client.refund(refund, "000000000001")
        await plain.post(f"{bank}/v1/faults", json={"fail_next": 1, "delay_seconds": 3})
        with pytest.raises(BankUnsure):
            await client.refund(refund, "000000000001")
        # Faults spent: a payment the bank never took is refused as unknown.
        with pytest.raises(BankRefused, match="4047801"):
            await client.refund(refund, "000000000001")
        stats = (await plain.get(f"{bank}/v1/stats")).json()
    assert (stats["refund_calls"], stats["refunds_made"]) == (4, 0)
