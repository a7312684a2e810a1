"""One replay from Kafka in a process of its own, for its memory: the peak resident
memory of a fresh process, and how much of it the replay added.

    python -m bench.replay_memory TOPIC SINCE UNTIL [--in-memory]

Prints one JSON object: ``count``, ``seconds``, ``before_mib`` (after imports and
start-up), ``peak_mib`` (the process's peak). ``--in-memory`` reads the whole window
into a list and sorts it, as replay did before it streamed.

The peak is the kernel's high-water mark of this process's own memory (``VmHWM``), not
``getrusage``'s ``ru_maxrss``: Linux carries the parent's peak into a child's
``ru_maxrss`` across ``exec`` (the child starts as a copy of the parent, or borrows its
memory under ``vfork``), so a replay started by ``bench.audit`` after its database stages
reported that process's 100–150 MiB as its own.
"""

import argparse
import asyncio
import json
import time
from datetime import datetime
from pathlib import Path

from services.audit.replay import ReplayQuery, in_order, stream_kafka
from shared.settings import Settings


def rss_mib(field: str = "VmRSS") -> float:
    """This process's resident memory now (``VmRSS``) or at its peak (``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def replay(topic: str, query: ReplayQuery, in_memory: bool) -> int:
    settings = Settings()
    events = stream_kafka(settings, [topic], query)
    if in_memory:
        # the previous replay: every event of the window in a list, sorted at the end
        everything = [event async for event in events]
        return len(in_order(everything))
    count = 0
    async for _ in events:
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topic")
    parser.add_argument("since", type=datetime.fromisoformat)
    parser.add_argument("until", type=datetime.fromisoformat)
    parser.add_argument("--in-memory", action="store_true")
    args = parser.parse_args()
    before = rss_mib()
    started = time.perf_counter()
    query = ReplayQuery(args.since, args.until)
    count = asyncio.run(replay(args.topic, query, args.in_memory))
    seconds = time.perf_counter() - started
    peak = rss_mib("VmHWM")
    print(json.dumps({"count": count, "seconds": seconds, "before_mib": before, "peak_mib": peak}))


if __name__ == "__main__":
    main()
