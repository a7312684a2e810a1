"""Routing an application to its agency, and moving it through the workflow.

Each change runs in one unit of work (:mod:`shared.unit_of_work`): the application's new
state and the events announcing it are written in one transaction, so they exist
together or not at all. Redelivered events are recognised by id (``seen_events``, see
:mod:`services.routing.seen`) and change nothing; a redelivered submission finds its
application stored. The same transaction moves the dashboard's counters
(:mod:`services.routing.dashboard_counts`) and the SLA clock's ``sla_open`` mark
(:mod:`services.routing.sla`). Which event reaches which of these is said by
:mod:`services.routing.handlers`.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import structlog
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.announcements import dispatched as dispatched_event
from services.routing.announcements import document_issued, envelope, status_changed
from services.routing.applications import ApplicationRepository, routed_document
from services.routing.dashboard_counts import (
    CLOSED,
    DashboardCounts,
    contribution,
    difference,
    summed,
)
from services.routing.results import ResultStore
from services.routing.seen import SeenEvents
from services.routing.sla import clock_running
from services.routing.webhooks import WebhookDeliveries
from services.routing.workflow import Actor, check_transition
from shared.calendar import add_working_days
from shared.catalogue import Catalogue
from shared.errors import Rejected
from shared.events import (
    AgencyStatusReported,
    Applicant,
    ApplicationDispatched,
    ApplicationSubmitted,
    DeadLetterData,
    DeadLettered,
    Event,
    ResultDocument,
    StatusChanged,
    encode,
)
from shared.mongo import insert_first
from shared.outbox import Outbox, StagedEvent
from shared.topics import Topics
from shared.unit_of_work import Source, Transaction, UnitOfWork, UnitsOfWork
from shared.workflow import DECISIONS, ISSUING

__all__ = [
    "DECISIONS",
    "ChangeHook",
    "ConcurrentChange",
    "ForeignReport",
    "NotIssuing",
    "Router",
    "TransitionHook",
    "UnknownApplication",
    "minimal_applicant",
]

log = structlog.get_logger(__name__)


class UnknownApplication(Rejected, LookupError):
    pass


class NotIssuing(Rejected, ValueError):
    """Result documents offered with a status that does not issue them."""


class ForeignReport(Rejected, ValueError):
    """A status report that came on one agency's updates topic about something that is
    not that agency's: the topic it came on is the authority, never the body."""


class ConcurrentChange(RuntimeError):
    """Another writer moved the application after this transaction read it (taken again
    by the caller's retries)."""


ChangeHook = Callable[[dict, Transaction], Awaitable[None]]
"""More work in a status change's transaction, given the application as it was (it emits
more events with ``tx.emit``). Runs only when the change is applied."""

TransitionHook = Callable[[dict, AsyncClientSession], Awaitable[list[StagedEvent]]]
"""The same for :meth:`Router.transition`, outside a unit of work: returns the events."""


def minimal_applicant(applicant: Applicant | None, declared: list[str]) -> Applicant | None:
    """Only the fields the service declares: whatever else arrives does not travel on."""
    if applicant is None:
        return None
    kept = applicant.model_dump(include=set(declared), exclude_none=True)
    return Applicant.model_validate(kept) if kept else None


@dataclass
class _Plan:
    event: ApplicationSubmitted
    document: dict
    staged: list[tuple[str, Event]]
    dispatched: ApplicationDispatched | None
    webhook: bool


