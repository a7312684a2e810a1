"""Proving a NIK: what a citizen waits for, and what an unreachable Dukcapil costs.

Identity runs as its own process on a fresh local stack, with the Dukcapil simulator (the
stand-ins ``make up`` starts) beside it. Measured:

* ``POST /api/v1/me/nik-verification`` end to end for citizens the simulator knows
  (identity → Dukcapil → one transaction claiming the NIK), beside the bare simulator call
  it makes (the same request straight to the simulator): identity's overhead;
* the same request while Dukcapil fails (503 from the simulator; each try retried
  ``MPP_DUKCAPIL_RETRIES`` times with backoff) and once the circuit has opened (answered
  at once, Dukcapil not asked).

python -m bench.identity [--citizens 40]
"""

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bench.common import Figure, local_stack, percentile, report
from ops.localstack import free_port
from ops.processes import service_process
from ops.proven_citizens import mark_contacts_confirmed
from ops.sample_data import SAMPLE_PROFILE
from ops.simulators.running import DUKCAPIL_TOKEN, StandIns, start_stand_ins
from shared.nik import parse_nik
from shared.settings import Settings

PASSWORD = "kata-sandi-uji-beban"  # noqa: S105 - a load run's throwaway accounts
_serials = iter(range(1, 10_000))


def new_nik() -> str:
    """A valid NIK of region 3576, district 02, born 15 Aug 1990: unique in this run."""
    return f"357602150890{next(_serials):04d}"


async def citizen(
    http: httpx.AsyncClient, stand_ins: StandIns, settings: Settings
) -> tuple[dict, dict]:
    """A registered, signed-in citizen the simulator knows, contacts confirmed: (headers,
    Dukcapil claim)."""
    nik = new_nik()
    claim = {"nik": nik, "name": "Warga Uji", "birth_date": parse_nik(nik).birth_date.isoformat()}
    stand_ins.add_resident(**claim)
    email = f"nik-{uuid.uuid4().hex[:10]}@example.id"
    body = {"nik": nik, "name": "Warga Uji", "email": email, "phone": "081234567890"}
    created = await http.post(
        "/api/v1/accounts", json={**body, "password": PASSWORD, **SAMPLE_PROFILE}
    )
    created.raise_for_status()
    await mark_contacts_confirmed(settings, [created.json()["id"]])
    token = await http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}, claim


async def timed(call: Callable[[], Awaitable[httpx.Response]]) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    answer = await call()
    took = (time.perf_counter() - started) * 1000
    if took < 0:
        raise SystemExit("a negative time was measured: the clock is not monotonic here")
    return took, answer


async def measure(count: int, tmp: Path) -> list[Figure]:
    with local_stack(tmp) as stack:
        process, ports = start_stand_ins(tmp / "logs")
        stand_ins = StandIns(process, ports)
        env = {
            **stand_ins.env,
            "MPP_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
            "MPP_MONGO_URI": stack.mongo_uri,
            "MPP_NAMESPACE": f"bench{uuid.uuid4().hex[:8]}",
            "MPP_LOG_LEVEL": "WARNING",
            "MPP_DUKCAPIL_RETRIES": "2",
            "MPP_DUKCAPIL_BREAKER_FAILURES": "5",
        }
        intake = service_process("identity", env, free_port(), tmp / "logs").start()
        try:
            await asyncio.to_thread(intake.wait_ready, 120)
            async with httpx.AsyncClient(base_url=intake.url, timeout=30) as http:
                settings = Settings(mongo_uri=stack.mongo_uri, namespace=env["MPP_NAMESPACE"])
                people = [await citizen(http, stand_ins, settings) for _ in range(count * 2 + 7)]
                proven, bare = [], []
                direct = httpx.AsyncClient(
                    base_url=stand_ins.dukcapil_url,
                    headers={"Authorization": f"Bearer {DUKCAPIL_TOKEN}"},
                )
                async with direct:
                    for headers, claim in people[:count]:
                        took, _ = await timed(lambda c=claim: direct.post("/v1/nik/verify", json=c))
                        bare.append(took)
                        took, answer = await timed(
                            lambda h=headers: http.post("/api/v1/me/nik-verification", headers=h)
                        )
                        if answer.status_code != 200:
                            raise SystemExit(f"verification failed: {answer.text}")
                        proven.append(took)
                stand_ins.dukcapil("/v1/faults", {"fail_next": 10_000, "status": 503})
                failing, open_circuit = [], []
                for headers, _ in people[count:]:
                    took, answer = await timed(
                        lambda h=headers: http.post("/api/v1/me/nik-verification", headers=h)
                    )
                    if answer.status_code != 503:
                        raise SystemExit(f"expected 503 while Dukcapil fails: {answer.text}")
                    (failing if len(failing) < 5 else open_circuit).append(took)
                stand_ins.dukcapil("/v1/faults", {"fail_next": 0})
        finally:
            intake.stop()
            process.stop()
    return [
        Figure(
            "NIK proven via identity p50",
            percentile(proven, 50),
            "ms",
            percentile(bare, 50),
            "the same claim straight to the Dukcapil simulator",
        ),
        Figure(
            "NIK proven via identity p95",
            percentile(proven, 95),
            "ms",
            percentile(bare, 95),
            "the same claim straight to the Dukcapil simulator",
        ),
        Figure("Dukcapil failing: answer p50 (3 tries)", percentile(failing, 50), "ms"),
        Figure("circuit open: answer p50", percentile(open_circuit, 50), "ms"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mpp-bench-identity-") as tmp:
        figures = asyncio.run(measure(args.citizens, Path(tmp)))
    report("identity", figures, "Proving a NIK through identity and the Dukcapil simulator.")


if __name__ == "__main__":
    main()
