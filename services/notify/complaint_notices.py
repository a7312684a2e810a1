"""Notices of a complaint's moves (``<ns>.complaints``, docs/complaints.md): the agency
answered, SP4N-LAPOR! changed its status, a late step went to the supervisor, or it was
closed. The citizen is told on their chosen channels — an in-app notice and a delivery on
the preferred outside channel, written with its ``NotificationStatusChanged`` in one
transaction, like a queue notice; the dispatcher sends the delivery.

Routing's complaint events never name the citizen; notify knows whose each complaint is
from the filing (:class:`~services.notify.complaint_owners.ComplaintOwnerStore`), so a
confidential complaint's notice reaches its citizen all the same, and an event tells
only the citizen who filed the complaint it names.

Each notice is keyed by the event's id (``complaint:<event id>:in_app`` and
``…:<channel>``): a redelivered event hits the stored notice and writes nothing. A move
read before its filing (they travel on different topics) is a fault: the message bus
tries it again, then dead-letters it.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import structlog
from pymongo.errors import PyMongoError

from services.notify.complaint_messages import (
    ComplaintMoment,
    mpp_name,
    render_complaint_notice,
)
from services.notify.complaint_owners import ComplaintOwnerStore
from services.notify.contacts import Contacts
from services.notify.deliveries import next_channel, outcome_event
from services.notify.delivery_store import delivery_document
from services.notify.devices import with_push
from services.notify.inbox import Subject, other_notice
from services.notify.links import NoticeLinks
from services.notify.templates import Rendered
from services.notify.unit_of_work import NotifyUnitOfWork
from shared.events import (
    CancellationRequested,
    ComplaintAnswered,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintFiled,
    ComplaintForwarded,
    ComplaintReplied,
    ComplaintTracked,
    DataRightExercised,
    Event,
    InformationProvided,
    utcnow,
)
from shared.messagebus import Handler, HandlerTable
from shared.mongo import only_duplicate_keys
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitOfWork

__all__ = ["ComplaintNotices", "UnknownComplaint"]

log = structlog.get_logger(__name__)

Moved = ComplaintAnswered | ComplaintTracked | ComplaintEscalated | ComplaintClosed

# LAPOR!'s first status is its receipt of the forward, which the citizen's thread shows;
# a notice is sent when LAPOR! moves it on.
_RECEIVED = "diterima"


class UnknownComplaint(LookupError):
    """A move of a complaint whose filing notify has not read yet: a fault, tried again."""


@dataclass
class ComplaintNotices:
    topics: Topics
    links: NoticeLinks
    owners: ComplaintOwnerStore
    wake_dispatcher: Callable[[], None]

    def handlers(self, on_data_right: Handler) -> HandlerTable:
        """Which complaint (and citizen-action) event does what; ``on_data_right`` is
        notify's own, which an erasure runs before forgetting the citizen's complaints."""

        async def erase_too(event: DataRightExercised, uow: UnitOfWork) -> None:
            await on_data_right(event, uow)
            if event.data.right == "erasure":
                await self.owners.erase(event.data.citizen_id)

        table: HandlerTable = {ComplaintFiled: self.on_filed, DataRightExercised: erase_too}
        for moved in (ComplaintAnswered, ComplaintTracked, ComplaintEscalated, ComplaintClosed):
            table[moved] = self.on_moved
        # The citizen did these themselves; the agency hears of them, not the citizen.
        for quiet in (ComplaintForwarded, ComplaintReplied, CancellationRequested):
            table[quiet] = _nothing
        table[InformationProvided] = _nothing
        return table

    async def on_filed(self, event: ComplaintFiled, _uow: UnitOfWork) -> None:
        if not await self.owners.record(event.data, utcnow()):
            log.info("complaint filing already known", complaint_id=event.subject)

    async def on_moved(self, event: Moved, uow: NotifyUnitOfWork) -> None:
        """Tell the complaint's citizen of one move (once, whatever the redeliveries)."""
        if isinstance(event, ComplaintTracked) and event.data.lapor_status == _RECEIVED:
            return  # the forward's receipt: shown in the thread, not a notice
        owner = await self.owners.get(event.data.complaint_id)
        if owner is None:
            raise UnknownComplaint(f"complaint {event.data.complaint_id} not filed yet")
        if isinstance(event, ComplaintClosed):  # its retention runs from now (idempotent)
            await self.owners.closed(owner["_id"], event.data.closed_at)
        contacts = await _contacts(uow, owner["citizen_id"])
        rendered = render_complaint_notice(self._moment(event, owner, contacts.language))
        notice = _in_app(event, owner, rendered)
        delivery = self._delivery(event, owner, rendered, contacts)

        async def write(tx: Transaction) -> None:
            await uow.notices.add([notice], tx.session)  # a second one: duplicate key
            if delivery is not None:
                await uow.deliveries.add([delivery], tx.session)
                tx.emit(self.topics.notifications, outcome_event(delivery, "created"))

        try:
            await uow.run(write)
        except PyMongoError as error:
            if not only_duplicate_keys(error):
                raise
            log.info("complaint move already notified", complaint_id=event.subject)
            return
        if delivery is not None:
            self.wake_dispatcher()

    def _moment(self, event: Moved, owner: dict[str, Any], language: str) -> ComplaintMoment:
        moment = ComplaintMoment(
            move=event.type.removeprefix("complaint."),
            kind=owner["kind"],
            region=owner["region"],
            service=owner["service"],
            at=event.time,
            link=self._link(owner, language),
            about=owner.get("about", "application"),
        )
        if isinstance(event, ComplaintAnswered):
            answered = event.data
            return replace(
                moment,
                answer=answered.answer,
                at=answered.answered_at,
                close_due_at=answered.close_due_at,
            )
        if isinstance(event, ComplaintTracked):
            tracked = event.data
            return replace(
                moment,
                lapor_status=tracked.lapor_status,
                tracking_id=tracked.tracking_id,
                at=tracked.at,
            )
        if isinstance(event, ComplaintEscalated):
            return replace(moment, step=event.data.step, due_at=event.data.due_at)
        return replace(moment, at=event.data.closed_at)

    def _link(self, owner: dict[str, Any], language: str) -> str:
        """The application's page (its thread), or the portal's complaints page."""
        if owner.get("application_id"):
            return self.links.application(owner["application_id"], language)
        page = f"{self.links.portal}/portal/complaints#c-{quote(owner['_id'], safe='')}"
        return page if language == "id" else page.replace("#", f"?lang={quote(language)}#")

    def _delivery(
        self, event: Moved, owner: dict[str, Any], rendered: Rendered, contacts: Contacts
    ) -> dict[str, Any] | None:
        channel = next_channel(contacts)
        if channel is None:
            return None
        return delivery_document(
            delivery_id=f"complaint:{event.id}:{channel}",
            kind="citizen",
            channel=channel,
            application_id=owner["_id"],
            region=owner["region"],
            correlation_id=event.correlation_id,
            causation_id=event.id,
            status_sequence=0,
            rendered=rendered,
            citizen_id=owner["citizen_id"],
        )


async def _contacts(uow: NotifyUnitOfWork, citizen_id: str) -> Contacts:
    known = {citizen_id: await uow.contacts.get(citizen_id)}
    if uow.devices is not None:
        known = await with_push(uow.devices, known)
    return known[citizen_id]


async def _nothing(_event: Event, _uow: UnitOfWork) -> None:
    return None


def _in_app(event: Moved, owner: dict[str, Any], rendered: Rendered) -> dict[str, Any]:
    """The inbox's copy: the application's tracking number when the complaint is about
    one, else the service; the notice leads to the complaint's thread."""
    building = owner.get("about") == "building"
    subject = Subject(
        citizen_id=owner["citizen_id"],
        reference=owner.get("application_id") or owner["_id"],
        label=owner.get("tracking_number")
        or (mpp_name(owner["region"]) if building else owner["service"]),
        service=owner["service"],
        region=owner["region"],
    )
    return other_notice(f"complaint:{event.id}:in_app", subject, rendered, rendered.link)
