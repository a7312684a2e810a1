"""The platform as ``bench.pipeline`` runs it: every service its own process (each under
``bench.probe``), the demo agency, signed-in citizens, and readings of every counter.
"""

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic

import httpx
from pymongo import AsyncMongoClient

from bench.cost import OUTSIDE, Reading, cpu_seconds, io_write_bytes, probe_counters
from bench.probe import Counters
from ops.localstack import LocalStack, free_port
from ops.processes import SERVICES, PlatformProcess, demo_agency_process, service_process
from ops.proven_citizens import mark_proven
from ops.sample_data import SAMPLE_PROFILE
from shared.catalogue import load_catalogue
from shared.settings import Settings

__all__ = ["Platform", "citizen_tokens", "rss_mb"]

CITIZENS = 8
SCALED = ("routing", "notify")
"""The services started ``replicas`` times for the scale-out figure."""


def rss_mb(pid: int) -> float:
    """Resident set size of one process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _probed(process: PlatformProcess, directory: Path) -> PlatformProcess:
    """The same process, started under ``bench.probe`` (``-m X`` becomes
    ``-m bench.probe X``) with its counters in ``directory``."""
    module = process.argv.index("-m") + 1
    process.argv = [*process.argv[:module], "bench.probe", *process.argv[module:]]
    process.env = {
        **process.env,
        "MPP_BENCH_PROBE_DIR": str(directory),
        "MPP_BENCH_PROBE_LABEL": process.name,
    }
    return process


@dataclass
class Platform:
    env: dict[str, str]
    log_dir: Path
    stack: LocalStack
    replicas: int = 1
    processes: dict[str, PlatformProcess] = field(default_factory=dict)
    observer: Counters = field(default_factory=Counters)
    """Counts the benchmark's own requests to the database, to leave them out."""

    @property
    def probes(self) -> Path:
        return self.log_dir / "probes"

    def start(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "ops", "topics", "provision"],
            env={**os.environ, **self.env},
            check=True,
            capture_output=True,
            timeout=120,
        )
        for name in SERVICES:
            for replica in range(1, (self.replicas if name in SCALED else 1) + 1):
                process = service_process(name, self.env, free_port(), self.log_dir, replica)
                self.processes[process.name] = _probed(process, self.probes)
        agency = demo_agency_process(load_catalogue().kafka_inboxes(), self.env, self.log_dir)
        agency.name = OUTSIDE
        self.processes[OUTSIDE] = _probed(agency, self.probes)
        for process in self.processes.values():
            process.start()
        for process in self.processes.values():
            process.wait_ready(timeout=120)

    def services(self) -> dict[str, int]:
        """Process id of each service process (replicas included)."""
        return {
            name: process.process.pid
            for name, process in self.processes.items()
            if process.process is not None and name != OUTSIDE
        }

    def rss(self) -> dict[str, float]:
        return {name: rss_mb(pid) for name, pid in self.services().items()}

    def mongo(self) -> AsyncMongoClient:
        return AsyncMongoClient(
            self.stack.mongo_uri, tz_aware=True, event_listeners=[self.observer]
        )

    async def reading(self, mongo: AsyncMongoClient) -> Reading:
        """Every counter now. Probes write theirs four times a second: call this at
        least 0.5 s after the work to be counted is done."""
        status = await mongo.admin.command("serverStatus")
        observed = sum(self.observer.commands.values())
        database = self.stack._processes["mongo"].pid
        broker = self.stack._processes["kafka"].pid
        pids = {
            **self.services(),
            "database": database,
            "broker": broker,
            f"{OUTSIDE} (outside the platform)": self.processes[OUTSIDE].process.pid,  # type: ignore[union-attr]
        }
        return Reading(
            at=monotonic(),
            database_requests=int(status["network"]["numRequests"]) - observed,
            database_write_bytes=io_write_bytes(database),
            cpu={name: cpu_seconds(pid) for name, pid in pids.items()},
            probes={name: probe_counters(self.probes, name) for name in self.processes},
        )

    async def indexes(self, mongo: AsyncMongoClient) -> dict[str, list[list[str]]]:
        """Each namespace's indexes, by their key fields."""
        found: dict[str, list[list[str]]] = {}
        for database in await mongo.list_database_names():
            if database in ("admin", "local", "config"):
                continue
            db = mongo[database]
            for collection in await db.list_collection_names():
                found[f"{database}.{collection}"] = [
                    list(index["key"]) async for index in await db[collection].list_indexes()
                ]
        return found

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()


async def citizen_tokens(
    client: httpx.AsyncClient, settings: Settings, count: int = CITIZENS
) -> list[str]:
    """Accounts that may submit and want in-app notices only (no mail server in a
    benchmark)."""
    bodies = []
    for n in range(count):
        body = {
            "nik": f"357601150890{n + 1:04d}",
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
