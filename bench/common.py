"""What every benchmark shares: the local stack, percentiles, and the report format.

A benchmark reports a list of :class:`Figure`: the measured value, and where it has
one, the raw baseline measured in the same run and the aim. Results go to
``artifacts/bench/<stage>.json``; ``python -m bench`` gathers them into BENCHMARKS.md.
"""

import json
import math
import os
import platform
import statistics
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from ops.localstack import LocalStack, free_port

__all__ = [
    "RESULTS",
    "Figure",
    "ImpossibleFigure",
    "check",
    "local_stack",
    "machine",
    "percentile",
    "report",
]

RESULTS = Path(os.environ.get("MPP_BENCH_RESULTS", "artifacts/bench"))


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str | None = None
    aim: str | None = None
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]


class ImpossibleFigure(ValueError):
    """A figure no measurement can produce: the benchmark failed, not the platform."""


def check(stage: str, figure: Figure) -> None:
    """Refuse a value that cannot be a measurement: missing (None, NaN, infinite) or
    negative. Every figure we publish is a count, a rate, a size or a time."""
    for what, value in (("value", figure.value), ("baseline", figure.baseline)):
        if what == "baseline" and value is None:
            continue
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ImpossibleFigure(f"{stage}: {figure.name}: {what} missing ({value!r})")
        if value < 0:
            raise ImpossibleFigure(
                f"{stage}: {figure.name}: {what} negative ({value:,.1f} {figure.unit}); "
                "a time or a count below zero means the measurement is wrong"
            )


def percentile(samples: Sequence[float], q: float) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=1000, method="inclusive")[int(q * 10) - 1]


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


@contextmanager
def local_stack(tmp: Path) -> Iterator[LocalStack]:
    """A fresh broker and database on free ports, for one benchmark."""
    stack = LocalStack(
        kafka_port=free_port(), mongo_port=free_port(), data_dir=tmp, fresh_database=True
    )
    with stack:
        yield stack


def report(
    stage: str, figures: Sequence[Figure], notes: str = "", extra: dict | None = None
) -> Path:
    """Write a stage's results; exits with the reason (and writes nothing) when a
    figure cannot be a measurement."""
    try:
        for figure in figures:
            check(stage, figure)
    except ImpossibleFigure as error:
        raise SystemExit(f"benchmark failed, nothing written: {error}") from error
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stage}.json"
    document = {
        "stage": stage,
        "machine": machine(),
        "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
        "notes": notes,
        **(extra or {}),
    }
    path.write_text(json.dumps(document, indent=2))
    for figure in figures:
        line = f"{stage:8} {figure.name:45} {figure.value:12,.1f} {figure.unit}"
        if figure.baseline is not None:
            line += f"  | baseline {figure.baseline:,.1f}"
            line += f" ratio {figure.ratio:.2f}" if figure.ratio is not None else ""
        print(line, flush=True)
    return path
