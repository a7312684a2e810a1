"""Routing submitted applications to their agencies.

A poll's run of submissions is routed in one unit of work (:mod:`shared.unit_of_work`):
each application's stored state, the dashboard's counters
(:mod:`services.routing.dashboard_counts`), the SLA clock's ``sla_open`` mark
(:mod:`services.routing.sla`), what is sent to each agency on its handler kind
(:mod:`services.routing.handler_kinds`) and the first status event are written in one
transaction, so they exist together or not at all. A redelivered submission finds its
application stored. Later moves through the workflow are :mod:`services.routing.workflow`'s.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from services.routing.announcements import dispatched as dispatched_event
from services.routing.announcements import envelope, status_changed
from services.routing.applications import routed_document
from services.routing.dashboard_counts import contribution, summed
from services.routing.handler_kinds import HandlerKind, kind_of
from services.routing.parts import RoutingUnitOfWork
from services.routing.payments.holding import charge_before_agency, hold
from services.routing.sla import clock_running
from shared.catalogue import Agency, Catalogue
from shared.events import (
    Applicant,
    ApplicationDispatched,
    ApplicationSubmitted,
    DeadLetterData,
    DeadLettered,
    Event,
    StatusChanged,
    encode,
)
from shared.mongo import insert_first
from shared.unit_of_work import Source, Transaction

__all__ = ["minimal_applicant", "route"]

log = structlog.get_logger(__name__)


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
    kind: HandlerKind | None
    bill: dict | None = None
    """The bill of an application held until its fee is paid (``payments.holding``)."""


async def route(events: Sequence[ApplicationSubmitted], uow: RoutingUnitOfWork) -> None:
    """Route many submitted applications in one transaction (one poll's worth): the
    database is the cost of routing, and one transaction per batch instead of per
    application is what keeps up with the broker. Applications routed before (the same
    event redelivered, or the same application under another event id) are skipped."""
    plans = [_plan(event, uow.source(event), uow) for event in events]

    async def write(tx: Transaction, *, look_first: bool) -> list[_Plan]:
        # The application id is the dedupe key: a redelivered submission, or the same
        # application under another event id, finds its application stored. Inserted
        # without looking first; a duplicate key aborts that transaction, and the run is
        # written again looking first.
        ids = [plan.document["_id"] for plan in plans]
        known = await uow.applications.known(ids, tx.session) if look_first else set()
        fresh: list[_Plan] = []
        for plan in plans:
            if plan.document["_id"] not in known:
                known.add(plan.document["_id"])
                fresh.append(plan)
        if fresh:
            await _store(fresh, tx, uow)
        return fresh

    routed: list[_Plan] = await insert_first(
        lambda look_first: uow.run(lambda tx: write(tx, look_first=look_first))
    )
    for kind in {id(plan.kind): plan.kind for plan in routed if plan.kind}.values():
        kind.sent(uow)
    for plan in routed:
        log.info(
            "application routed",
            application_id=plan.document["_id"],
            status=plan.document["status"],
            agency=plan.document["agency"],
        )
    if len(routed) < len(plans):
        log.info("already routed; skipped", count=len(plans) - len(routed))


async def _store(fresh: list[_Plan], tx: Transaction, uow: RoutingUnitOfWork) -> None:
    await uow.applications.insert_routed([plan.document for plan in fresh], tx.session)
    await uow.counts.add(summed(contribution(plan.document) for plan in fresh), tx.session)
    if uow.parts.bills is not None:
        await uow.parts.bills.insert([plan.bill for plan in fresh if plan.bill], tx.session)
    for plan in fresh:
        if plan.kind is not None and plan.dispatched is not None:
            await plan.kind.send(plan.document, plan.dispatched, tx, uow)
        for topic, event in plan.staged:
            tx.emit(topic, event)


def _plan(event: ApplicationSubmitted, source: Source, uow: RoutingUnitOfWork) -> _Plan:
    """What routing one application writes and announces (pure: no I/O)."""
    submitted, catalogue, topics = event.data, uow.catalogue, uow.topics
    agency = _office(submitted, catalogue)
    kind = kind_of(agency.handler.kind) if agency else None
    applicant, fields = _applicant(submitted, uow)
    document = routed_document(
        event,
        agency=agency.code if agency else None,
        handler_kind=kind.name if kind else None,
        delivery_state=kind.initial_delivery_state if kind else None,
        status="routed" if agency else "routing_failed",
        rule_version=submitted.catalogue_version or catalogue.version,
        sla_due_at=_due_date(submitted, uow),
        applicant=applicant,
        applicant_fields=fields,
    )
    if clock_running(document):
        document["sla_open"] = True
    around = envelope(document, event)
    if agency is None:
        reason = (
            f"no agency handles service {submitted.service} in region "
            f"{submitted.region}; add it to the catalogue, then `mpp applications reroute ID`"
        )
        staged: list[tuple[str, Event]] = [
            (topics.status, _first_status(document, around, reason)),
            (topics.deadletter, _unroutable(event, source, around, reason, uow.parts.group_id)),
        ]
        return _Plan(event, document, staged, None, None)
    charge = charge_before_agency(submitted, uow)
    if charge is not None:  # held, unseen by the agency, until its bill is paid
        bill, created = hold(document, charge, around, event.time)
        return _Plan(event, document, [(topics.payments, created)], None, None, bill)
    dispatched = dispatched_event(
        document, around, catalogue=catalogue, sla_due_at=document["sla_due_at"]
    )
    staged = [(topics.status, _first_status(document, around, None))]
    return _Plan(event, document, staged, dispatched, kind)


def _office(submitted: Any, catalogue: Catalogue) -> Agency | None:
    """The office the application's pinned catalogue version chose, while it exists; the
    current rule for an application from before versions were pinned, or whose office
    has since left the catalogue."""
    pinned = catalogue.agency(submitted.office) if submitted.office else None
    return pinned or catalogue.agency_for(submitted.service, submitted.region)


def _due_date(submitted: Any, uow: RoutingUnitOfWork) -> Any:
    """Intake's due date, or one counted here from the SLA the region publishes for the
    service (the national maximum where the region does not offer it), in the region's
    calendar: from when a mobile unit captured the application offline, else from its
    submission."""
    if submitted.sla_due_at is not None:
        return submitted.sla_due_at
    service = uow.catalogue.service(submitted.service)
    if service is None:
        return None
    terms = uow.catalogue.terms(submitted.service, submitted.region)
    started = submitted.captured_at or submitted.submitted_at
    calendar = uow.catalogue.calendar_for(submitted.region)
    return calendar.add_working_days(started, (terms or service).sla_working_days)


def _applicant(submitted: Any, uow: RoutingUnitOfWork) -> tuple[Any, list[str]]:
    """The applicant as stored, and the names of its fields: kept as intake sealed it; an
    event from before sealing keeps only its declared fields."""
    service = uow.catalogue.service(submitted.service)
    declared = list(service.applicant_fields) if service else []
    if submitted.applicant_sealed is not None:
        return submitted.applicant_sealed, declared if submitted.applicant_sealed else []
    legacy = minimal_applicant(submitted.applicant, declared)
    stored = legacy.model_dump(mode="json", exclude_none=True) if legacy else None
    return stored, sorted(stored or ())


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
    event: ApplicationSubmitted,
    source: Source,
    around: dict[str, Any],
    reason: str,
    group_id: str,
) -> DeadLettered:
    """The dead letter that tells operators a submission found no agency."""
    return DeadLettered(
        **around,
        data=DeadLetterData(
            topic=source.topic,
            partition=source.partition,
            offset=source.offset,
            consumer_group=group_id,
            reason=reason,
            attempts=1,
            payload=encode(event).decode("utf-8", errors="replace"),
        ),
    )
