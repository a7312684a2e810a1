"""Replay's external sort gives exactly the order of the in-memory sort it replaces,
with runs spilled to disk, duplicates read more than once, and equal times."""

import random

from services.audit.ordering import ExternalOrder
from services.audit.replay import Replayed, in_order


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
