"""Run a platform process with counters of the work it asks of MongoDB and Kafka.

    python -m bench.probe services.routing        (instead of ``python -m services.routing``)

The database we run locally counts round trips (``serverStatus``) but not documents or
index entries, and the broker does not say which process produced a record. So each
process measured by ``bench.pipeline`` counts at its own client, without a change to
the service's code:

* a PyMongo command listener (``pymongo.monitoring``, registered before any client is
  made): commands sent, by name and by name and collection, and from each reply the
  documents inserted, updated and deleted, with the fields each update sets (to tell
  which indexes it touches);
* aiokafka's producer ``send``/``send_batch`` wrapped: records and bytes (key, value and
  headers) produced.

The counters are written as JSON to ``$MPP_BENCH_PROBE_DIR/<label>.json`` four times a
second and at exit. Counting costs a few Python calls per command; the encoded size of
the documents is not taken (it would re-encode every write in the measured process).
"""

import atexit
import json
import os
import runpy
import sys
import threading
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pymongo import monitoring

__all__ = ["Counters", "updated_fields"]

_UPDATE_COMMANDS = {"update", "findAndModify", "findandmodify"}


def updated_fields(update: object) -> frozenset[str]:
    """The top-level field paths an update statement may change; ``*`` for a
    replacement or a pipeline (every field, so every index)."""
    if not isinstance(update, Mapping) or not update:
        return frozenset({"*"})
    if not all(str(key).startswith("$") for key in update):
        return frozenset({"*"})
    fields: set[str] = set()
    for operator, changes in update.items():
        if isinstance(changes, Mapping):
            fields.update(str(path) for path in changes)
        elif operator != "$isolated":
            fields.add("*")
    return frozenset(fields)


class Counters(monitoring.CommandListener):
    """What one process asked of MongoDB and Kafka since it started."""

    def __init__(self) -> None:
        self.commands: dict[str, int] = defaultdict(int)
        # "command collection" (``commitTransaction`` alone) -> commands sent
        self.targets: dict[str, int] = defaultdict(int)
        self.inserted: dict[str, int] = defaultdict(int)
        self.deleted: dict[str, int] = defaultdict(int)
        # namespace -> "field,field" -> documents changed by updates setting those fields
        self.updated: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.kafka_records = 0
        self.kafka_bytes = 0
        self._pending: dict[tuple[object, int], tuple[str, str, frozenset[str]]] = {}

    # -- PyMongo ------------------------------------------------------------------------

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        self.commands[name] += 1
        collection = event.command.get(name)
        self.targets[f"{name} {collection}" if isinstance(collection, str) else name] += 1
        if name in ("insert", "delete", *_UPDATE_COMMANDS):
            namespace = f"{event.database_name}.{event.command.get(name)}"
            fields: frozenset[str] = frozenset()
            if name == "update":
                statements = event.command.get("updates") or ()
                fields = frozenset().union(*(updated_fields(s.get("u")) for s in statements))
            elif name != "insert" and name != "delete":
                fields = updated_fields(event.command.get("update"))
                if event.command.get("remove"):
                    fields = frozenset({"-"})
            self._pending[(event.connection_id, event.request_id)] = (name, namespace, fields)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pending = self._pending.pop((event.connection_id, event.request_id), None)
        if pending is None:
            return
        name, namespace, fields = pending
        reply = event.reply
        if name == "insert":
            self.inserted[namespace] += int(reply.get("n", 0))
        elif name == "delete":
            self.deleted[namespace] += int(reply.get("n", 0))
        elif name == "update":
            changed = int(reply.get("nModified", 0)) + len(reply.get("upserted") or ())
            self._count_update(namespace, fields, changed)
        else:  # findAndModify
            outcome = reply.get("lastErrorObject") or {}
            if fields == frozenset({"-"}):
                self.deleted[namespace] += int(outcome.get("n", 0))
            elif outcome.get("upserted") is not None:
                self.inserted[namespace] += 1
            else:
                self._count_update(namespace, fields, int(outcome.get("n", 0)))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._pending.pop((event.connection_id, event.request_id), None)

    def _count_update(self, namespace: str, fields: frozenset[str], changed: int) -> None:
        if changed:
            self.updated[namespace][",".join(sorted(fields))] += changed

    # -- aiokafka -----------------------------------------------------------------------

    def produced(self, value: bytes | None, key: bytes | None, headers: object) -> None:
        self.kafka_records += 1
        size = len(value or b"") + len(key or b"")
        for header_key, header_value in headers or ():  # type: ignore[attr-defined]
            size += len(header_key) + len(header_value or b"")
        self.kafka_bytes += size

    def snapshot(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "commands": dict(self.commands),
            "targets": dict(self.targets),
            "inserted": dict(self.inserted),
            "deleted": dict(self.deleted),
            "updated": {ns: dict(by) for ns, by in self.updated.items()},
            "kafka_records": self.kafka_records,
            "kafka_bytes": self.kafka_bytes,
        }


def _wrap_producer(counters: Counters) -> None:
    from aiokafka import AIOKafkaProducer

    send, send_batch = AIOKafkaProducer.send, AIOKafkaProducer.send_batch

    async def counted_send(
        self: Any, topic: str, value: Any = None, key: Any = None, *args: Any, **kw: Any
    ) -> Any:
        future = await send(self, topic, value, key, *args, **kw)
        # send(topic, value, key, partition, timestamp_ms, headers)
        counters.produced(value, key, kw.get("headers", args[2] if len(args) > 2 else None))
        return future

    async def counted_batch(self: Any, batch: Any, topic: str, **kw: Any) -> Any:
        counters.kafka_records += batch.record_count()
        counters.kafka_bytes += batch.size()
        return await send_batch(self, batch, topic, **kw)

    AIOKafkaProducer.send = counted_send  # type: ignore[method-assign]
    AIOKafkaProducer.send_batch = counted_batch  # type: ignore[method-assign]


def _write_every(counters: Counters, path: Path, seconds: float) -> None:
    stop = threading.Event()

    def write() -> None:
        text = json.dumps(counters.snapshot())
        path.with_suffix(".tmp").write_text(text)
        path.with_suffix(".tmp").replace(path)

    def loop() -> None:
        while not stop.wait(seconds):
            write()

    threading.Thread(target=loop, name="bench-probe", daemon=True).start()
    atexit.register(write)


def main(argv: list[str]) -> None:
    module, label = argv[0], os.environ.get("MPP_BENCH_PROBE_LABEL", argv[0])
    directory = Path(os.environ["MPP_BENCH_PROBE_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    counters = Counters()
    monitoring.register(counters)
    _wrap_producer(counters)
    _write_every(counters, directory / f"{label}.json", 0.25)
    sys.argv = [module, *argv[1:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
