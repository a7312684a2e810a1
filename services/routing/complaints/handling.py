"""What routing does with a complaint: take it from the citizen-actions topic and put it
before its agency, take the agency's answer, take the citizen's reply.

A complaint reaches the agency on the handler kind its application was routed to (a
complaint about a service: the kind of the service's office in the region), in
the transaction that stores it: a Kafka agency gets ``complaint.forwarded`` on its
inbox topic (a system's, for every office it serves), a webhook agency a signed
delivery, a workbench agency sees it in the workbench. Every step is also announced on
the complaints topic for the audit log. What reaches the agency never names the citizen;
a confidential complaint does not name the application either.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from services.routing.announcements import envelope
from services.routing.complaints.store import ComplaintStore, filed_document
from services.routing.complaints.timeline import OPEN, answer_due, close_due, forward_due
from services.routing.handler_kinds import kind_of
from services.routing.parts import RoutingUnitOfWork
from shared.errors import Rejected
from shared.events import (
    ComplaintAnswered,
    ComplaintAnsweredData,
    ComplaintFiled,
    ComplaintFiledData,
    ComplaintForwarded,
    ComplaintForwardedData,
    ComplaintReplied,
    ComplaintRepliedData,
    DocumentRef,
    Event,
)
from shared.ids import uuid7
from shared.unit_of_work import Transaction

__all__ = [
    "AnswerComplaint",
    "ComplaintClosedAlready",
    "ComplaintMoved",
    "ForeignComplaint",
    "NoSuchComplaint",
    "NotRoutedYet",
    "NothingToReply",
    "ReplyToComplaint",
    "answer",
    "building_office",
    "on_complaint_filed",
    "reply",
]

log = structlog.get_logger(__name__)


class ForeignComplaint(Rejected, ValueError):
    """A filing about an application that is not the filer's, or that no agency holds."""


class NotRoutedYet(RuntimeError):
    """The application the complaint is about is not routed yet (its submission and the
    complaint travel on different topics): a fault, so the bus tries again shortly."""


class NoSuchComplaint(Rejected, LookupError):
    """No complaint with this id is the caller's (another's answers the same: not found)."""


class ComplaintClosedAlready(Rejected, ValueError):
    """The complaint is closed: nothing more is said in its thread."""


class NothingToReply(Rejected, ValueError):
    """The citizen replies to an answer; there is none yet."""


class ComplaintMoved(Rejected, ValueError):
    """Another writer moved the complaint between the read and the write: read it again."""


@dataclass(frozen=True)
class AnswerComplaint:
    """An agency's answer to one of its complaints."""

    complaint_id: str
    agency: str
    answered_by: str
    answer: str
    correlation_id: str
    at: datetime


@dataclass(frozen=True)
class ReplyToComplaint:
    """The citizen's reply to the agency's answer."""

    complaint_id: str
    citizen_id: str
    text: str
    correlation_id: str
    at: datetime


def building_office(region: str) -> str:
    """Who answers for the MPP building of ``region``, where an agency's code stands."""
    return f"mpp-{region}"


def agency_view(complaint: dict[str, Any]) -> ComplaintForwardedData:
    """The complaint as its agency may know it: never the citizen, and for a confidential
    one not the application either."""
    first = complaint["thread"][0]
    hidden = complaint["confidential"]
    return ComplaintForwardedData(
        complaint_id=complaint["_id"],
        kind=complaint["kind"],
        agency=complaint["agency"],
        service=complaint["service"],
        region=complaint["region"],
        application_id=None if hidden else complaint["application_id"],
        tracking_number=None if hidden else complaint["tracking_number"],
        text=first["text"],
        documents=[DocumentRef(**d) for d in first.get("documents") or []],
        confidential=hidden,
        filed_at=complaint["filed_at"],
        answer_due_at=complaint["answer_due_at"],
    )


def _around(complaint: dict[str, Any], cause: Event | None, correlation_id: str) -> dict:
    """The envelope of a complaint's event: the complaint as subject and key."""
    around = envelope({"_id": complaint["_id"], "region": complaint["region"]}, cause)
    if cause is None:
        around["correlation_id"] = correlation_id
    return around


async def _answering(filed: ComplaintFiledData, uow: RoutingUnitOfWork) -> tuple[str, str | None]:
    """The office that answers the complaint and its handler kind: the application's (it
    must be the filer's), the service's office in the region, or for the building the
    region's MPP, which no handler kind reaches (its administrator answers)."""
    if filed.about == "building":
        if uow.catalogue.region(filed.region) is None:
            raise ForeignComplaint(f"complaint {filed.complaint_id}: no MPP in the region")
        return building_office(filed.region), None
    if filed.about == "service":
        office = uow.catalogue.agency_for(filed.service, filed.region)
        if office is None:
            raise ForeignComplaint(f"complaint {filed.complaint_id}: no office of the service")
        return office.code, office.handler.kind
    application = await uow.applications.get(filed.application_id or "")
    if application is None:
        raise NotRoutedYet(f"complaint {filed.complaint_id}: its application is not routed yet")
    if application.get("citizen_id") != filed.citizen_id:
        raise ForeignComplaint(f"complaint {filed.complaint_id}: not the filer's application")
    if application.get("agency") is None:
        raise ForeignComplaint(f"complaint {filed.complaint_id}: no agency holds the application")
    return application["agency"], application.get("handler_kind")


