"""An agency whose own system reads its inbox topic (``mpp.agency.<code>.inbox``)."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from services.routing.handler_kinds.kind import AgencyBound, HandlerKind
from shared.unit_of_work import Transaction

if TYPE_CHECKING:
    from services.routing.parts import RoutingStores

__all__ = ["KafkaInbox"]


class KafkaInbox(HandlerKind):
    """The event goes on the agency's inbox topic, through routing's outbox."""

    name = "kafka"

    async def send(
        self,
        application: Mapping[str, Any],
        event: AgencyBound,
        tx: Transaction,
        uow: "RoutingStores",
    ) -> None:
        tx.emit(uow.topics.agency_inbox(application["agency"]), event)
