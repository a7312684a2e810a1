"""An agency whose endpoint receives signed webhooks (:mod:`services.routing.webhooks`)."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from services.routing.handler_kinds.kind import AgencyBound, HandlerKind
from shared.unit_of_work import Transaction

if TYPE_CHECKING:
    from services.routing.parts import RoutingStores

__all__ = ["Webhook"]


class Webhook(HandlerKind):
    """The event becomes a delivery, stored in the same transaction and attempted by the
    delivery loop; the application's delivery state is ``pending`` until it is
    delivered."""

    name = "webhook"
    initial_delivery_state = "pending"

    async def send(
        self,
        application: Mapping[str, Any],
        event: AgencyBound,
        tx: Transaction,
        uow: "RoutingStores",
    ) -> None:
        if uow.deliveries is not None:  # a process that delivers no webhooks sends none
            await uow.deliveries.schedule(event, tx.session)

    def sent(self, uow: "RoutingStores") -> None:
        """The delivery loop is woken: the delivery is due now, not at its next poll."""
        if uow.deliveries is not None:
            uow.deliveries.wake()
