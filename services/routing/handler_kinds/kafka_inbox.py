"""An agency office whose applications a system reads from an inbox topic: the inbox of
the system that serves the office (``mpp.agency.<system>.inbox``, one for all its
offices), or the office's own (``mpp.agency.<office>.inbox``) when no system serves it.
Every event names the office (``data.agency``), so a system knows whose work it is."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from services.routing.handler_kinds.kind import AgencyBound, HandlerKind
from shared.unit_of_work import Transaction

if TYPE_CHECKING:
    from services.routing.parts import RoutingStores

__all__ = ["KafkaInbox"]


class KafkaInbox(HandlerKind):
    """The event goes on the inbox of whoever reads the office's applications, through
    routing's outbox, keyed by application id like every event."""

    name = "kafka"

    async def send(
        self,
        application: Mapping[str, Any],
        event: AgencyBound,
        tx: Transaction,
        uow: "RoutingStores",
    ) -> None:
        party = uow.catalogue.inbox_of(application["agency"])
        tx.emit(uow.topics.agency_inbox(party), event)
