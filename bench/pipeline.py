"""The whole pipeline at a sustained rate: latency from ``202 Accepted`` to the agency's
inbox, to the citizen's notification and to the audit record; the highest rate held for
the whole run with no growing backlog; and each service's resident memory.

Every service runs as its own process with the demo agency, on a fresh local stack, as
``make up`` runs them. The clients submit at a fixed rate (open loop: a slow intake does
not slow the clients down, it shows as a lower accepted rate). Times come from one clock:

* accepted: when the client receives 202;
* inbox: the broker timestamp of the application's ``application.dispatched`` record on
  its agency's inbox topic (set when routing produces it);
* notification: the broker timestamp of the first in-app ``notification.status_changed``
  of the application (notify stored the notice, then published the fact);
* audit: ``received_at`` of the audit record of the application's submission.

A rate is *sustained* when the clients got 202 for at least 97% of the target rate and
everything accepted reached all three stages within 5 s of the last submission.

When the first rate is not sustained, lower rates (``--lower``, 40, 30, 20) are tried
until one is, and the latencies at that rate are reported too.

Usage: ``python -m bench.pipeline [--rates 50,100,150] [--lower 40,30,20] [--duration 60]``.
"""

import argparse
import asyncio
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench.common import Figure, local_stack, percentile, report
from ops.localstack import free_port
from ops.processes import SERVICES, PlatformProcess, demo_agency_process, service_process
from ops.proven_citizens import mark_proven
from ops.sample_data import SAMPLE_PROFILE
from shared.catalogue import load_catalogue
from shared.events import (
    ApplicationDispatched,
    ApplicationSubmitted,
    NotificationStatusChanged,
    decode,
)
from shared.mongo import chunked
from shared.settings import Settings
from shared.topics import Topics

CITIZENS = 8
DRAIN_SECONDS = 5.0
_serials = itertools.count(1)


def rss_mb(pid: int) -> float:
    """Resident set size of one process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def new_nik() -> str:
    serial = next(_serials)
    return f"357601150890{serial:04d}"


@dataclass
class Arrivals:
    """First time each application reached a stage, in seconds since the epoch."""

    submitted: dict[str, float] = field(default_factory=dict)
    inbox: dict[str, float] = field(default_factory=dict)
    notified: dict[str, float] = field(default_factory=dict)


async def watch(bootstrap: str, topics: Iterable[str], arrivals: Arrivals) -> None:
    """Read the inboxes and the notifications topic from their ends, noting arrivals."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            for records in batches.values():
                for record in records:
                    event = decode(record.value)
                    at = record.timestamp / 1000
                    if isinstance(event, ApplicationSubmitted):
                        arrivals.submitted.setdefault(event.subject, at)
                    elif isinstance(event, ApplicationDispatched):
                        arrivals.inbox.setdefault(event.subject, at)
                    elif (
                        isinstance(event, NotificationStatusChanged)
                        and event.data.channel == "in_app"
                    ):
                        arrivals.notified.setdefault(event.data.application_id, at)
    finally:
        await consumer.stop()


@dataclass
class Platform:
    env: dict[str, str]
    log_dir: Path
    processes: dict[str, PlatformProcess] = field(default_factory=dict)

    def start(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "ops", "topics", "provision"],
            env={**os.environ, **self.env},
            check=True,
            capture_output=True,
            timeout=120,
        )
        for name in SERVICES:
            self.processes[name] = service_process(name, self.env, free_port(), self.log_dir)
        self.processes["agency"] = demo_agency_process(
            load_catalogue().kafka_agencies(), self.env, self.log_dir
        )
        for process in self.processes.values():
            process.start()
        for process in self.processes.values():
            process.wait_ready(timeout=120)

    def rss(self) -> dict[str, float]:
        return {
            name: rss_mb(process.process.pid)
            for name, process in self.processes.items()
            if process.process is not None and name in SERVICES
        }

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()


async def citizen_tokens(client: httpx.AsyncClient, settings: Settings) -> list[str]:
    """Accounts that may submit and want in-app notices only (no mail server in a
    benchmark)."""
    bodies = []
    for _ in range(CITIZENS):
        body = {
            "nik": new_nik(),
            "name": "Warga Uji",
            "email": f"bench-{uuid.uuid4().hex[:10]}@example.id",
            "phone": "081234567890",
            "password": "kata-sandi-uji-beban",
            **SAMPLE_PROFILE,
        }
        created = await client.post("/api/v1/accounts", json=body)
        created.raise_for_status()
        bodies.append((created.json()["id"], body))
    await mark_proven(settings, [id for id, _ in bodies], operator="bench")
    tokens = []
    for _, body in bodies:
        signed_in = await client.post(
            "/api/v1/auth/token", data={"username": body["email"], "password": body["password"]}
        )
        signed_in.raise_for_status()
        token = signed_in.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        changed = await client.patch(
            "/api/v1/me", json={"notification_channels": ["in_app"]}, headers=headers
        )
        changed.raise_for_status()
        tokens.append(token)
    return tokens


