"""The whole pipeline: what one application costs, the highest rate sustained, the
latency at that rate, and each service's resident memory.

Every service runs as its own process (under ``bench.probe``) with the demo agency, on
a fresh local stack, as ``make up`` runs them. The clients submit at a fixed rate (open
loop: a slow intake does not slow the clients down, it shows as a lower accepted rate).
Times come from one clock:

* accepted: when the client receives 202;
* inbox: the broker timestamp of the application's ``application.dispatched`` record on
  its agency's inbox topic (set when routing produces it);
* notification: the broker timestamp of the first in-app ``notification.status_changed``
  of the application (notify stored the notice, then published the fact);
* audit: ``received_at`` of the audit record of the application's submission.

Three parts, in this order:

1. **cost of one application** (``bench.cost``): every counter read across an idle
   window, then across a steady load well below saturation until everything accepted
   has reached every stage; the work per application is the load's less the idle
   rate's over the same time;
2. **highest rate sustained**: :class:`bench.search.RateSearch` steps up and down, each
   rate for ``--duration`` seconds, judged by :class:`bench.search.Criterion`;
3. the latencies at the highest rate sustained.

``--replicas 2`` runs routing and notify twice each (the scale-out figure, reported as
stage ``pipeline-2``).

Usage: ``python -m bench.pipeline [--start 32] [--duration 30] [--cost-rate 20]
[--cost-seconds 30] [--idle-seconds 15] [--replicas 1] [--cost-only]``;
``--cost-only`` prints the cost of one application (its rows and the round trips by
process, command and collection, as JSON) and stops, writing nothing.
"""

import argparse
import asyncio
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo.asynchronous.database import AsyncDatabase

from bench.common import Figure, ImpossibleFigure, check, local_stack, percentile, report
from bench.cost import Cost, per_application
from bench.processes import Platform, citizen_tokens
from bench.search import Criterion, RateSearch
from ops.processes import SERVICES
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

