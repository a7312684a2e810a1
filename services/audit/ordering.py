"""Events in replay order with flat memory: an external sort of what a replay reads.

The order is the one :func:`services.audit.replay.in_order` gives — by event time, then
event id, each event id once (the first read wins) — without holding the window in
memory. Records arrive per partition in the order they were produced, which is not the
order of their events' own times (an outbox may hold an event a while, and several
producers share a partition), so a merge of the partitions as they come would not do:
the events are gathered in runs of ``run_size``, each run sorted and written to a
temporary file, and the runs merged (``heapq.merge``) as they are read back.

Runs are kept in levels so that no more than ``fan_in`` of them are ever open on one
level: when a level holds ``fan_in`` runs they are merged into one run of the next level
(each event is written once more per level: a second time only past ``run_size ×
fan_in`` events, 1,280,000 by default). Memory holds one run while gathering, and one
read buffer and one event per open run while merging, whatever the window's size; the
open files stay below ``fan_in`` per level.

Every event goes into the runs as (time, id, read position, event), and the sorts and
merges compare those tuples as they are, without a key function (no key tuple made per
event): the read positions differ, so a comparison never reaches the event, and the
order is total. Merging in levels gives the same sequence as one merge, and the first
read of a redelivered event comes first, where the final merge keeps it and drops the
others.

One difference from ``in_order``, for records no producer of ours writes: two records
with the same event id and different times are both kept (``in_order`` keeps the first
read); a redelivery carries the same event, so the same time.
"""

import heapq
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Generic, Protocol, TypeVar

__all__ = ["FAN_IN", "RUN_SIZE", "ExternalOrder", "Ordered"]

RUN_SIZE = 5_000
FAN_IN = 256


class Ordered(Protocol):
    time: str
    event_id: str


T = TypeVar("T", bound=Ordered)
Item = tuple[str, str, int, T]


class ExternalOrder(Generic[T]):
    """Add events in the order they are read, then iterate them in replay order."""

    def __init__(self, run_size: int = RUN_SIZE, fan_in: int = FAN_IN) -> None:
        if fan_in < 2:
            raise ValueError("fan_in: at least two runs are merged at a time")
        self._run_size = run_size
        self._fan_in = fan_in
        self._run: list[Item[T]] = []
        self._levels: list[list[IO[bytes]]] = []
        """Spilled runs by level: a run of level ``n`` merges ``fan_in ** n`` runs."""
        self._read = 0

    def add(self, event: T) -> None:
        # the read position breaks ties, so the first read of a duplicate comes first
        self._run.append((event.time, event.event_id, self._read, event))
        self._read += 1
        if len(self._run) >= self._run_size:
            run, self._run = self._run, []
            run.sort()
            self._keep(0, run)

    @property
    def open_runs(self) -> int:
        """Runs spilled to a file and not merged into a larger run yet."""
        return sum(len(runs) for runs in self._levels)

    def _keep(self, level: int, items: Iterable[Item[T]]) -> None:
        """Write sorted ``items`` as a run of ``level``; a full level is merged into one
        run of the next."""
        if level == len(self._levels):
            self._levels.append([])
        self._levels[level].append(_spill(items))
        if len(self._levels[level]) < self._fan_in:
            return
        runs, self._levels[level] = self._levels[level], []
        try:
            self._keep(level + 1, heapq.merge(*map(_read_back, runs)))
        finally:
            for run in runs:
                run.close()

    def __iter__(self) -> Iterator[T]:
        self._run.sort()
        runs = [_read_back(spill) for level in self._levels for spill in level]
        last: tuple[str, str] | None = None
        try:
            for time, event_id, _, event in heapq.merge(self._run, *runs):
                if (time, event_id) == last:
                    continue  # a redelivery: the same id read again
                last = (time, event_id)
                yield event
        finally:
            self.close()

    def close(self) -> None:
        for level in self._levels:
            for spill in level:
                spill.close()
        self._levels, self._run = [], []


def _spill(items: Iterable[tuple]) -> IO[bytes]:
    spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the merge or close()
    for item in items:
        pickle.dump(item, spill, protocol=pickle.HIGHEST_PROTOCOL)
    spill.seek(0)
    return spill


def _read_back(spill: IO[bytes]) -> Iterator[tuple]:
    while True:
        try:
            yield pickle.load(spill)  # noqa: S301 - our own temporary file
        except EOFError:
            return
