"""Routing an application to its agency, and applying agency status reports.

Each handler runs one MongoDB transaction that changes the application's state and
stages the events announcing it in the outbox, so a state change and its events exist
together or not at all. Redelivered events are recognised by id (``seen_events``, see
:mod:`services.routing.seen`) and change nothing. The same transaction moves the
dashboard's counters (:mod:`services.routing.dashboard_counts`) and the SLA clock's
``sla_open`` mark (:mod:`services.routing.sla`).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

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
from services.routing.workflow import WORKFLOW_VERSION, Actor, check_transition
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
    DispatchedData,
    DocumentIssued,
    DocumentIssuedData,
    Event,
    ResultDocument,
    StatusChanged,
    StatusChangedData,
)
from shared.mongo import find_in, in_transaction
from shared.outbox import Outbox, StagedEvent
from shared.topics import Topics
from shared.workflow import DECISIONS, ISSUING

__all__ = [
    "DECISIONS",
    "ForeignReport",
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


TransitionHook = Callable[[dict, AsyncClientSession], Awaitable[list[StagedEvent]]]
"""More work in a status change's transaction, given the application as it was; returns
more events to stage. Runs only when the change is applied."""


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
    staged: list[StagedEvent]
    dispatched: ApplicationDispatched | None
    webhook: bool


@dataclass
class Router:
    catalogue: Catalogue
    mongo: AsyncMongoClient
    db: AsyncDatabase
    outbox: Outbox
    topics: Topics
    group_id: str
    seen: SeenEvents
    counts: DashboardCounts
    deliveries: WebhookDeliveries | None = None
    results: ResultStore | None = None

    async def create_indexes(self) -> None:
        applications = self.db["applications"]
        await applications.create_index([("agency", 1), ("sla_due_at", 1), ("_id", 1)])
        await applications.create_index([("agency", 1), ("status", 1), ("sla_due_at", 1)])

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

    async def first_time(self, event: Event, session: AsyncClientSession) -> bool:
        """Record ``event`` as seen (in the caller's transaction); False when it was."""
        return await self.seen.first_time(event, session)

    async def route(self, event: Event, record: ConsumerRecord) -> None:
        assert isinstance(event, ApplicationSubmitted)
        await self.route_batch([(event, record)])

    async def route_batch(self, items: list[tuple[ApplicationSubmitted, ConsumerRecord]]) -> None:
        """Route many submitted applications in one transaction (one poll's worth): the
        database is the cost of routing, and one transaction per batch instead of per
        application is what keeps up with the broker. Applications routed before (the
        same event redelivered, or the same application under another event id) are
        skipped."""
        plans = [self._plan(event, record) for event, record in items]
        applications = self.db["applications"]

        async def work(session: AsyncClientSession) -> list[_Plan]:
            # The application id is the dedupe key: a redelivered submission, or the
            # same application under another event id, finds its application stored.
            application_ids = [plan.document["_id"] for plan in plans]
            known = {
                d["_id"]
                for d in await find_in(
                    applications, "_id", application_ids, {"_id": 1}, session=session
                )
            }
            fresh: list[_Plan] = []
            for plan in plans:
                # Look before inserting: a duplicate key would abort the transaction.
                if plan.document["_id"] in known:
                    continue
                known.add(plan.document["_id"])
                fresh.append(plan)
            if not fresh:
                return fresh
            await applications.insert_many([plan.document for plan in fresh], session=session)
            await self.counts.add(summed(contribution(plan.document) for plan in fresh), session)
            await self.outbox.stage([staged for plan in fresh for staged in plan.staged], session)
            for plan in fresh:
                if plan.webhook and self.deliveries is not None and plan.dispatched is not None:
                    await self.deliveries.schedule(plan.dispatched, session)
            return fresh

        routed: list[_Plan] = await in_transaction(self.mongo, work)
        self.outbox.wake()
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

    def _plan(self, event: ApplicationSubmitted, record: ConsumerRecord) -> "_Plan":
        """What routing one application writes and announces (pure: no I/O)."""
        submitted = event.data
        agency = self.catalogue.agency_for(submitted.service, submitted.region)
        sla_due_at = self._due_date(submitted)
        service = self.catalogue.service(submitted.service)
        declared = list(service.applicant_fields) if service else []
        # Kept as intake sealed it; an event from before sealing keeps its declared fields.
        stored_applicant: Any = submitted.applicant_sealed
        applicant_fields = declared if stored_applicant else []
        if stored_applicant is None:
            legacy = minimal_applicant(submitted.applicant, declared)
            stored_applicant = legacy.model_dump(mode="json", exclude_none=True) if legacy else None
            applicant_fields = sorted(stored_applicant or ())

        def status(to: str, note: str | None) -> StatusChanged:
            return StatusChanged(
                source="routing",
                subject=submitted.application_id,
                region=submitted.region,
                correlation_id=event.correlation_id,
                causation_id=event.id,
                data=StatusChangedData(
                    application_id=submitted.application_id,
                    tracking_number=submitted.tracking_number,
                    service=submitted.service,
                    region=submitted.region,
                    agency=agency.code if agency else None,
                    citizen_id=submitted.citizen_id,
                    from_status="submitted",
                    to_status=to,
                    sequence=1,
                    actor="system",
                    note=note,
                    sla_due_at=sla_due_at,
                ),
            )

        dispatched: ApplicationDispatched | None = None
        staged: list[StagedEvent]
        if agency is None:
            reason = (
                f"no agency handles service {submitted.service} in region "
                f"{submitted.region}; add it to the catalogue, then `mpp applications reroute ID`"
            )
            staged = [
                (self.topics.status, status("routing_failed", reason)),
                (
                    self.topics.deadletter,
                    DeadLettered(
                        source="routing",
                        subject=submitted.application_id,
                        region=submitted.region,
                        correlation_id=event.correlation_id,
                        causation_id=event.id,
                        data=DeadLetterData(
                            topic=record.topic,
                            partition=record.partition,
                            offset=record.offset,
                            consumer_group=self.group_id,
                            reason=reason,
                            attempts=1,
                            payload=(record.value or b"").decode("utf-8", errors="replace"),
                        ),
                    ),
                ),
            ]
            new_status, agency_code, kind = "routing_failed", None, None
        else:
            staged = [(self.topics.status, status("routed", None))]
            dispatched = ApplicationDispatched(
                source="routing",
                subject=submitted.application_id,
                region=submitted.region,
                correlation_id=event.correlation_id,
                causation_id=event.id,
                data=DispatchedData(
                    application_id=submitted.application_id,
                    tracking_number=submitted.tracking_number,
                    service=submitted.service,
                    region=submitted.region,
                    agency=agency.code,
                    form=submitted.form,
                    documents=submitted.documents,
                    applicant_fields=applicant_fields,
                    sla_due_at=sla_due_at,
                    rule_version=self.catalogue.version,
                    workflow_version=WORKFLOW_VERSION,
                ),
            )
            if agency.handler.kind == "kafka":
                staged.insert(0, (self.topics.agency_inbox(agency.code), dispatched))
            new_status, agency_code, kind = "routed", agency.code, agency.handler.kind

        document = {
            "_id": submitted.application_id,
            "tracking_number": submitted.tracking_number,
            "service": submitted.service,
            "region": submitted.region,
            "citizen_id": submitted.citizen_id,
            "channel": submitted.channel,
            "agency": agency_code,
            "handler_kind": kind,
            "status": new_status,
            "sequence": 1,
            "rule_version": self.catalogue.version,
            "workflow_version": WORKFLOW_VERSION,
            "submitted_at": submitted.submitted_at,
            "captured_at": submitted.captured_at,
            "sla_due_at": sla_due_at,
            "sla_breached": False,
            "delivery_state": "pending" if kind == "webhook" else None,
            "form": submitted.form,
            "documents": [d.model_dump() for d in submitted.documents],
            "applicant": stored_applicant,
            "applicant_fields": applicant_fields,
            "requested_fields": [],
            "responses": [],
            "results": [],
            "correlation_id": event.correlation_id,
            "updated_at": event.time,
            "counted": True,  # on the dashboard's counters from the start
        }
        if clock_running(document):
            document["sla_open"] = True
        return _Plan(event, document, staged, dispatched, kind == "webhook")

    async def apply_agency_report(self, event: Event, record: ConsumerRecord) -> None:
        """A report from an agency's own system on its updates topic. The topic names the
        agency: a report about another agency's application, or one whose body names
        another agency, changes nothing and is dead-lettered with the reason."""
        assert isinstance(event, AgencyStatusReported)
        agency = event.data.agency
        if record.topic != self.topics.agency_updates(agency):
            raise ForeignReport(
                f"a report naming agency {agency} arrived on {record.topic}; an agency "
                "reports only on its own updates topic"
            )
        results: list[dict] = []
        if event.data.results:
            if self.results is None:
                raise ForeignReport("this routing process keeps no result documents")
            results = await self.results.drafts(
                agency, event.data.application_id, event.data.results
            )
        await self.transition(
            event,
            application_id=event.data.application_id,
            to=event.data.status,
            actor="agency",
            agency=agency,
            note=event.data.note,
            requested_fields=event.data.requested_fields,
            results=results,
        )

    async def transition(
        self,
        cause: Event,
        *,
        application_id: str,
        to: str,
        actor: Actor,
        agency: str | None,
        note: str | None,
        requested_fields: list[str],
        results: list[dict] | None = None,
        within: TransitionHook | None = None,
    ) -> dict:
        """Move one application through the workflow; returns the application as it is
        now (unchanged when the cause was seen before or the status is already ``to``).

        ``results`` are draft result documents (:class:`ResultStore`) issued with this
        change, allowed only with ``approved`` or ``completed``; ``within`` adds work to
        the same transaction (forwarding a citizen's action to the agency)."""
        if results and to not in ISSUING:
            raise NotIssuing(
                f"result documents are issued with {' or '.join(sorted(ISSUING))}, not {to}"
            )

        async def work(session: AsyncClientSession) -> dict:
            application = await self.db["applications"].find_one(
                {"_id": application_id}, session=session
            )
            if application is None or (agency is not None and application["agency"] != agency):
                raise UnknownApplication(
                    f"application {application_id} is not handled by agency {agency}"
                )
            if not await self.first_time(cause, session):
                return application
            current = application["status"]
            if current == to:  # the same report twice: already applied
                return application
            check_transition(current, to, actor)
            sequence = application["sequence"] + 1
            changed_fields: dict[str, Any] = {
                "status": to,
                "sequence": sequence,
                "updated_at": cause.time,
            }
            if to == "needs_info":
                changed_fields["requested_fields"] = requested_fields
            if to in DECISIONS and not application.get("decided_at"):
                # The dashboard's time to decision ends here, not at a later completion.
                changed_fields["decided_at"] = cause.time
            issued: list[ResultDocument] = []
            staged: list[StagedEvent] = []
            if results and self.results is not None:
                issued = await self.results.issue(results, cause.time, session)
                changed_fields["results"] = [
                    *application.get("results", []),
                    *(r.model_dump(mode="json") for r in issued),
                ]
                staged += [
                    (self.topics.documents, self._issued(application, r, cause)) for r in issued
                ]
            update: dict[str, Any] = {"$set": changed_fields}
            after = {**application, **changed_fields}
            if to in CLOSED:  # the SLA clock stops: out of the sweep's index
                update["$unset"] = {"sla_open": ""}
                after.pop("sla_open", None)
            await self.db["applications"].update_one(
                {"_id": application_id}, update, session=session
            )
            if application.get("counted"):
                await self.counts.add(difference(application, after), session)
            changed = StatusChanged(
                source="routing",
                subject=application_id,
                region=application["region"],
                correlation_id=cause.correlation_id,
                causation_id=cause.id,
                data=StatusChangedData(
                    application_id=application_id,
                    tracking_number=application["tracking_number"],
                    service=application["service"],
                    region=application["region"],
                    agency=application["agency"],
                    citizen_id=application["citizen_id"],
                    from_status=current,
                    to_status=to,
                    sequence=sequence,
                    actor=actor,
                    note=note,
                    requested_fields=requested_fields,
                    results=issued,
                    sla_due_at=application["sla_due_at"],
                ),
            )
            staged.insert(0, (self.topics.status, changed))
            if within is not None:
                staged += await within(application, session)
            await self.outbox.stage(staged, session)
            return after

        updated: dict = await in_transaction(self.mongo, work)
        self.outbox.wake()
        if self.deliveries is not None and updated.get("handler_kind") == "webhook":
            self.deliveries.wake()
        return updated

    def _issued(self, application: dict, result: ResultDocument, cause: Event) -> DocumentIssued:
        return DocumentIssued(
            source="routing",
            subject=application["_id"],
            region=application["region"],
            correlation_id=cause.correlation_id,
            causation_id=cause.id,
            data=DocumentIssuedData(
                code=result.code,
                sha256=result.sha256,
                application_id=application["_id"],
                agency=application["agency"],
                service=application["service"],
                region=application["region"],
                content_type=result.content_type,
                size=result.size,
                issued_at=result.issued_at,
            ),
        )

    async def to_agency(
        self, application: dict, event: Event, session: AsyncClientSession
    ) -> list[StagedEvent]:
        """Send an event to the application's agency on its handler kind, in the caller's
        transaction: its inbox topic, or a signed webhook delivery. A workbench agency
        reads it from the application itself."""
        kind = application.get("handler_kind")
        if kind == "kafka":
            return [(self.topics.agency_inbox(application["agency"]), event)]
        if kind == "webhook" and self.deliveries is not None:
            await self.deliveries.schedule(event, session)  # type: ignore[arg-type]
        return []
