"""How fast one service's transactional outbox stages and relays, on one replica.

Starts its own local broker and database (or uses running ones: ``--kafka`` and
``--mongo``), then runs the same work three ways, each on a fresh database:

1. **one writer**: transactions one after the other, each a state document and two
   events (what routing writes per routed application), while the relay publishes;
2. **eight writers**: the same transactions from eight concurrent tasks (request
   handlers of one process), so staging transactions overlap;
3. **relay only**: rows staged first with no relay running, then the relay started and
   timed until the outbox is empty.

For 1 and 2 the figure is events per second from the first commit until the outbox is
empty (staged and published), with the transactions' latency; for 3, events published
per second.

``--against FILE`` measures another ``Outbox`` (say, an earlier ``shared/outbox.py``
from git) in the same run, rounds alternating between the two, and reports it as the
baseline; the figures are medians over ``--rounds``. The machine is shared and noisy:
compare within one run.

Usage: ``python -m bench.outbox [--transactions 2000] [--rounds 3] [--against FILE]``::

    git show c5b7143:shared/outbox.py > /tmp/outbox_before.py
    python -m bench.outbox --transactions 1000 --rounds 3 --against /tmp/outbox_before.py
"""

import argparse
import asyncio
import contextlib
import importlib.util
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import Figure, local_stack, percentile, report
from shared.events import StatusChanged, StatusChangedData
from shared.kafka import make_broker, provision_topics
from shared.mongo import in_transaction, make_mongo
from shared.outbox import Outbox
from shared.settings import Settings
from shared.topics import Topics, TopicSpec

EVENTS_PER_TRANSACTION = 2


def change(application: str, sequence: int) -> StatusChanged:
    return StatusChanged(
        source="bench",
        subject=application,
        correlation_id=application,
        data=StatusChangedData(
            application_id=application,
            tracking_number="t",
            service="ktp-el",
            region="3576",
            to_status="routed",
            sequence=sequence,
            actor="system",
        ),
    )


@dataclass
class Run:
    seconds: float  # from the first commit (or the relay's start) until the outbox is empty
    drained_after: float  # from the last commit until the outbox is empty
    latencies: list[float]  # per staging transaction, retries included
    attempts: int  # transaction bodies run: more than the transactions when some retried


async def _run(
    settings: Settings,
    name: str,
    transactions: int,
    writers: int,
    relay_first: bool,
    outbox_class: type = Outbox,
) -> Run:
    topics = Topics(settings.namespace)
    broker = make_broker(settings, f"bench-{name}")
    mongo = make_mongo(settings, f"bench-{name}")
    db = mongo[settings.database_name(f"outbox-{name}")]
    outbox = outbox_class(db, broker, allowed_topics={topics.status})
    await outbox.create_indexes()
    await broker.start()
    latencies: list[float] = []
    attempts = 0
    relay: asyncio.Task | None = None

    def start_relay() -> None:
        nonlocal relay
        relay = asyncio.create_task(outbox.run())

    async def commit(n: int) -> None:
        application = f"a{n:06d}"

        async def work(session):  # noqa: ANN001, ANN202
            nonlocal attempts
            attempts += 1
            await db["state"].insert_one({"_id": application}, session=session)
            events = [change(application, s) for s in range(1, EVENTS_PER_TRANSACTION + 1)]
            await outbox.stage([(topics.status, e) for e in events], session)

        began = time.perf_counter()
        await in_transaction(mongo, work)
        latencies.append(time.perf_counter() - began)
        outbox.wake()

    async def writer(numbers: range) -> None:
        for n in numbers:
            await commit(n)

    try:
        if relay_first:
            start_relay()
        started = time.perf_counter()
        await asyncio.gather(*(writer(range(w, transactions, writers)) for w in range(writers)))
        committed = time.perf_counter()
        if not relay_first:
            started = committed
            start_relay()
        # Not outbox.pending(): it reads every row, and the bench should not load the
        # database it measures.
        while await db["outbox"].find_one({}, {"_id": 1}):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        finished = time.perf_counter()
    finally:
        outbox.stop()
        if relay is not None:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
        await broker.stop()
        await mongo.close()
    return Run(finished - started, finished - committed, latencies, attempts)


