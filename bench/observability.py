"""What the instrumentation costs: intake with tracing off and on, and a /metrics scrape.

Starts its own local broker and database, a small OTLP/HTTP receiver (it counts the
spans it is sent and drops them), and two intake processes: one with tracing off
(``MPP_OTLP_ENDPOINT`` unset; the Prometheus metrics are always on) and one exporting
every span to the receiver. The same clients post the same submissions to each, in
alternating rounds so a drift of the shared machine reaches both. Then it times
``GET /metrics`` on the intake that took the load: back to back (the consumer-lag
reading is cached for two seconds) and with the cache expired (the outbox and lag
probes ask the database and the broker).

Usage: ``python -m bench.observability [--clients 32] [--seconds 20]``.
"""

import argparse
import asyncio
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from bench.common import Figure, local_stack, percentile, report
from bench.intake import (
    Run,
    citizens,
    cpu_seconds,
    drained,
    hammer,
    intake_client,
    intake_env,
    merged,
)
from ops.localstack import LocalStack, free_port
from ops.processes import service_process
from shared.lag import CACHE_SECONDS
from shared.settings import Settings


class _Sink(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received += len(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return


async def scrape_times(http: httpx.AsyncClient, count: int, fresh: bool) -> list[float]:
    times = []
    for _ in range(count):
        if fresh:
            await asyncio.sleep(CACHE_SECONDS + 0.1)
        started = time.perf_counter()
        answer = await http.get("/metrics")
        times.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return times


async def measure(stack: LocalStack, clients: int, seconds: float, logs: Path) -> None:
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    envs = {
        "off": intake_env(stack, f"bench{uuid.uuid4().hex[:8]}"),
        "on": {
            **intake_env(stack, f"bench{uuid.uuid4().hex[:8]}"),
            "MPP_OTLP_ENDPOINT": f"http://127.0.0.1:{sink.server_address[1]}",
        },
    }
    processes = {
        mode: service_process("intake", env, free_port(), logs / mode).start()
        for mode, env in envs.items()
    }
    rounds, slice_ = 4, seconds / 4
    runs: dict[str, list[Run]] = {"off": [], "on": []}
    cpu = {"off": 0.0, "on": 0.0}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    try:
        for process in processes.values():
            await asyncio.to_thread(process.wait_ready, 120)
        http = {
            mode: httpx.AsyncClient(base_url=process.url, limits=limits, timeout=30)
            for mode, process in processes.items()
        }
        settings = {
            mode: Settings(mongo_uri=env["MPP_MONGO_URI"], namespace=env["MPP_NAMESPACE"])
            for mode, env in envs.items()
        }
        posting = {
            mode: intake_client(http[mode], await citizens(http[mode], clients, settings[mode]))
            for mode in envs
        }
        for mode in envs:  # warm-up: connections, collections, caches
            await hammer(clients, 2, posting[mode])
            await drained(settings[mode])
        for number in range(rounds):  # off first, then on first, ...
            for mode in ("off", "on") if number % 2 == 0 else ("on", "off"):
                before = cpu_seconds(processes[mode])
                runs[mode].append(await hammer(clients, slice_, posting[mode]))
                await drained(settings[mode])  # the relay's spans are part of the cost
                cpu[mode] += cpu_seconds(processes[mode]) - before
        cached = await scrape_times(http["off"], 50, fresh=False)
        fresh = await scrape_times(http["off"], 10, fresh=True)
        size = len((await http["off"].get("/metrics")).content)
        for client in http.values():
            await client.aclose()
    finally:
        for process in processes.values():
            process.stop()
        sink.shutdown()
        sink.server_close()

    off, on = merged(runs["off"]), merged(runs["on"])
    name = "the same intake with tracing off"
    figures = [
        Figure(
            f"submissions/s with tracing on, {clients} clients",
            on.rate,
            "submissions/s",
            baseline=off.rate,
            baseline_name=name,
        ),
        Figure(
            "intake CPU per submission, tracing on",
            cpu["on"] / max(len(on.latencies), 1) * 1000,
            "ms",
            cpu["off"] / max(len(off.latencies), 1) * 1000,
            name,
        ),
        Figure("submission latency p50, tracing on", on.ms(50), "ms", off.ms(50), name),
        Figure("submission latency p99, tracing on", on.ms(99), "ms", off.ms(99), name),
        Figure("GET /metrics, probes cached (p50)", percentile(cached, 50), "ms"),
        Figure("GET /metrics, probes cached (p99)", percentile(cached, 99), "ms"),
        Figure("GET /metrics, probes run (p50)", percentile(fresh, 50), "ms"),
        Figure("GET /metrics, probes run (max)", max(fresh), "ms"),
    ]
    per_round = ", ".join(
        f"{a.rate:.0f}/{b.rate:.0f}" for a, b in zip(runs["off"], runs["on"], strict=True)
    )
    notes = (
        f"{len(off.latencies)} submissions with tracing off and {len(on.latencies)} on "
        f"({off.failures}/{on.failures} not 202), {rounds} rounds of "
        f"{slice_:.1f} s each, the order swapped every round (off/on per round: {per_round}); "
        "CPU per submission counts intake's process until its outbox is empty; the receiver "
        "took "
        f"{_Sink.received / 1024:.0f} KiB of spans. Prometheus metrics are on in both. "
        f"The scrape answered {size / 1024:.1f} KiB; 'probes run' waits out the "
        f"{CACHE_SECONDS:.0f} s lag cache, so the outbox aggregate and the broker's "
        "committed and end offsets are read each time."
    )
    report("observability", figures, notes)
    print(notes)
    for figure in figures:
        baseline = f" (off: {figure.baseline:.1f})" if figure.baseline is not None else ""
        print(f"{figure.name}: {figure.value:.1f} {figure.unit}{baseline}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="bench-observability-") as tmp,
        local_stack(Path(tmp)) as stack,
    ):
        asyncio.run(measure(stack, args.clients, args.seconds, Path(tmp) / "logs"))


if __name__ == "__main__":
    main()
