"""The cost of one application: the work the platform does for it, from counters.

Throughput on a shared 2-core machine swings with the neighbours; the work one
application asks for does not. ``bench.pipeline`` takes a :class:`Reading` of every
counter before and after a window, once idle and once at a steady rate, and
:func:`per_application` turns the two differences into the work per application, net
of what the platform does when idle (pollers, sweepers, relays waking up).

Where each counter comes from:

* MongoDB round trips — the database's own ``serverStatus`` ``network.numRequests``
  (every request on the wire, the readings' own requests taken out);
* documents written (inserted, updated, deleted) and the fields each update sets —
  counted at each process's client (``bench.probe``): the local database keeps no
  per-document counters;
* index entries written — those documents times the indexes they touch: an insert or a
  delete touches every index of its collection, an update those whose key includes a
  field it sets (indexes are listed at the end of the run; a multikey index's extra
  entries and a partial index's skipped ones are not told apart);
* bytes written — the database process's storage writes (``write_bytes`` in
  ``/proc/<pid>/io``, the kernel's counter: data, indexes and journal together);
* Kafka records and bytes (key, value, headers) produced — counted at each process's
  producer (``bench.probe``);
* CPU milliseconds — each process's own user + system time (``/proc/<pid>/stat``).
"""

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Reading",
    "cpu_seconds",
    "index_entries",
    "io_write_bytes",
    "per_application",
    "probe_counters",
    "touches",
]

OUTSIDE = "demo agency"
"""The agency's system stands in for the agencies' own: shown, not counted in totals."""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def io_write_bytes(pid: int) -> int:
    """Bytes the process caused to be written to storage (``/proc/<pid>/io``)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise ValueError(f"no write_bytes for process {pid}")


def probe_counters(directory: Path, label: str) -> dict[str, Any]:
    path = directory / f"{label}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def touches(index_keys: Sequence[str], fields: Iterable[str]) -> bool:
    """Whether an update setting ``fields`` changes an index on ``index_keys``: a field
    equal to a key, or a parent or child path of one (``a`` touches ``a.b``)."""
    for changed in fields:
        if changed in ("*", "-"):
            return True
        for key in index_keys:
            if key == changed or key.startswith(changed + ".") or changed.startswith(key + "."):
                return True
    return False


def index_entries(
    counters: Mapping[str, Any], indexes: Mapping[str, Sequence[Sequence[str]]]
) -> int:
    """Index entries written for a process's counted writes; ``indexes`` lists each
    namespace's indexes by their key fields (``_id`` included)."""
    total = 0
    for kind in ("inserted", "deleted"):
        for namespace, documents in counters.get(kind, {}).items():
            total += documents * max(len(indexes.get(namespace, ())), 1)
    for namespace, by_fields in counters.get("updated", {}).items():
        for fields, documents in by_fields.items():
            changed = fields.split(",") if fields else []
            touched = sum(1 for keys in indexes.get(namespace, ()) if touches(keys, changed))
            total += documents * touched
    return total


def _documents(counters: Mapping[str, Any]) -> int:
    inserted = sum(counters.get("inserted", {}).values())
    deleted = sum(counters.get("deleted", {}).values())
    updated = sum(sum(by.values()) for by in counters.get("updated", {}).values())
    return inserted + deleted + updated


def _minus(after: Any, before: Any) -> Any:
    """``after - before`` for numbers and nested dicts of numbers."""
    if isinstance(after, Mapping):
        keys = set(after) | set(before or {})
        return {k: _minus(after.get(k, 0), (before or {}).get(k, 0)) for k in keys}
    return after - (before or 0)


