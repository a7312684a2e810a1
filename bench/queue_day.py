"""A day at one MPP, replayed in compressed time against the running platform, and the
checks that the day's ledger, bookings, tickets and calls agree afterwards.

The day is drawn from a seed (:func:`plan_day`): each visitor wants one service, books a
slot from the phone (and then comes on time, comes late, or does not come) or walks in,
and some sit in the priority lane. :class:`DayReplay` books the day's slots over HTTP
beforehand, then moves the queue's clock through the day (``bench.queue_launch`` reads it)
while each visitor checks in or takes a walk-in ticket at the kiosk when they arrive, and
each counter's officer calls the next ticket, serves it for a drawn number of minutes
(or marks a no-show, or transfers it to another service), and calls again.

:func:`bench.queue_checks.check_day` reads what the database holds afterwards and says
what is wrong: a slot holding more than its places, a booking in the walk-in share, a
ticket called twice, a ticket left waiting. A benchmark whose day fails a check does
not publish its figures.
"""

import asyncio
import json
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import httpx

from bench.common import percentile
from bench.queue_platform import Retries, post_retrying

__all__ = [
    "DayPlan",
    "DayReplay",
    "Visitor",
    "fate",
    "plan_day",
    "write_clock",
]

Headers = dict[str, str]
IDLE_MINUTES = 3.0
"""How long an officer with nobody waiting waits before calling again (day minutes)."""


@dataclass(frozen=True)
class Visitor:
    n: int
    service: str
    slot: str
    """The slot booked, or (a walk-in) the slot under way when they arrive (HH:MM)."""
    booked: bool
    priority: bool
    arrives: float | None
    """Minutes after midnight of the day (local time); None: a booking never used."""
    late: bool = False
    """Booked, but comes after the grace period: refused at check-in, takes a walk-in."""


@dataclass(frozen=True)
class DayPlan:
    region: str
    day: date
    zone: Any
    slot_minutes: int
    grace_minutes: int
    counters: dict[str, list[str]]
    """Each counter's services."""
    visitors: list[Visitor]

    def services(self) -> list[str]:
        """Every service some counter serves (a ticket may be transferred to these)."""
        return sorted({s for served in self.counters.values() for s in served})

    def moment(self, minutes: float) -> datetime:
        """The day's local time ``minutes`` after midnight."""
        return datetime.combine(self.day, clock_time(0), self.zone) + timedelta(minutes=minutes)


def _minutes(start: clock_time) -> int:
    return start.hour * 60 + start.minute


def _arrival(rng: random.Random, booked: bool, start: int, plan: dict) -> tuple[float | None, bool]:
    """When a visitor of the slot starting at minute ``start`` arrives, and whether late."""
    length, grace, last = plan["slot"], plan["grace"], plan["last"]
    if not booked:
        return start + rng.uniform(0, length - 0.5), False
    fate = rng.random()
    if fate < plan["no_show"]:
        return None, False
    late_at = start + grace + rng.uniform(1, 20)
    if fate < plan["no_show"] + plan["late"] and late_at < last:
        return late_at, True
    return start + rng.uniform(-25, 10), False


def plan_day(
    rules: dict[str, Any],
    counters: dict[str, list[str]],
    visitors: int,
    *,
    seed: int = 30,
    slots: int | None = None,
) -> DayPlan:
    """``visitors`` of one day: 60% booked online, 40% walk-ins, 10% priority; of the
    booked, 8% never come and 4% come after their grace period. ``rules``: region, day,
    zone, starts (slot starts), slot and grace minutes, and each service's weight.
    ``slots``: only the first few slots of the day (a short day for a test)."""
    rng = random.Random(seed)
    starts = rules["starts"][: slots or None]
    weights = [1.0 - 0.6 * k / max(1, len(starts) - 1) for k in range(len(starts))]
    services, service_weights = zip(*rules["weights"].items(), strict=True)
    last = _minutes(starts[-1]) + rules["slot_minutes"]
    shape = {"slot": rules["slot_minutes"], "grace": rules["grace_minutes"], "last": last}
    shape |= {"no_show": 0.08, "late": 0.04}
    people = []
    for n in range(visitors):
        booked = rng.random() < 0.6
        start = rng.choices(starts, weights)[0]
        arrives, late = _arrival(rng, booked, _minutes(start), shape)
        people.append(
            Visitor(
                n=n,
                service=rng.choices(services, service_weights)[0],
                slot=start.strftime("%H:%M"),
                booked=booked,
                priority=rng.random() < 0.1,
                arrives=arrives,
                late=late,
            )
        )
    return DayPlan(
        rules["region"],
        rules["day"],
        rules["zone"],
        rules["slot_minutes"],
        rules["grace_minutes"],
        counters,
        people,
    )


