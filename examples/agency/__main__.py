"""A demo agency: reads its inbox and reports every new application as ``received``.

    python -m examples.agency --agency disdukcapil-3576 [--agency ...]

Settings: ``MPP_KAFKA_BOOTSTRAP`` (default ``127.0.0.1:9092``) and ``MPP_NAMESPACE``
(default ``mpp``). Offsets are committed after the report is published, so a crash
re-reads the application and reports it again; the platform ignores the repeat.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

log = logging.getLogger("agency")


def report(dispatched: dict, status: str) -> dict:
    """The status report an agency sends back (contract: agency.status_reported)."""
    application = dispatched["data"]
    return {
        "id": str(uuid.uuid4()),
        "type": "agency.status_reported",
        "source": f"agency:{application['agency']}",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "subject": application["application_id"],
        "region": application["region"],
        "correlation_id": dispatched["correlation_id"],
        "causation_id": dispatched["id"],
        "schema_version": 1,
        "data": {
            "application_id": application["application_id"],
            "agency": application["agency"],
            "status": status,
            "note": None,
            "requested_fields": [],
        },
    }


def _responder(broker: KafkaBroker, updates: str) -> Callable[[Any], Awaitable[None]]:
    async def on_application(message: Any) -> None:
        if not isinstance(message, dict) or message.get("type") != "application.dispatched":
            log.warning("ignoring a message that is not an application.dispatched event")
            return
        answer = report(message, "received")
        await broker.publish(json.dumps(answer).encode(), updates, key=answer["subject"].encode())
        log.info("reported received for %s", answer["subject"])

    return on_application


def build(bootstrap: str, namespace: str, agencies: list[str]) -> KafkaBroker:
    broker = KafkaBroker(bootstrap, client_id="demo-agency", acks="all")
    for agency in agencies:
        broker.subscriber(
            f"{namespace}.agency.{agency}.inbox",
            group_id=f"{agency}.inbox-reader",
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
        )(_responder(broker, f"{namespace}.agency.{agency}.updates"))
    return broker


async def run(agencies: list[str]) -> None:
    broker = build(
        os.environ.get("MPP_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        os.environ.get("MPP_NAMESPACE", "mpp"),
        agencies,
    )
    await broker.start()
    log.info("demo agency serving %s", ", ".join(agencies))
    try:
        await asyncio.Event().wait()
    finally:
        await broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agency", action="append", required=True, help="agency code")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.agency))


if __name__ == "__main__":
    main()
