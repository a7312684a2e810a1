"""How fast intake accepts submissions over HTTP, beside what the database alone allows.

Starts its own local broker and database on free ports and intake and identity as their
own processes (uvicorn, as in production; intake asks identity about the citizen at each
submission), then in the same run:

1. **baseline** — the same work with the bare drivers, 32 concurrent writers: each
   reads the citizen's profile, takes a tracking number and an outbox number, writes
   what one accepted submission stores (the application, its outbox row and its
   idempotency record) in one transaction with ``AsyncMongoClient``; a relay beside
   them produces the submitted events with aiokafka and deletes the rows published, as
   intake's relay does;
2. **intake** — 32 concurrent HTTP clients, each a signed-in citizen, posting
   ``POST /api/v1/applications`` with a fresh ``Idempotency-Key`` (token check, form
   validation against the catalogue, tracking number, the same transaction, the relay
   publishing to Kafka meanwhile);
3. in alternating rounds (baseline, intake, baseline, ...), so a drift of the shared
   machine reaches both instead of skewing the ratio.

Reports submissions per second and p50/p99 latency of each, and their ratio.

Usage: ``python -m bench.intake [--clients 32] [--seconds 20]``.
"""

import argparse
import asyncio
import contextlib
import itertools
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer
from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

from bench.common import Figure, local_stack, percentile, report
from ops.localstack import LocalStack, free_port
from ops.processes import PlatformProcess, service_process
from ops.proven_citizens import mark_proven
from ops.sample_data import SAMPLE_PROFILE
from shared.calendar import add_working_days
from shared.events import ApplicationSubmitted, SubmittedData, encode, utcnow
from shared.ids import uuid7
from shared.mongo import delete_in, in_transaction, make_mongo
from shared.settings import Settings
from shared.topics import Topics

FORM = {"purpose": "Melamar pekerjaan / job application"}
BODY = {"service": "skck", "region": "3576", "data": FORM, "channel": "mobile"}


_numbers = itertools.count(1)


