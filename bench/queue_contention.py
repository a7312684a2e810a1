"""Many clients after one slot's places: ``bench.queue``'s first part.

The queue's clock stands still five minutes into the slot (``bench.queue_launch``), so
the kiosks' walk-ins take from the slot's walk-in share while the phones book its online
share (booking checks the real time, and the slot's day is ahead).
"""

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import httpx
from pymongo import AsyncMongoClient, ReturnDocument

from bench.common import Figure, percentile
from bench.queue_checks import check_slot, slot_facts
from bench.queue_day import write_clock
from bench.queue_platform import QueuePlatform, Retries, post_retrying
from shared.catalogue import Catalogue

__all__ = ["WARM_UP", "Contention", "contention", "ledger_floor", "small_slot", "warm_up"]

REGION = "3574"
WARM_UP = 16
"""Citizens (the pool's last) who book before the measured parts: connections opened,
caches filled."""
KIOSKS = 8
START = "09:00"


@dataclass
class Contention:
    """What the clients of one slot were answered."""

    latencies: list[float] = field(default_factory=list)
    """Seconds of each booking answered 201."""
    booked: int = 0
    walked_in: int = 0
    refused: int = 0
    """Answers 409 with a problem: the share was taken."""
    attempts: int = 0
    elapsed: float = 0.0
    retries: Retries = field(default_factory=Retries)
    """Bookings answered busy (503: identity did not answer in time) and sent again."""

    def figures(self, floor: float, clients: int) -> list[Figure]:
        name = (
            f"the ledger's conditional update alone: PyMongo, {clients} coroutines taking "
            "places of one slot document (no HTTP, token, booking or transaction)"
        )
        rate = self.booked / self.elapsed
        return [
            Figure(
                f"bookings/s, one slot, {clients} clients, 2 replicas",
                rate,
                "bookings/s",
                floor,
                name,
            ),
            Figure("booking latency p50, one slot", percentile(self.latencies, 50) * 1000, "ms"),
            Figure("booking latency p99, one slot", percentile(self.latencies, 99) * 1000, "ms"),
            Figure(
                f"walk-in tickets/s beside, {KIOSKS} kiosks",
                self.walked_in / self.elapsed,
                "tickets/s",
            ),
        ]


@dataclass
class Refusals(Contention):
    def figures(self, floor: float = 0.0, clients: int = 0) -> list[Figure]:
        return [
            Figure(
                f"refusals/s, slot of 10, {self.attempts} at once",
                self.refused / self.elapsed,
                "refusals/s",
            )
        ]


def _refusal(answer: httpx.Response) -> bool:
    return answer.status_code == 409 and answer.headers.get("content-type", "").startswith(
        "application/problem+json"
    )


async def _freeze(platform: QueuePlatform, catalogue: Catalogue, day: date) -> None:
    zone = catalogue.zone_of(REGION)
    slot = datetime.combine(day, datetime.strptime(START, "%H:%M").time(), zone)
    write_clock(platform.clock, slot + timedelta(minutes=5), 0)


async def _hammer(
    platform: QueuePlatform, service: str, day: date, clients: int, kiosks: int, once: bool
) -> Contention:
    """``clients`` phones booking and ``kiosks`` kiosks walking in, each until refused
    (``once``: one try each)."""
    found = Contention() if not once else Refusals()
    citizens = iter(platform.citizens)
    kiosk_tokens = platform.staff("queue_kiosk", REGION, kiosks)
    booking = {"region": REGION, "service": service, "date": day.isoformat(), "start": START}
    turn = itertools.count()

    async with platform.clients(clients + kiosks) as http:

        async def phone() -> None:
            while (citizen := next(citizens, None)) is not None:
                headers = {**citizen, "Idempotency-Key": str(uuid.uuid4())}
                began = time.perf_counter()
                client = http[next(turn) % len(http)]
                answer = await post_retrying(
                    client, "/api/v1/queue/bookings", booking, headers, found.retries
                )
                found.attempts += 1
                if answer.status_code == 201:
                    found.latencies.append(time.perf_counter() - began)
                    found.booked += 1
                elif _refusal(answer):
                    found.refused += 1
                    return
                else:
                    raise RuntimeError(f"booking: {answer.status_code} {answer.text}")
                if once:
                    return

        async def kiosk(headers: dict[str, str]) -> None:
            while True:
                client = http[next(turn) % len(http)]
                key = {"Idempotency-Key": str(uuid.uuid4())}
                answer = await post_retrying(
                    client,
                    "/api/v1/queue/walk-ins",
                    {"service": service},
                    headers | key,
                    found.retries,
                )
                found.attempts += 1
                if answer.status_code == 201:
                    found.walked_in += 1
                elif _refusal(answer):
                    found.refused += 1
                    return
                else:
                    raise RuntimeError(f"walk-in: {answer.status_code} {answer.text}")
                if once:
                    return

        started = time.perf_counter()
        await asyncio.gather(
            *(phone() for _ in range(clients)),
            *(
                kiosk(kiosk_tokens[k % len(kiosk_tokens)])
                for k in range(kiosks if not once else kiosks * 5)
            ),
        )
        found.elapsed = time.perf_counter() - started
    return found


