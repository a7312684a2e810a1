"""How the audit log's cost grows with its size: appending, verifying and replaying.

Starts its own local broker and database on free ports. For each size (10k and 100k
records unless ``--records`` says otherwise) it builds a fresh log of that many events
(applications submitted, then moved on by status changes) and measures, in one run:

1. append — the service's own :class:`AuditLog.append` in consumer-sized batches of
   1,000 (bulk inserts, dedupe lookup, chaining, signed checkpoints);
2. verify from the database — :func:`verify_store`, the whole chain and checkpoints;
3. verify from an export file — the export is written first, then
   :func:`verify_export` reads it back as an auditor would, away from the platform;
4. replay from Kafka — the same events produced to a topic, read back with
   :func:`stream_kafka` from the offsets for the window's start, in a process of its
   own (``bench.replay_memory``) so its memory is its own: the memory the replay added
   to that process, beside the same replay holding the window in a list (as before it
   streamed).

Each figure is a rate; the notes add the time per record at each size (flat means the
cost grows linearly) and the process's peak resident memory after each stage.

Usage: ``python -m bench.audit [--records 10000 100000]``; a separate long run
(``make bench-audit-1m``): ``python -m bench.audit --records 1000000 --stage audit-1m``.
The replay alone, up to a million records, without the database stages:
``python -m bench.audit --records 10000 100000 1000000 --replay-only --stage audit-replay``.
"""

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer, ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymongo import AsyncMongoClient

from bench.common import Figure, local_stack, report
from services.audit.chain import GENESIS
from services.audit.checkpoints import Checkpoints
from services.audit.export import export_lines
from services.audit.log import AuditLog, chained, identify, received_now
from services.audit.signing import Signer
from services.audit.verification import verify_export, verify_store
from shared.events import (
    ApplicationSubmitted,
    StatusChanged,
    StatusChangedData,
    SubmittedData,
    encode,
    utcnow,
)
from shared.kafka import provision_topics
from shared.settings import Settings
from shared.topics import Topics, TopicSpec

BATCH = 1000
SEED_BATCH = 5000
APPEND_SAMPLE = 10_000
STEPS = (("routed", "system"), ("received", "agency"), ("in_review", "agency"))
SIZES = (10_000, 100_000)


APPLICANT: dict[str, Any] = {}
"""What each submitted event carries of the applicant (``--applicant``): nothing, the
plaintext snapshot (as before sealing) or the snapshot sealed (as now)."""


def events(count: int) -> Iterator[tuple[str, bytes]]:
    """``count`` (application id, encoded event): each application submitted, then moved
    on by three status changes."""
    n = 0
    while True:
        application = f"bench-{n // (len(STEPS) + 1):08d}"
        step = n % (len(STEPS) + 1)
        if n == count:
            return
        if step == 0:
            yield application, encode(_submitted(application))
        else:
            yield application, encode(_changed(application, step))
        n += 1


def _submitted(application: str) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        source="intake",
        subject=application,
        region="3576",
        correlation_id=application,
        data=SubmittedData(
            application_id=application,
            tracking_number=f"3576-{application[-8:]}",
            service="ktp-el",
            region="3576",
            channel="web",
            citizen_id=f"citizen-{application[-4:]}",
            form={"reason": "baru"},
            submitted_at=utcnow(),
            **APPLICANT,
        ),
    )


def _changed(application: str, step: int) -> StatusChanged:
    to_status, actor = STEPS[step - 1]
    return StatusChanged(
        source="routing",
        subject=application,
        region="3576",
        correlation_id=application,
        data=StatusChangedData(
            application_id=application,
            tracking_number=f"3576-{application[-8:]}",
            service="ktp-el",
            region="3576",
            agency="disdukcapil-3576",
            from_status=STEPS[step - 2][0] if step > 1 else "submitted",
            to_status=to_status,
            sequence=step,
            actor=actor,  # type: ignore[arg-type]
        ),
    )