@dataclass
class Run:
    rate: int
    duration: float
    accepted: dict[str, float]
    refused: int
    elapsed: float
    drained_in: float | None
    submitted_ms: list[float]
    inbox_ms: list[float]
    notified_ms: list[float]
    audited_ms: list[float]
    peak_rss: dict[str, float]

    @property
    def accepted_rate(self) -> float:
        return len(self.accepted) / self.elapsed

    @property
    def sustained(self) -> bool:
        return (
            self.accepted_rate >= 0.97 * self.rate
            and self.drained_in is not None
            and self.drained_in <= DRAIN_SECONDS
        )


async def audited_at(audit_db: AsyncDatabase, ids: list[str], found: dict[str, float]) -> None:
    """Add to ``found`` the audit time of each application not found yet. Asks only for
    those, a few at a time: the local database matches ``$in`` linearly per document,
    and a watcher that loads the database skews the figures it watches."""
    missing = [i for i in ids if i not in found]
    for chunk in chunked(missing):
        cursor = audit_db["records"].find(
            {"subject": {"$in": list(chunk)}, "type": "application.submitted"},
            {"subject": 1, "received_at": 1},
        )
        async for record in cursor:
            found[record["subject"]] = datetime.fromisoformat(record["received_at"]).timestamp()


async def run_rate(
    rate: int,
    duration: float,
    client: httpx.AsyncClient,
    tokens: list[str],
    arrivals: Arrivals,
    audit_db: AsyncDatabase,
    platform: Platform,
) -> Run:
    accepted: dict[str, float] = {}
    refused = 0
    peak = platform.rss()
    slots = asyncio.Semaphore(256)

    async def submit(n: int) -> None:
        nonlocal refused
        headers = {
            "Authorization": f"Bearer {tokens[n % len(tokens)]}",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        body = {
            "service": "ktp-el",
            "region": "3576",
            "data": {"reason": "baru"},
            "channel": "mobile",
        }
        async with slots:
            try:
                response = await client.post("/api/v1/applications", json=body, headers=headers)
            except httpx.HTTPError:
                refused += 1
                return
        if response.status_code == 202:
            accepted[response.json()["id"]] = time.time()
        else:
            refused += 1

    total = int(rate * duration)
    started = time.monotonic()
    tasks = []
    for n in range(total):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(submit(n)))
        if n % rate == 0:
            peak = {k: max(v, peak.get(k, 0)) for k, v in platform.rss().items()}
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    ended = time.time()

    ids = list(accepted)
    drained_in = None
    audited: dict[str, float] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        peak = {k: max(v, peak.get(k, 0)) for k, v in platform.rss().items()}
        await audited_at(audit_db, ids, audited)
        if all(i in arrivals.inbox and i in arrivals.notified and i in audited for i in ids):
            last = (
                max(max(arrivals.inbox[i], arrivals.notified[i], audited[i]) for i in ids)
                if ids
                else ended
            )
            drained_in = max(0.0, last - ended)
            break
        await asyncio.sleep(0.5)

    def latencies(stage: dict[str, float]) -> list[float]:
        return [(stage[i] - accepted[i]) * 1000 for i in ids if i in stage]

    return Run(
        rate=rate,
        duration=duration,
        accepted=accepted,
        refused=refused,
        elapsed=elapsed,
        drained_in=drained_in,
        submitted_ms=latencies(arrivals.submitted),
        inbox_ms=latencies(arrivals.inbox),
        notified_ms=latencies(arrivals.notified),
        audited_ms=latencies(audited),
        peak_rss=peak,
    )