CRITERION = Criterion()
WAIT_FOR_STAGES = 60.0


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
        """202s per second, from the first 202 to the last (the last request's own
        latency is not counted against the rate)."""
        times = sorted(self.accepted.values())
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / max(times[-1] - times[0], 1e-9)

    @property
    def missed(self) -> list[str]:
        return CRITERION.failures(
            self.rate, self.accepted_rate, self.drained_in, percentile(self.inbox_ms, 99)
        )

    @property
    def sustained(self) -> bool:
        return not self.missed

    def summary(self) -> str:
        drained = "not within 60 s" if self.drained_in is None else f"in {self.drained_in:.1f} s"
        verdict = "sustained" if self.sustained else "not sustained: " + "; ".join(self.missed)
        return (
            f"{self.rate}/s for {self.duration:.0f} s: {len(self.accepted)} accepted "
            f"({self.accepted_rate:.1f}/s), {self.refused} refused, backlog drained {drained}; "
            f"p99 202 → submitted topic {percentile(self.submitted_ms, 99):.0f} ms, inbox "
            f"{percentile(self.inbox_ms, 99):.0f} ms, notification "
            f"{percentile(self.notified_ms, 99):.0f} ms, audit "
            f"{percentile(self.audited_ms, 99):.0f} ms — {verdict}"
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


@dataclass
class Load:
    """What every rate's run shares."""

    client: httpx.AsyncClient
    tokens: list[str]
    arrivals: Arrivals
    audit_db: AsyncDatabase
    platform: Platform


async def run_rate(rate: int, duration: float, load: Load) -> Run:
    accepted: dict[str, float] = {}
    refused = 0
    peak = load.platform.rss()
    slots = asyncio.Semaphore(256)

    async def submit(n: int) -> None:
        nonlocal refused
        headers = {
            "Authorization": f"Bearer {load.tokens[n % len(load.tokens)]}",
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
                response = await load.client.post(
                    "/api/v1/applications", json=body, headers=headers
                )
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
            peak = {k: max(v, peak.get(k, 0)) for k, v in load.platform.rss().items()}
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    ended = time.time()

    ids = list(accepted)
    arrivals = load.arrivals
    drained_in = None
    audited: dict[str, float] = {}
    deadline = time.monotonic() + WAIT_FOR_STAGES
    while time.monotonic() < deadline:
        peak = {k: max(v, peak.get(k, 0)) for k, v in load.platform.rss().items()}
        await audited_at(load.audit_db, ids, audited)
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


class CostOnly(Exception):
    """``--cost-only``: the cost was printed; no search, nothing written."""


@dataclass(frozen=True)
class Options:
    start: int
    duration: float
    cost_rate: int
    cost_seconds: float
    idle_seconds: float
    replicas: int
    cost_only: bool = False


async def measure_cost(load: Load, options: Options) -> tuple[Cost, Run, str]:
    """The work per application at a steady rate, net of the idle platform's."""
    platform = load.platform
    async with platform.mongo() as mongo:
        await asyncio.sleep(1)
        before_idle = await platform.reading(mongo)
        await asyncio.sleep(options.idle_seconds)
        idle_end = await platform.reading(mongo)
        run = await run_rate(options.cost_rate, options.cost_seconds, load)
        if run.drained_in is None:
            raise SystemExit("cost: the backlog did not drain; the cost cannot be measured")
        await asyncio.sleep(1)  # the probes write their counters every 0.25 s
        loaded = await platform.reading(mongo)
        indexes = await platform.indexes(mongo)
    load_delta, idle_delta = loaded.since(idle_end), idle_end.since(before_idle)
    cost = per_application(load_delta, idle_delta, len(run.accepted), indexes)
    by_process = ", ".join(f"{k} {v:.1f}" for k, v in sorted(cost.round_trips_by_process.items()))
    note = (
        f"Cost measured over {len(run.accepted)} applications offered at "
        f"{options.cost_rate}/s ({load_delta.at:.0f} s from the first submission until "
        f"every application reached every stage; idle platform measured for "
        f"{idle_delta.at:.0f} s before). MongoDB round trips per application counted at "
        f"each process's client: {by_process}."
    )
    return cost, run, note


async def measure(options: Options, tmp: Path) -> tuple[list[Figure], str, dict]:
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
        platform = Platform(env, tmp / "logs", stack, replicas=options.replicas)
        platform.start()
        topics = Topics(settings.namespace)
        watched = [topics.agency_inbox(a) for a in load_catalogue().kafka_inboxes()]
        watched = sorted(set(watched) | {topics.notifications, topics.submitted})
        arrivals = Arrivals()
        watcher = asyncio.create_task(watch(stack.kafka_bootstrap, watched, arrivals))
        mongo = platform.mongo()
        search = RateSearch(start=options.start)
        runs: list[Run] = []
        try:
            limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
            async with httpx.AsyncClient(
                base_url=platform.processes["intake"].url, limits=limits, timeout=30
            ) as client:
                tokens = await citizen_tokens(client, settings)
                await asyncio.sleep(3)  # the in-app-only preference reaches notify
                idle_rss = platform.rss()
                load = Load(
                    client, tokens, arrivals, mongo[settings.database_name("audit")], platform
                )
                await run_rate(10, 3, load)  # warm-up
                cost, cost_run, cost_note = await measure_cost(load, options)
                print(f"cost: {cost.rows}", flush=True)
                if options.cost_only:
                    print(json.dumps(cost.as_dict(), indent=1), flush=True)
                    print(cost_note, flush=True)
                    raise CostOnly
                while (rate := search.next()) is not None:
                    run = await run_rate(rate, options.duration, load)
                    runs.append(run)
                    search.record(rate, run.sustained)
                    print(run.summary(), flush=True)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            await mongo.close()
            platform.stop()
    for name, value, idle, unit in cost.rows:  # the same guard as every figure
        check("pipeline", Figure(f"cost: {name}", value, unit, idle, "idle per second"))
    return (
        figures(search, runs, idle_rss, options),
        notes(runs, cost_run, cost_note, options),
        {"cost": cost.as_dict()},
    )


def figures(
    search: RateSearch, runs: list[Run], idle_rss: dict[str, float], options: Options
) -> list[Figure]:
    found: list[Figure] = []
    tried = ", ".join(f"{t.rate}{'' if t.sustained else '✗'}" for t in search.trials)
    highest = search.highest
    found.append(
        Figure(
            f"highest rate sustained, {options.duration:.0f} s per rate (tried {tried})",
            float(highest or 0),
            "submissions/s",
            aim=">= 64/s",
            met=(highest or 0) >= 64,
        )
    )
    best = next((r for r in reversed(runs) if r.rate == highest and r.sustained), None)
    if best is not None:
        for stage, samples, aim in (
            ("submitted topic", best.submitted_ms, None),
            ("agency inbox", best.inbox_ms, 250),
            ("notification", best.notified_ms, 500),
            ("audit record", best.audited_ms, None),
        ):
            for q in (50, 99):
                value = percentile(samples, q)
                goal = aim if q == 99 else None
                found.append(
                    Figure(
                        f"{best.rate}/s (highest sustained): 202 → {stage} p{q}",
                        value,
                        "ms",
                        aim=f"< {goal} ms" if goal else None,
                        met=value < goal if goal else None,
                    )
                )
    for name in sorted(idle_rss):
        found.append(Figure(f"{name}: resident memory idle", idle_rss[name], "MB"))
        peak = max(run.peak_rss.get(name, 0) for run in runs) if runs else float("nan")
        found.append(
            Figure(
                f"{name}: resident memory under load (peak)",
                peak,
                "MB",
                aim="< 150 MB",
                met=peak < 150,
            )
        )
    return found


def notes(runs: list[Run], cost_run: Run, cost_note: str, options: Options) -> str:
    services = ", ".join(
        f"{name} ×{options.replicas}" if name in ("routing", "notify") else name
        for name in SERVICES
    )
    return (
        f"Every service its own process ({services}) with the demo agency. "
        f"A rate is sustained when {CRITERION.describe()}. "
        + "; ".join(run.summary() for run in runs)
        + f". {cost_note} The cost run: {cost_run.summary()}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=int, default=32, help="first rate the search tries")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per rate")
    parser.add_argument("--cost-rate", type=int, default=20)
    parser.add_argument("--cost-seconds", type=float, default=30.0)
    parser.add_argument("--idle-seconds", type=float, default=15.0)
    parser.add_argument("--replicas", type=int, default=1, help="of routing and notify")
    parser.add_argument(
        "--cost-only",
        action="store_true",
        help="measure and print the cost of one application (JSON), no search, write nothing",
    )
    args = parser.parse_args()
    options = Options(
        args.start,
        args.duration,
        args.cost_rate,
        args.cost_seconds,
        args.idle_seconds,
        args.replicas,
        args.cost_only,
    )
    tmp = Path(tempfile.mkdtemp(prefix="mpp-bench-pipeline-"))
    try:
        found, text, extra = asyncio.run(measure(options, tmp))
    except ImpossibleFigure as error:
        raise SystemExit(f"benchmark failed, nothing written: {error}") from error
    except CostOnly:
        return
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    stage = "pipeline" if options.replicas == 1 else f"pipeline-{options.replicas}"
    report(stage, found, text, extra)


if __name__ == "__main__":
    main()
