"""The queue under load: many phones booking one slot at once, and a day of an MPP's
visitors replayed against it.

Starts its own broker and database on free ports, identity and two intake replicas as
their own processes (through ``bench.queue_launch``: the queue's clock follows a file,
the release sweep runs every second, throwaway accounts are hashed cheaply), then:

1. **one slot, many clients** — ``--clients`` citizens over HTTP (both replicas, round
   robin) book the same slot of Kota Probolinggo's KTP-el queue, whose slot has
   ``--places`` places (30% kept for walk-ins), while 8 kiosks hand out walk-in tickets of
   the same slot, until both shares are taken. Bookings per second and their latency,
   beside the ledger's own conditional update alone (PyMongo, the same number of
   coroutines, one slot document): the floor of contention on one document. Then a slot
   of 10 places and many more clients than places, all at once: refusals per second.
   Afterwards the database must hold exactly the slot's places, every one answered to one
   client, and no booking in the walk-in share — or the run fails.
2. **a day at one MPP** — ``--visitors`` of Kota Mojokerto's MPP (four queued services,
   08:00–15:00, 30-minute slots) drawn from a seed (:mod:`bench.queue_day`) are booked
   beforehand, then replayed while the queue's clock runs ``--speed`` times the real time:
   kiosks check bookings in and hand out walk-in tickets, ``--counters`` officers call,
   serve (2–7 day minutes), mark no-shows and transfer. Check-in → call in day minutes;
   each operation's latency in real milliseconds; tickets finished per real second. The
   day's ledger, bookings, tickets and calls must agree (:mod:`bench.queue_checks`).

Usage: ``python -m bench.queue [--clients 64] [--places 1000] [--visitors 4000]
[--counters 50] [--speed 240]``.
"""

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from collections.abc import Awaitable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from pymongo import AsyncMongoClient

from bench.common import Figure, local_stack, percentile, report
from bench.queue_checks import DayFacts, check_day, day_facts
from bench.queue_contention import (
    WARM_UP,
    Contention,
    contention,
    ledger_floor,
    small_slot,
    warm_up,
)
from bench.queue_day import IDLE_MINUTES, DayPlan, DayReplay, Timings, plan_day, write_clock
from bench.queue_ideal import ideal_waits
from bench.queue_platform import QueuePlatform
from shared.catalogue import Catalogue
from shared.catalogue.live import PACKAGES_DIR, built_in_documents, compile_documents

__all__ = ["DAY_REGION", "SLOT_REGION", "mpp_packages", "replay_day", "working_days"]

DAY_REGION = "3576"
"""Kota Mojokerto: the day replayed."""
SLOT_REGION = "3574"
"""Kota Probolinggo: the contended slots (its own ledger, apart from the day's)."""
T = TypeVar("T")
KIOSKS = 8
"""Kiosks at the day's door, each serving one visitor at a time."""
WEIGHTS = {"ktp-el": 35, "kartu-keluarga": 30, "skck": 20, "perpanjangan-sim": 15}
"""Each queued service's share of the day's visitors."""


def mpp_packages(
    directory: Path, day_places: int, slot_places: int, counters: int = 5
) -> Catalogue:
    """The shipped packages, with ``day_places`` places a slot for each of Mojokerto's
    queued services (40% walk-in) and ``counters`` counters declared for the day (as
    :func:`day_plan` staffs them), and a queue for Probolinggo: KTP-el with
    ``slot_places`` a slot and Kartu Keluarga with 10 (30% walk-in each)."""
    shutil.copytree(PACKAGES_DIR, directory)
    day_path = directory / "regions" / f"{DAY_REGION}.json"
    mojokerto = json.loads(day_path.read_text())
    queue = mojokerto["queue"]
    queue["walkin_share_percent"] = 40
    for service in queue["services"]:
        service["quota_per_slot"] = day_places
    queue["counters"] = [
        {"id": name, "label": f"Loket {name.rsplit('-', 1)[1]}", "services": services}
        for name, services in _counters(counters).items()
    ]
    day_path.write_text(json.dumps(mojokerto))
    slot_path = directory / "regions" / f"{SLOT_REGION}.json"
    probolinggo = json.loads(slot_path.read_text())
    probolinggo["queue"] = {
        **{key: value for key, value in queue.items() if key != "counters"},
        "walkin_share_percent": 30,
        "services": [
            {"service": "ktp-el", "quota_per_slot": slot_places},
            {"service": "kartu-keluarga", "quota_per_slot": 10},
        ],
    }
    slot_path.write_text(json.dumps(probolinggo))
    return compile_documents(built_in_documents(directory))