@dataclass
class Reading:
    """Every counter at one moment."""

    at: float
    database_requests: int
    """The database's count of requests, less those of the process taking readings."""
    database_write_bytes: int
    cpu: dict[str, float]
    """CPU seconds per process label (the services, the database, the broker, ...)."""
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``bench.probe`` counters per service label."""

    def since(self, before: "Reading") -> "Reading":
        return Reading(
            at=self.at - before.at,
            database_requests=self.database_requests - before.database_requests,
            database_write_bytes=self.database_write_bytes - before.database_write_bytes,
            cpu=_minus(self.cpu, before.cpu),
            probes={
                label: _minus(
                    {k: v for k, v in probe.items() if k != "pid"},
                    {k: v for k, v in before.probes.get(label, {}).items() if k != "pid"},
                )
                for label, probe in self.probes.items()
            },
        )


@dataclass(frozen=True)
class Cost:
    """Work per application at a steady rate, beside the idle platform's work per second.

    The per-application figures are gross: everything the platform did from the first
    submission until the last application reached its last stage, divided by the
    applications. The idle platform's work (pollers, sweepers, relays waking up) is
    shown beside, per second; at a rate of R applications per second it adds
    ``idle / R`` to each application. It is not subtracted: under load the idle wake-ups
    turn into work, so a subtraction over-corrects (the broker's CPU came out negative).
    """

    applications: int
    rate: float
    seconds: float
    rows: list[tuple[str, float, float, str]]
    """(name, per application, idle per second, unit)."""
    round_trips_by_process: dict[str, float]
    round_trips_by_command: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per process, the round trips per application of each command and collection
    (``find applications``, ``commitTransaction``), counted at the process's client."""
    idle_by_command: dict[str, dict[str, float]] = field(default_factory=dict)
    """The same for the idle platform, per second."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "applications": self.applications,
            "rate": self.rate,
            "seconds": self.seconds,
            "rows": [list(row) for row in self.rows],
            "round_trips_by_process": self.round_trips_by_process,
            "round_trips_by_command": self.round_trips_by_command,
            "idle_by_command": self.idle_by_command,
        }


def per_application(
    load: Reading,
    idle: Reading,
    applications: int,
    indexes: Mapping[str, Sequence[Sequence[str]]],
) -> Cost:
    """The work of ``applications`` during ``load``, and the idle platform's per second
    during ``idle``; both are differences (:meth:`Reading.since`)."""
    if applications <= 0 or load.at <= 0 or idle.at <= 0:
        raise ValueError("a cost needs applications and two windows of positive length")

    def ours(reading: Reading) -> list[Mapping[str, Any]]:
        return [p for label, p in reading.probes.items() if not label.startswith(OUTSIDE)]

    def row(name: str, unit: str, measure: Any) -> tuple[str, float, float, str]:
        return (name, measure(load) / applications, measure(idle) / idle.at, unit)

    def summed(pick: Any) -> Any:
        return lambda reading: float(sum(pick(p) for p in ours(reading)))

    def cpu(name: str) -> Any:
        return lambda reading: reading.cpu.get(name, 0.0) * 1000

    rows = [
        row("MongoDB round trips (database's count)", "", lambda r: r.database_requests),
        row("documents written (inserted + updated + deleted)", "", summed(_documents)),
        row("index entries written", "", summed(lambda p: index_entries(p, indexes))),
        row(
            "bytes written by the database (storage, kernel's count)",
            "B",
            lambda r: r.database_write_bytes,
        ),
        row("Kafka records produced", "", summed(lambda p: p.get("kafka_records", 0))),
        row(
            "Kafka bytes produced (key + value + headers)",
            "B",
            summed(lambda p: p.get("kafka_bytes", 0)),
        ),
    ]
    rows += [row(f"CPU, {name}", "ms", cpu(name)) for name in sorted(load.cpu)]
    platform = [name for name in load.cpu if not name.startswith(OUTSIDE)]
    rows.append(
        row(
            "CPU, the platform's processes (services, database, broker)",
            "ms",
            lambda r: sum(r.cpu.get(name, 0.0) for name in platform) * 1000,
        )
    )
    return Cost(
        applications=applications,
        rate=applications / load.at,
        seconds=load.at,
        rows=rows,
        round_trips_by_process={
            label: sum(p.get("commands", {}).values()) / applications
            for label, p in load.probes.items()
        },
        round_trips_by_command=_by_command(load, applications),
        idle_by_command=_by_command(idle, idle.at),
    )


def _by_command(reading: Reading, divisor: float) -> dict[str, dict[str, float]]:
    return {
        label: {t: n / divisor for t, n in p.get("targets", {}).items() if n}
        for label, p in reading.probes.items()
    }
