"""The Kafka contract agencies build against is generated from routing's real wiring,
and the committed copy is the current one."""

import json

import pytest
from faststream.kafka import KafkaBroker

from services.routing.contract import agency_contract, wired_contract
from shared.catalogue import load_catalogue
from shared.settings import Settings
from shared.topics import EVENT_TYPES, Groups, Topics
from tests.conftest import ROOT

COMMITTED = ROOT / "docs" / "asyncapi-agency.json"


@pytest.fixture(scope="module")
def document() -> dict:
    return wired_contract(Settings(namespace="mpp"))


def test_the_committed_asyncapi_document_is_what_routing_is_wired_to_do(document):
    assert json.loads(COMMITTED.read_text()) == document, (
        "docs/asyncapi-agency.json is out of date: run "
        "`python -m services.routing.contract > docs/asyncapi-agency.json`"
    )


def test_the_contract_gives_every_kafka_agency_an_inbox_and_an_updates_channel(document):
    topics = Topics()
    addresses = {channel["address"] for channel in document["channels"].values()}
    for agency in load_catalogue().kafka_inboxes():
        assert topics.agency_inbox(agency) in addresses
        assert topics.agency_updates(agency) in addresses
    schemas = document["components"]["schemas"]
    assert schemas["ApplicationDispatched"]["properties"]["type"]["const"] == (
        "application.dispatched"
    )
    assert "status" in schemas["AgencyReportData"]["required"]


def test_the_updates_name_the_consumer_group_routing_really_reads_them_in(document):
    group = Groups().routing_agency_updates
    updates = [
        channel
        for channel in document["channels"].values()
        if channel["address"].endswith(".updates")
    ]
    assert updates
    assert all(f"consumer group {group}." in channel["description"] for channel in updates)


def test_a_topic_routing_is_not_wired_to_use_is_left_out_of_the_contract():
    catalogue = load_catalogue()
    agency, *others = catalogue.kafka_inboxes()
    topics = Topics()
    wiring = KafkaBroker()
    for code in others:
        wiring.publisher(topics.agency_inbox(code))

    @wiring.subscriber(*(topics.agency_updates(code) for code in others), group_id="elsewhere")
    async def read(body: dict) -> None: ...

    document = agency_contract(wiring, catalogue)
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert topics.agency_inbox(agency) not in addresses
    assert topics.agency_updates(agency) not in addresses
    assert topics.agency_updates(others[0]) in addresses
    assert "consumer group elsewhere." in json.dumps(document)


def test_the_contract_lists_every_event_type_an_inbox_may_carry(document):
    """What routing may put on an inbox (the topic registry) is what agencies are told to
    expect, complaints included."""
    schemas = document["components"]["schemas"]
    listed = {
        schema["properties"]["type"]["const"]
        for schema in schemas.values()
        if "const" in schema.get("properties", {}).get("type", {})
    }
    assert EVENT_TYPES["agency_inbox"] <= listed
    assert {"complaint.forwarded", "complaint.replied"} <= listed
    forwarded = schemas["ComplaintForwardedData"]["properties"]
    assert "citizen_id" not in forwarded
