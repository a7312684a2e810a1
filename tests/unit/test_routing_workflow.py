"""The status workflow: which status may follow which, and who may cause it."""

import itertools

import pytest

from services.routing.workflow import (
    STATUSES,
    TERMINAL,
    TRANSITIONS,
    IllegalTransition,
    allowed_next,
    check_transition,
)


def test_every_status_has_a_row_and_every_target_is_a_known_status():
    assert set(TRANSITIONS) == set(STATUSES)
    for nexts in TRANSITIONS.values():
        assert set(nexts) <= set(STATUSES)


def test_an_agency_takes_an_application_from_routed_to_completed():
    path = ["routed", "received", "in_review", "approved", "completed"]
    for current, to in itertools.pairwise(path):
        check_transition(current, to, "agency")


def test_an_illegal_transition_names_the_allowed_next_statuses():
    with pytest.raises(IllegalTransition) as caught:
        check_transition("routed", "approved", "agency")
    assert caught.value.allowed == ["received"]
    assert "allowed next: received" in str(caught.value)


def test_only_the_citizen_answers_a_request_for_information_or_cancels():
    check_transition("needs_info", "resubmitted", "citizen")
    with pytest.raises(IllegalTransition):
        check_transition("needs_info", "resubmitted", "agency")
    with pytest.raises(IllegalTransition):
        check_transition("received", "cancelled", "agency")


def test_only_the_system_routes():
    with pytest.raises(IllegalTransition):
        check_transition("submitted", "routed", "agency")


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_nothing_follows_a_final_status(status):
    assert allowed_next(status, "agency") == []
    assert allowed_next(status, "citizen") == []
    with pytest.raises(IllegalTransition, match="final status"):
        check_transition(status, "in_review", "agency")