def working_days(catalogue: Catalogue, after: date, count: int) -> list[date]:
    """``count`` Monday–Thursday working days of both regions (open 08:00–15:00), at
    least two apart (the release sweep reaches a day ahead), from two days after
    ``after``."""
    found: list[date] = []
    day = after + timedelta(days=2)
    while len(found) < count:
        open_ = all(
            catalogue.calendar_for(r).is_working_day(day) for r in (DAY_REGION, SLOT_REGION)
        )
        if open_ and day.weekday() <= 3 and (not found or (day - found[-1]).days >= 2):
            found.append(day)
        day += timedelta(days=1)
    return found


def _counters(count: int) -> dict[str, list[str]]:
    """``count`` counters, shared among the services by their weight (at least one
    each); every fifth counter also serves the next service (a mixed counter)."""
    names = list(WEIGHTS)
    total = sum(WEIGHTS.values())
    counts = {s: max(1, round(count * w / total)) for s, w in WEIGHTS.items()}
    counters: dict[str, list[str]] = {}
    for service, n in counts.items():
        for _ in range(n):
            k = len(counters) + 1
            other = names[(names.index(service) + 1) % len(names)]
            counters[f"loket-{k}"] = [service, other] if k % 5 == 0 else [service]
    return counters


def day_plan(
    catalogue: Catalogue, day: date, visitors: int, counters: int, slots: int | None
) -> DayPlan:
    rules = catalogue.queue_rules(DAY_REGION, "ktp-el")
    assert rules is not None
    shape = {
        "region": DAY_REGION,
        "day": day,
        "zone": catalogue.zone_of(DAY_REGION),
        "starts": rules.slots_on(day),
        "slot_minutes": rules.slot_minutes,
        "grace_minutes": rules.grace_minutes,
        "weights": WEIGHTS,
    }
    return plan_day(shape, _counters(counters), visitors, slots=slots)


def opening(plan: DayPlan) -> float:
    """The day minute the replay starts: half an hour before the first slot, when the
    first bookings may be checked in."""
    first = datetime.strptime(min(v.slot for v in plan.visitors), "%H:%M")
    return first.hour * 60 + first.minute - 30.0


async def replay_day(
    platform: QueuePlatform, plan: DayPlan, speed: float, quota: dict[str, int]
) -> tuple[Timings, DayFacts, dict[str, int]]:
    """Book the day, replay it, wait for the sweep; the timings, what the database holds
    afterwards (beside the replay's calls and tickets), and counts of what happened."""
    opens = opening(plan)
    write_clock(platform.clock, plan.moment(opens - 30), 0)  # before the day opens
    staff = {"kiosk": platform.staff("queue_kiosk", plan.region, KIOSKS)}
    staff["officer"] = platform.staff("counter_officer", plan.region, len(plan.counters))
    async with platform.clients() as clients:
        replay = DayReplay(plan, clients, staff, speed=speed, clock=platform.clock)
        refused = await replay.book(platform.citizens)
        timings = await replay.run(opens)
    released = await platform.swept(plan.region, plan.day.isoformat())
    async with AsyncMongoClient(platform.stack.mongo_uri, tz_aware=True) as mongo:
        db = mongo[platform.settings.database_name("intake")]
        facts = await day_facts(db, plan.region, plan.day.isoformat(), quota)
    facts.calls, facts.handed_out = timings.calls, timings.tickets
    counts = {
        "booked": len(replay.codes),
        "refused bookings": refused,
        "requests sent again after a busy answer": replay.retries.count,
        "released": released,
        "tickets": len(facts.tickets),
        "walk-ins": sum(1 for t in facts.tickets if t.get("booking") is None),
        "priority": sum(1 for t in facts.tickets if t["priority"]),
        "no-shows at the counter": sum(1 for t in facts.tickets if t["status"] == "no_show"),
        "transferred": sum(1 for t in facts.tickets if t.get("transfers")),
        "slots": len(facts.slots),
    }
    return timings, facts, counts


def day_figures(timings: Timings, plan: DayPlan) -> list[Figure]:
    day = f"day of {len(plan.visitors):,} visitors"
    ideal = ideal_waits(plan, list(WEIGHTS), timings.booked, opening(plan))
    instant = (
        "the same day on an instant platform: the same visitors, counters, service times "
        "and idle officers' habit, simulated event by event"
    )
    return [
        Figure(
            f"{day}: check-in → call p50",
            percentile(timings.waits, 50),
            "day minutes",
            percentile(ideal, 50),
            instant,
        ),
        Figure(
            f"{day}: check-in → call p99",
            percentile(timings.waits, 99),
            "day minutes",
            percentile(ideal, 99),
            instant,
        ),
        *(
            Figure(f"{day}: {operation} latency p{q}", timings.ms(operation, q), "ms")
            for operation in ("check-in", "walk-in", "call", "served")
            for q in (50, 99)
        ),
        Figure(
            f"{day}: tickets finished per second", timings.finished / timings.elapsed, "tickets/s"
        ),
    ]


