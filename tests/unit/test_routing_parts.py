"""Routing's parts are made once, by ``build_parts``, for the service and for ``mpp``: a
command reaches the stores the service's units of work reach, and its outbox takes only
the topics routing writes."""

import pytest

from services.routing.composition import RoutingParts, build_parts
from shared.settings import Settings


@pytest.fixture(scope="module")
def parts() -> RoutingParts:
    return build_parts(Settings(namespace="t"))


def test_a_unit_of_work_reaches_the_very_stores_the_parts_name(parts):
    uow = parts.units()
    assert uow.applications is parts.applications
    assert uow.deliveries is parts.deliveries
    assert uow.results is parts.results
    assert uow.seen is parts.seen
    assert uow.counts is parts.counts
    assert uow.catalogue is parts.catalogue


def test_the_webhook_sender_and_the_sla_clock_stage_in_the_same_units_of_work(parts):
    assert parts.deliveries.units is parts.units
    assert parts.clock.units is parts.units
    assert parts.units.outbox is not None


def test_a_command_stages_events_only_on_the_topics_routing_writes(parts):
    publishes = parts.runtime.publishes
    topics = parts.topics
    assert {topics.status, topics.operations, topics.documents} <= publishes
    assert {topics.agency_inbox(a) for a in parts.catalogue.kafka_inboxes()} <= publishes
    # What intake and citizens write is never staged by routing, nor by mpp for it.
    assert topics.submitted not in publishes
    assert topics.citizen_actions not in publishes
