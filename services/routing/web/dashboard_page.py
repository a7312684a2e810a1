"""What the public dashboard shows, gathered without HTTP: the counters' figures, the
first page of the overdue list, the IKM from notify's public API, and whether the
counters are still being filled from the applications stored before them.

:func:`dashboard_page` answers the context of ``dashboard.html``; the route in
:mod:`services.routing.web.routes` renders it, with the :class:`Figures` that
:func:`services.routing.web.mount_web` keeps on ``app.state`` (:func:`figures`). A
request costs the same whatever the number of applications: the counters' few
documents, and the first page of the overdue index.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.applications import ApplicationRepository
from services.routing.backfill import COUNTING, done
from services.routing.dashboard_counts import DashboardCounts, overdue_until
from services.routing.sla import escalated_query
from services.routing.web.dashboard import (
    CHANNEL_NAMES,
    Summary,
    bar_chart,
    summary_from_counts,
)
from services.routing.web.desk import service_names
from shared.catalogue import Catalogue

__all__ = [
    "OVERDUE_SHOWN",
    "DashboardFigures",
    "DashboardQuery",
    "Figures",
    "Names",
    "dashboard_context",
    "dashboard_page",
    "figures",
    "ikm_of_services",
]

OVERDUE_SHOWN = 50


@dataclass(frozen=True)
class DashboardQuery:
    english: bool
    signed_in: bool


@dataclass(frozen=True)
class Figures:
    """Where the dashboard's figures come from."""

    counts: DashboardCounts
    applications: ApplicationRepository
    db: AsyncDatabase
    catalogue: Catalogue
    notify_url: str


async def dashboard_page(query: DashboardQuery, figures: Figures) -> dict[str, Any]:
    """Volumes, time to decision, share within SLA, the overdue list and the IKM."""
    counted = await figures.counts.read()
    until = overdue_until(counted, OVERDUE_SHOWN)
    overdue = []
    if until is not None:  # only the due dates the list shows are read
        overdue = await figures.applications.earliest_due(escalated_query(until), OVERDUE_SHOWN)
    summary = summary_from_counts(counted, overdue)
    counting = not await done(figures.db, COUNTING)
    ikm = await ikm_of_services(figures.notify_url)
    return dashboard_context(query, figures.catalogue, summary, ikm, counting)


def dashboard_context(
    query: DashboardQuery,
    catalogue: Catalogue,
    summary: Summary,
    ikm: list[dict[str, Any]] | None,
    counting: bool,
) -> dict[str, Any]:
    """The page's context from its figures: every code named as people call it."""
    named = Names(catalogue, query.english)
    channels = [
        (CHANNEL_NAMES.get(code, (code, code))[query.english], n) for code, n in summary.by_channel
    ]
    return {
        "summary": summary,
        "charts": {
            "region": bar_chart(named.rows(summary.by_region, named.region)),
            "agency": bar_chart(named.rows(summary.by_agency, named.agency)),
            "service": bar_chart(named.rows(summary.by_service, named.service)),
            "channel": bar_chart(channels),
            "ikm": bar_chart(named.rows([(i["key"], i["ikm"]) for i in ikm or []], named.service)),
        },
        "ikm": ikm,
        "names": service_names(catalogue),
        "agency_names": {a.code: named.agency(a.code) for a in catalogue.agencies},
        "signed_in": query.signed_in,
        "counting": counting,
    }


@dataclass(frozen=True)
class Names:
    """What the dashboard's readers call each code: the catalogue's names of regions,
    agencies and services, in the page's language; a code the catalogue no longer knows
    (a retired service still counted) is shown as it is, rather than not at all."""

    catalogue: Catalogue
    english: bool

    def region(self, code: str) -> str:
        found = self.catalogue.region(code)
        return found.name if found is not None else code

    def agency(self, code: str) -> str:
        found = self.catalogue.agency(code)
        return (found.name.en if self.english else found.name.id) if found else code

    def service(self, code: str) -> str:
        found = self.catalogue.service(code)
        return (found.name.en if self.english else found.name.id) if found else code

    @staticmethod
    def rows(rows: list[tuple[str, Any]], name: Callable[[str], str]) -> list[tuple[str, Any]]:
        return [(name(code), value) for code, value in rows]


async def ikm_of_services(notify: str) -> list[dict[str, Any]] | None:
    """IKM per service from notify's public API; None when notify cannot be reached."""
    try:
        async with httpx.AsyncClient(base_url=notify, timeout=3) as client:
            answer = await client.get("/api/v1/ikm", params={"group_by": "service"})
        answer.raise_for_status()
    except httpx.HTTPError:
        return None
    items = []
    for item in answer.json().get("items", []):
        value = item.get("ikm") if isinstance(item.get("ikm"), int | float) else None
        if value is None and isinstance(item.get("ikm"), dict):
            value = item["ikm"].get("value")
        key = item.get("key") or item.get("service") or item.get("group") or "-"
        if value is not None:
            items.append(
                {
                    "key": str(key),
                    "ikm": value,
                    "grade": item.get("grade"),
                    "respondents": item.get("respondents"),
                }
            )
    return items


def figures(request: Request) -> Figures:
    return request.app.state.dashboard_figures


DashboardFigures = Annotated[Figures, Depends(figures)]