async def measure(
    rates: list[int], lower: list[int], duration: float, tmp: Path
) -> tuple[list[Figure], str]:
    with local_stack(tmp) as stack:
        settings = Settings(
            kafka_bootstrap=stack.kafka_bootstrap,
            mongo_uri=stack.mongo_uri,
            namespace=f"b{uuid.uuid4().hex[:8]}",
        )
        env = {
            "MPP_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
            "MPP_MONGO_URI": stack.mongo_uri,
            "MPP_NAMESPACE": settings.namespace,
            "MPP_LOCAL_DIR": str(tmp / "local"),
            "MPP_LOG_LEVEL": "WARNING",
            "MPP_LOG_FORMAT": "json",
            "MPP_INTAKE_RATE_PER_IP": "100000000",
            "MPP_INTAKE_RATE_PER_ACCOUNT": "100000000",
            "MPP_NOTIFY_RATE_PER_RECIPIENT": "100000000",
        }
        platform = Platform(env, tmp / "logs")
        platform.start()
        topics = Topics(settings.namespace)
        watched = [topics.agency_inbox(a) for a in load_catalogue().kafka_agencies()]
        watched = sorted(set(watched) | {topics.notifications, topics.submitted})
        arrivals = Arrivals()
        watcher = asyncio.create_task(watch(stack.kafka_bootstrap, watched, arrivals))
        mongo: AsyncMongoClient = AsyncMongoClient(stack.mongo_uri, tz_aware=True)
        audit_db = mongo[settings.database_name("audit")]
        runs: list[Run] = []
        try:
            limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
            async with httpx.AsyncClient(
                base_url=platform.processes["intake"].url, limits=limits, timeout=30
            ) as client:
                tokens = await citizen_tokens(client, settings)
                await asyncio.sleep(3)  # the in-app-only preference reaches notify
                idle = platform.rss()
                await run_rate(10, 3, client, tokens, arrivals, audit_db, platform)  # warm-up

                async def attempt(rate: int) -> Run:
                    run = await run_rate(
                        rate, duration, client, tokens, arrivals, audit_db, platform
                    )
                    runs.append(run)
                    print(
                        f"rate {rate}/s: accepted {run.accepted_rate:.1f}/s, refused "
                        f"{run.refused}, drained in {run.drained_in}, sustained {run.sustained}",
                        flush=True,
                    )
                    return run

                for rate in rates:
                    if not (await attempt(rate)).sustained:
                        break
                # The first rate not held: step down until one is, to find what is.
                for rate in lower if not runs[0].sustained else []:
                    if (await attempt(rate)).sustained:
                        break
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            await mongo.close()
            platform.stop()

    first = runs[0]
    figures = [
        Figure(f"{first.rate}/s: accepted rate", first.accepted_rate, "submissions/s"),
        Figure(f"{first.rate}/s: 202 → agency inbox p50", percentile(first.inbox_ms, 50), "ms"),
        Figure(
            f"{first.rate}/s: 202 → agency inbox p99",
            percentile(first.inbox_ms, 99),
            "ms",
            aim="< 250 ms",
            met=percentile(first.inbox_ms, 99) < 250,
        ),
        Figure(f"{first.rate}/s: 202 → notification p50", percentile(first.notified_ms, 50), "ms"),
        Figure(
            f"{first.rate}/s: 202 → notification p99",
            percentile(first.notified_ms, 99),
            "ms",
            aim="< 1000 ms",
            met=percentile(first.notified_ms, 99) < 1000,
        ),
        Figure(f"{first.rate}/s: 202 → audit record p50", percentile(first.audited_ms, 50), "ms"),
        Figure(f"{first.rate}/s: 202 → audit record p99", percentile(first.audited_ms, 99), "ms"),
    ]
    sustained = [run for run in runs if run.sustained]
    tried = ", ".join(str(run.rate) for run in runs)
    figures.append(
        Figure(
            f"highest rate sustained for {duration:.0f} s (tried {tried})",
            float(max((run.rate for run in sustained), default=0)),
            "submissions/s",
        )
    )
    best = max(sustained, key=lambda run: run.rate, default=None)
    if best is not None and best is not first:
        for stage, samples in (("agency inbox", best.inbox_ms), ("notification", best.notified_ms)):
            figures.append(
                Figure(
                    f"{best.rate}/s (highest sustained): 202 → {stage} p99",
                    percentile(samples, 99),
                    "ms",
                )
            )
    for name in SERVICES:
        figures.append(Figure(f"{name}: resident memory idle", idle.get(name, float("nan")), "MB"))
        peak = max(run.peak_rss.get(name, 0) for run in runs)
        figures.append(
            Figure(
                f"{name}: resident memory under load (peak)",
                peak,
                "MB",
                aim="< 150 MB",
                met=peak < 150,
            )
        )

    def drained(run: Run) -> str:
        return "not within 60 s" if run.drained_in is None else f"in {run.drained_in:.1f} s"

    lines = [
        f"{run.rate}/s for {run.duration:.0f} s: {len(run.accepted)} accepted "
        f"({run.accepted_rate:.1f}/s), {run.refused} refused, backlog drained "
        f"{drained(run)}; "
        f"202 → submitted topic (intake's outbox relay) p50 {percentile(run.submitted_ms, 50):.0f}"
        f" / p99 {percentile(run.submitted_ms, 99):.0f} ms; "
        f"p99 inbox {percentile(run.inbox_ms, 99):.0f} ms, notification "
        f"{percentile(run.notified_ms, 99):.0f} ms, audit {percentile(run.audited_ms, 99):.0f} ms"
        for run in runs
    ]
    caveat = (
        " Times are from the moment the client saw its 202; when intake is saturated the "
        "response reaches the client late, after the application has already moved on, "
        "so a p50 can be negative."
    )
    return figures, (
        "Every service its own process with the demo agency. " + "; ".join(lines) + "." + caveat
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,100,150", help="rates to try, in order")
    parser.add_argument(
        "--lower",
        default="40,30,20",
        help="rates tried, in order, when the first is not sustained",
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per rate")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    lower = [int(r) for r in args.lower.split(",") if r]
    tmp = Path(tempfile.mkdtemp(prefix="mpp-bench-pipeline-"))
    try:
        figures, notes = asyncio.run(measure(rates, lower, args.duration, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report("pipeline", figures, notes)


if __name__ == "__main__":
    main()
