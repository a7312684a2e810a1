"""The SLA dashboard's figures: plain functions, so they are tested without a database.

The page is drawn from the counters routing keeps as applications change
(:func:`summary_from_counts`, :mod:`services.routing.dashboard_counts`);
:func:`summarise` computes the same figures from the application documents themselves,
the definition the counters are checked against.

Time to decision is from submission to the moment the application reached its
decision (``decided_at``, stamped in the same transaction as the status change to
approved or rejected); "decided within SLA" compares that same moment with its due
date. An application decided before ``decided_at`` was stored falls back to its last
change, which at ``approved`` or ``rejected`` is the decision itself and at
``completed`` is an upper bound.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from services.routing.dashboard_counts import CLOSED, DECIDED, decision_time, grouped

__all__ = [
    "CHANNEL_NAMES",
    "DECIDED",
    "Summary",
    "bar_chart",
    "decision_time",
    "median_hours",
    "summarise",
    "summary_from_counts",
]


CHANNEL_NAMES = {
    "web": ("Situs web", "Web"),
    "mobile": ("Aplikasi ponsel", "Mobile app"),
    "counter": ("Loket MPP", "MPP counter"),
    "kiosk": ("Kios", "Kiosk"),
    "mobile_unit": ("Layanan keliling", "Mobile service unit"),
    "-": ("Tidak tercatat", "Not recorded"),
}
"""Each channel's name on the dashboard (Bahasa Indonesia, English)."""


@dataclass
class Summary:
    total: int = 0
    by_region: list[tuple[str, int]] = field(default_factory=list)
    by_agency: list[tuple[str, int]] = field(default_factory=list)
    by_service: list[tuple[str, int]] = field(default_factory=list)
    by_status: list[tuple[str, int]] = field(default_factory=list)
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    """Where applications came in (web, mobile, counter, kiosk, mobile_unit); ``-`` for
    those routed before the channel was kept."""
    decided: int = 0
    median_days_to_decision: float | None = None
    within_sla_share: float | None = None
    overdue: list[dict[str, Any]] = field(default_factory=list)
    """The earliest 50 overdue applications."""
    overdue_total: int = 0


def summarise(applications: list[dict[str, Any]], now: datetime) -> Summary:
    summary = Summary(total=len(applications))
    for key, target in (
        ("region", "by_region"),
        ("agency", "by_agency"),
        ("service", "by_service"),
        ("status", "by_status"),
        ("channel", "by_channel"),
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
    overdue = sorted(
        (
            a
            for a in applications
            if a.get("status") not in CLOSED
            and a.get("agency") is not None  # the SLA clock runs only at an agency
            and a.get("sla_due_at") is not None
            and a["sla_due_at"] < now
        ),
        key=lambda a: a["sla_due_at"],
    )
    summary.overdue, summary.overdue_total = overdue[:50], len(overdue)
    return summary


def median_hours(histogram: Mapping[int, int]) -> float | None:
    """The median of values given as ``{value: how many}``; None when there are none."""
    n = sum(histogram.values())
    if n == 0:
        return None
    middle: list[int] = []
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        for position in ((n - 1) // 2, n // 2):
            if seen <= position < seen + count:
                middle.append(value)
        seen += count
    return sum(middle) / len(middle)


def summary_from_counts(counts: Mapping[str, int], overdue: list[dict[str, Any]]) -> Summary:
    """The figures from the dashboard's counters; ``overdue`` is the list's first page.

    Overdue here means escalated by the SLA sweep and still open, so the count and the
    list agree; the sweep runs every ``MPP_SLA_SWEEP_SECONDS``."""
    summary = Summary(total=counts.get("total", 0), decided=counts.get("decided", 0))
    for dimension, target in (
        ("region", "by_region"),
        ("agency", "by_agency"),
        ("service", "by_service"),
        ("status", "by_status"),
    ):
        rows = grouped(counts, dimension)
        setattr(summary, target, sorted(rows.items(), key=lambda row: (-row[1], row[0])))
    channels = grouped(counts, "channel")
    unrecorded = summary.total - sum(channels.values())
    if unrecorded > 0:
        channels["-"] = unrecorded
    summary.by_channel = sorted(channels.items(), key=lambda row: (-row[1], row[0]))
    hours = median_hours({int(h): n for h, n in grouped(counts, "decision_hours").items()})
    if hours is not None:
        summary.median_days_to_decision = round(hours / 24, 1)
    with_due = counts.get("with_due", 0)
    if with_due:
        summary.within_sla_share = round(100 * counts.get("in_time", 0) / with_due, 1)
    summary.overdue, summary.overdue_total = overdue, counts.get("overdue", 0)
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