async def _checked(
    platform: QueuePlatform, catalogue: Catalogue, service: str, day: date, found: Contention
) -> None:
    rules = catalogue.queue_rules(REGION, service)
    assert rules is not None
    key = f"{REGION}:{service}:{day.isoformat()}:{START}"
    async with AsyncMongoClient(platform.stack.mongo_uri, tz_aware=True) as mongo:
        db = mongo[platform.settings.database_name("intake")]
        facts = await slot_facts(db, key, found.booked, found.walked_in)
    broken = check_slot(facts, rules.online_limit, rules.walkin_limit)
    if broken:
        raise SystemExit(
            "benchmark failed, the slot broke the queue's rules:\n" + "\n".join(broken)
        )


async def contention(
    platform: QueuePlatform, catalogue: Catalogue, day: date, clients: int
) -> Contention:
    """KTP-el's slot taken by ``clients`` phones and the kiosks, until full; checked."""
    await _freeze(platform, catalogue, day)
    found = await _hammer(platform, "ktp-el", day, clients, KIOSKS, once=False)
    await _checked(platform, catalogue, "ktp-el", day, found)
    return found


async def small_slot(
    platform: QueuePlatform, catalogue: Catalogue, day: date, clients: int
) -> Contention:
    """Kartu Keluarga's slot of 10 tried once by ``clients`` phones and 40 walk-ins at
    once; checked."""
    await _freeze(platform, catalogue, day)
    found = await _hammer(platform, "kartu-keluarga", day, clients, KIOSKS, once=True)
    await _checked(platform, catalogue, "kartu-keluarga", day, found)
    return found


async def warm_up(platform: QueuePlatform, day: date, citizens: int) -> None:
    """The pool's last ``citizens`` book Kartu Keluarga's 10:00 slot (7 places: the
    rest refused), and the slots are listed, through every replica."""
    body = {"region": REGION, "service": "kartu-keluarga", "date": day.isoformat()}
    async with platform.clients() as http:

        async def one(k: int, citizen: dict[str, str]) -> None:
            headers = {**citizen, "Idempotency-Key": str(uuid.uuid4())}
            client = http[k % len(http)]
            answer = await client.post(
                "/api/v1/queue/bookings", json={**body, "start": "10:00"}, headers=headers
            )
            if answer.status_code != 201 and not _refusal(answer):
                raise RuntimeError(f"warm-up booking: {answer.status_code} {answer.text}")
            listed = await client.get("/api/v1/queue/slots", params=body)
            listed.raise_for_status()

        await asyncio.gather(*(one(k, c) for k, c in enumerate(platform.citizens[-citizens:])))


async def ledger_floor(mongo_uri: str, places: int, clients: int) -> float:
    """Places per second ``clients`` coroutines take of one slot document with the
    ledger's own conditional ``$inc`` (PyMongo, no HTTP): contention's floor."""
    async with AsyncMongoClient(mongo_uri, tz_aware=True, maxPoolSize=clients) as mongo:
        slots = mongo[f"bench_ledger_{uuid.uuid4().hex[:6]}"]["queue_slots"]
        await slots.insert_one({"_id": "slot", "online_limit": places, "online_taken": 0})
        taken = 0

        async def one() -> None:
            nonlocal taken
            while await slots.find_one_and_update(
                {"_id": "slot", "$expr": {"$lt": ["$online_taken", "$online_limit"]}},
                {"$inc": {"online_taken": 1}},
                projection={"_id": 1},
                return_document=ReturnDocument.AFTER,
            ):
                taken += 1

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(clients)))
        elapsed = time.perf_counter() - started
        if taken != places:
            raise SystemExit(f"benchmark failed: the floor took {taken} places of {places}")
        return taken / elapsed
