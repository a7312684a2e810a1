"""Replay's external sort gives exactly the order of the in-memory sort it replaces,
with runs spilled to disk, duplicates read more than once, and equal times."""

import platform
import random

from services.audit.ordering import ExternalOrder
from services.audit.replay import Replayed, in_order, keep_large_allocations_mapped


def events(count: int, seed: int) -> list[Replayed]:
    """Events as a replay reads them: partitions interleaved, times out of order, some
    redelivered, several sharing one millisecond."""
    rng = random.Random(seed)
    made = []
    for n in range(count):
        time = f"2026-11-27T10:00:{rng.randrange(60):02d}.{rng.randrange(3):06d}Z"
        made.append(Replayed(time, f"0193{n:08x}", f"app-{n % 7}", "t", f'{{"n":{n}}}'.encode()))
    read = made + rng.sample(made, count // 5)  # redeliveries, read later
    rng.shuffle(read)
    return read


def test_the_external_sort_gives_the_in_memory_order_byte_for_byte():
    for seed in range(5):
        read = events(500, seed)
        ordered: ExternalOrder[Replayed] = ExternalOrder(run_size=37)
        for event in read:
            ordered.add(event)
        assert [e.raw for e in ordered] == [e.raw for e in in_order(read)]


def test_a_window_smaller_than_one_run_is_sorted_in_memory():
    read = events(50, 9)
    ordered: ExternalOrder[Replayed] = ExternalOrder(run_size=1000)
    for event in read:
        ordered.add(event)
    assert list(ordered) == in_order(read)


def test_the_first_read_of_a_redelivered_event_is_kept():
    first = Replayed("2026-11-27T10:00:00Z", "id-1", "app", "t", b"first")
    again = Replayed("2026-11-27T10:00:00Z", "id-1", "app", "t", b"again")
    ordered: ExternalOrder[Replayed] = ExternalOrder(run_size=1)
    for event in (first, again):
        ordered.add(event)
    assert [e.raw for e in ordered] == [b"first"]


def test_runs_merged_in_levels_give_the_same_order_with_few_files_open():
    for seed in range(3):
        read = events(600, seed)
        ordered: ExternalOrder[Replayed] = ExternalOrder(run_size=3, fan_in=2)
        most_open = 0
        for event in read:
            ordered.add(event)
            most_open = max(most_open, ordered.open_runs)
        # 240 runs of 3, merged by pairs: at most one run waiting on each of 8 levels
        assert most_open <= 8
        assert [e.raw for e in ordered] == [e.raw for e in in_order(read)]


def test_a_level_merges_once_it_holds_fan_in_runs():
    read = events(400, 3)
    ordered: ExternalOrder[Replayed] = ExternalOrder(run_size=10, fan_in=4)
    for event in read[:150]:
        ordered.add(event)
    assert ordered.open_runs == 6  # 15 runs: 3 of level 1 (4 runs each), 3 of level 0
    for event in read[150:160]:
        ordered.add(event)
    assert ordered.open_runs == 1  # 16 runs: one of level 2
    ordered.close()


def test_a_replay_fixes_the_mmap_threshold_where_glibc_has_one():
    assert keep_large_allocations_mapped() is (platform.libc_ver()[0] == "glibc")
