"""A demo agency: reads its inbox and answers on its updates topic.

An inbox is a system's (one for every office it serves, such as Dukcapil's SIAK) or a
lone office's; each event names its office in ``data.agency``, and the answer goes on
the updates topic paired with the inbox the event came on.

* ``application.dispatched`` (a new application, naming the applicant's declared
  fields, whose values the agency API gives): reported ``received``;
* ``application.answer_forwarded`` (the citizen answered "needs more information"):
  the answer is taken up again, reported ``in_review``;
* ``application.cancellation_forwarded`` (the citizen cancelled): work stops; nothing
  to report, the platform has already moved the application to ``cancelled``;
* any other type is ignored (a tolerant reader: the platform may add types).

    python -m examples.agency --agency disdukcapil-3576 [--agency siak-jatim ...]

Every record, both ways, is a CloudEvent 1.0 in structured mode (the Kafka protocol
binding): the value is the JSON event (``specversion``, ``id``, ``source``, ``type``,
``time``, ``subject``, ``datacontenttype``, ``data`` and the extensions ``region``,
``correlationid``, ``causationid``, ``schemaversion``), the header ``content-type`` is
``application/cloudevents+json``. Any CloudEvents SDK reads them.

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
from datetime import UTC, datetime
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

log = logging.getLogger("agency")
READY_LINE = "demo agency ready"

CONTENT_TYPE = "application/cloudevents+json"
"""The record header of a structured-mode CloudEvent."""

ANSWERS = {"application.dispatched": "received", "application.answer_forwarded": "in_review"}
"""What the demo agency reports for each inbox event it acts on."""


def report(received: dict, status: str) -> dict:
    """The status report an agency sends back (contract: agency.status_reported), as a
    CloudEvent answering ``received`` (its id is the report's ``causationid``)."""
    application = received["data"]
    report = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": "agency.status_reported",
        "source": f"/mpp/agency/{application['agency']}",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "subject": application["application_id"],
        "datacontenttype": "application/json",
        # An event from before CloudEvents named it correlation_id.
        "correlationid": received.get("correlationid") or received["correlation_id"],
        "causationid": received["id"],
        "schemaversion": 1,
        "data": {
            "application_id": application["application_id"],
            "agency": application["agency"],
            "status": status,
            "note": None,
            "requested_fields": [],
        },
    }
    if received.get("region") is not None:
        report["region"] = received["region"]
    return report


def _parsed(message: Any) -> Any:
    """The JSON event of a record (its content-type is not application/json, so the
    broker client hands the bytes over as they are)."""
    if isinstance(message, bytes | str):
        try:
            return json.loads(message)
        except ValueError:
            return None
    return message


def build(bootstrap: str, namespace: str, agencies: list[str]) -> KafkaBroker:
    """One consumer reads the inboxes of every system or office this process runs."""
    broker = KafkaBroker(bootstrap, client_id="demo-agency", acks="all")
    # Declared, not written with broker.publish: what the agency sends is part of its
    # wiring (the platform's topic-flow test reads it).
    updates = {
        agency: broker.publisher(f"{namespace}.agency.{agency}.updates") for agency in agencies
    }

    answered: dict[str, None] = {}  # event ids already answered (insertion-ordered)

    async def on_application(body: Any, record: KafkaMessage) -> None:
        message = _parsed(body)
        kind = message.get("type") if isinstance(message, dict) else None
        # Delivery is at-least-once: a record published again (a relay that died before
        # deleting what it sent) is recognised by its event id and answered once.
        if isinstance(message, dict) and message.get("id") in answered:
            return
        if kind not in ANSWERS:
            if kind == "application.cancellation_forwarded":
                log.info("cancelled by the citizen: %s", message["subject"])
            else:
                log.warning("ignoring a message of type %s", kind)
            return
        inbox = record.raw_message.topic  # type: ignore[union-attr]
        party = inbox.removeprefix(f"{namespace}.agency.").removesuffix(".inbox")
        if party not in updates:
            log.warning("ignoring a record from %s", inbox)
            return
        # The applicant's personal data is not on the topic: the event names the fields
        # (message["data"]["applicant_fields"]) and the agency's system reads them with
        # GET /api/v1/agency/applications/{id} (its API key), for its own records only —
        # never in a log.
        answer = report(message, ANSWERS[kind])
        await updates[party].publish(
            json.dumps(answer).encode(),
            key=answer["subject"].encode(),
            headers={"content-type": CONTENT_TYPE},
        )
        answered[message["id"]] = None
        if len(answered) > 100_000:
            answered.pop(next(iter(answered)))
        log.info("reported %s for %s", ANSWERS[kind], answer["subject"])

    broker.subscriber(
        *[f"{namespace}.agency.{agency}.inbox" for agency in agencies],
        group_id=f"{namespace}.demo-agency.inbox-reader",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )(on_application)
    return broker


async def wait_for_topics(bootstrap: str, topics: list[str], timeout: float = 120) -> None:
    """Subscribe only once the platform has created the topics: a consumer that joins
    before its topic exists would not see it until its next metadata refresh."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            await admin.start()
            missing = set(topics) - set(await admin.list_topics())
            if not missing:
                return
            log.info("waiting for topics: %s", ", ".join(sorted(missing)))
        except KafkaError as exc:
            log.info("waiting for the broker: %s", exc)
        finally:
            await admin.close()
        if loop.time() > deadline:
            raise TimeoutError("the platform's topics did not appear")
        await asyncio.sleep(1)


async def run(agencies: list[str]) -> None:
    bootstrap = os.environ.get("MPP_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    namespace = os.environ.get("MPP_NAMESPACE", "mpp")
    await wait_for_topics(
        bootstrap,
        [f"{namespace}.agency.{a}.{kind}" for a in agencies for kind in ("inbox", "updates")],
    )
    broker = build(bootstrap, namespace, agencies)
    await broker.start()
    log.info("demo agency serving %s", ", ".join(agencies))
    print(READY_LINE, flush=True)
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