async def bench(settings: Settings, transactions: int, outbox_class: type = Outbox) -> list[Figure]:
    topics = Topics(settings.namespace)
    await provision_topics(settings.kafka_bootstrap, [TopicSpec(topics.status, 3)])
    events = transactions * EVENTS_PER_TRANSACTION
    figures: list[Figure] = []
    runs: list[tuple[str, str, int, bool]] = [
        ("one writer", "w1", 1, True),
        ("eight writers", "w8", 8, True),
        ("relay only", "relay", 1, False),
    ]
    for label, name, writers, relay_first in runs:
        run = await _run(settings, name, transactions, writers, relay_first, outbox_class)
        figures.append(
            Figure(f"{label}: events staged and relayed/s", events / run.seconds, "ev/s")
        )
        if relay_first:
            for q in (50, 99):
                value = percentile(run.latencies, q) * 1000
                figures.append(Figure(f"{label}: staging transaction p{q}", value, "ms"))
            retried = 100 * (run.attempts - transactions) / transactions
            figures.append(Figure(f"{label}: retried transactions", retried, "%"))
            figures.append(
                Figure(f"{label}: drained after the last commit", run.drained_after * 1000, "ms")
            )
    return figures


def load_outbox(path: str) -> type:
    """The ``Outbox`` class of another version of shared/outbox.py."""
    spec = importlib.util.spec_from_file_location("outbox_against", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Outbox


async def rounds(
    kafka: str, mongo: str, transactions: int, count: int, against: type | None
) -> list[Figure]:
    """Medians over ``count`` rounds; with ``against``, alternating with it, as baseline."""
    variants: dict[str, type] = {"this": Outbox} | ({"against": against} if against else {})
    values: dict[tuple[str, str], list[float]] = {}
    units: dict[str, str] = {}
    for _round in range(count):
        for variant, outbox_class in variants.items():
            namespace = f"b{uuid.uuid4().hex[:8]}"
            settings = Settings(kafka_bootstrap=kafka, mongo_uri=mongo, namespace=namespace)
            for figure in await bench(settings, transactions, outbox_class):
                values.setdefault((variant, figure.name), []).append(figure.value)
                units[figure.name] = figure.unit
    return [
        Figure(
            name,
            statistics.median(values[("this", name)]),
            unit,
            baseline=statistics.median(values[("against", name)]) if against else None,
            baseline_name="the --against outbox, same run" if against else None,
        )
        for name, unit in units.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--against", help="another shared/outbox.py to measure beside")
    parser.add_argument("--kafka", help="a running broker (default: start one)")
    parser.add_argument("--mongo", help="a running database (default: start one)")
    args = parser.parse_args()
    against = load_outbox(args.against) if args.against else None

    def measure(kafka: str, mongo: str) -> list[Figure]:
        return asyncio.run(rounds(kafka, mongo, args.transactions, args.rounds, against))

    run: Callable[[], list[Figure]]
    if args.kafka and args.mongo:
        run = lambda: measure(args.kafka, args.mongo)  # noqa: E731
    else:

        def run() -> list[Figure]:
            with tempfile.TemporaryDirectory() as tmp, local_stack(Path(tmp)) as stack:
                return measure(stack.kafka_bootstrap, stack.mongo_uri)

    report(
        "outbox",
        run(),
        f"{args.transactions} transactions of {EVENTS_PER_TRANSACTION} events each, one "
        f"process with one relay; medians of {args.rounds} round(s)"
        + (f", alternating with {args.against}" if args.against else "")
        + "; see the module docstring.",
    )


if __name__ == "__main__":
    main()
