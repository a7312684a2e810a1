"""The SP4N-LAPOR! timeline of a complaint, in working days of its region: pure rules.

A complaint is forwarded (its agency holds it and SP4N-LAPOR! has given it a tracking
id) within 3 working days of filing, answered within 5 working days of reaching the
agency (or of the citizen's latest reply), and closed 10 working days after the answer
when the citizen does not reply. Each due time is the end of that working day in the
region's zone (:meth:`shared.calendar.WorkingCalendar.add_working_days`), so a weekend,
a national holiday or the region's own day off moves it.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from shared.calendar import WorkingCalendar

__all__ = [
    "ANSWER_DAYS",
    "CLOSE_DAYS",
    "FORWARD_DAYS",
    "OPEN",
    "STATES",
    "Due",
    "answer_due",
    "close_due",
    "forward_due",
    "overdue",
]

FORWARD_DAYS = 3
ANSWER_DAYS = 5
CLOSE_DAYS = 10

STATES = ("filed", "forwarded", "answered", "closed")
"""filed: stored, reached its agency, not yet recorded by SP4N-LAPOR!; forwarded: the
agency holds it and SP4N-LAPOR! tracks it; answered: the agency answered; closed."""

OPEN = ("filed", "forwarded")
"""The states in which the agency owes an answer."""

Due = Literal["forward", "answer", "close"]


def forward_due(calendar: WorkingCalendar, filed_at: datetime) -> datetime:
    return calendar.add_working_days(filed_at, FORWARD_DAYS)


def answer_due(calendar: WorkingCalendar, reached_at: datetime) -> datetime:
    return calendar.add_working_days(reached_at, ANSWER_DAYS)


def close_due(calendar: WorkingCalendar, answered_at: datetime) -> datetime:
    return calendar.add_working_days(answered_at, CLOSE_DAYS)


def overdue(complaint: Mapping[str, Any], now: datetime) -> list[Due]:
    """What the sweep owes ``complaint`` at ``now``: an escalation for each step past its
    due time and not escalated yet, or closing an answer left without a reply."""
    state, escalated = complaint["state"], complaint.get("escalated") or []
    owed: list[Due] = []
    if state == "closed":
        return owed
    if (
        complaint.get("forwarded_at") is None
        and "forward" not in escalated
        and complaint["forward_due_at"] < now
    ):
        owed.append("forward")
    if state in OPEN and "answer" not in escalated and complaint["answer_due_at"] < now:
        owed.append("answer")
    if state == "answered" and complaint["close_due_at"] < now:
        owed.append("close")
    return owed