def peak_mib() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Size:
    """One log of ``count`` records: its own database and its own topic."""

    def __init__(self, settings: Settings, client: AsyncMongoClient, count: int) -> None:
        self.settings = settings
        self.count = count
        self.db = client[f"{settings.namespace}-audit-{count}"]
        self.topic = f"{settings.namespace}.bench-audit-{count}"
        # The log keeps them as read from the replay topic, which may carry any type.
        self.topics = Topics(settings.namespace)
        self.signer = Signer(Ed25519PrivateKey.generate())
        self.checkpoints = Checkpoints(self.db, self.signer, settings.audit_checkpoint_interval)
        self.timings: dict[str, float] = {}
        self.memory: dict[str, float] = {}
        self.replay_mib: float | None = None
        self.replay_in_memory_mib: float | None = None

    def measured(self, stage: str, seconds: float) -> None:
        self.timings[stage] = seconds
        self.memory[stage] = peak_mib()

    async def fill(self, through_service: bool) -> None:
        """Build the log and produce the same events to the topic (not timed).

        ``through_service`` appends with the service's own :meth:`AuditLog.append` (all
        its indexes, batches of 1,000) and times it; otherwise the chained records are
        seeded with plain bulk inserts, as the local database is slow to index.
        """
        log = AuditLog(self.db, self.checkpoints, self.topics)
        if through_service:
            await log.create_indexes()
        producer = await self.producer()
        spent, batch, offset, seq, prev_hash = 0.0, [], 0, 0, GENESIS
        size = BATCH if through_service else SEED_BATCH
        try:
            for application, value in events(self.count):
                batch.append(
                    ConsumerRecord(self.topics.replay, 0, offset, 0, 0, None, value, None, 0, 0, [])
                )
                offset += 1
                await producer.send(self.topic, value, key=application.encode())
                if len(batch) < size and offset < self.count:
                    continue
                if through_service:
                    started = time.perf_counter()
                    assert await log.append(batch) == len(batch)
                    spent += time.perf_counter() - started
                else:
                    documents = chained(
                        identify(batch, self.topics), seq, prev_hash, received_now()
                    )
                    await self.db["records"].insert_many(documents, ordered=True)
                    first = seq + 1
                    seq, prev_hash = int(documents[-1]["seq"]), str(documents[-1]["hash"])
                    await self.checkpoints.after_append(first, seq, prev_hash)
                batch = []
            await producer.flush()
        finally:
            await producer.stop()
        if through_service:
            self.measured("append", spent)

    async def producer(self) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap, linger_ms=20, max_batch_size=262_144
        )
        await producer.start()
        return producer

    async def produce(self) -> None:
        """Only produce the events to the topic, for ``--replay-only`` (not timed)."""
        producer = await self.producer()
        try:
            for application, value in events(self.count):
                await producer.send(self.topic, value, key=application.encode())
            await producer.flush()
        finally:
            await producer.stop()

    async def verify_database(self) -> None:
        started = time.perf_counter()
        verdict = await verify_store(self.db, self.signer.public_key)
        self.measured("verify_db", time.perf_counter() - started)
        assert verdict.ok, verdict
        assert verdict.checked == self.count, verdict

    async def verify_file(self, directory: Path) -> None:
        path = directory / f"export-{self.count}.jsonl"
        with path.open("wb") as out:
            async for block in export_lines(self.db, self.checkpoints):
                out.write(block)
        started = time.perf_counter()
        with path.open("rb") as lines:
            verdict = verify_export(lines, self.signer.public_key)
        self.measured("verify_file", time.perf_counter() - started)
        assert verdict.ok, verdict
        assert verdict.checked == self.count, verdict
        path.unlink()

    async def replay(self, since: datetime) -> None:
        until = utcnow() + timedelta(minutes=1)
        for in_memory in (False, True):
            argv = [sys.executable, "-m", "bench.replay_memory", self.topic]
            argv += [since.isoformat(), until.isoformat()]
            argv += ["--in-memory"] if in_memory else []
            done = await asyncio.to_thread(
                subprocess.run, argv, check=True, capture_output=True, text=True, timeout=1800
            )
            found = json.loads(done.stdout.strip().splitlines()[-1])
            assert found["count"] == self.count, found
            added = found["peak_mib"] - found["before_mib"]
            if in_memory:
                self.replay_in_memory_mib = added
            else:
                self.timings["replay_kafka"] = found["seconds"]
                self.memory["replay_kafka"] = found["peak_mib"]
                self.replay_mib = added

    def rate(self, stage: str) -> float | None:
        seconds = self.timings.get(stage)
        return None if seconds is None else self.count / seconds


_FIGURES = {
    "append": ("records appended", None, None),
    "verify_db": ("verified from the database", 5_000.0, ">= 5,000 records/s"),
    "verify_file": ("verified from an export file", 50_000.0, ">= 50,000 records/s"),
    "replay_kafka": ("replayed from Kafka", None, None),
}


