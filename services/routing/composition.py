"""Routing's parts, each made once by :func:`build_parts`, for the service and for ``mpp``.

The running service (:func:`services.routing.app.build`) and the operator's commands
(``mpp agency …``, ``mpp applications reroute``, ``mpp staff disable``, ``mpp privacy
retention``) take routing's stores from the same :class:`RoutingParts`, so a command
writes exactly as the service does: through the same repositories, staging its events
in the same outbox on routing's database. Building starts nothing: the loops (the
outbox's relay, the retention sweep, and what :func:`services.routing.app.build` adds)
run only in the service's lifespan, so rows ``mpp`` stages are published by the running
routing process's relay.
"""

from dataclasses import dataclass

from services.routing.agency_applications import AgencyApplications
from services.routing.applications import ApplicationRepository
from services.routing.backfill import Backfill
from services.routing.catalogue_publishing import CatalogueVersions
from services.routing.complaints.clock import ComplaintClock
from services.routing.complaints.lapor import LaporClient, LaporSync
from services.routing.complaints.store import ComplaintStore
from services.routing.dashboard_counts import DashboardCounts
from services.routing.keys import ApiKeys
from services.routing.parts import RoutingUnits, WorkParts
from services.routing.payments.bills import BillRepository
from services.routing.payments.retention import payment_record_sweeps
from services.routing.payments.simponi import SimponiClient
from services.routing.payments.snap_sessions import SnapSessions
from services.routing.payments.sweep import BillSweep
from services.routing.results import ResultStore
from services.routing.retention import retention_sweeps
from services.routing.seen import SeenEvents
from services.routing.sla import SlaClock
from services.routing.staff_access import AgencyStaff
from services.routing.webhooks import WebhookDeliveries
from shared.catalogue import Catalogue
from shared.retention_sweep import RetentionSweeper, attach
from shared.runtime import Runtime, build_runtime
from shared.settings import Settings
from shared.topics import Topics

__all__ = ["RoutingParts", "build_parts"]


@dataclass(frozen=True)
class RoutingParts:
    """Everything routing is made of. Nothing here is started: the service's lifespan
    runs what :func:`services.routing.app.build` schedules; ``mpp`` runs nothing."""

    runtime: Runtime
    """Settings, catalogue, MongoDB, Kafka (never started by ``mpp``), metrics, outbox."""
    units: RoutingUnits
    """Routing's units of work: a transaction, the outbox, and the stores below by name."""
    applications: ApplicationRepository
    seen: SeenEvents
    counts: DashboardCounts
    deliveries: WebhookDeliveries
    """The webhook sender: schedules deliveries in a transaction, sends them in a loop."""
    results: ResultStore
    clock: SlaClock
    backfill: Backfill
    keys: ApiKeys
    """Agency API keys (stored as hashes)."""
    staff: AgencyStaff
    """Agency staff's tokens, and their revocations (from the staff topic, and
    ``mpp staff``)."""
    agency_applications: AgencyApplications
    retention: RetentionSweeper
    catalogue_versions: CatalogueVersions
    """Every published version of every catalogue package."""
    complaints: ComplaintStore
    complaint_clock: ComplaintClock
    """The complaints' 3/5/10 working-day timers."""
    lapor: LaporSync
    """Forwards complaints to SP4N-LAPOR! and reads their status back."""
    bills: BillRepository | None = None
    """The bills of fees, and the sweep that issues and expires them: only with
    ``MPP_PAYMENTS_BILLING`` on (docs/payments.md)."""
    bill_sweep: BillSweep | None = None
    snap_sessions: SnapSessions | None = None
    """The access tokens and call ids of the bank's SNAP door (with billing on)."""

    @property
    def catalogue(self) -> Catalogue:
        return self.runtime.catalogue

    @property
    def topics(self) -> Topics:
        return self.runtime.topics

    async def close(self) -> None:
        """Close the database client (for ``mpp``; the service's lifespan closes its own)."""
        await self.runtime.mongo.close()


