"""Helpers for tests that drive the platform's processes over HTTP and read its stores."""

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from ops.proven_citizens import mark_proven
from ops.sample_data import SAMPLE_PROFILE
from shared.settings import Settings


async def eventually(
    check: Callable[[], Awaitable[Any]],
    timeout: float,
    until: Callable[[Any], bool] = bool,
    interval: float = 0.05,
) -> Any:
    """Poll ``check`` until ``until(value)`` holds; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if until(last):
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


_niks = itertools.count(1)


def new_nik(region: str = "3576", female: bool = False) -> str:
    """A valid NIK no other citizen of this test run has: region, district, birth date
    (day + 40 for women), serial."""
    n = next(_niks)
    day = 15 + (40 if female else 0)
    return f"{region}{1 + n // 9999 % 99:02d}{day:02d}0890{n % 9999 + 1:04d}"


@dataclass(frozen=True)
class Citizen:
    id: str
    nik: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> str:
    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


INTAKE_DATABASES: dict[str, Settings] = {}
"""Intake processes started by the ``platform`` fixture: base URL → their settings, so
:func:`register` can reach their database."""


async def prove_account(client: httpx.AsyncClient, account_id: str) -> None:
    """Test setup: mark an account's email, phone and NIK proven, as the contact codes and
    a counter operator would (those journeys have tests of their own:
    tests/integration/test_identity_recovery.py, test_nik_ownership.py, the browser story)."""
    app = getattr(client, "identity", None)
    if app is not None:
        accounts = app.state.accounts.accounts
        await accounts.update_one(
            {"_id": account_id}, {"$set": {"email_verified": True, "phone_verified": True}}
        )
        await app.state.ownership.prove(account_id, method="counter", operator_id="test-setup")
        return
    settings = INTAKE_DATABASES[str(client.base_url).rstrip("/")]
    await mark_proven(settings, [account_id], operator="test-setup")


async def register(client: httpx.AsyncClient, proven: bool = True, **fields: Any) -> Citizen:
    """Create a citizen's account, with a complete profile, and sign in; ``proven``: with
    email, phone and NIK proven, so it may submit (see :func:`prove_account`)."""
    nik = fields.pop("nik", None) or new_nik()
    body = {
        "nik": nik,
        "name": "Siti Aminah",
        "email": f"warga-{uuid.uuid4().hex[:12]}@example.id",
        "phone": "081234567890",
        "password": "kata-sandi-rahasia",
        **SAMPLE_PROFILE,
        **fields,
    }
    response = await client.post("/api/v1/accounts", json=body)
    assert response.status_code == 201, response.text
    if proven:
        await prove_account(client, response.json()["id"])
    token = await sign_in(client, body["email"], body["password"])
    return Citizen(response.json()["id"], nik, body["email"], body["password"], token)


async def submit(
    client: httpx.AsyncClient,
    citizen: Citizen | None = None,
    *,
    key: str | None = None,
    **fields: Any,
) -> dict:
    """Submit as ``citizen`` (a new account when None), with a fresh Idempotency-Key."""
    citizen = citizen or await register(client)
    body = {
        "service": "ktp-el",
        "region": "3576",
        "data": {"reason": "baru"},
        "channel": "mobile",
        **fields,
    }
    headers = {**citizen.headers, "Idempotency-Key": key or str(uuid.uuid4())}
    response = await client.post("/api/v1/applications", json=body, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()


async def read_topic(bootstrap: str, topic: str, until: int, timeout: float = 20) -> list:
    """Every record on ``topic`` from the start, once at least ``until`` have arrived
    (and a moment more, so duplicates would show); decoded as events."""
    from aiokafka import AIOKafkaConsumer

    from shared.events import decode

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found: list = []
    try:
        deadline = time.monotonic() + timeout
        settle: float | None = None
        while time.monotonic() < deadline and (settle is None or time.monotonic() < settle):
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                found += [decode(record.value) for record in records]
            if settle is None and len(found) >= until:
                settle = time.monotonic() + 1.0
    finally:
        await consumer.stop()
    return found


@asynccontextmanager
async def running_intake(stack: Any, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Intake in this process on its own namespace, for a module of tests to share (one
    start-up instead of one per test), identity beside it; ``client.app`` is intake's app,
    ``client.identity`` identity's, and the client routes by path as the proxy does."""
    from tests.front_door import start_intake

    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
        **overrides,
    )
    async with AsyncExitStack() as running:
        yield await start_intake(running, settings)


class Stores:
    """Read-only views of each service's database, as a test would inspect them."""

    def __init__(self, settings: Settings) -> None:
        self.client = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
        self.intake = self.client[settings.database_name("intake")]
        self.routing = self.client[settings.database_name("routing")]
        self.notify = self.client[settings.database_name("notify")]
        self.audit = self.client[settings.database_name("audit")]

    async def close(self) -> None:
        await self.client.close()