def write_clock(path: Path, at: datetime, speed: float, epoch: float | None = None) -> float:
    """Set the platform's queue clock (see ``bench.queue_launch``): ``at`` from ``epoch``
    (now by default) on, running ``speed`` times the real time. Returns the epoch."""
    epoch = time.time() if epoch is None else epoch
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"at": at.isoformat(), "epoch": epoch, "speed": speed}))
    temporary.replace(path)  # the processes never read a half-written file
    return epoch


@dataclass
class Timings:
    """What the replay saw: each operation's latency, each first call's wait."""

    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    waits: list[float] = field(default_factory=list)
    """Day minutes from check-in to the ticket's first call."""
    calls: Counter = field(default_factory=Counter)
    """200 answers to a call, per ticket id."""
    answers: Counter = field(default_factory=Counter)
    """(operation, status) of every request."""
    tickets: set[str] = field(default_factory=set)
    booked: set[int] = field(default_factory=set)
    """The visitors whose booking was taken."""
    finished: int = 0
    elapsed: float = 0.0

    def ms(self, operation: str, q: float) -> float:
        return percentile(self.latency[operation], q) * 1000


def fate(ticket: str, seed: int) -> tuple[str, float]:
    """What the officer does with a called ticket, and after how many day minutes: 3%
    no-shows (a minute), 2% transfers (two minutes), else served in 2 to 7 minutes."""
    rng = random.Random(f"{seed}:{ticket}")
    draw = rng.random()
    if draw < 0.03:
        return "no-show", 1.0
    if draw < 0.05:
        return "transfer", 2.0
    return "served", rng.triangular(2.0, 7.0, 3.0)


