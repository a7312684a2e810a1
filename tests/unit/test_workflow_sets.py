"""The status sets every service asks about are read off the workflow table, so a status
added to the table joins them without anyone typing it again."""

import ast
from pathlib import Path

import pytest

from shared.workflow import (
    CANCELLABLE,
    DECIDED,
    DECISIONS,
    ISSUING,
    LAPSED,
    SETTLED,
    STATUSES,
    TERMINAL,
    TRANSITIONS,
    WITHDRAWN,
    Workflow,
)

ROOT = Path(__file__).resolve().parents[2]


def test_each_set_is_what_the_workflow_says():
    assert {s for s, nexts in TRANSITIONS.items() if not nexts} == TERMINAL
    assert {"cancelled"} == WITHDRAWN
    assert {"payment_expired"} == LAPSED
    assert {"approved", "rejected", "completed", "cancelled", "payment_expired"} == SETTLED
    assert {"approved", "rejected", "completed"} == DECIDED
    assert {"approved", "rejected"} == DECISIONS
    assert {"approved", "completed"} == ISSUING
    assert {
        s for s, nexts in TRANSITIONS.items() if "citizen" in nexts.get("cancelled", ())
    } == CANCELLABLE


def test_an_unpaid_bill_that_expired_ends_the_application_without_a_decision():
    assert "payment_expired" in TERMINAL
    assert "payment_expired" not in DECIDED  # never counted as the agency's decision
    assert "payment_expired" not in CANCELLABLE  # nothing left to withdraw
    assert TRANSITIONS["payment_due"]["payment_expired"] == {"system"}


def test_the_sets_nest_the_way_services_rely_on():
    assert TERMINAL <= SETTLED
    assert DECISIONS <= DECIDED <= SETTLED
    assert ISSUING <= DECIDED
    assert not CANCELLABLE & SETTLED  # a settled application cannot be withdrawn
    assert set(STATUSES) >= SETTLED | CANCELLABLE


def _with(extra: dict[str, dict[str, frozenset]]) -> Workflow:
    table = {status: dict(nexts) for status, nexts in TRANSITIONS.items()}
    for status, nexts in extra.items():
        table.setdefault(status, {}).update(nexts)
    return Workflow(table)


def test_a_new_final_decision_joins_the_decided_sets_but_issues_nothing():
    agency = frozenset({"agency"})
    workflow = _with({"in_review": {"withdrawn_by_law": agency}, "withdrawn_by_law": {}})
    assert "withdrawn_by_law" in workflow.terminal
    assert "withdrawn_by_law" in workflow.decisions
    assert "withdrawn_by_law" in workflow.decided
    assert "withdrawn_by_law" not in workflow.issuing
    assert "withdrawn_by_law" not in workflow.withdrawn


def test_a_new_step_before_completion_is_settled_and_issues_results():
    agency = frozenset({"agency"})
    workflow = _with(
        {
            "approved": {"ready_for_pickup": agency},
            "ready_for_pickup": {"completed": agency},
        }
    )
    # approved now leads to a status that is not final, yet its outcome is still known
    assert {"approved", "ready_for_pickup"} <= workflow.settled
    assert {"approved", "ready_for_pickup"} <= workflow.decided
    assert workflow.decisions == DECISIONS
    assert "ready_for_pickup" in workflow.issuing
    assert "approved" in workflow.issuing


def test_a_new_open_status_the_citizen_may_leave_is_cancellable():
    citizen, agency = frozenset({"citizen"}), frozenset({"agency"})
    workflow = _with(
        {
            "received": {"on_hold": agency},
            "on_hold": {"cancelled": citizen, "in_review": agency},
        }
    )
    assert "on_hold" in workflow.cancellable
    assert "on_hold" not in workflow.settled


_STATUS_NAMES = frozenset(STATUSES)


def _hand_typed_status_sets(path: Path) -> list[int]:
    """Lines where a tuple, list or set literal names two or more statuses."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            names = [
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant) and e.value in _STATUS_NAMES
            ]
            if len(names) >= 2:
                found.append(node.lineno)
    return found


@pytest.mark.parametrize("package", ["services", "shared"])
def test_no_service_types_a_set_of_statuses_by_hand(package):
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "workflow.py" and (lines := _hand_typed_status_sets(path))
    }
    assert offenders == {}
