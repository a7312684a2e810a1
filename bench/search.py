"""Finding the highest rate the pipeline sustains: step up, then narrow down.

A rate is *sustained* when it meets every part of :class:`Criterion`. The search starts
at one rate; while every rate tried is sustained it steps up by ``factor``; while none
is, it steps down by the same factor; once it has a sustained rate below a failed one,
it tries the middle of the two until they are within ``resolution`` of each other. A
failure below a sustained rate (the shared machine's mood) does not stop the search;
the answer is the highest sustained rate with no failure between it and the next rate
tried above.
"""

import math
from dataclasses import dataclass, field

__all__ = ["Criterion", "RateSearch", "Trial"]


@dataclass(frozen=True)
class Criterion:
    accepted: float = 0.98
    """The clients got 202 for at least this share of the offered rate."""
    drain_seconds: float = 5.0
    """Everything accepted reached every stage within this long after the load stopped."""
    inbox_p99_ms: float = 1000.0
    """202 → agency inbox, 99th percentile."""

    def failures(
        self, offered: float, accepted: float, drained_in: float | None, inbox_p99_ms: float
    ) -> list[str]:
        """What a run missed; empty when the rate was sustained."""
        missed = []
        if accepted < self.accepted * offered:
            missed.append(f"accepted {accepted:.1f}/s < {self.accepted:.0%} of {offered:g}/s")
        if drained_in is None or drained_in > self.drain_seconds:
            late = "not drained" if drained_in is None else f"drained in {drained_in:.1f} s"
            missed.append(f"{late} > {self.drain_seconds:g} s")
        if not inbox_p99_ms < self.inbox_p99_ms:  # NaN (no sample) is not sustained
            missed.append(f"202 → inbox p99 {inbox_p99_ms:.0f} ms ≥ {self.inbox_p99_ms:g} ms")
        return missed

    def describe(self) -> str:
        return (
            f"accepted ≥ {self.accepted:.0%} of the offered rate, backlog drained within "
            f"{self.drain_seconds:g} s after the load stops, 202 → agency inbox p99 < "
            f"{self.inbox_p99_ms:g} ms"
        )


@dataclass(frozen=True)
class Trial:
    rate: int
    sustained: bool


@dataclass
class RateSearch:
    start: int
    factor: float = 1.5
    resolution: float = 0.1
    """Stop when the failed rate is within this share of the sustained one."""
    floor: int = 1
    ceiling: int = 1000
    trials: list[Trial] = field(default_factory=list)

    def record(self, rate: int, sustained: bool) -> None:
        self.trials.append(Trial(rate, sustained))

    @property
    def highest(self) -> int | None:
        """The highest sustained rate (None when no rate tried was sustained)."""
        passed = [t.rate for t in self.trials if t.sustained]
        return max(passed) if passed else None

    def next(self) -> int | None:
        """The next rate to try, or None when the search is over."""
        if not self.trials:
            return self.start
        tried = {t.rate for t in self.trials}
        best = self.highest
        if best is None:
            lowest = min(tried)
            lower = max(self.floor, math.floor(lowest / self.factor))
            return None if lower >= lowest or lower in tried else lower
        above = [t.rate for t in self.trials if not t.sustained and t.rate > best]
        if not above:
            higher = min(self.ceiling, math.ceil(best * self.factor))
            return None if higher <= best or higher in tried else higher
        failed = min(above)
        if failed - best <= max(1, self.resolution * best):
            return None
        middle = (best + failed) // 2
        return None if middle in tried else middle
