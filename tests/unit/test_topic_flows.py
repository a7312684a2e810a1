"""Every topic in the registry has at least one producer and one consumer, and the
services subscribe and publish exactly where the registry says."""

import importlib

import pytest

from examples.agency.__main__ import build as build_demo_agency
from shared.catalogue import load_catalogue
from shared.settings import Settings
from shared.topics import FLOWS, Topics

SERVICES = ("intake", "routing", "notify", "audit")


def kind_of(topic: str, topics: Topics) -> str:
    for attribute in ("submitted", "status", "notifications", "deadletter"):
        if getattr(topics, attribute, None) == topic:
            return attribute
    for attribute in vars(topics):
        if getattr(topics, attribute) == topic:
            return attribute
    if topic.endswith(".inbox"):
        return "agency_inbox"
    if topic.endswith(".updates"):
        return "agency_updates"
    raise AssertionError(f"{topic} is not in the registry")


@pytest.fixture(scope="module")
def wiring() -> dict[str, dict[str, set[str]]]:
    """Which kinds of topic each participant really subscribes to and publishes to."""
    settings = Settings()
    topics = Topics(settings.namespace)
    found: dict[str, dict[str, set[str]]] = {}
    for name in SERVICES:
        app = importlib.import_module(f"services.{name}.app").build(settings)
        broker = app.state.runtime.broker
        found[name] = {
            "consumes": {kind_of(t.name, topics) for s in broker.subscribers for t in s.topics},
            "produces": {kind_of(p.topic, topics) for p in broker.publishers},
        }
    agency = build_demo_agency(settings.kafka_bootstrap, settings.namespace, ["disdukcapil-3576"])
    found["agency"] = {
        "consumes": {kind_of(t.name, topics) for s in agency.subscribers for t in s.topics},
        "produces": {"agency_updates"},  # published by the example with broker.publish
    }
    return found


def test_every_registered_topic_has_a_producer_and_a_consumer():
    for kind, flow in FLOWS.items():
        assert flow["producers"], f"{kind} has no producer"
        assert flow["consumers"], f"{kind} has no consumer"


def test_every_topic_of_the_registry_is_covered_by_the_flows():
    topics = Topics()
    kinds = {kind_of(name, topics) for name in topics.all(load_catalogue().kafka_agencies())}
    assert kinds == set(FLOWS)


@pytest.mark.parametrize("kind", sorted(FLOWS))
def test_the_declared_consumers_really_subscribe(kind, wiring):
    for participant in FLOWS[kind]["consumers"]:
        assert kind in wiring[participant]["consumes"], f"{participant} does not consume {kind}"


@pytest.mark.parametrize("kind", sorted(FLOWS))
def test_the_declared_producers_really_publish(kind, wiring):
    for participant in FLOWS[kind]["producers"]:
        assert kind in wiring[participant]["produces"], f"{participant} does not publish {kind}"


def test_no_service_uses_a_topic_the_registry_does_not_list_for_it(wiring):
    for participant, uses in wiring.items():
        for kind in uses["consumes"]:
            assert participant in FLOWS[kind]["consumers"], (participant, kind)
        for kind in uses["produces"]:
            assert participant in FLOWS[kind]["producers"], (participant, kind)
