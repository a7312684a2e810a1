"""Events in replay order with flat memory: an external sort of what a replay reads.

The order is the one :func:`services.audit.replay.in_order` gives — by event time, then
event id, each event id once (the first read wins) — without holding the window in
memory. Records arrive per partition in the order they were produced, which is not the
order of their events' own times (an outbox may hold an event a while, and several
producers share a partition), so a merge of the partitions as they come would not do:
the events are gathered in runs of ``run_size``, each run sorted and written to a
temporary file, and the runs merged (``heapq.merge``) as they are read back. Memory
holds one run while gathering and one event per run while merging.

One difference from ``in_order``, for records no producer of ours writes: two records
with the same event id and different times are both kept (``in_order`` keeps the first
read); a redelivery carries the same event, so the same time.
"""

import heapq
import pickle
import tempfile
from collections.abc import Iterator
from typing import IO, Generic, Protocol, TypeVar

__all__ = ["ExternalOrder", "Ordered"]

RUN_SIZE = 5_000


class Ordered(Protocol):
    time: str
    event_id: str


T = TypeVar("T", bound=Ordered)


class ExternalOrder(Generic[T]):
    """Add events in the order they are read, then iterate them in replay order."""

    def __init__(self, run_size: int = RUN_SIZE) -> None:
        self._run_size = run_size
        self._run: list[tuple[str, str, int, T]] = []
        self._spilled: list[IO[bytes]] = []
        self._read = 0

    def add(self, event: T) -> None:
        # the read position breaks ties, so the first read of a duplicate comes first
        self._run.append((event.time, event.event_id, self._read, event))
        self._read += 1
        if len(self._run) >= self._run_size:
            self._spill()

    def _spill(self) -> None:
        self._run.sort(key=_key)
        spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __iter__/close
        for item in self._run:
            pickle.dump(item, spill, protocol=pickle.HIGHEST_PROTOCOL)
        spill.seek(0)
        self._spilled.append(spill)
        self._run = []

    def __iter__(self) -> Iterator[T]:
        self._run.sort(key=_key)
        runs = [_read_back(spill) for spill in self._spilled]
        last: tuple[str, str] | None = None
        try:
            for time, event_id, _, event in heapq.merge(self._run, *runs, key=_key):
                if (time, event_id) == last:
                    continue  # a redelivery: the same id read again
                last = (time, event_id)
                yield event
        finally:
            self.close()

    def close(self) -> None:
        for spill in self._spilled:
            spill.close()
        self._spilled, self._run = [], []


def _key(item: tuple[str, str, int, object]) -> tuple[str, str, int]:
    return item[0], item[1], item[2]


def _read_back(spill: IO[bytes]) -> Iterator[tuple]:
    while True:
        try:
            yield pickle.load(spill)  # noqa: S301 - our own temporary file
        except EOFError:
            return
