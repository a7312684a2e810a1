"""An agency whose officers work in routing's own workbench pages."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from services.routing.handler_kinds.kind import AgencyBound, HandlerKind
from shared.unit_of_work import Transaction

if TYPE_CHECKING:
    from services.routing.parts import RoutingStores

__all__ = ["Workbench"]


class Workbench(HandlerKind):
    """Nothing is sent: the officers read the application itself, its answers and its
    cancellation included, through the agency API."""

    name = "workbench"

    async def send(
        self,
        application: Mapping[str, Any],
        event: AgencyBound,
        tx: Transaction,
        uow: "RoutingStores",
    ) -> None:
        return None
