"""Sign-in throttling that slows a guesser without locking out the account's owner.

A hard limit per username lets anyone lock a citizen out by sending wrong passwords for
their NIK (which is printed on every KTP and is no secret). Here each (username, client
IP) pair has its own count: after ``free`` failures that client waits 1 s, then 2 s,
4 s … up to ``cap`` (15 minutes) before each further attempt, answered 429 with
``Retry-After``. Another client — the owner on their own phone — has a count of its own
and signs in at once. A success clears the pair's count.

An attempt counts as a failure from the moment it starts and is forgiven when it
succeeds, so a guesser firing many requests at once gets no more than ``free`` checks
before the first wait.

Counts live in the process, like the rate limits in :mod:`shared.limits`:
with several replicas a client's waits are per replica, which still makes guessing
exponentially slow. Pairs not seen for ``forget_after`` seconds (and the least recently
seen, past ``max_keys``) are forgotten.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["SignInThrottle", "backoff_seconds"]


def backoff_seconds(failures: int, *, free: int, base: float, cap: float) -> float:
    """How long a client waits after ``failures`` failures in a row: nothing for the
    first ``free - 1``, then ``base``, doubling per failure, at most ``cap``."""
    if failures < free:
        return 0.0
    exponent = failures - free
    if exponent >= 64:  # 2**64 s is beyond any cap; avoid building huge numbers
        return cap
    return min(base * 2**exponent, cap)


@dataclass
class _Count:
    failures: int
    wait_until: float
    last_seen: float


class SignInThrottle:
    def __init__(
        self,
        *,
        free: int = 5,
        base: float = 1.0,
        cap: float = 900.0,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free = free
        self.base = base
        self.cap = cap
        self.forget_after = 4 * cap
        self.max_keys = max_keys
        self._clock = clock
        self._counts: OrderedDict[tuple[str, str], _Count] = OrderedDict()

    @staticmethod
    def key(username: str, client: str) -> tuple[str, str]:
        return username.strip().lower()[:254], client

    def attempt(self, key: tuple[str, str]) -> float | None:
        """Start an attempt: None when the client may try now (the attempt is counted as
        a failure until :meth:`succeeded`), else the seconds it must wait first."""
        now = self._clock()
        count = self._counts.pop(key, None)
        if count is None or now - count.last_seen > self.forget_after:
            count = _Count(failures=0, wait_until=0.0, last_seen=now)
        self._counts[key] = count
        if len(self._counts) > self.max_keys:
            self._counts.popitem(last=False)
        if now < count.wait_until:
            return count.wait_until - now
        count.failures += 1
        count.last_seen = now
        delay = backoff_seconds(count.failures, free=self.free, base=self.base, cap=self.cap)
        count.wait_until = now + delay
        return None

    def succeeded(self, key: tuple[str, str]) -> None:
        self._counts.pop(key, None)

    def failures(self, key: tuple[str, str]) -> int:
        count = self._counts.get(key)
        return count.failures if count else 0
