"""Folding an application's recorded events through the status workflow."""

from services.audit.state import differences, fold


def submitted() -> dict:
    return {"type": "application.submitted", "data": {"application_id": "app-1"}}


def change(sequence: int, to: str, actor: str, agency: str | None = "disdukcapil-3576") -> dict:
    return {
        "type": "application.status_changed",
        "data": {"sequence": sequence, "to_status": to, "actor": actor, "agency": agency},
    }


def test_a_submitted_application_that_was_routed_and_received_is_received():
    state = fold(
        "app-1", [change(2, "received", "agency"), submitted(), change(1, "routed", "system")]
    )
    assert state.status == "received"
    assert state.statuses == ["submitted", "routed", "received"]
    assert (state.last_sequence, state.agency, state.anomalies) == (2, "disdukcapil-3576", [])


def test_a_redelivered_status_change_counts_once():
    state = fold(
        "app-1", [submitted(), change(1, "routed", "system"), change(1, "routed", "system")]
    )
    assert state.statuses == ["submitted", "routed"]


def test_a_step_the_workflow_forbids_is_reported_as_an_anomaly():
    state = fold("app-1", [submitted(), change(1, "approved", "agency")])
    assert state.status == "approved"
    assert "cannot move an application from submitted to approved" in state.anomalies[0]


def test_a_missing_status_change_is_reported():
    state = fold(
        "app-1", [submitted(), change(1, "routed", "system"), change(3, "in_review", "agency")]
    )
    assert any("status change 2 is missing" in anomaly for anomaly in state.anomalies)


def test_the_rebuilt_state_agrees_with_a_live_view_showing_the_same():
    state = fold("app-1", [submitted(), change(1, "routed", "system")])
    live = {
        "status": "routed",
        "agency": "disdukcapil-3576",
        "last_sequence": 1,
        "timeline": [{"status": "submitted"}, {"status": "routed"}],
    }
    assert differences(state, live) == []
    assert differences(state, {**live, "status": "received"}) == [
        "status: log says 'routed', live view says 'received'"
    ]
