"""The queue topic's AsyncAPI contract is generated from intake's real wiring, lists
every queue event, and the committed copy is the current one."""

import json
from typing import get_args

import pytest

from services.intake.queue.contract import wired_contract
from shared.events import QueueEventType
from shared.settings import Settings
from tests.conftest import ROOT

COMMITTED = ROOT / "docs" / "asyncapi-queue.json"


@pytest.fixture(scope="module")
def document() -> dict:
    return wired_contract(Settings(namespace="mpp"))


def test_the_committed_queue_contract_is_what_intake_is_wired_to_publish(document):
    assert json.loads(COMMITTED.read_text()) == document, (
        "docs/asyncapi-queue.json is out of date: run "
        "`python -m services.intake.queue.contract > docs/asyncapi-queue.json`"
    )


def test_the_queue_contract_lists_every_queue_event_and_its_data(document):
    [channel] = document["channels"].values()
    assert channel["address"] == "mpp.queue"
    schemas = document["components"]["schemas"]
    listed = {
        schema["properties"]["type"]["const"]
        for schema in schemas.values()
        if "const" in schema.get("properties", {}).get("type", {})
    }
    assert listed == set(get_args(QueueEventType))
    data = set(schemas["QueueData"]["properties"])
    assert {"region", "service", "ticket", "number", "counter", "citizen_id"} <= data
    assert not {"nik", "name", "phone", "email"} & data
