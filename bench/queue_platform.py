"""The platform ``bench.queue`` measures: identity and intake replicas as their own
processes, started through ``bench.queue_launch`` on a local stack, with proven
citizens and staff tokens."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pymongo import AsyncMongoClient

from ops.localstack import LocalStack, free_port
from ops.processes import PlatformProcess, service_process
from ops.proven_citizens import mark_proven
from ops.sample_data import SAMPLE_PROFILE
from shared.auth import issue_token
from shared.catalogue import load_catalogue
from shared.kafka import provision_topics
from shared.settings import Settings
from shared.topics import Topics

__all__ = ["QueuePlatform", "Retries", "post_retrying"]

Headers = dict[str, str]
_BUSY = (429, 503)
"""Answers a phone retries with the same Idempotency-Key (identity not answering in
time, a rate limit): the problem says nothing was stored."""


class Retries:
    """How many requests were answered busy and sent again."""

    def __init__(self) -> None:
        self.count = 0


async def post_retrying(
    client: httpx.AsyncClient,
    path: str,
    body: dict,
    headers: Headers,
    retries: Retries,
    attempts: int = 8,
) -> httpx.Response:
    """POST, sent again with the same headers (the same Idempotency-Key, or the same
    booking code: answered the same) while the answer is busy or the connection broke,
    backing off from 0.2 s; the last answer."""
    for attempt in range(attempts):
        try:
            answer = await client.post(path, json=body, headers=headers)
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
            retries.count += 1
            await asyncio.sleep(min(3.0, 0.2 * 2**attempt))
            continue
        if answer.status_code not in _BUSY or attempt == attempts - 1:
            return answer
        retries.count += 1
        await asyncio.sleep(min(3.0, 0.2 * 2**attempt))
    raise AssertionError("unreachable")


def _launched(process: PlatformProcess) -> PlatformProcess:
    """The same process, through ``bench.queue_launch`` (``-m X`` becomes
    ``-m bench.queue_launch X``)."""
    module = process.argv.index("-m") + 1
    process.argv = [*process.argv[:module], "bench.queue_launch", *process.argv[module:]]
    return process


@dataclass
class QueuePlatform:
    stack: LocalStack
    directory: Path
    replicas: int = 2
    packages: Path | None = None
    sweep_seconds: float = 1.0
    citizens: list[Headers] = field(default_factory=list)
    processes: list[PlatformProcess] = field(default_factory=list)
    intakes: list[PlatformProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.clock = self.directory / "queue-clock.json"
        self.env = {
            "MPP_KAFKA_BOOTSTRAP": self.stack.kafka_bootstrap,
            "MPP_MONGO_URI": self.stack.mongo_uri,
            "MPP_NAMESPACE": f"bench{uuid.uuid4().hex[:8]}",
            "MPP_LOG_LEVEL": "WARNING",
            "MPP_LOG_FORMAT": "json",
            # The bench measures the queue, not the limits that protect it.
            "MPP_INTAKE_RATE_PER_IP": "1000000000",
            "MPP_INTAKE_RATE_PER_ACCOUNT": "1000000000",
            "MPP_IDENTITY_PORT": str(free_port()),
            "MPP_BENCH_CHEAP_HASH": "1",
            "MPP_BENCH_QUEUE_CLOCK": str(self.clock),
            "MPP_BENCH_QUEUE_SWEEP_SECONDS": str(self.sweep_seconds),
        }
        if self.packages is not None:
            self.env["MPP_CATALOGUE_PACKAGES_DIR"] = str(self.packages)
        self.settings = Settings(**_settings_of(self.env))

    async def start(self, citizens: int) -> None:
        """Topics, identity, the intake replicas, and ``citizens`` proven accounts."""
        logs = self.directory / "logs"
        specs = Topics(self.settings.namespace).for_catalogue(load_catalogue(), self.settings)
        await provision_topics(
            self.settings.kafka_bootstrap, specs, self.settings.kafka_replication_factor, 120
        )
        identity = service_process("identity", self.env, int(self.env["MPP_IDENTITY_PORT"]), logs)
        self.processes.append(_launched(identity).start())
        for replica in range(1, self.replicas + 1):
            intake = service_process("intake", self.env, free_port(), logs, replica)
            self.intakes.append(_launched(intake).start())
        self.processes += self.intakes
        for process in self.processes:
            await asyncio.to_thread(process.wait_ready, 180)
        self.citizens = await self._register(identity.url, citizens)

    async def _register(self, url: str, count: int) -> list[Headers]:
        """``count`` proven citizens (registered over HTTP, proven in the database as a
        counter proof leaves them), each with a token."""
        gate = asyncio.Semaphore(16)

        async def one(http: httpx.AsyncClient, n: int) -> str:
            body = {
                "nik": f"35760{1 + n // 9000}150890{1 + n % 9000:04d}",
                "name": "Warga Uji",
                "email": f"antre-{uuid.uuid4().hex[:10]}@example.id",
                "phone": "081234567890",
                "password": "kata-sandi-uji-beban",
                **SAMPLE_PROFILE,
            }
            async with gate:
                created = await http.post("/api/v1/accounts", json=body)
            created.raise_for_status()
            return str(created.json()["id"])

        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            ids = await asyncio.gather(*(one(http, n) for n in range(count)))
        await mark_proven(self.settings, ids, operator="bench")
        return [self._bearer(issue_token(self.settings, id, ("citizen",))[0]) for id in ids]

    @staticmethod
    def _bearer(token: str) -> Headers:
        return {"Authorization": f"Bearer {token}"}

    def staff(self, role: str, region: str, count: int) -> list[Headers]:
        """Tokens of ``count`` staff of ``role`` at ``region``'s MPP."""
        return [
            self._bearer(
                issue_token(self.settings, f"{role}-{n}.{region}", (role,), region=region)[0]
            )
            for n in range(count)
        ]

    @asynccontextmanager
    async def clients(self, connections: int = 64) -> AsyncIterator[list[httpx.AsyncClient]]:
        """One HTTP client per intake replica. An idle connection is dropped after a
        second, well before the server's five: a request never goes out on a connection
        the server is closing."""
        limits = httpx.Limits(
            max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=1
        )
        async with AsyncExitStack() as stack:
            yield [
                await stack.enter_async_context(
                    httpx.AsyncClient(base_url=p.url, limits=limits, timeout=60)
                )
                for p in self.intakes
            ]

    async def swept(self, region: str, day: str, timeout: float = 60) -> int:
        """Once the sweep has left no booking of the day active: how many it released."""
        async with AsyncMongoClient(self.stack.mongo_uri, tz_aware=True) as mongo:
            bookings = mongo[self.settings.database_name("intake")]["queue_bookings"]
            where = {"region": region, "day": day}
            deadline = time.monotonic() + timeout
            while await bookings.count_documents({**where, "status": "active"}):
                if time.monotonic() > deadline:
                    break  # the day's checks say which are left
                await asyncio.sleep(0.5)
            return await bookings.count_documents({**where, "status": "released"})

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


def _settings_of(env: dict[str, str]) -> dict[str, str]:
    """The settings fields of ``MPP_*`` variables (the benchmark's own left out)."""
    fields = Settings.model_fields
    found = {}
    for key, value in env.items():
        name = key.removeprefix("MPP_").lower()
        if name in fields:
            found[name] = value
    return found