class DayReplay:
    """Replays ``plan`` against intake replicas (``clients``, round robin) while the
    queue's clock runs ``speed`` times the real time."""

    def __init__(
        self,
        plan: DayPlan,
        clients: list[httpx.AsyncClient],
        staff: dict[str, list[Headers]],
        *,
        speed: float,
        clock: Path,
        seed: int = 30,
    ) -> None:
        self.plan, self.clients, self.staff = plan, clients, staff
        self.speed, self.clock, self.seed = speed, clock, seed
        self.codes: dict[int, str] = {}
        self.retries = Retries()
        """Bookings, check-ins and walk-ins answered busy (or their connection broken)
        and sent again, answered the same."""
        self.timings = Timings()
        self._turn = 0
        self._epoch = 0.0
        self._origin = 0.0
        self._arrivals_done = False
        self._busy = 0
        """Counters calling or serving now: none may close while another may still
        transfer a ticket to its services."""
        self._transferred: set[str] = set()

    def _client(self) -> httpx.AsyncClient:
        self._turn += 1
        return self.clients[self._turn % len(self.clients)]

    async def _timed(self, operation: str, send: Callable[[], Awaitable[httpx.Response]]) -> Any:
        began = time.perf_counter()
        answer = await send()
        self.timings.latency[operation].append(time.perf_counter() - began)
        self.timings.answers[(operation, answer.status_code)] += 1
        return answer

    async def book(self, citizens: list[Headers], concurrency: int = 32) -> int:
        """Book every booked visitor's slot beforehand (the queue's clock stands before
        opening); each citizen books at most one slot of a service. Bookings refused."""
        per_service: Counter = Counter()
        gate = asyncio.Semaphore(concurrency)
        refused = 0

        async def one(visitor: Visitor) -> None:
            nonlocal refused
            citizen = citizens[per_service[visitor.service] % len(citizens)]
            per_service[visitor.service] += 1
            body = {"region": self.plan.region, "service": visitor.service}
            body |= {"date": self.plan.day.isoformat(), "start": visitor.slot}
            headers = {**citizen, "Idempotency-Key": str(uuid.uuid4())}
            async with gate:
                answer = await post_retrying(
                    self._client(), "/api/v1/queue/bookings", body, headers, self.retries
                )
            if answer.status_code == 201:
                self.codes[visitor.n] = answer.json()["code"]
                self.timings.booked.add(visitor.n)
            else:
                refused += 1

        await asyncio.gather(*(one(v) for v in self.plan.visitors if v.booked))
        return refused

    def _real(self, minutes: float) -> float:
        """The real (``time.time``) moment the queue's clock reads day minute ``minutes``."""
        return self._epoch + (minutes - self._origin) * 60 / self.speed

    async def _until(self, minutes: float) -> None:
        await asyncio.sleep(max(0.0, self._real(minutes) - time.time()))

    async def _walk_in(self, visitor: Visitor, kiosk: Headers) -> None:
        body = {"service": visitor.service, "priority": visitor.priority}
        headers = {**kiosk, "Idempotency-Key": str(uuid.uuid4())}
        answer = await self._timed(
            "walk-in",
            lambda: post_retrying(
                self._client(), "/api/v1/queue/walk-ins", body, headers, self.retries
            ),
        )
        if answer.status_code == 201:
            self.timings.tickets.add(answer.json()["id"])

    async def _arrive(self, visitor: Visitor, kiosk: Headers) -> None:
        """At the kiosk: a booking checked in (a late one refused, then a walk-in), or a
        walk-in's ticket."""
        code = self.codes.get(visitor.n)
        if code is None:
            await self._walk_in(visitor, kiosk)
            return
        body = {"code": code, "priority": visitor.priority}
        answer = await self._timed(
            "check-in",
            lambda: post_retrying(
                self._client(), "/api/v1/queue/check-ins", body, kiosk, self.retries
            ),
        )
        if answer.status_code in (200, 201):  # 200: a retry answered the same ticket
            self.timings.tickets.add(answer.json()["id"])
        elif visitor.late:
            await self._walk_in(visitor, kiosk)

    async def _door(self) -> None:
        """Each visitor joins the line at their moment; each kiosk takes the next in line
        and serves one visitor at a time (a busy platform shows as a longer line, not as
        more requests at once)."""
        arriving = sorted(
            (v for v in self.plan.visitors if v.arrives is not None),
            key=lambda v: v.arrives or 0.0,
        )
        line: asyncio.Queue[Visitor | None] = asyncio.Queue()
        kiosks = [asyncio.create_task(self._kiosk(line, k)) for k in self.staff["kiosk"]]
        for visitor in arriving:
            await self._until(visitor.arrives or 0.0)
            line.put_nowait(visitor)
        for _ in kiosks:
            line.put_nowait(None)
        await asyncio.gather(*kiosks)
        self._arrivals_done = True

    async def _kiosk(self, line: "asyncio.Queue[Visitor | None]", kiosk: Headers) -> None:
        while (visitor := await line.get()) is not None:
            await self._arrive(visitor, kiosk)

    async def _serve(self, ticket: dict[str, Any], officer: Headers) -> None:
        """The officer's step for a called ticket, after its drawn minutes."""
        step, minutes = fate(ticket["id"], self.seed)
        others = [s for s in self.plan.services() if s != ticket["service"]]
        if step == "transfer" and (ticket["id"] in self._transferred or not others):
            step = "served"
        await asyncio.sleep(minutes * 60 / self.speed)
        path = f"/api/v1/queue/tickets/{ticket['id']}/{step}"
        body = None
        if step == "transfer":
            self._transferred.add(ticket["id"])
            body = {"service": random.Random(ticket["id"]).choice(others)}
        answer = await self._timed(
            step, lambda: self._client().post(path, json=body, headers=officer)
        )
        if answer.status_code != 200:
            raise RuntimeError(f"{step} of {ticket['id']}: {answer.status_code} {answer.text}")
        if step != "transfer":
            self.timings.finished += 1

    async def _counter(self, name: str, services: list[str], officer: Headers) -> None:
        """Call, serve, call again; an idle counter calls again three day minutes later, and
        closes once every visitor has come and nobody is waiting or being served."""
        body = {"counter": name, "services": services}
        while True:
            self._busy += 1
            answer = await self._timed(
                "call",
                lambda: self._client().post("/api/v1/queue/calls", json=body, headers=officer),
            )
            if answer.status_code == 204:
                self._busy -= 1
                if self._arrivals_done and self._busy == 0:
                    return
                await asyncio.sleep(IDLE_MINUTES * 60 / self.speed)
                continue
            if answer.status_code != 200:
                raise RuntimeError(f"call at {name}: {answer.status_code} {answer.text}")
            ticket = answer.json()
            self.timings.calls[ticket["id"]] += 1
            if self.timings.calls[ticket["id"]] == 1:
                waited = datetime.fromisoformat(ticket["called_at"]) - datetime.fromisoformat(
                    ticket["checked_in_at"]
                )
                self.timings.waits.append(waited.total_seconds() / 60)
            try:
                await self._serve(ticket, officer)
            finally:
                self._busy -= 1

    async def run(self, opens_minutes: float) -> Timings:
        """The day from ``opens_minutes`` (the clock starts there) until the last
        ticket is finished."""
        self._origin = opens_minutes
        self._epoch = write_clock(self.clock, self.plan.moment(opens_minutes), self.speed)
        officers = self.staff["officer"]
        started = time.perf_counter()
        await asyncio.gather(
            self._door(),
            *(
                self._counter(name, services, officers[k % len(officers)])
                for k, (name, services) in enumerate(self.plan.counters.items())
            ),
        )
        self.timings.elapsed = time.perf_counter() - started
        return self.timings
