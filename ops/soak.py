"""``mpp soak``: a steady rate of submissions for a chosen time, then a zero-loss report.

The soak starts its own local stack and every platform process (the four services and
the demo agency) on free ports, so it never touches a running ``make up``. Citizens ask
for in-app notices only: there is no mail or SMS server here, and a notice must be
countable the moment it is made. After the load it waits for the pipeline to drain and
counts, per stage, what arrived of what was accepted:

accepted                202 from intake
routed                  routing holds the application (dispatched to its agency)
delivered to agency     the agency acknowledged it (its status moved to ``received``)
notified                one in-app notice per status change (routed, received)
audited                 the submission is in the audit log

A stage that holds fewer than were accepted has lost something; one that holds more has
duplicated something. The exit status is 0 only when every stage is whole.
"""

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from pymongo import AsyncMongoClient

from ops.localstack import LocalStack, free_port
from ops.processes import SERVICES, PlatformProcess, demo_agency_process, service_process
from ops.proven_citizens import mark_proven
from ops.sample_data import SAMPLE_PROFILE
from shared.settings import Settings

__all__ = ["Load", "StageCount", "count_stages", "main_soak", "soak"]

STATUSES_NOTIFIED = ("routed", "received")


@dataclass
class Load:
    """Submissions at a steady rate from a few citizens, each with its own Idempotency-Key.

    A request that fails (connection refused while a process restarts, 5xx) is retried
    with the same key until it is accepted or the retry budget is spent, as a client
    would: an accepted application is counted once whatever happened on the way. With
    several intake replicas (``replicas``), submissions take turns, and a retry goes to
    the next replica, as behind a load balancer.
    """

    intake_url: str
    settings: Settings  # the namespace whose identity database marks the citizens proven
    citizens: int = 20
    retry_seconds: float = 120.0
    replicas: list[str] = field(default_factory=list)  # intake base URLs; default intake_url
    accepted: dict[str, str] = field(default_factory=dict)  # key -> application id
    failed: list[str] = field(default_factory=list)
    retries: int = 0
    identity_url: str | None = None  # where citizens register and sign in; default intake_url
    _tokens: list[str] = field(default_factory=list)

    async def sign_up(self, client: httpx.AsyncClient) -> None:
        for _ in range(self.citizens):
            district, serial = 1 + uuid.uuid4().int % 30, 1 + uuid.uuid4().int % 9999
            body = {
                "nik": f"3576{district:02d}150890{serial:04d}",
                "name": "Warga Uji",
                "email": f"soak-{uuid.uuid4().hex[:12]}@example.id",
                "phone": "081234567890",
                "password": "kata-sandi-uji-beban",
                **SAMPLE_PROFILE,
            }
            identity = self.identity_url or self.intake_url
            created = await client.post(f"{identity}/api/v1/accounts", json=body)
            created.raise_for_status()
            await mark_proven(self.settings, [created.json()["id"]], operator="soak")
            signed_in = await client.post(
                f"{identity}/api/v1/auth/token",
                data={"username": body["email"], "password": body["password"]},
            )
            signed_in.raise_for_status()
            token = signed_in.json()["access_token"]
            changed = await client.patch(
                f"{identity}/api/v1/me",
                json={"notification_channels": ["in_app"]},
                headers={"Authorization": f"Bearer {token}"},
            )
            changed.raise_for_status()
            self._tokens.append(token)

    async def _submit_one(self, client: httpx.AsyncClient, n: int) -> None:
        key = str(uuid.uuid4())
        headers = {
            "Authorization": f"Bearer {self._tokens[n % len(self._tokens)]}",
            "Idempotency-Key": key,
        }
        body = {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}}
        deadline = time.monotonic() + self.retry_seconds
        replicas = self.replicas or [self.intake_url]
        attempt = n
        while time.monotonic() < deadline:
            url = f"{replicas[attempt % len(replicas)]}/api/v1/applications"
            attempt += 1
            try:
                response = await client.post(url, json=body, headers=headers)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 202:
                self.accepted[key] = response.json()["id"]
                return
            if response is not None and response.status_code < 500 and response.status_code != 409:
                self.failed.append(f"{response.status_code}: {response.text[:200]}")
                return
            self.retries += 1
            await asyncio.sleep(0.5)
        self.failed.append("no answer within the retry budget")

    async def run(self, rate: float, duration: float) -> float:
        """Send ``rate`` submissions a second for ``duration`` seconds; returns the elapsed
        time once every submission has its answer."""
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        async with httpx.AsyncClient(base_url=self.intake_url, timeout=10, limits=limits) as client:
            if not self._tokens:
                await self.sign_up(client)
            started = time.monotonic()
            tasks = []
            for n in range(int(rate * duration)):
                due = started + n / rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                tasks.append(asyncio.create_task(self._submit_one(client, n)))
            await asyncio.gather(*tasks)
            return time.monotonic() - started


@dataclass(frozen=True)
class StageCount:
    stage: str
    expected: int
    found: int
    duplicates: int = 0

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.found)

    def line(self) -> str:
        return (
            f"{self.stage:22} expected {self.expected:6}  found {self.found:6}  "
            f"lost {self.lost:4}  duplicates {self.duplicates:4}"
        )


async def _ids_in(collection, ids: list[str], query: dict, key: str) -> list[str]:  # noqa: ANN001
    found: list[str] = []
    for start in range(0, len(ids), 1000):
        batch = ids[start : start + 1000]
        cursor = collection.find({**query, key: {"$in": batch}}, {key: 1})
        found += [document[key] async for document in cursor]
    return found