@dataclass
class Router:
    catalogue: Catalogue
    topics: Topics
    applications: ApplicationRepository
    seen: SeenEvents
    counts: DashboardCounts
    units: UnitsOfWork
    group_id: str
    deliveries: WebhookDeliveries | None = None
    results: ResultStore | None = None

    # Kept for the agency API's own transactions until it runs on units of work.
    @property
    def db(self) -> AsyncDatabase:
        return self.applications.collection.database

    @property
    def mongo(self) -> AsyncMongoClient:
        return self.db.client

    @property
    def outbox(self) -> Outbox:
        assert self.units.outbox is not None
        return self.units.outbox

    async def create_indexes(self) -> None:
        await self.applications.create_indexes()

    def _due_date(self, submitted: Any) -> Any:
        """Intake's due date, or one counted here from the catalogue's SLA: from when a
        mobile unit captured the application offline, else from its submission."""
        if submitted.sla_due_at is not None:
            return submitted.sla_due_at
        service = self.catalogue.service(submitted.service)
        if service is None:
            return None
        started = submitted.captured_at or submitted.submitted_at
        return add_working_days(started, service.sla_working_days)

    async def first_time(
        self, event: Event, session: AsyncClientSession | None, source: str
    ) -> bool:
        """Record ``event`` as seen from ``source`` (in the caller's transaction); False
        when it was (:mod:`services.routing.seen`)."""
        return await self.seen.first_time(event, session, source)

    async def route(self, events: Sequence[ApplicationSubmitted], uow: UnitOfWork) -> None:
        """Route many submitted applications in one transaction (one poll's worth): the
        database is the cost of routing, and one transaction per batch instead of per
        application is what keeps up with the broker. Applications routed before (the
        same event redelivered, or the same application under another event id) are
        skipped."""
        plans = [self._plan(event, uow.source(event)) for event in events]

        async def write(tx: Transaction, *, look_first: bool) -> list[_Plan]:
            # The application id is the dedupe key: a redelivered submission, or the
            # same application under another event id, finds its application stored.
            # Inserted without looking first; a duplicate key aborts that transaction,
            # and the run is written again looking first.
            ids = [plan.document["_id"] for plan in plans]
            known = await self.applications.known(ids, tx.session) if look_first else set()
            fresh: list[_Plan] = []
            for plan in plans:
                if plan.document["_id"] not in known:
                    known.add(plan.document["_id"])
                    fresh.append(plan)
            if fresh:
                await self._store(fresh, tx)
            return fresh

        routed: list[_Plan] = await insert_first(
            lambda look_first: uow.run(partial(write, look_first=look_first))
        )
        if self.deliveries is not None and any(plan.webhook for plan in routed):
            self.deliveries.wake()
        for plan in routed:
            log.info(
                "application routed",
                application_id=plan.document["_id"],
                status=plan.document["status"],
                agency=plan.document["agency"],
            )
        if len(routed) < len(plans):
            log.info("already routed; skipped", count=len(plans) - len(routed))

    async def _store(self, fresh: list[_Plan], tx: Transaction) -> None:
        await self.applications.insert_routed([plan.document for plan in fresh], tx.session)
        await self.counts.add(summed(contribution(plan.document) for plan in fresh), tx.session)
        for plan in fresh:
            for topic, event in plan.staged:
                tx.emit(topic, event)
            if plan.webhook and self.deliveries is not None and plan.dispatched is not None:
                await self.deliveries.schedule(plan.dispatched, tx.session)

    def _plan(self, event: ApplicationSubmitted, source: Source) -> _Plan:
        """What routing one application writes and announces (pure: no I/O)."""
        submitted = event.data
        agency = self.catalogue.agency_for(submitted.service, submitted.region)
        kind = agency.handler.kind if agency else None
        applicant, fields = self._applicant(submitted)
        document = routed_document(
            event,
            agency=agency.code if agency else None,
            handler_kind=kind,
            status="routed" if agency else "routing_failed",
            rule_version=self.catalogue.version,
            sla_due_at=self._due_date(submitted),
            applicant=applicant,
            applicant_fields=fields,
        )
        if clock_running(document):
            document["sla_open"] = True
        around = envelope(
            submitted.application_id, submitted.region, event.correlation_id, event.id
        )
        if agency is None:
            reason = (
                f"no agency handles service {submitted.service} in region "
                f"{submitted.region}; add it to the catalogue, then `mpp applications reroute ID`"
            )
            staged: list[tuple[str, Event]] = [
                (self.topics.status, self._first_status(document, around, reason)),
                (self.topics.deadletter, self._unroutable(event, source, around, reason)),
            ]
            return _Plan(event, document, staged, None, False)
        dispatched = dispatched_event(
            document, around, catalogue=self.catalogue, sla_due_at=document["sla_due_at"]
        )
        staged = [(self.topics.status, self._first_status(document, around, None))]
        if kind == "kafka":
            staged.insert(0, (self.topics.agency_inbox(agency.code), dispatched))
        return _Plan(event, document, staged, dispatched, kind == "webhook")

    def _applicant(self, submitted: Any) -> tuple[Any, list[str]]:
        """The applicant as stored, and the names of its fields: kept as intake sealed it;
        an event from before sealing keeps only its declared fields."""
        service = self.catalogue.service(submitted.service)
        declared = list(service.applicant_fields) if service else []
        if submitted.applicant_sealed is not None:
            return submitted.applicant_sealed, declared if submitted.applicant_sealed else []
        legacy = minimal_applicant(submitted.applicant, declared)
        stored = legacy.model_dump(mode="json", exclude_none=True) if legacy else None
        return stored, sorted(stored or ())

    @staticmethod
    def _first_status(document: dict, around: dict[str, Any], note: str | None) -> StatusChanged:
        return status_changed(
            document,
            around,
            from_status="submitted",
            to_status=document["status"],
            sequence=1,
            actor="system",
            note=note,
        )

    def _unroutable(
        self, event: ApplicationSubmitted, source: Source, around: dict[str, Any], reason: str
    ) -> DeadLettered:
        """The dead letter that tells operators a submission found no agency."""
        return DeadLettered(
            **around,
            data=DeadLetterData(
                topic=source.topic,
                partition=source.partition,
                offset=source.offset,
                consumer_group=self.group_id,
                reason=reason,
                attempts=1,
                payload=encode(event).decode("utf-8", errors="replace"),
            ),
        )

    async def apply_agency_report(self, event: AgencyStatusReported, uow: UnitOfWork) -> dict:
        """A report from an agency's own system on its updates topic. The topic it came
        on names the agency: a report about another agency's application, or one whose
        body names another agency, changes nothing and is refused."""
        agency = event.data.agency
        topic = uow.source(event).topic
        if topic != self.topics.agency_updates(agency):
            raise ForeignReport(
                f"a report naming agency {agency} arrived on {topic}; an agency "
                "reports only on its own updates topic"
            )
        results: list[dict] = []
        if event.data.results:
            if self.results is None:
                raise ForeignReport("this routing process keeps no result documents")
            results = await self.results.drafts(
                agency, event.data.application_id, event.data.results
            )

        async def write(tx: Transaction) -> dict:
            return await self.change_status(
                tx,
                event,
                source=topic,
                application_id=event.data.application_id,
                to=event.data.status,
                actor="agency",
                agency=agency,
                note=event.data.note,
                requested_fields=event.data.requested_fields,
                results=results,
            )

        return await self.run_change(uow, write)

    async def change_status(
        self,
        tx: Transaction,
        cause: Event,
        *,
        source: str,
        application_id: str,
        to: str,
        actor: Actor,
        agency: str | None,
        note: str | None,
        requested_fields: list[str],
        results: list[dict] | None = None,
        within: ChangeHook | None = None,
    ) -> dict:
        """Move one application through the workflow, in ``tx``; returns the application
        as it is now (unchanged when the cause was seen before from ``source`` — the
        topic it came on, or the agency API's caller — or the status is already ``to``).

        ``results`` are draft result documents (:class:`ResultStore`) issued with this
        change, allowed only with ``approved`` or ``completed``; ``within`` adds work to
        the same transaction (forwarding a citizen's action to the agency)."""
        if results and to not in ISSUING:
            raise NotIssuing(
                f"result documents are issued with {' or '.join(sorted(ISSUING))}, not {to}"
            )
        application = await self.applications.get(application_id, tx.session)
        if application is None or (agency is not None and application["agency"] != agency):
            raise UnknownApplication(
                f"application {application_id} is not handled by agency {agency}"
            )
        if not await self.first_time(cause, tx.session, source):
            return application
        current = application["status"]
        if current == to:  # the same report twice: already applied
            return application
        check_transition(current, to, actor)
        changes = self._changes(application, to, cause, requested_fields)
        around = envelope(application_id, application["region"], cause.correlation_id, cause.id)
        issued = await self._issue(application, results or [], cause.time, changes, tx)
        after = await self._write(application, changes, tx)
        changed = status_changed(
            application,
            around,
            from_status=current,
            to_status=to,
            sequence=changes["sequence"],
            actor=actor,
            note=note,
            requested_fields=requested_fields,
            results=issued,
        )
        tx.emit(self.topics.status, changed)
        for result in issued:
            tx.emit(self.topics.documents, document_issued(application, result, around))
        if within is not None:
            await within(application, tx)
        return after

    @staticmethod
    def _changes(
        application: dict, to: str, cause: Event, requested_fields: list[str]
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {
            "status": to,
            "sequence": application["sequence"] + 1,
            "updated_at": cause.time,
        }
        if to == "needs_info":
            changes["requested_fields"] = requested_fields
        if to in DECISIONS and not application.get("decided_at"):
            # The dashboard's time to decision ends here, not at a later completion.
            changes["decided_at"] = cause.time
        return changes

    async def _issue(
        self,
        application: dict,
        results: list[dict],
        at: datetime,
        changes: dict[str, Any],
        tx: Transaction,
    ) -> list[ResultDocument]:
        """Issue the drafts named with the change; they join the application's results."""
        if not results or self.results is None:
            return []
        issued = await self.results.issue(results, at, tx.session)
        changes["results"] = [
            *application.get("results", []),
            *(r.model_dump(mode="json") for r in issued),
        ]
        return issued

    async def _write(self, application: dict, changes: dict[str, Any], tx: Transaction) -> dict:
        """Store the change (guarded by the sequence read) and move the counters."""
        after = {**application, **changes}
        unset = []
        if changes["status"] in CLOSED:  # the SLA clock stops: out of the sweep's index
            unset.append("sla_open")
            after.pop("sla_open", None)
        if not await self.applications.update_status(application, changes, tx.session, unset=unset):
            raise ConcurrentChange(f"application {application['_id']} changed meanwhile")
        if application.get("counted"):
            await self.counts.add(difference(application, after), tx.session)
        return after

    async def run_change(
        self, uow: UnitOfWork, write: Callable[[Transaction], Awaitable[dict]]
    ) -> dict:
        """Run a status change in ``uow``; a webhook agency's delivery loop is woken after
        the commit (the change may have scheduled a delivery). The cause is recorded as
        seen without looking first; one seen before makes the first run fail on its
        duplicate key, and the second looks (:meth:`SeenEvents.looking_first`)."""

        async def run(look_first: bool) -> dict:
            with self.seen.looking_first(look_first):
                return await uow.run(write)

        updated = await insert_first(run)
        if self.deliveries is not None and updated.get("handler_kind") == "webhook":
            self.deliveries.wake()
        return updated

    async def transition(
        self,
        cause: Event,
        *,
        source: str,
        application_id: str,
        to: str,
        actor: Actor,
        agency: str | None,
        note: str | None,
        requested_fields: list[str],
        results: list[dict] | None = None,
        within: TransitionHook | None = None,
    ) -> dict:
        """:meth:`change_status` in a unit of work of its own, for a caller outside one
        (an HTTP route); ``within`` returns the events it adds."""

        async def hook(application: dict, tx: Transaction) -> None:
            assert within is not None
            for topic, event in await within(application, tx.session):
                tx.emit(topic, event)  # type: ignore[arg-type]

        async def write(tx: Transaction) -> dict:
            return await self.change_status(
                tx,
                cause,
                source=source,
                application_id=application_id,
                to=to,
                actor=actor,
                agency=agency,
                note=note,
                requested_fields=requested_fields,
                results=results,
                within=hook if within is not None else None,
            )

        return await self.run_change(self.units(), write)

    async def to_agency(self, application: dict, event: Event, tx: Transaction) -> None:
        """Send an event to the application's agency on its handler kind, in ``tx``: its
        inbox topic, or a signed webhook delivery. A workbench agency reads it from the
        application itself."""
        kind = application.get("handler_kind")
        if kind == "kafka":
            tx.emit(self.topics.agency_inbox(application["agency"]), event)
        elif kind == "webhook" and self.deliveries is not None:
            await self.deliveries.schedule(event, tx.session)  # type: ignore[arg-type]
