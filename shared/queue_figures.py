"""The queue's figures for one MPP and day, from its tickets: how long citizens waited
(checked in or given a ticket → called) and how long they were served (called →
served), per counter and service, and for the whole MPP per service.

Plain functions over ticket records (``service``, ``status``, ``counter``,
``checked_in_at``, ``called_at``, ``finished_at``): intake works them out from its
``queue_tickets`` (``GET /api/v1/queue/figures``), routing's dashboard from its own
projection of the queue's events (:mod:`services.routing.queue_times`). One definition,
so the API and the dashboard cannot disagree.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from statistics import median
from typing import Any

__all__ = ["figures"]


def _minutes(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds() / 60


def _summary(values: list[float]) -> dict[str, float | None]:
    """Mean, median and 90th percentile in minutes (None without a value)."""
    if not values:
        return {"mean": None, "median": None, "p90": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return {
        "mean": round(sum(ordered) / len(ordered), 1),
        "median": round(median(ordered), 1),
        "p90": round(p90, 1),
    }


def _row(tickets: list[dict[str, Any]]) -> dict[str, Any]:
    waits = [_minutes(t.get("called_at"), t.get("checked_in_at")) for t in tickets]
    serving = [
        _minutes(t.get("finished_at"), t.get("called_at"))
        for t in tickets
        if t["status"] == "served"
    ]
    statuses = [t["status"] for t in tickets]
    return {
        "tickets": len(tickets),
        "waiting": statuses.count("waiting"),
        "served": statuses.count("served"),
        "no_show": statuses.count("no_show"),
        "waiting_minutes": _summary([w for w in waits if w is not None]),
        "service_minutes": _summary([s for s in serving if s is not None]),
    }


def figures(tickets: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``by_counter``: one row per counter and service of the tickets called there;
    ``by_service``: one row per service, every ticket of the day."""
    per_counter: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    per_service: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ticket in tickets:
        per_service[ticket["service"]].append(ticket)
        if ticket.get("counter"):
            per_counter[(ticket["counter"], ticket["service"])].append(ticket)
    return {
        "by_counter": [
            {"counter": counter, "service": service, **_row(found)}
            for (counter, service), found in sorted(per_counter.items())
        ],
        "by_service": [
            {"service": service, **_row(found)} for service, found in sorted(per_service.items())
        ],
    }