class Run:
    """Latencies of one measured phase."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.failures = 0
        self.elapsed = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


async def hammer(clients: int, seconds: float, one: Callable[[int], Awaitable[bool]]) -> Run:
    """``clients`` loops calling ``one`` back to back for ``seconds``."""
    run = Run()
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            if await one(n):
                run.latencies.append(time.perf_counter() - began)
            else:
                run.failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    run.elapsed = time.perf_counter() - started
    return run


def stored_documents(citizen_id: str, key: str) -> tuple[dict, dict, dict]:
    """What intake stores for one submission: application, outbox row, idempotency record."""
    now = utcnow()
    application_id = uuid7()
    tracking = f"3576-{now:%y%m%d}-{next(_numbers):04d}"
    due = add_working_days(now, 3)
    event = ApplicationSubmitted(
        source="intake",
        subject=application_id,
        region="3576",
        correlation_id=uuid7(),
        data=SubmittedData(
            application_id=application_id,
            tracking_number=tracking,
            service="skck",
            region="3576",
            channel="mobile",
            citizen_id=citizen_id,
            form=FORM,
            form_version=1,
            submitted_at=now,
            sla_due_at=due,
        ),
    )
    application = {
        "_id": application_id,
        "tracking_number": tracking,
        "service": "skck",
        "region": "3576",
        "channel": "mobile",
        "citizen_id": citizen_id,
        "form": FORM,
        "form_version": 1,
        "documents": [],
        "operator_id": None,
        "status": "submitted",
        "responses": [],
        "cancellation_requested_at": None,
        "last_sequence": 0,
        "timeline": [{"status": "submitted", "at": now, "note": None, "sequence": 0}],
        "submitted_at": now,
        "sla_due_at": due,
    }
    outbox = {
        "_id": ObjectId(),
        "events": [
            {
                "topic": "mpp.applications.submitted",
                "key": application_id,
                "event_id": event.id,
                "type": event.type,
                "correlation_id": event.correlation_id,
                "payload": encode(event),
            }
        ],
        "count": 1,
        "created_at": now,
    }
    answer = {"id": application_id, "tracking_number": tracking, "status": "submitted"}
    idempotency = {
        "_id": f"{citizen_id}:{key}",
        "fingerprint": uuid.uuid4().hex * 2,
        "status": 202,
        "body": {**answer, "sla_due_at": due.isoformat()},
        "location": f"http://intake/api/v1/applications/{application_id}",
        "created_at": now,
    }
    return application, outbox, idempotency


class DirectWriter:
    """One submission's work straight through the drivers, with the indexes intake keeps;
    a relay publishes the rows with aiokafka and deletes them."""

    def __init__(self, mongo: AsyncMongoClient, bootstrap: str, topic: str) -> None:
        self._mongo = mongo
        self._db = mongo[f"bench_baseline_{uuid.uuid4().hex[:6]}"]
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
        self._topic = topic
        self._wake = asyncio.Event()
        self._relay: asyncio.Task | None = None

    async def start(self, clients: int) -> None:
        db = self._db
        await db["applications"].create_index("tracking_number", unique=True)
        await db["applications"].create_index([("citizen_id", 1), ("_id", -1)])
        await db["outbox"].create_index([("seq", 1), ("_id", 1)])
        await db["idempotency_keys"].create_index("created_at", expireAfterSeconds=86400)
        await db["outbox_sequence"].insert_one({"_id": "rows", "last": 0})
        await db["accounts"].insert_many(
            [{"_id": f"citizen-{n}", "profile": SAMPLE_PROFILE} for n in range(clients)]
        )
        await self._producer.start()
        self._relay = asyncio.create_task(self._relay_loop())

    async def stop(self) -> None:
        if self._relay is not None:
            self._relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay
        await self._producer.stop()

    async def one(self, n: int) -> bool:
        db = self._db
        application, row, record = stored_documents(f"citizen-{n}", str(uuid.uuid4()))
        await db["accounts"].find_one({"_id": f"citizen-{n}"})
        counter = f"3576-{application['submitted_at']:%y%m%d}"
        await db["tracking_counters"].find_one_and_update(
            {"_id": counter}, {"$inc": {"n": 1}}, upsert=True
        )

        async def write(session: AsyncClientSession) -> None:
            await db["applications"].insert_one(application, session=session)
            taken = await db.command(
                {
                    "findAndModify": "outbox_sequence",
                    "query": {"_id": "rows"},
                    "update": {"$inc": {"last": 1}},
                    "new": True,
                }
            )
            row["seq"] = taken["value"]["last"]
            await db["outbox"].insert_many([row], session=session)
            await db["idempotency_keys"].insert_one(record, session=session)

        await in_transaction(self._mongo, write)
        self._wake.set()
        return True

    async def drained(self, timeout: float = 60) -> None:
        """Until every row written was produced and deleted."""
        deadline = time.perf_counter() + timeout
        while await self._db["outbox"].find_one({}, {"_id": 1}) is not None:
            if time.perf_counter() > deadline:
                raise RuntimeError("the baseline's relay did not drain its outbox")
            await asyncio.sleep(0.1)

    async def _relay_loop(self) -> None:
        rows = self._db["outbox"]
        while True:
            self._wake.clear()
            batch = await rows.find({}).sort([("seq", 1), ("_id", 1)]).to_list(100)
            if batch:
                sent = [
                    await self._producer.send(
                        self._topic, event["payload"], key=event["key"].encode()
                    )
                    for row in batch
                    for event in row["events"]
                ]
                await asyncio.gather(*sent)
                await delete_in(rows, "_id", [row["_id"] for row in batch])
                if len(batch) == 100:
                    continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)


async def citizens(http: httpx.AsyncClient, count: int, settings: Settings) -> list[dict[str, str]]:
    """``count`` signed-in citizens who may submit: the Authorization header of each."""
    headers = []
    accounts = []
    for n in range(count):
        nik = f"357601150890{n + 1:04d}"
        account = {
            "nik": nik,
            "name": "Warga Uji",
            "email": f"bench-{n}@example.id",
            "phone": "081234567890",
            "password": "kata-sandi-rahasia",
            **SAMPLE_PROFILE,
        }
        created = await http.post("/api/v1/accounts", json=account)
        created.raise_for_status()
        accounts.append((created.json()["id"], account))
    await mark_proven(settings, [id for id, _ in accounts], operator="bench")
    for _, account in accounts:
        nik = account["nik"]
        signed_in = await http.post(
            "/api/v1/auth/token", data={"username": nik, "password": account["password"]}
        )
        signed_in.raise_for_status()
        headers.append({"Authorization": f"Bearer {signed_in.json()['access_token']}"})
    return headers


def intake_client(
    http: httpx.AsyncClient, tokens: list[dict[str, str]]
) -> Callable[[int], Awaitable[bool]]:
    async def one(n: int) -> bool:
        headers = {**tokens[n], "Idempotency-Key": str(uuid.uuid4())}
        try:
            answer = await http.post("/api/v1/applications", json=BODY, headers=headers)
        except httpx.HTTPError:
            return False
        return answer.status_code == 202

    return one


def merged(runs: list[Run]) -> Run:
    total = Run()
    for run in runs:
        total.latencies += run.latencies
        total.failures += run.failures
        total.elapsed += run.elapsed
    return total


async def drained(settings: Settings, timeout: float = 60) -> float:
    """Seconds until intake's outbox is empty: every accepted submission is on Kafka."""
    mongo: AsyncMongoClient = make_mongo(settings, "bench-drain")
    outbox = mongo[settings.database_name("intake")]["outbox"]
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < timeout:
            if await outbox.find_one({}, {"_id": 1}) is None:
                break
            await asyncio.sleep(0.1)
        return time.perf_counter() - started
    finally:
        await mongo.close()


