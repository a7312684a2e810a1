"""The Kafka contract agencies build against is generated from the code, and the
committed copy is the current one."""

import json

from services.routing.contract import agency_contract
from shared.catalogue import load_catalogue
from shared.topics import Topics
from tests.conftest import ROOT

COMMITTED = ROOT / "docs" / "asyncapi-agency.json"


def test_the_committed_asyncapi_document_is_what_faststream_generates_now():
    assert json.loads(COMMITTED.read_text()) == agency_contract(load_catalogue()), (
        "docs/asyncapi-agency.json is out of date: run "
        "`python -m services.routing.contract > docs/asyncapi-agency.json`"
    )


def test_the_contract_gives_every_kafka_agency_an_inbox_and_an_updates_channel():
    document = agency_contract(load_catalogue())
    topics = Topics()
    addresses = {channel["address"] for channel in document["channels"].values()}
    for agency in load_catalogue().kafka_agencies():
        assert topics.agency_inbox(agency) in addresses
        assert topics.agency_updates(agency) in addresses
    schemas = document["components"]["schemas"]
    assert schemas["ApplicationDispatched"]["properties"]["type"]["const"] == (
        "application.dispatched"
    )
    assert "status" in schemas["AgencyReportData"]["required"]
