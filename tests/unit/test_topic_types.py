"""Each topic's declared event types (shared/topics.py) name real events, every event
has a topic it may travel on, and a topic name is recognised as its kind."""

from typing import get_args

from shared.events import Event
from shared.topics import ANY_TYPE, EVENT_TYPES, FLOWS, Topics

TOPICS = Topics("mpp")
ALL_TYPES = {cls.model_fields["type"].default for cls in get_args(get_args(Event)[0])}


def test_every_kind_of_topic_declares_its_event_types():
    assert set(EVENT_TYPES) == set(FLOWS)


def test_every_declared_type_is_an_event_and_every_event_has_a_topic():
    declared = set().union(*(t for t in EVENT_TYPES.values() if t is not ANY_TYPE))
    assert declared == ALL_TYPES


def test_a_topic_name_is_known_by_its_kind_and_an_unknown_one_carries_nothing():
    assert TOPICS.kind_of("mpp.applications.citizen-actions") == "citizen_actions"
    assert TOPICS.kind_of("mpp.agency.samsat-3514.updates") == "agency_updates"
    assert TOPICS.kind_of("mpp.agency.samsat-3514.inbox") == "agency_inbox"
    assert TOPICS.kind_of("other.applications.status") is None
    assert TOPICS.declared_types("mpp.not-a-topic") == frozenset()


def test_an_agencys_updates_topic_carries_only_its_status_reports():
    declared = TOPICS.declared_types(TOPICS.agency_updates("samsat-3514"))
    assert declared == {"agency.status_reported"}
    assert "application.cancellation_requested" not in declared
    assert "application.accessed" not in declared


def test_the_replay_topic_carries_copies_of_every_type():
    assert TOPICS.declared_types(TOPICS.replay) == ALL_TYPES
