"""The SLA dashboard's figures, from routing's own applications: plain functions over
plain documents, so they are tested without a database.

Time to decision is from submission to the moment the application reached its
decision (``decided_at``, stamped in the same transaction as the status change to
approved or rejected); "decided within SLA" compares that same moment with its due
date. An application decided before ``decided_at`` was stored falls back to its last
change, which at ``approved`` or ``rejected`` is the decision itself and at
``completed`` is an upper bound.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

__all__ = ["DECIDED", "Summary", "bar_chart", "decision_time", "summarise"]

DECIDED = frozenset({"approved", "rejected", "completed"})
CLOSED = DECIDED | {"cancelled"}


def decision_time(application: dict[str, Any]) -> datetime | None:
    """When the application was decided; None while it is not."""
    if application.get("status") not in DECIDED:
        return None
    return application.get("decided_at") or application.get("updated_at")


@dataclass
class Summary:
    total: int = 0
    by_region: list[tuple[str, int]] = field(default_factory=list)
    by_agency: list[tuple[str, int]] = field(default_factory=list)
    by_service: list[tuple[str, int]] = field(default_factory=list)
    by_status: list[tuple[str, int]] = field(default_factory=list)
    decided: int = 0
    median_days_to_decision: float | None = None
    within_sla_share: float | None = None
    overdue: list[dict[str, Any]] = field(default_factory=list)


def summarise(applications: list[dict[str, Any]], now: datetime) -> Summary:
    summary = Summary(total=len(applications))
    for key, target in (
        ("region", "by_region"),
        ("agency", "by_agency"),
        ("service", "by_service"),
        ("status", "by_status"),
    ):
        counts = Counter(str(a.get(key) or "-") for a in applications)
        setattr(summary, target, counts.most_common())
    decided = [
        (a, at)
        for a in applications
        if a.get("submitted_at") and (at := decision_time(a)) is not None
    ]
    summary.decided = len(decided)
    if decided:
        days = [(at - a["submitted_at"]).total_seconds() / 86400 for a, at in decided]
        summary.median_days_to_decision = round(median(days), 1)
        with_due = [(a, at) for a, at in decided if a.get("sla_due_at") is not None]
        if with_due:
            in_time = sum(1 for a, at in with_due if at <= a["sla_due_at"])
            summary.within_sla_share = round(100 * in_time / len(with_due), 1)
    summary.overdue = sorted(
        (
            a
            for a in applications
            if a.get("status") not in CLOSED
            and a.get("sla_due_at") is not None
            and a["sla_due_at"] < now
        ),
        key=lambda a: a["sla_due_at"],
    )[:50]
    return summary


def bar_chart(rows: list[tuple[str, int | float]], width: int = 600) -> dict[str, Any]:
    """Geometry for a horizontal bar chart the template draws as SVG (no script)."""
    top = max((value for _, value in rows), default=0) or 1
    label_width, bar_height, gap = 190, 22, 8
    bars = [
        {
            "label": label,
            "value": value,
            "y": i * (bar_height + gap),
            "width": round((width - label_width - 60) * value / top, 1),
        }
        for i, (label, value) in enumerate(rows)
    ]
    return {
        "bars": bars,
        "width": width,
        "height": max(len(rows), 1) * (bar_height + gap),
        "label_width": label_width,
        "bar_height": bar_height,
    }