async def measure(args: argparse.Namespace, tmp: Path) -> None:
    with local_stack(tmp / "stack") as stack:
        catalogue = mpp_packages(tmp / "packages", args.day_places, args.places, args.counters)
        replay_on, slot_on = working_days(catalogue, date.today(), 2)
        plan = day_plan(catalogue, replay_on, args.visitors, args.counters, args.slots)
        per_service = max(
            sum(1 for v in plan.visitors if v.booked and v.service == s) for s in WEIGHTS
        )
        online = catalogue.queue_rules(SLOT_REGION, "ktp-el").online_limit  # type: ignore[union-attr]
        platform = QueuePlatform(stack, tmp, replicas=2, packages=tmp / "packages")
        pool = max(online + args.clients, per_service, args.small_clients + WARM_UP)
        phases = Phases()
        try:
            await phases.run("start and register citizens", platform.start(citizens=pool))
            await phases.run("warm-up", warm_up(platform, slot_on, WARM_UP))
            big = await phases.run(
                "one slot", contention(platform, catalogue, slot_on, args.clients)
            )
            floor = await phases.run(
                "ledger floor", ledger_floor(stack.mongo_uri, online, args.clients)
            )
            small = await phases.run(
                "slot of 10", small_slot(platform, catalogue, slot_on, args.small_clients)
            )
            quota = {s: args.day_places for s in WEIGHTS}
            timings, facts, counts = await phases.run(
                "day", replay_day(platform, plan, args.speed, quota)
            )
            broken = check_day(facts)
        finally:
            platform.stop()
    if broken:
        raise SystemExit(
            "benchmark failed, the day broke the queue's rules:\n" + "\n".join(broken[:20])
        )
    figures = [*big.figures(floor, args.clients), *small.figures(args.small_clients)]
    figures += day_figures(timings, plan)
    notes = _notes(args, big, small, timings, counts, plan) + f" Phases: {phases}."
    extra = {"parameters": vars(args), "counts": counts, "phases": phases.seconds}
    report("queue", figures, notes, extra)
    print(notes)


def _notes(
    args: argparse.Namespace,
    big: Contention,
    small: Contention,
    timings: Timings,
    counts: dict[str, int],
    plan: DayPlan,
) -> str:
    return (
        f"One slot: {big.booked} bookings and {big.walked_in} walk-in tickets took its "
        f"{args.places} places in {big.elapsed:.1f} s ({args.clients} citizens over HTTP and "
        f"8 kiosks, two intake replicas); {big.refused} answers after it was full were 409; "
        f"{big.retries.count} requests were answered 503 (identity did not answer intake in "
        "time) or lost their connection and were sent again with the same Idempotency-Key, "
        "as a phone does, their latency counted from the first try. "
        f"Slot of 10: {small.booked} booked and {small.walked_in} walked in of "
        f"{small.attempts} at once, {small.refused} refused with a problem (409). "
        f"Day: {len(plan.visitors):,} visitors drawn (seed 30), {counts['booked']:,} booked "
        f"beforehand ({counts['requests sent again after a busy answer']} bookings, "
        f"check-ins and walk-ins sent again after a 503 or a broken connection), "
        f"{counts['tickets']:,} tickets ({counts['walk-ins']:,} walk-ins, "
        f"{counts['priority']} priority), {counts['released']} bookings released by the "
        f"sweep, {counts['no-shows at the counter']} no-shows at the counter, "
        f"{counts['transferred']} transferred; {len(plan.counters)} counters; the queue's "
        f"clock ran {args.speed:.0f}× the real time (a day minute is {60 / args.speed:.2f} s), "
        f"the day took {timings.elapsed:.0f} s. Check-in → call is read from the tickets' own "
        f"times on that clock, so it is in day minutes; an idle officer calls again every "
        f"{IDLE_MINUTES:.0f} day minutes, in the replay and in its baseline alike. Each real "
        f"second a request takes is {args.speed / 60:.0f} day minutes at the door or the "
        "counter, so the platform's latency weighs as much more than in a real day: the "
        "ratio to the instant platform is an upper bound of what the platform adds. Every "
        "check passed: no slot over its places, walk-in shares never booked online, every "
        "ticket called once per lane it waited in and finished served or a no-show, no "
        "booking left active."
    )


class Phases:
    """Real seconds each part of the run took (set-up included), printed as it goes."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    async def run(self, name: str, work: Awaitable[T]) -> T:
        started = time.monotonic()
        done = await work
        self.seconds[name] = time.monotonic() - started
        print(f"queue    {name}: {self.seconds[name]:.1f} s", flush=True)
        return done

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.seconds.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--places", type=int, default=1000)
    parser.add_argument("--small-clients", type=int, default=200)
    parser.add_argument("--visitors", type=int, default=4000)
    parser.add_argument("--day-places", type=int, default=200)
    parser.add_argument("--counters", type=int, default=50)
    parser.add_argument("--speed", type=float, default=240.0)
    parser.add_argument("--slots", type=int, default=None, help="only the day's first slots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        asyncio.run(measure(args, Path(tmp)))


if __name__ == "__main__":
    main()
