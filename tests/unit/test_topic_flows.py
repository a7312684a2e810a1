"""Every topic in the registry has at least one producer and one consumer, and the
services subscribe and publish exactly where the registry says.

What each participant uses is read off its real wiring: the broker each service's
composition root builds (not started) and the example agency's broker, serving every
Kafka agency of the catalogue. Nothing is typed out here, so a declaration removed from
a service makes the check fail (the last tests show it does)."""

import copy
import importlib
from types import SimpleNamespace
from typing import Any

import pytest

from examples.agency.__main__ import build as build_demo_agency
from shared.catalogue import load_catalogue
from shared.settings import Settings
from shared.topics import FLOWS, Topics

SERVICES = ("identity", "intake", "routing", "notify", "audit")
Uses = dict[str, dict[str, set[str]]]


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


def uses(broker: Any, topics: Topics) -> dict[str, set[str]]:
    """The kinds of topic a broker subscribes to and publishes to, as it is wired."""
    return {
        "consumes": {kind_of(t.name, topics) for s in broker.subscribers for t in s.topics},
        "produces": {kind_of(p.topic, topics) for p in broker.publishers},
    }


def disagreements(wiring: Uses, flows: dict[str, dict[str, frozenset[str]]]) -> list[str]:
    """Where the wiring and the registry disagree, both ways; empty when they agree."""
    found = []
    for kind, flow in flows.items():
        for role, use in (("consumers", "consumes"), ("producers", "produces")):
            if not flow[role]:
                found.append(f"{kind} has no {role}")
            found += [
                f"{who} is listed among the {role} of {kind} but is not wired to it"
                for who in sorted(flow[role])
                if kind not in wiring.get(who, {}).get(use, set())
            ]
    for who, used in wiring.items():
        for role, use in (("consumers", "consumes"), ("producers", "produces")):
            found += [
                f"{who} is wired to {kind} but is not among its {role}"
                for kind in sorted(used[use])
                if who not in flows.get(kind, {}).get(role, frozenset())
            ]
    return found


@pytest.fixture(scope="module")
def brokers() -> dict[str, Any]:
    """Each participant's real broker, wired and not started."""
    settings = Settings()
    found = {
        name: importlib.import_module(f"services.{name}.app").build(settings).state.runtime.broker
        for name in SERVICES
    }
    agencies = load_catalogue().kafka_inboxes()
    found["agency"] = build_demo_agency(settings.kafka_bootstrap, settings.namespace, agencies)
    return found


@pytest.fixture(scope="module")
def wiring(brokers: dict[str, Any]) -> Uses:
    topics = Topics(Settings().namespace)
    return {name: uses(broker, topics) for name, broker in brokers.items()}


def test_every_topic_of_the_registry_is_covered_by_the_flows():
    topics = Topics()
    kinds = {kind_of(name, topics) for name in topics.all(load_catalogue().kafka_inboxes())}
    assert kinds == set(FLOWS)


def test_the_wiring_is_what_the_registry_says(wiring):
    assert disagreements(wiring, FLOWS) == []


@pytest.mark.parametrize("kind", sorted(FLOWS))
def test_every_registered_topic_is_really_produced_and_consumed(kind, wiring):
    assert any(kind in used["produces"] for used in wiring.values()), f"nobody writes {kind}"
    assert any(kind in used["consumes"] for used in wiring.values()), f"nobody reads {kind}"


def _without(broker: Any, topic: str) -> SimpleNamespace:
    """A copy of a broker's wiring with the declarations of ``topic`` taken out."""
    return SimpleNamespace(
        publishers=[p for p in broker.publishers if p.topic != topic],
        subscribers=[
            SimpleNamespace(topics=[t for t in s.topics if t.name != topic])
            for s in broker.subscribers
        ],
    )


def test_the_check_fails_when_routing_stops_declaring_the_status_topic(brokers):
    topics = Topics(Settings().namespace)
    wiring = {name: uses(broker, topics) for name, broker in brokers.items()}
    wiring["routing"] = uses(_without(brokers["routing"], topics.status), topics)
    assert disagreements(wiring, FLOWS) == [
        "routing is listed among the producers of status but is not wired to it"
    ]


def test_the_check_fails_when_the_agency_stops_declaring_its_updates(brokers):
    topics = Topics(Settings().namespace)
    agency = brokers["agency"]
    stripped = SimpleNamespace(publishers=[], subscribers=agency.subscribers)
    wiring = {name: uses(broker, topics) for name, broker in brokers.items()}
    wiring["agency"] = uses(stripped, topics)
    assert disagreements(wiring, FLOWS) == [
        "agency is listed among the producers of agency_updates but is not wired to it"
    ]


def test_the_check_fails_when_a_service_reads_a_topic_the_registry_does_not_give_it(wiring):
    flows = copy.deepcopy(FLOWS)
    flows["accounts"]["consumers"] = frozenset({"audit"})  # notify reads it too
    assert disagreements(wiring, flows) == [
        "notify is wired to accounts but is not among its consumers"
    ]
