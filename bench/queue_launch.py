"""Run a service for ``bench.queue``: the queue's clock follows a file, the release sweep
runs often, and throwaway accounts are hashed cheaply — without a change to the code.

    python -m bench.queue_launch services.intake     (instead of ``python -m services.intake``)

* **The queue's clock.** A day of the MPP is replayed in compressed time: the kiosk's
  check-in window, the walk-in's slot, the officer's call and the release of late
  bookings all read :class:`services.intake.queue.hall.QueueClock`. Here its ``now`` reads
  ``$MPP_BENCH_QUEUE_CLOCK`` (JSON ``{"at": ISO moment, "epoch": unix seconds,
  "speed": day seconds per real second}``): ``at + (time() - epoch) * speed``; every
  replica reads the same file, so they agree. Without the file, the real time. The file
  is read again when it changes (one ``stat`` a call).
* **The release sweep** runs every ``$MPP_BENCH_QUEUE_SWEEP_SECONDS`` (real seconds)
  instead of every minute, so a compressed day's late bookings are released within a
  few day-minutes of their grace period.
* **Password hashing** with argon2's cheapest parameters when ``$MPP_BENCH_CHEAP_HASH``
  is set: the run registers hundreds of accounts whose passwords nobody types, and
  measures the queue, not the hash that guards sign-in.
"""

import json
import os
import runpy
import sys
import time
from datetime import datetime, timedelta
from typing import Any

__all__ = ["FileClock"]


class FileClock:
    """``now`` from the clock file, or the real time while there is none."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._seen: float | None = None
        self._clock: tuple[datetime, float, float] | None = None

    def _read(self) -> tuple[datetime, float, float] | None:
        try:
            changed = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            return None
        if changed != self._seen:
            with open(self.path, encoding="utf-8") as file:
                written = json.load(file)
            at = datetime.fromisoformat(written["at"])
            self._clock = (at, float(written["epoch"]), float(written["speed"]))
            self._seen = changed
        return self._clock

    def now(self, real: Any) -> datetime:
        clock = self._read()
        if clock is None:
            return real()
        at, epoch, speed = clock
        return at + timedelta(seconds=(time.time() - epoch) * speed)


def _cheap_hashing() -> None:
    import argon2

    class Cheap(argon2.PasswordHasher):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(time_cost=1, memory_cost=1024, parallelism=1)

    argon2.PasswordHasher = Cheap  # type: ignore[misc]


def _queue_clock(path: str) -> None:
    from services.intake.queue import hall
    from shared.events import utcnow

    clock = FileClock(path)
    hall.QueueClock.now = lambda self: self.moved_to or clock.now(utcnow)  # type: ignore[method-assign]


def _sweep_every(seconds: float) -> None:
    from services.intake.queue import release

    original = release.QueueReleaser.__init__

    def init(self: Any, hall: Any, every_seconds: float = seconds) -> None:
        original(self, hall, every_seconds)

    release.QueueReleaser.__init__ = init  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    if os.environ.get("MPP_BENCH_CHEAP_HASH"):
        _cheap_hashing()  # before the service imports the hasher
    if os.environ.get("MPP_BENCH_QUEUE_CLOCK"):
        _queue_clock(os.environ["MPP_BENCH_QUEUE_CLOCK"])
    if os.environ.get("MPP_BENCH_QUEUE_SWEEP_SECONDS"):
        _sweep_every(float(os.environ["MPP_BENCH_QUEUE_SWEEP_SECONDS"]))
    module = argv[0]
    sys.argv = [module, *argv[1:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
