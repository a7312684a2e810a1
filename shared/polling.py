"""A background loop over work that comes due: run a pass, again at once while it finds
work, otherwise wait for a wake or the poll interval.

Notify's delivery dispatcher and routing's webhook deliveries share it: a commit that
adds work calls :meth:`PollingLoop.wake` after the commit, so the work is taken in
milliseconds rather than at the next poll; the poll interval covers work that comes due
by the clock (a retry's backoff) or was added by another replica. A pass that fails
(the database unreachable) is logged and retried after a doubling pause (0.2 s up to
5 s), so an outage neither stops the loop nor spins it.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

__all__ = ["PollingLoop", "stop_if_cancelled", "sweep_every"]

log = structlog.get_logger(__name__)

_FIRST_PAUSE = 0.2
_LONGEST_PAUSE = 5.0


def stop_if_cancelled() -> None:
    """Raise ``CancelledError`` when the running task was asked to stop.

    A background loop calls it at the top of each round. The database driver may turn
    a cancellation that lands inside an operation into another error (which the loop
    logs and retries) or swallow it; the task is then still marked as cancelling but
    nothing will cancel it again, and a service stopping would wait for it forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def sweep_every(
    name: str, seconds: float, sweep_once: Callable[[], Awaitable[object]], stopping: asyncio.Event
) -> None:
    """Run ``sweep_once`` every ``seconds`` until ``stopping`` is set: the clock-driven
    sweeps (SLA, complaints' timers, LAPOR! sync, bills, retention). A pass that fails is
    logged and tried again at the next interval; setting ``stopping`` ends the wait at
    once."""
    while not stopping.is_set():
        stop_if_cancelled()
        try:
            await sweep_once()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(f"{name} failed; will retry", error=str(exc)[:200])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=seconds)


class PollingLoop:
    def __init__(self, name: str, poll_seconds: float) -> None:
        self._name = name
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """There is work now (call after the commit that added it)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self, one_pass: Callable[[], Awaitable[int]]) -> None:
        """Run ``one_pass`` (returning how much work it found) until stopped."""
        failures = 0
        while not self._stopping:
            stop_if_cancelled()
            self._wake.clear()
            try:
                found = await one_pass()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning(f"{self._name} pass failed", error=type(exc).__name__)
                await asyncio.sleep(min(_FIRST_PAUSE * 2**failures, _LONGEST_PAUSE))
                continue
            if found:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
