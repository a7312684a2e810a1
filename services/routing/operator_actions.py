"""What an operator does by hand to close a loop routing could not close alone.

* :func:`reroute` — an application that failed routing (no agency in the catalogue for
  its service and region) is routed again, once, after the catalogue has been fixed.
* :func:`redeliver` — a webhook delivery that failed for good is attempted again with a
  fresh retry schedule, once the agency's endpoint works again.

Each action is one MongoDB transaction in routing's database: the state change, the
events announcing it (staged in routing's outbox, published by the running routing
process's relay) and an ``operator.acted`` event naming the operator, for the audit
log. The update's filter repeats the state the action starts from, so two operators
acting at once cannot both succeed: the second is refused.

Refusals raise :class:`ActionRefused` with a message for the operator (Bahasa Indonesia
first, English second). The functions take routing's parts
(:func:`services.routing.composition.build_parts`) or what they need of them, so the
``mpp`` commands and the tests call them alike.
"""

from dataclasses import dataclass, replace
from typing import Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.announcements import dispatched as dispatched_event
from services.routing.announcements import envelope
from services.routing.applications import ApplicationRepository
from services.routing.composition import RoutingParts
from services.routing.handler_kinds import kind_of
from services.routing.sla import clock_running
from services.routing.webhooks import reopen_failed
from services.routing.workflow import (
    WORKFLOW_VERSION,
    ConcurrentChange,
    StatusChange,
    StatusMoved,
    change_status,
)
from shared.catalogue import Catalogue
from shared.errors import Rejected
from shared.events import OperatorActed, OperatorActionData, utcnow
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["ActionRefused", "Redelivered", "Rerouted", "redeliver", "redeliver_failed", "reroute"]

log = structlog.get_logger(__name__)

REROUTE_NOTE = (
    "Dirutekan ulang oleh operator setelah katalog layanan diperbaiki / "
    "Re-routed by an operator after the service catalogue was fixed"
)


class ActionRefused(Rejected):
    """The action cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Rerouted:
    application_id: str
    agency: str
    handler_kind: str
    sequence: int
    rule_version: int


@dataclass(frozen=True)
class Redelivered:
    delivery_id: str
    application_id: str
    agency: str
    previous_attempts: int


def _acted(
    application: dict, *, action: str, target: str, operator: str, outcome: str
) -> OperatorActed:
    return OperatorActed(
        **envelope(application),
        data=OperatorActionData(
            action=action,  # type: ignore[arg-type]
            target=target,
            application_id=application["_id"],
            operator=operator,
            outcome=outcome,
        ),
    )


async def reroute(
    application_id: str,
    *,
    operator: str,
    parts: RoutingParts,
    catalogue: Catalogue | None = None,
) -> Rerouted:
    """Route a ``routing_failed`` application again with ``catalogue`` (by default the one
    ``parts`` loaded, which ``mpp`` loads as it starts): ``routed`` to the agency the
    catalogue now names, dispatched on its handler kind as routing dispatches.
    Refused when the application does not exist, is not ``routing_failed`` (a re-routed
    one is not re-routed again), or the catalogue still names no agency for it. The move
    itself is the workflow's (:func:`~services.routing.workflow.change_status`), from
    ``routing_failed`` only: of two operators at once, the second is refused."""
    catalogue = catalogue or parts.catalogue
    topics = parts.topics
    assert parts.units.parts is not None
    uow = parts.units(parts=replace(parts.units.parts, catalogue=catalogue))
    application = await parts.applications.get(application_id)
    agency = _agency_for_reroute(application_id, application, catalogue)
    assert application is not None
    acted = _acted(
        application,
        action="reroute",
        target=application_id,
        operator=operator,
        outcome=(
            f"routed to {agency.code} ({agency.handler.kind}), rule_version {catalogue.version}"
        ),
    )

    async def dispatch(after: dict, tx: Transaction) -> None:
        """The application dispatched to its agency, and the operator's action."""
        around = envelope(after, acted)
        dispatched = dispatched_event(
            after, around, catalogue=catalogue, sla_due_at=after.get("sla_due_at")
        )
        kind = kind_of(after)
        if kind is not None:
            await kind.send(after, dispatched, tx, uow)
        tx.emit(topics.operations, acted)

    change = StatusChange(
        application_id=application_id,
        to="routed",
        actor="system",
        cause=acted,
        source=None,
        note=REROUTE_NOTE,
        expected="routing_failed",
        sets=_rerouted(application, agency, catalogue, operator),
        within=dispatch,
    )
    try:
        after = await change_status(uow, change)
    except (StatusMoved, ConcurrentChange):
        raise ActionRefused(
            f"Permohonan {application_id} baru saja diubah oleh proses lain; periksa "
            f"statusnya / application {application_id} was just changed by another "
            f"process; check its status"
        ) from None
    log.info(
        "application re-routed by an operator",
        application_id=application_id,
        agency=agency.code,
        operator=operator,
    )
    return Rerouted(
        application_id, agency.code, agency.handler.kind, after["sequence"], catalogue.version
    )


