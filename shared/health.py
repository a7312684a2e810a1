"""Liveness and readiness.

``GET /healthz`` answers 200 while the process serves HTTP. ``GET /readyz`` answers 200
only when the database answers a ping, the broker answers, and every consumer of the
service has been assigned partitions (a member that has not joined its group yet
would not process anything); otherwise 503 with the failing checks.
"""

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from shared.problems import problem_response

__all__ = ["health_router"]


async def _mongo_ok(client: AsyncMongoClient) -> bool:
    try:
        await asyncio.wait_for(client.admin.command("ping"), timeout=1.5)
        return True
    except Exception:
        return False


async def _broker_ok(broker: KafkaBroker) -> bool:
    try:
        return bool(await broker.ping(timeout=1.5))
    except Exception:
        return False


def _consumers_assigned(broker: KafkaBroker) -> bool:
    for subscriber in broker.subscribers:
        consumer = getattr(subscriber, "consumer", None)
        if consumer is None or not consumer.assignment():
            return False
    return True


def health_router(broker: KafkaBroker, mongo: AsyncMongoClient) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Broker, database and consumers are ready", response_model=None)
    async def readyz() -> Any:
        mongo_ok, broker_ok = await asyncio.gather(_mongo_ok(mongo), _broker_ok(broker))
        checks = {
            "database": mongo_ok,
            "broker": broker_ok,
            "consumers": broker_ok and _consumers_assigned(broker),
        }
        if all(checks.values()):
            return JSONResponse({"status": "ready", "checks": checks})
        failing = ", ".join(name for name, ok in checks.items() if not ok)
        return problem_response(
            503,
            "Belum siap / Not ready",
            f"Not ready: {failing}",
            checks=checks,
            headers={"Retry-After": "1"},
        )

    return router
