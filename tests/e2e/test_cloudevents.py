"""Standard CloudEvents tooling reads our topics: the official SDK's Kafka binding parses
every record of one application — on the submitted and status topics, the agency's inbox
and the agency's own updates (the demo agency) — with every required and extension
attribute, and the audit log keeps and chains exactly those bytes."""

import time

import httpx
import orjson
from aiokafka import AIOKafkaConsumer
from cloudevents.core.bindings.kafka import KafkaMessage, from_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.v1 import kafka as sdk_v1_kafka

from services.audit.chain import verify
from shared.topics import Topics
from tests.e2e.helpers import Stores, eventually, register, submit

AGENCY = "disdukcapil-3576"


async def records_of(bootstrap: str, topics: list[str], subject: str, until: int) -> list:
    """The raw records about ``subject`` on ``topics``, once at least ``until`` arrived."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found: list = []
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(found) < until:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                found += [r for r in records if r.key == subject.encode()]
    finally:
        await consumer.stop()
    return found


async def test_the_cloudevents_sdk_reads_every_record_of_an_application_on_every_topic(
    platform, settings
):
    running = platform("intake", "routing", "audit", "agency")
    topics = Topics(settings.namespace)
    async with httpx.AsyncClient(base_url=running.url("intake")) as client:
        citizen = await register(client)
        application_id = (await submit(client, citizen))["id"]

        async def received() -> bool:
            response = await client.get(
                f"/api/v1/applications/{application_id}", headers=citizen.headers
            )
            return response.json()["status"] == "received"

        await eventually(received, timeout=20)

    watched = [
        topics.submitted,
        topics.status,
        topics.agency_inbox(AGENCY),
        topics.agency_updates(AGENCY),
    ]
    # submitted, routed + received, dispatched, the agency's report
    records = await records_of(settings.kafka_bootstrap, watched, application_id, until=5)
    assert sorted(record.topic for record in records) == sorted(
        [watched[0], watched[1], watched[1], watched[2], watched[3]]
    )
    by_type: dict[str, dict] = {}
    for record in records:
        headers = {name: value for name, value in record.headers}
        assert headers["content-type"] == b"application/cloudevents+json", record.topic
        message = KafkaMessage(headers=headers, key=record.key, value=record.value)
        event = from_structured(message, JSONFormat())  # validates the attributes
        attributes = event.get_attributes()
        for required in ("specversion", "id", "source", "type", "time", "subject"):
            assert attributes.get(required), (record.topic, required)
        assert attributes["specversion"] == "1.0"
        assert attributes["subject"] == application_id
        assert attributes["datacontenttype"] == "application/json"
        assert attributes["correlationid"]
        assert attributes["schemaversion"] == 1
        assert attributes["region"] == "3576"
        assert event.get_data()["application_id"] == application_id
        legacy = sdk_v1_kafka.from_structured(
            sdk_v1_kafka.KafkaMessage(headers=headers, key=record.key, value=record.value)
        )
        assert legacy["id"] == attributes["id"]
        by_type[attributes["type"]] = attributes

    assert by_type["application.submitted"]["source"] == "/mpp/intake"
    assert by_type["application.dispatched"]["source"] == "/mpp/routing"
    report = by_type["agency.status_reported"]
    assert report["source"] == f"/mpp/agency/{AGENCY}"
    assert report["causationid"] == by_type["application.dispatched"]["id"]
    correlation = {attributes["correlationid"] for attributes in by_type.values()}
    assert len(correlation) == 1  # one request, one correlation id through the chain

    stores = Stores(settings)
    try:

        async def audited() -> list:
            found = await stores.audit.records.find({"subject": application_id}).to_list()
            return found if len(found) >= 5 else []

        stored = await eventually(audited, timeout=20)
        assert all(orjson.loads(doc["event"])["specversion"] == "1.0" for doc in stored)
        assert {doc["type"] for doc in stored} >= set(by_type)
        raw = {record.value.decode() for record in records}
        assert raw <= {doc["event"] for doc in stored}  # the bytes received, unchanged
        chain = await stores.audit.records.find().sort("_id").to_list()
        assert verify(chain).ok
    finally:
        await stores.close()