async def on_complaint_filed(event: ComplaintFiled, uow: RoutingUnitOfWork) -> None:
    """Store the complaint once (a replayed filing finds it stored) and put it before the
    office that answers it, in one transaction."""
    filed = event.data
    agency, handler_kind = await _answering(filed, uow)
    store = _store(uow)
    calendar = uow.catalogue.calendar_for(filed.region)
    document = filed_document(
        event,
        agency=agency,
        handler_kind=handler_kind,
        forward_due_at=forward_due(calendar, filed.filed_at),
        answer_due_at=answer_due(calendar, filed.filed_at),
    )

    async def write(tx: Transaction) -> bool:
        if not await store.insert_new(document, tx.session):
            return False
        forwarded = ComplaintForwarded(
            **_around(document, event, event.correlation_id), data=agency_view(document)
        )
        await _to_agency(document, forwarded, tx, uow)
        return True

    if await uow.run(write):
        log.info("complaint filed", complaint_id=filed.complaint_id, agency=document["agency"])


async def _to_agency(
    complaint: dict[str, Any],
    event: ComplaintForwarded | ComplaintReplied,
    tx: Transaction,
    uow: RoutingUnitOfWork,
) -> None:
    """Announce ``event`` on the complaints topic, and send the agency its own copy on
    its handler kind (a copy with its own id: one record per topic)."""
    tx.emit(uow.topics.complaints, event)
    kind = kind_of(complaint)
    if kind is not None:
        await kind.send(complaint, event.model_copy(update={"id": uuid7()}), tx, uow)


def _store(uow: RoutingUnitOfWork) -> ComplaintStore:
    if uow.complaints is None:
        raise ForeignComplaint("this routing process keeps no complaints")
    return uow.complaints


async def answer(command: AnswerComplaint, uow: RoutingUnitOfWork) -> dict[str, Any]:
    """The agency's answer joins the thread; the complaint waits 10 working days for a
    reply before it closes. Another agency's complaint is not found."""
    store = _store(uow)
    complaint = await store.get(command.complaint_id)
    if complaint is None or complaint["agency"] != command.agency:
        raise NoSuchComplaint(command.complaint_id)
    if complaint["state"] not in OPEN:
        raise ComplaintClosedAlready(command.complaint_id)
    due = close_due(uow.catalogue.calendar_for(complaint["region"]), command.at)
    answered = ComplaintAnswered(
        **_around(complaint, None, command.correlation_id),
        data=ComplaintAnsweredData(
            complaint_id=complaint["_id"],
            agency=complaint["agency"],
            answer=command.answer,
            answered_by=command.answered_by,
            answered_at=command.at,
            close_due_at=due,
        ),
    )
    said = {"by": "agency", "text": command.answer, "at": command.at, "documents": []}
    changes = {"state": "answered", "close_due_at": due, "updated_at": command.at}

    async def write(tx: Transaction) -> None:
        if not await store.move(complaint, changes, tx.session, said=said):
            raise ComplaintMoved(command.complaint_id)
        tx.emit(uow.topics.complaints, answered)

    await uow.run(write)
    return {**complaint, **changes, "thread": [*complaint["thread"], said]}


async def reply(command: ReplyToComplaint, uow: RoutingUnitOfWork) -> dict[str, Any]:
    """The citizen's reply to an answer reopens the complaint: the agency is told on its
    handler kind and owes an answer within 5 working days."""
    store = _store(uow)
    complaint = await store.get(command.complaint_id)
    if complaint is None or complaint["citizen_id"] != command.citizen_id:
        raise NoSuchComplaint(command.complaint_id)
    if complaint["state"] == "closed":
        raise ComplaintClosedAlready(command.complaint_id)
    if complaint["state"] != "answered":
        raise NothingToReply(command.complaint_id)
    due = answer_due(uow.catalogue.calendar_for(complaint["region"]), command.at)
    state = "forwarded" if complaint.get("forwarded_at") else "filed"
    replied = ComplaintReplied(
        **_around(complaint, None, command.correlation_id),
        data=ComplaintRepliedData(
            complaint_id=complaint["_id"],
            agency=complaint["agency"],
            text=command.text,
            replied_at=command.at,
            answer_due_at=due,
        ),
    )
    said = {"by": "citizen", "text": command.text, "at": command.at, "documents": []}
    changes: dict[str, Any] = {
        "state": state,
        "answer_due_at": due,
        "close_due_at": None,
        "updated_at": command.at,
    }

    async def write(tx: Transaction) -> None:
        again = [s for s in complaint.get("escalated") or [] if s != "answer"]
        if not await store.move(complaint, {**changes, "escalated": again}, tx.session, said=said):
            raise ComplaintMoved(command.complaint_id)
        await _to_agency(complaint, replied, tx, uow)

    await uow.run(write)
    return {**complaint, **changes, "thread": [*complaint["thread"], said]}