async def count_stages(mongo_uri: str, namespace: str, ids: list[str]) -> list[StageCount]:
    """What each stage holds of the accepted applications ``ids``."""
    client: AsyncMongoClient = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        routing = client[f"{namespace}_routing"]["applications"]
        notices = client[f"{namespace}_notify"]["notifications"]
        audit = client[f"{namespace}_audit"]["records"]
        routed = await _ids_in(routing, ids, {}, "_id")
        received = await _ids_in(routing, ids, {"status": {"$ne": "routed"}}, "_id")
        noticed: list[tuple[str, str]] = []
        for start in range(0, len(ids), 1000):
            cursor = notices.find(
                {"application_id": {"$in": ids[start : start + 1000]}},
                {"application_id": 1, "status": 1, "channel": 1},
            )
            noticed += [(n["application_id"], n.get("status", "")) async for n in cursor]
        wanted = [n for n in noticed if n[1] in STATUSES_NOTIFIED]
        audited = await _ids_in(audit, ids, {"type": "application.submitted"}, "subject")
    finally:
        await client.close()
    return [
        StageCount("accepted", len(ids), len(set(ids)), len(ids) - len(set(ids))),
        StageCount("routed", len(ids), len(set(routed))),
        StageCount("delivered to agency", len(ids), len(set(received))),
        StageCount(
            "notified",
            len(ids) * len(STATUSES_NOTIFIED),
            len(set(wanted)),
            len(wanted) - len(set(wanted)),
        ),
        StageCount("audited", len(ids), len(set(audited)), len(audited) - len(set(audited))),
    ]


async def wait_for_drain(
    count: Callable[[], Awaitable[list[StageCount]]], timeout: float
) -> tuple[list[StageCount], float | None]:
    """Count until every stage is whole or ``timeout`` passes; (counts, seconds taken)."""
    started = time.monotonic()
    counts = await count()
    while time.monotonic() - started < timeout:
        if all(stage.lost == 0 for stage in counts):
            return counts, time.monotonic() - started
        await asyncio.sleep(2)
        counts = await count()
    return counts, None


def start_platform(env: dict[str, str], log_dir: Path) -> dict[str, PlatformProcess]:
    subprocess.run(
        [sys.executable, "-m", "ops", "topics", "provision"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        timeout=120,
    )
    from shared.catalogue import load_catalogue

    ports = {name: free_port() for name in SERVICES}
    # Every process knows every port: intake asks identity, identity asks the others.
    env = {**env, **{f"MPP_{name.upper()}_PORT": str(port) for name, port in ports.items()}}
    processes = {name: service_process(name, env, ports[name], log_dir) for name in SERVICES}
    processes["agency"] = demo_agency_process(load_catalogue().kafka_inboxes(), env, log_dir)
    for process in processes.values():
        process.start()
    for process in processes.values():
        process.wait_ready(timeout=120)
    return processes


async def soak(rate: float, duration: float, drain: float, log_dir: Path) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="mpp-soak-"))
    local = LocalStack(
        kafka_port=free_port(),
        mongo_port=free_port(),
        data_dir=data_dir,
        log_dir=log_dir,
        fresh_database=True,
    )
    namespace = f"soak{uuid.uuid4().hex[:8]}"
    env = {
        "MPP_KAFKA_BOOTSTRAP": local.kafka_bootstrap,
        "MPP_MONGO_URI": local.mongo_uri,
        "MPP_NAMESPACE": namespace,
        "MPP_LOG_FORMAT": "json",
        "MPP_LOCAL_DIR": str(data_dir),
    }
    processes: dict[str, PlatformProcess] = {}
    try:
        local.start()
        processes = await asyncio.to_thread(start_platform, env, log_dir)
        intake = processes["intake"].url
        print(f"soak: {rate:g}/s for {duration:g}s against {intake} (namespace {namespace})")
        load = Load(
            intake,
            Settings(mongo_uri=local.mongo_uri, namespace=namespace),
            identity_url=processes["identity"].url,
        )
        elapsed = await load.run(rate, duration)
        ids = list(load.accepted.values())
        counts, drained_in = await wait_for_drain(
            lambda: count_stages(local.mongo_uri, namespace, ids), drain
        )
    finally:
        for process in processes.values():
            process.stop()
        local.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "rate": rate,
        "duration": duration,
        "sent": int(rate * duration),
        "accepted_rate": len(ids) / elapsed if elapsed else 0.0,
        "refused": load.failed[:20],
        "refused_count": len(load.failed),
        "client_retries": load.retries,
        "drained_in": drained_in,
        "stages": [{**asdict(stage), "lost": stage.lost} for stage in counts],
        "zero_loss": drained_in is not None and all(s.duplicates == 0 for s in counts),
    }


def main_soak(rate: float, duration: float, drain: float | None = None) -> int:
    log_dir = Path("artifacts") / "soak-logs"
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(log_dir)
    result = asyncio.run(soak(rate, duration, drain or max(60.0, duration / 2), log_dir))
    print(
        f"sent {result['sent']}, accepted at {result['accepted_rate']:.1f}/s, "
        f"refused {result['refused_count']}, client retries {result['client_retries']}"
    )
    for stage in result["stages"]:
        print(
            StageCount(
                stage["stage"], stage["expected"], stage["found"], stage["duplicates"]
            ).line()
        )
    drained = result["drained_in"]
    print(f"drained in {drained:.1f}s" if drained is not None else "NOT drained in time")
    print("ZERO LOSS" if result["zero_loss"] else "LOSS OR DUPLICATES: see above")
    Path("artifacts").mkdir(exist_ok=True)
    (Path("artifacts") / "soak.json").write_text(json.dumps(result, indent=2))
    return 0 if result["zero_loss"] else 1
