"""The dashboard's MPP queue section: how long citizens waited for a counter and how long
they were served, for one MPP and one day, per service and per counter.

Read from routing's own projection of the queue's events
(:mod:`services.routing.queue_times`) and worked out with the same definition as
intake's figures API (:mod:`shared.queue_figures`): waiting is ticket given → called,
service is called → served, each as the median and the 90th percentile in minutes. The
day is the MPP's own local day; the section names its zone (WIB, WITA or WIT).

The reader chooses the MPP and the day with links (``antrean_wilayah``,
``antrean_tanggal``: the MPPs that queue, the day before, today, the day after), so the
public page has no form to send, works without JavaScript, and a link to any day can be
shared.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import Request

from services.routing.queue_times import QueueTimes
from services.routing.web.dashboard_page import Figures, Names
from shared.catalogue import Catalogue
from shared.queue_figures import figures as queue_figures

__all__ = ["QueueChoice", "choose", "queue_times_section"]

_BAD_DAY = (
    "Tanggal tidak dikenali; ditampilkan hari ini",
    "The date was not understood; today is shown",
)


@dataclass(frozen=True)
class QueueChoice:
    """The MPP and the day the reader chose (or the first MPP that queues, today)."""

    region: str
    day: date
    bad_day: bool = False


def queueing_regions(catalogue: Catalogue) -> list[str]:
    """The regions whose MPP queues, in the catalogue's order."""
    found: list[str] = []
    for rules in catalogue.queues:
        if rules.region not in found:
            found.append(rules.region)
    return found


def choose(catalogue: Catalogue, asked: dict[str, str], now: datetime) -> QueueChoice | None:
    """The reader's choice, each part checked: an MPP that does not queue is not shown,
    nor is a day that is no date; None when no MPP queues at all."""
    regions = queueing_regions(catalogue)
    if not regions:
        return None
    region = asked.get("antrean_wilayah", "")
    region = region if region in regions else regions[0]
    today = now.astimezone(catalogue.zone_of(region)).date()
    typed = asked.get("antrean_tanggal", "").strip()
    if not typed:
        return QueueChoice(region, today)
    try:
        return QueueChoice(region, date.fromisoformat(typed[:10]))
    except ValueError:
        return QueueChoice(region, today, bad_day=True)


def _rows(found: list[dict[str, Any]], named: Names, label: Any) -> list[dict[str, Any]]:
    return [
        {
            "counter": label(row.get("counter")),
            "service": named.service(row["service"]),
            "tickets": row["tickets"],
            "served": row["served"],
            "waiting": row["waiting_minutes"],
            "serving": row["service_minutes"],
        }
        for row in found
    ]


def _days(choice: QueueChoice) -> dict[str, str]:
    """The days either side of the chosen one, for their links (today's link has no date)."""
    return {
        "before": (choice.day - timedelta(days=1)).isoformat(),
        "after": (choice.day + timedelta(days=1)).isoformat(),
    }


async def queue_times_section(request: Request, figures: Figures, english: bool) -> dict[str, Any]:
    """``queue_times`` for ``_queue_times.html``: the choice, the MPPs to choose from, and
    the rows per service and per counter (none: the section says so)."""
    catalogue = figures.catalogue
    choice = choose(catalogue, dict(request.query_params), datetime.now().astimezone())
    if choice is None:
        return {"queue_times": None}
    tickets = await QueueTimes(figures.db).day(choice.region, choice.day.isoformat())
    found = queue_figures(tickets)
    named = Names(catalogue, english)

    def label(counter: str | None) -> str:
        declared = catalogue.queue_counter(choice.region, counter or "")
        return declared.label if declared else (counter or "")

    moments = [t.get(k) for t in tickets for k in ("checked_in_at", "called_at", "finished_at")]
    latest = max((m for m in moments if m is not None), default=None)
    zone = catalogue.zone_of(choice.region)
    return {
        "queue_times": {
            "regions": [(code, named.region(code)) for code in queueing_regions(catalogue)],
            "region": choice.region,
            "region_name": named.region(choice.region),
            "day": choice.day,
            "day_moment": datetime.combine(choice.day, time(12), zone),
            "days": _days(choice),
            "zone": zone.tzname(None),
            "bad_day": _BAD_DAY if choice.bad_day else None,
            "by_service": _rows(found["by_service"], named, label),
            "by_counter": _rows(found["by_counter"], named, label),
            "latest": latest,
        }
    }