def build_parts(settings: Settings, catalogue: Catalogue | None = None) -> RoutingParts:
    """Routing's parts for ``settings`` (and ``catalogue``, the published one unless
    given); connects nothing until a part is used."""
    runtime = build_runtime("routing", settings, catalogue)
    _declare_publishers(runtime)
    units = runtime.units = RoutingUnits(runtime.mongo)
    runtime.outbox()  # the units of work stage their events in it
    db, catalogue, topics = runtime.db, runtime.catalogue, runtime.topics
    applications = ApplicationRepository(db)
    deliveries = WebhookDeliveries(
        settings=settings, catalogue=catalogue, units=units, db=db, topics=topics
    )
    results = ResultStore(db, settings.intake_document_limit_bytes, runtime.personal)
    seen = SeenEvents(db, settings.dedupe_retention_days)
    counts = DashboardCounts(db)
    staff = AgencyStaff(settings, db)
    complaints = ComplaintStore(db)
    bills = BillRepository(db) if settings.payments_billing else None
    units.parts = WorkParts(
        catalogue=catalogue,
        topics=topics,
        applications=applications,
        seen=seen,
        counts=counts,
        group_id=runtime.groups.routing_submissions,
        deliveries=deliveries,
        results=results,
        revocations=staff.revocations,
        complaints=complaints,
        bills=bills,
    )
    return RoutingParts(
        runtime=runtime,
        units=units,
        applications=applications,
        seen=seen,
        counts=counts,
        deliveries=deliveries,
        results=results,
        clock=_sla_clock(runtime, units, applications, counts),
        backfill=Backfill(units, db, seen, counts),
        keys=ApiKeys(db),
        staff=staff,
        agency_applications=AgencyApplications(applications, db),
        retention=attach(runtime, [*retention_sweeps(db), *payment_record_sweeps()]),
        catalogue_versions=CatalogueVersions(db),
        complaints=complaints,
        complaint_clock=ComplaintClock(settings, catalogue, units, complaints, topics),
        lapor=LaporSync(settings, units, complaints, topics, LaporClient(settings)),
        bills=bills,
        bill_sweep=BillSweep(settings, units, bills, SimponiClient(settings)) if bills else None,
        snap_sessions=SnapSessions(db, settings.snap_token_seconds) if bills else None,
    )


def _sla_clock(
    runtime: Runtime,
    units: RoutingUnits,
    applications: ApplicationRepository,
    counts: DashboardCounts,
) -> SlaClock:
    return SlaClock(
        settings=runtime.settings,
        catalogue=runtime.catalogue,
        units=units,
        applications=applications,
        topics=runtime.topics,
        counts=counts,
        breaches=runtime.metrics.counter(
            "mpp_sla_breaches_total",
            "Applications escalated for passing their SLA due date, by agency.",
            ["agency"],
        ),
    )


def _declare_publishers(runtime: Runtime) -> None:
    """What routing writes (its AsyncAPI document, and the only topics its outbox takes)."""
    topics = runtime.topics
    runtime.declare_publisher([topics.status], "Every status change, keyed by application id.")
    runtime.declare_publisher(
        [topics.agency_inbox(agency) for agency in runtime.catalogue.kafka_inboxes()],
        "Applications dispatched to the agency, then the citizen's answers and cancellation "
        "(application.dispatched, application.answer_forwarded, "
        "application.cancellation_forwarded), and complaints about them "
        "(complaint.forwarded, complaint.replied).",
    )
    runtime.declare_publisher(
        [topics.documents], "Result documents issued and revoked (the public register)."
    )
    runtime.declare_publisher(
        [topics.operations],
        "Operators' re-routes and webhook redeliveries (staged by `mpp` in routing's outbox).",
    )
    runtime.declare_publisher([topics.access], "Reads of an application by agency officers.")
    runtime.declare_publisher(
        [topics.catalogue], "Published catalogue packages (compacted, keyed by package id)."
    )
    runtime.declare_publisher(
        [topics.escalations], "SLA breaches and failed webhook deliveries, for supervisors."
    )
    runtime.declare_publisher(
        [topics.payments],
        "Bills changing state, payment reports refused and refunds (payment.bill_changed, "
        "payment.refused, payment.refund_*), keyed by application id.",
    )
    runtime.declare_publisher(
        [topics.complaints],
        "Complaints forwarded, tracked by SP4N-LAPOR!, answered, replied to, escalated and "
        "closed, keyed by complaint id.",
    )
