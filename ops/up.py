"""``mpp up``: the whole platform on one machine, in the foreground.

Starts the local broker and database (unless ``MPP_KAFKA_BOOTSTRAP`` / ``MPP_MONGO_URI``
point at external ones), provisions the topics, starts the local stand-ins for the
outside world (the Dukcapil simulator and the mailbox, see ``ops/simulators``; only those
whose settings point at this machine), the four services and the demo agency systems
(Kafka and webhook, see ``ops/demo_agencies.py``), waits until every ``/readyz`` answers
200, prints the URLs, and stops everything on Ctrl-C.
"""

import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from ops.demo_agencies import demo_agencies
from ops.localstack import LocalStack, require_local_extra
from ops.processes import SERVICES, PlatformProcess, service_process, simulators_process
from ops.simulators import local_stand_ins
from shared.catalogue import load_catalogue
from shared.kafka import provision_topics
from shared.settings import Settings
from shared.topics import Topics

__all__ = ["run_platform"]


def _port(address: str, default: int) -> int:
    return urlparse(f"//{address}").port or default


def _start_local(settings: Settings, variable: str) -> bool:
    if settings.local_stack == "auto":
        return variable not in os.environ
    return settings.local_stack == "always"


def run_platform() -> int:
    settings = Settings()
    local_dir = Path(settings.local_dir)
    log_dir = local_dir / "logs"
    stack = LocalStack(
        kafka_port=_port(settings.kafka_bootstrap.split(",")[0], 9092),
        mongo_port=urlparse(settings.mongo_uri).port or 27017,
        data_dir=local_dir,
        log_dir=log_dir,
    )
    env: dict[str, str] = {}
    if _start_local(settings, "MPP_KAFKA_BOOTSTRAP"):
        print(f"Starting the local broker (Tansu) on {stack.kafka_bootstrap} ...", flush=True)
        stack.start_kafka()
        env["MPP_KAFKA_BOOTSTRAP"] = stack.kafka_bootstrap
    if _start_local(settings, "MPP_MONGO_URI"):
        print(
            f"Starting the local database (SecantusDB) on port {stack.mongo_port} ...", flush=True
        )
        stack.start_mongo()
        env["MPP_MONGO_URI"] = stack.mongo_uri
    processes: list[PlatformProcess] = []
    stopping = False

    def request_stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        catalogue = load_catalogue()
        bootstrap = env.get("MPP_KAFKA_BOOTSTRAP", settings.kafka_bootstrap)
        asyncio.run(
            provision_topics(
                bootstrap,
                Topics(settings.namespace).for_catalogue(catalogue, settings),
                settings.kafka_replication_factor,
            )
        )
        routing_env, demos = demo_agencies(settings, catalogue, env, log_dir)
        stand_ins = local_stand_ins(settings)
        if stand_ins.ready_port is not None:
            if stand_ins.mailbox_port is not None:
                require_local_extra("aiosmtpd")
            # First, so the services find Dukcapil and the mailbox from their first request.
            processes.append(simulators_process(env, stand_ins.ready_port, log_dir).start())
        for name in SERVICES:
            port = getattr(settings, f"{name}_port")
            own_env = {**env, **routing_env} if name == "routing" else env
            processes.append(service_process(name, own_env, port, log_dir).start())
        processes += [demo.start() for demo in demos]
        for process in processes:
            process.wait_ready(timeout=90)
        print("\nMPP Digital is running (logs in .local/logs/):")
        for process in processes:
            if process.name in SERVICES:
                print(f"  {process.name:<20} {process.url}   docs: {process.url}/docs")
        for name, where in stand_ins.urls():
            print(f"  {name:<20} {where}")
        print("Press Ctrl-C to stop.", flush=True)
        while not stopping:
            for process in processes:
                if not process.alive():
                    print(
                        f"{process.name} stopped unexpectedly; see {process.log_path}",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        print("\nStopping ...", flush=True)
        for process in reversed(processes):
            process.stop()
        stack.stop()
