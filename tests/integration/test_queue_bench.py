"""The queue benchmark's day, replayed small against the real broker and database with
identity and intake as their own processes (as ``python -m bench.queue`` runs them): its
checks pass on a real day, and the same checks refuse a day whose ledger was
over-booked, whose walk-in share was booked online, or whose ticket was called twice —
so a benchmark whose platform broke a rule cannot publish its figures."""

import copy
from datetime import date

import pytest

from bench.queue import WEIGHTS, day_plan, mpp_packages, replay_day, working_days
from bench.queue_checks import DayFacts, SlotFacts, check_day, check_slot
from bench.queue_platform import QueuePlatform

# The benchmark's own harness: a day replayed on its processes (about 30 s); make test-slow.
pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]


@pytest.fixture(scope="module")
async def replayed(stack, tmp_path_factory) -> tuple[DayFacts, dict[str, int]]:
    """40 visitors of the first two slots of a day, 2 counters, the clock 2400× fast."""
    tmp = tmp_path_factory.mktemp("queue-bench")
    catalogue = mpp_packages(tmp / "packages", day_places=40, slot_places=20, counters=2)
    day = working_days(catalogue, date.today(), 1)[0]
    plan = day_plan(catalogue, day, visitors=40, counters=2, slots=2)
    per_service = max(sum(1 for v in plan.visitors if v.booked and v.service == s) for s in WEIGHTS)
    platform = QueuePlatform(stack, tmp, replicas=1, packages=tmp / "packages", sweep_seconds=0.2)
    try:
        await platform.start(citizens=per_service)
        quota = dict.fromkeys(WEIGHTS, 40)
        _, facts, counts = await replay_day(platform, plan, speed=2400, quota=quota)
    finally:
        platform.stop()
    return facts, counts


async def test_a_replayed_day_passes_every_check_and_every_ticket_ends_served_or_a_no_show(
    replayed,
):
    facts, counts = replayed
    assert check_day(facts) == []
    assert counts["tickets"] > 20
    assert counts["booked"] > 10
    assert {t["status"] for t in facts.tickets} <= {"served", "no_show"}
    assert not any(b["status"] == "active" for b in facts.bookings)
    assert sum(facts.calls.values()) >= counts["tickets"]


async def test_the_checks_refuse_a_slot_holding_more_bookings_than_its_online_places(replayed):
    facts, _ = replayed
    broken = copy.deepcopy(facts)
    slot = next(s for s in broken.slots if s["online_taken"] > 0)
    slot["online_taken"] = slot["online_limit"] + 1
    assert any("online places taken" in problem for problem in check_day(broken))


async def test_the_checks_refuse_a_booking_in_the_walk_in_share(replayed):
    facts, _ = replayed
    broken = copy.deepcopy(facts)
    slot = next(s for s in broken.slots if s["online_taken"] > 0)
    moved = slot["online_limit"] - slot["online_taken"] + 1  # one booking in the walk-in share
    slot["online_limit"] -= moved
    slot["walkin_limit"] += moved
    problems = check_day(broken)
    assert any(slot["_id"] in problem and "online" in problem for problem in problems)


async def test_the_checks_refuse_a_ticket_called_twice_and_a_ticket_left_waiting(replayed):
    facts, _ = replayed
    broken = copy.deepcopy(facts)
    twice = broken.tickets[0]["_id"]
    broken.calls[twice] += 1
    broken.tickets[1]["status"] = "waiting"
    problems = check_day(broken)
    assert any(twice in problem and "called 2 times" in problem for problem in problems)
    assert any(broken.tickets[1]["_id"] in p and "left waiting" in p for p in problems)


def test_the_slot_check_refuses_one_place_taken_beyond_the_quota():
    slot = {"_id": "3574:ktp-el:2026-12-10:09:00", "online_taken": 8, "walkin_taken": 3}
    exact = SlotFacts(slot | {"online_taken": 7}, held=7, walk_ins=3, booked=7, walked_in=3)
    assert check_slot(exact, online_places=7, walkin_places=3) == []
    over = SlotFacts(slot, held=8, walk_ins=3, booked=8, walked_in=3)
    assert len(check_slot(over, online_places=7, walkin_places=3)) == 3