def cpu_seconds(process: PlatformProcess) -> float:
    """CPU time the process has used so far (Linux ``/proc``; 0 elsewhere)."""
    assert process.process is not None
    try:
        fields = Path(f"/proc/{process.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def intake_env(stack: LocalStack, namespace: str) -> dict[str, str]:
    return {
        "MPP_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "MPP_MONGO_URI": stack.mongo_uri,
        "MPP_NAMESPACE": namespace,
        "MPP_LOG_LEVEL": "WARNING",
        "MPP_LOG_FORMAT": "json",
        # The bench measures the submission path, not the limits that protect it.
        "MPP_INTAKE_RATE_PER_IP": "1000000000",
        "MPP_INTAKE_RATE_PER_ACCOUNT": "1000000000",
        "MPP_IDENTITY_PORT": str(free_port()),
    }


async def measure(stack: LocalStack, clients: int, seconds: float, logs: Path) -> None:
    """Rounds of baseline then intake, so both see the same share of a noisy machine."""
    env = intake_env(stack, f"bench{uuid.uuid4().hex[:8]}")
    os.environ.update(env)
    settings = Settings()
    rounds = 3
    slice_ = seconds / rounds
    mongo: AsyncMongoClient = make_mongo(settings, "bench-baseline")
    direct = DirectWriter(mongo, stack.kafka_bootstrap, Topics(settings.namespace).submitted)
    identity = service_process("identity", env, int(env["MPP_IDENTITY_PORT"]), logs).start()
    intake = service_process("intake", env, free_port(), logs).start()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    bases: list[Run] = []
    served: list[Run] = []
    intake_cpu = 0.0
    try:
        await asyncio.to_thread(identity.wait_ready, 120)
        await asyncio.to_thread(intake.wait_ready, 120)
        await direct.start(clients)
        async with (
            httpx.AsyncClient(base_url=intake.url, limits=limits, timeout=30) as http,
            httpx.AsyncClient(base_url=identity.url, timeout=30) as accounts,
        ):
            through = intake_client(http, await citizens(accounts, clients, settings))
            await hammer(clients, 2, direct.one)  # warm-up: connections, collections, caches
            await hammer(clients, 2, through)
            await direct.drained()
            for _ in range(rounds):
                bases.append(await hammer(clients, slice_, direct.one))
                await direct.drained()  # its relay's catch-up is not intake's load
                before = cpu_seconds(intake) + cpu_seconds(identity)
                served.append(await hammer(clients, slice_, through))
                intake_cpu += cpu_seconds(intake) + cpu_seconds(identity) - before
                await drained(settings)  # the relay's catch-up is not the next slice's load
        drain = await drained(settings)
    finally:
        intake.stop()
        identity.stop()
        await direct.stop()
        await mongo.close()

    base, intake_run = merged(bases), merged(served)
    name = (
        f"same work, bare drivers: profile read, tracking and outbox numbers, one "
        f"transaction each, relayed to Kafka with aiokafka; {clients} writers"
    )
    ratio = intake_run.rate / base.rate if base.rate else 0.0
    figures = [
        Figure(
            f"submissions/s, {clients} clients over HTTP",
            intake_run.rate,
            "submissions/s",
            baseline=base.rate,
            baseline_name=name,
            aim=">= 0.8 of baseline",
            met=ratio >= 0.8,
        ),
        Figure("submission latency p50", intake_run.ms(50), "ms", base.ms(50), name),
        Figure("submission latency p99", intake_run.ms(99), "ms", base.ms(99), name),
    ]
    per_round = ", ".join(f"{b.rate:.0f}/{s.rate:.0f}" for b, s in zip(bases, served, strict=True))
    notes = (
        f"{len(intake_run.latencies)} submissions accepted ({intake_run.failures} not 202) in "
        f"{rounds} rounds of {slice_:.1f} s alternating with the baseline (baseline/intake per "
        f"round: {per_round}); intake's and identity's processes used "
        f"{intake_cpu / max(len(intake_run.latencies), 1) * 1000:.1f} ms of CPU per "
        f"submission; the outbox was empty {drain:.1f} s after the last submission. "
        "Intake runs as one uvicorn process and commits concurrent submissions in groups "
        "(one transaction for many), asking identity (one more process) over HTTP for each "
        "submission's applicant; the clients, broker and database share the machine."
    )
    report("intake", figures, notes)
    print(notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp,
        local_stack(Path(tmp)) as stack,
    ):
        asyncio.run(measure(stack, args.clients, args.seconds, Path(tmp) / "logs"))


if __name__ == "__main__":
    main()
