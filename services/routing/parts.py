"""Routing's unit of work: the shared transaction and outbox, and the stores routing writes.

A handler takes its event or command and a :class:`RoutingUnitOfWork`, and finds through
it everything it writes — ``uow.applications``, ``uow.seen``, ``uow.counts``,
``uow.results``, ``uow.deliveries``, ``uow.revocations``, ``uow.complaints`` — and the
rules it decides by (``uow.catalogue``, ``uow.topics``). Nothing else is handed to a
handler, so the event handlers, the agency API, the citizens' actions and the operator's
re-route all reach the same stores the same way. The transaction itself is
:class:`shared.unit_of_work.UnitOfWork`'s, unchanged: this only adds what routing's work
is done with (:class:`WorkParts`).

:class:`RoutingUnits` makes them; :func:`services.routing.composition.build_parts` puts
it in the runtime's place, so the message bus, the HTTP routes and ``mpp`` get routing's
units of work.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from pymongo import AsyncMongoClient

from shared.catalogue import Catalogue
from shared.events import Event
from shared.outbox import Outbox
from shared.topics import Topics
from shared.unit_of_work import Source, Transaction, UnitOfWork, UnitsOfWork

if TYPE_CHECKING:
    from services.routing.applications import ApplicationRepository
    from services.routing.complaints.store import ComplaintStore
    from services.routing.dashboard_counts import DashboardCounts
    from services.routing.payments.bills import BillRepository
    from services.routing.results import ResultStore
    from services.routing.seen import SeenEvents
    from services.routing.staff_access import StaffRevocations
    from services.routing.webhooks import WebhookDeliveries

__all__ = ["RoutingStores", "RoutingUnitOfWork", "RoutingUnits", "WorkParts"]

T = TypeVar("T")


@dataclass
class WorkParts:
    """What a unit of routing's work is done with: the stores it writes and the rules it
    decides by, made once by :func:`services.routing.composition.build_parts`."""

    catalogue: Catalogue
    topics: Topics
    applications: "ApplicationRepository"
    seen: "SeenEvents"
    counts: "DashboardCounts"
    group_id: str
    """The submissions' consumer group, named in a dead letter for an unroutable one."""
    deliveries: "WebhookDeliveries | None" = None
    results: "ResultStore | None" = None
    revocations: "StaffRevocations | None" = None
    """Staff tokens refused since a disable or reset (the staff topic's events)."""
    bills: "BillRepository | None" = None
    """The bills of fees, when billing is on (``MPP_PAYMENTS_BILLING``); else None."""
    complaints: "ComplaintStore | None" = None
    """Citizens' consultations and complaints (services/routing/complaints/)."""


class RoutingStores:
    """The stores and rules of :attr:`parts`, by name (``uow.applications`` …)."""

    parts: WorkParts

    @property
    def catalogue(self) -> Catalogue:
        return self.parts.catalogue

    @property
    def topics(self) -> Topics:
        return self.parts.topics

    @property
    def applications(self) -> "ApplicationRepository":
        return self.parts.applications

    @property
    def seen(self) -> "SeenEvents":
        return self.parts.seen

    @property
    def counts(self) -> "DashboardCounts":
        return self.parts.counts

    @property
    def deliveries(self) -> "WebhookDeliveries | None":
        return self.parts.deliveries

    @property
    def results(self) -> "ResultStore | None":
        return self.parts.results

    @property
    def bills(self) -> "BillRepository | None":
        return self.parts.bills

    @property
    def revocations(self) -> "StaffRevocations | None":
        return self.parts.revocations

    @property
    def complaints(self) -> "ComplaintStore | None":
        return self.parts.complaints


class RoutingUnitOfWork(RoutingStores):
    """One command's or one consumed run's work in routing: a shared unit of work (its
    transaction, its outbox, where its events were read) with routing's stores."""

    def __init__(self, work: UnitOfWork, parts: WorkParts) -> None:
        self.work = work
        self.parts = parts

    @property
    def sources(self) -> dict[str, Source]:
        return self.work.sources

    @property
    def emitted(self) -> list[tuple[str, Event]]:
        return self.work.emitted

    def source(self, event: Event) -> Source:
        return self.work.source(event)

    async def run(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        return await self.work.run(work)


class RoutingUnits(UnitsOfWork):
    """Makes routing's units of work; :attr:`parts` is set once the parts exist (the
    webhook deliveries and the SLA clock are made with these units themselves)."""

    def __init__(
        self,
        mongo: AsyncMongoClient,
        outbox: Outbox | None = None,
        parts: WorkParts | None = None,
    ) -> None:
        super().__init__(mongo, outbox)
        self.parts = parts

    def __call__(  # type: ignore[override]
        self, sources: Sequence[tuple[str, Source]] = (), parts: WorkParts | None = None
    ) -> RoutingUnitOfWork:
        """A unit of work with the service's parts, or with ``parts`` (a re-route decides
        by the catalogue the operator has just fixed)."""
        parts = parts or self.parts
        assert parts is not None, "routing's parts are set when the service is built"
        return RoutingUnitOfWork(super().__call__(sources), parts)
