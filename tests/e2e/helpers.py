"""Helpers for tests that drive the platform's processes over HTTP and read its stores."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pymongo import AsyncMongoClient

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


async def submit(client: httpx.AsyncClient, citizen: str = "citizen-1", **fields: Any) -> dict:
    body = {
        "service": "ktp-el",
        "region": "3576",
        "data": {"reason": "baru"},
        "channel": "mobile",
        "citizen_id": citizen,
        **fields,
    }
    response = await client.post("/api/v1/applications", json=body)
    assert response.status_code == 202, response.text
    return response.json()


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