def figures(sizes: list[Size]) -> list[Figure]:
    found = []
    for size in sizes:
        for stage, (name, aim, aim_text) in _FIGURES.items():
            rate = size.rate(stage)
            if rate is None:
                continue
            found.append(
                Figure(
                    f"{name}, {size.count:,} records",
                    rate,
                    "records/s",
                    aim=aim_text,
                    met=None if aim is None else rate >= aim,
                )
            )
        if size.replay_mib is not None:
            found.append(
                Figure(
                    f"replay from Kafka: memory added, {size.count:,} records",
                    size.replay_mib,
                    "MiB",
                    baseline=size.replay_in_memory_mib,
                    baseline_name="the same replay holding the window in a list, as before",
                )
            )
    return found


def notes(sizes: list[Size]) -> str:
    lines = [
        "time per record (µs) by size, and peak resident memory after each stage (the "
        "replay's: of its own process, imports included):"
    ]
    for stage, (name, _, _) in _FIGURES.items():
        per_record = ", ".join(
            f"{size.count:,}: {size.timings[stage] / size.count * 1e6:.1f} µs "
            f"(peak {size.memory[stage]:.0f} MiB)"
            for size in sizes
            if stage in size.timings
        )
        if per_record:
            lines.append(f"{name} — {per_record}")
    return " ".join(lines[:1]) + " " + "; ".join(lines[1:]) + "."


async def run(
    settings: Settings, counts: list[int], directory: Path, append_all: bool, replay_only: bool
) -> list[Size]:
    await provision_topics(
        settings.kafka_bootstrap,
        [TopicSpec(f"{settings.namespace}.bench-audit-{count}", 3) for count in counts],
        settings=settings,
    )
    client = AsyncMongoClient(settings.mongo_uri, tz_aware=True, socketTimeoutMS=120_000)
    sizes = []
    try:
        for count in counts:
            size = Size(settings, client, count)
            since = utcnow() - timedelta(seconds=1)
            if replay_only:
                await size.produce()
            else:
                await size.fill(through_service=append_all or count <= APPEND_SAMPLE)
                await size.verify_database()
                await size.verify_file(directory)
            await size.replay(since)
            for stage in _FIGURES:
                rate = size.rate(stage)
                if rate is not None:
                    print(f"audit {count:>9,} {stage:13} {rate:10,.0f} records/s", flush=True)
            sizes.append(size)
    finally:
        await client.close()
    return sizes


def _applicant(kind: str) -> dict[str, Any]:
    if kind == "none":
        return {}
    from bench.privacy import SNAPSHOT, CachedVault
    from shared.privacy.personal import Personal

    if kind == "plain":
        return {"applicant": SNAPSHOT}
    personal = Personal(CachedVault())  # type: ignore[arg-type]
    return {"applicant_sealed": asyncio.run(personal.seal("citizen-0001", SNAPSHOT))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records", type=int, nargs="+", default=list(SIZES), help="log sizes to measure"
    )
    parser.add_argument(
        "--append-all",
        action="store_true",
        help=f"append every size through the service (default: up to {APPEND_SAMPLE:,}; "
        "larger logs are seeded with bulk inserts)",
    )
    parser.add_argument(
        "--applicant",
        choices=("none", "plain", "sealed"),
        default="sealed",
        help="what each submitted event carries of the applicant: the snapshot sealed (as "
        "intake publishes it), in plaintext (as before sealing) or nothing",
    )
    parser.add_argument(
        "--replay-only",
        action="store_true",
        help="produce the events and replay them from Kafka, without the database stages "
        "(the replay at 1,000,000 records in minutes: --records 10000 100000 1000000 "
        "--replay-only --stage audit-replay)",
    )
    parser.add_argument(
        "--stage",
        default="audit",
        help="name of the results file (artifacts/bench/STAGE.json); `make bench-audit-1m` "
        "uses audit-1m so the long run sits beside make bench's figures",
    )
    args = parser.parse_args()
    APPLICANT.update(_applicant(args.applicant))
    os.environ["MPP_NAMESPACE"] = f"bench{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("MPP_LOG_LEVEL", "WARNING")
    directory = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        with local_stack(directory / "stack") as stack:
            os.environ["MPP_KAFKA_BOOTSTRAP"] = stack.kafka_bootstrap
            os.environ["MPP_MONGO_URI"] = stack.mongo_uri
            sizes = asyncio.run(
                run(Settings(), args.records, directory, args.append_all, args.replay_only)
            )
        report(args.stage, figures(sizes), notes(sizes))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
