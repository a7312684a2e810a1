"""The baseline of the replayed day's waiting: the same day on an instant platform.

The same visitors arriving at the same day minutes, the same counters calling in the
queue's order (the priority lane, then the slot, then the number), the same fate of
each ticket (:func:`bench.queue_day.fate`, drawn from the ticket's id) and the same
habit of an idle officer — but every check-in, call and step taking no time at all,
simulated event by event. What the replay waits beyond it is the platform's doing (and
the machine's: the replay's clock runs on regardless).
"""

import heapq
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.queue_day import IDLE_MINUTES, DayPlan, Visitor, fate

__all__ = ["ideal_waits"]

_LANES = "ABCDEFGHJKLMNQRSTUVWXYZ"


@dataclass(order=True)
class _Ticket:
    rank: int
    slot: str
    seq: int
    id: str
    service: str = field(compare=False)
    checked_in: float = field(compare=False)


def _slot_at(plan: DayPlan, minutes: float) -> str:
    start = int(minutes // plan.slot_minutes * plan.slot_minutes)
    return f"{start // 60:02d}:{start % 60:02d}"


def _tickets(plan: DayPlan, lanes: list[str], booked: set[int]) -> list[tuple[float, _Ticket]]:
    """Each arriving visitor's ticket, numbered per lane in the order they arrive."""
    numbers: Counter = Counter()
    found = []
    arriving = sorted((v for v in plan.visitors if v.arrives is not None), key=_arrival)
    for visitor in arriving:
        at = visitor.arrives or 0.0
        walks_in = visitor.late or visitor.n not in booked
        lane = "P" if visitor.priority else _LANES[lanes.index(visitor.service)]
        numbers[lane] += 1
        number = f"{lane}-{numbers[lane]:03d}"
        slot = _slot_at(plan, at) if walks_in else visitor.slot
        ticket_id = f"{plan.region}-{plan.day.isoformat()}-{number}"
        rank = 0 if visitor.priority else 1
        found.append((at, _Ticket(rank, slot, numbers[lane], ticket_id, visitor.service, at)))
    return found


def _arrival(visitor: Visitor) -> float:
    return visitor.arrives or 0.0


def ideal_waits(
    plan: DayPlan, lanes: list[str], booked: set[int], opens: float, seed: int = 30
) -> list[float]:
    """Day minutes from check-in to first call of every ticket, on an instant platform.
    ``lanes``: the region's queued services in their lanes' order (A, B, ...);
    ``booked``: the visitors whose booking was taken (the rest walk in)."""
    sequence = iter(range(1, 1_000_000_000))
    events: list[tuple[float, int, str, Any]] = [
        (at, next(sequence), "arrive", ticket) for at, ticket in _tickets(plan, lanes, booked)
    ]
    events += [(opens, next(sequence), "call", name) for name in plan.counters]
    heapq.heapify(events)
    waiting: dict[str, list[_Ticket]] = {s: [] for s in plan.services()}
    calls: Counter = Counter()
    waits: list[float] = []
    coming = sum(1 for e in events if e[2] == "arrive")
    """Tickets still to arrive or to come back from a transfer."""
    while events:
        now, _, kind, what = heapq.heappop(events)
        if kind in ("arrive", "back"):
            heapq.heappush(waiting[what.service], what)
            coming -= 1
            continue
        queues = [waiting[s] for s in plan.counters[what] if waiting[s]]
        if not queues:
            if coming:
                heapq.heappush(events, (now + IDLE_MINUTES, next(sequence), "call", what))
            continue
        ticket = heapq.heappop(min(queues, key=lambda q: q[0]))
        calls[ticket.id] += 1
        if calls[ticket.id] == 1:
            waits.append(now - ticket.checked_in)
        step, minutes = fate(ticket.id, seed)
        others = [s for s in plan.services() if s != ticket.service]
        if step == "transfer" and calls[ticket.id] == 1 and others:
            ticket.service = random.Random(ticket.id).choice(others)
            heapq.heappush(events, (now + minutes, next(sequence), "back", ticket))
            coming += 1
        heapq.heappush(events, (now + minutes, next(sequence), "call", what))
    return waits