def _agency_for_reroute(application_id: str, application: dict | None, catalogue: Catalogue) -> Any:
    """The agency the catalogue now names for a ``routing_failed`` application; refused
    for any other application, or while the catalogue still names none."""
    if application is None:
        raise ActionRefused(
            f"Permohonan {application_id} tidak ditemukan di basis data routing / "
            f"no application {application_id} in routing's database"
        )
    current = application["status"]
    if current != "routing_failed":
        raise ActionRefused(
            f"Permohonan {application_id} berstatus {current}, bukan routing_failed; "
            f"hanya permohonan yang gagal dirutekan yang dapat dirutekan ulang, sekali / "
            f"application {application_id} is {current}, not routing_failed; only an "
            f"application that failed routing can be re-routed, once"
        )
    service, region = application["service"], application["region"]
    agency = catalogue.agency_for(service, region)
    if agency is None:
        raise ActionRefused(
            f"Katalog (versi {catalogue.version}) masih belum punya instansi untuk layanan "
            f"{service} di wilayah {region}; perbaiki katalog dulu / the catalogue "
            f"(version {catalogue.version}) still has no agency for service {service} "
            f"in region {region}; fix the catalogue first"
        )
    return agency


def _rerouted(
    application: dict, agency: Any, catalogue: Catalogue, operator: str
) -> dict[str, Any]:
    """What re-routing stores on the application besides its new status."""
    kind = kind_of(agency.handler.kind)
    now = utcnow()
    sets: dict[str, Any] = {
        "agency": agency.code,
        "handler_kind": agency.handler.kind,
        "delivery_state": kind.initial_delivery_state if kind else None,
        "rule_version": catalogue.version,
        "workflow_version": WORKFLOW_VERSION,
        "rerouted_at": now,
        "rerouted_by": operator,
        "updated_at": now,
    }
    if clock_running({**application, **sets, "status": "routed"}):
        sets["sla_open"] = True  # the SLA clock runs from now on: the sweep watches it
    return sets


async def redeliver(
    delivery_id: str,
    *,
    operator: str,
    units: UnitsOfWork,
    db: AsyncDatabase,
    topics: Topics,
) -> Redelivered:
    """Attempt a ``failed`` webhook delivery again: ``pending`` and due now, with the
    full retry schedule for the new cycle; earlier attempts are kept. The delivery loop
    of the running routing process picks it up on its next poll."""
    deliveries = db["deliveries"]

    async def write(tx: Transaction) -> Redelivered:
        session = tx.session
        delivery = await deliveries.find_one({"_id": delivery_id}, session=session)
        if delivery is None:
            raise ActionRefused(
                f"Pengiriman webhook {delivery_id} tidak ditemukan / "
                f"no webhook delivery {delivery_id}"
            )
        state = delivery["state"]
        if state != "failed":
            raise ActionRefused(
                f"Pengiriman {delivery_id} berstatus {state}, bukan failed; hanya pengiriman "
                f"yang gagal yang dapat dikirim ulang / delivery {delivery_id} is {state}, "
                f"not failed; only a failed delivery can be redelivered"
            )
        now = utcnow()
        previous = len(delivery["attempts"])
        # The guard: only the transaction that still finds it failed sends it again.
        moved = await reopen_failed(
            db, delivery_id, operator=operator, previous=previous, now=now, session=session
        )
        if not moved:
            raise ActionRefused(
                f"Pengiriman {delivery_id} baru saja diubah oleh proses lain / "
                f"delivery {delivery_id} was just changed by another process"
            )
        application_id = delivery["application_id"]
        application = await ApplicationRepository(db).set_delivery_state(
            application_id, "pending", session, updated_at=now
        )
        acted = _acted(
            application or {"_id": application_id},
            action="redeliver",
            target=delivery_id,
            operator=operator,
            outcome=(
                f"delivery to {delivery['agency']} pending again after {previous} attempts; "
                "new retry cycle"
            ),
        )
        tx.emit(topics.operations, acted)
        return Redelivered(delivery_id, application_id, delivery["agency"], previous)

    redelivered: Redelivered = await units.run(write)
    log.info(
        "webhook delivery redelivered by an operator",
        delivery_id=delivery_id,
        application_id=redelivered.application_id,
        agency=redelivered.agency,
        operator=operator,
    )
    return redelivered


async def redeliver_failed(
    agency: str,
    *,
    operator: str,
    units: UnitsOfWork,
    db: AsyncDatabase,
    topics: Topics,
) -> tuple[list[Redelivered], list[tuple[str, str]]]:
    """Redeliver every failed delivery of ``agency``, each in its own transaction;
    returns those redelivered and, for the others, (delivery id, why it was refused)."""
    failed = await (
        db["deliveries"]
        .find({"agency": agency, "state": "failed"}, {"_id": 1})
        .sort("created_at", 1)
        .to_list(None)
    )
    done: list[Redelivered] = []
    refused: list[tuple[str, str]] = []
    for row in failed:
        try:
            done.append(
                await redeliver(row["_id"], operator=operator, units=units, db=db, topics=topics)
            )
        except ActionRefused as exc:  # another operator was quicker
            refused.append((row["_id"], str(exc)))
    return done, refused
