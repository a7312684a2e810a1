"""What a handler kind is: how an agency takes the events routing sends it.

Routing tells an agency three things about an application — that it was dispatched to
it, the citizen's answer, the citizen's cancellation — and two about a complaint (filed,
replied to); each handler kind says how
they reach the agency (:meth:`HandlerKind.send`, inside the transaction that decided
them) and what the application's delivery state is while nothing has reached it yet
(:attr:`HandlerKind.initial_delivery_state`). Dispatch, the citizens' actions and the
operator's re-route ask the table in :mod:`services.routing.handler_kinds`; none of them
names a kind.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from shared.events import (
    AnswerForwarded,
    ApplicationDispatched,
    CancellationForwarded,
    ComplaintForwarded,
    ComplaintReplied,
)
from shared.unit_of_work import Transaction

if TYPE_CHECKING:
    from services.routing.parts import RoutingStores

__all__ = ["AgencyBound", "HandlerKind"]

AgencyBound = (
    ApplicationDispatched
    | AnswerForwarded
    | CancellationForwarded
    | ComplaintForwarded
    | ComplaintReplied
)
"""What an agency receives about one of its applications, and the complaints about them."""


class HandlerKind:
    """One way an agency takes its applications (the catalogue's ``handler.kind``)."""

    name: ClassVar[str]
    initial_delivery_state: ClassVar[str | None] = None
    """The application's ``delivery_state`` when routed to an agency of this kind."""

    async def send(
        self,
        application: Mapping[str, Any],
        event: AgencyBound,
        tx: Transaction,
        uow: "RoutingStores",
    ) -> None:
        """Send ``event`` about ``application`` to its agency, in ``tx`` (it is sent only
        if the transaction commits)."""
        raise NotImplementedError

    def sent(self, uow: "RoutingStores") -> None:
        """After the transaction that sent something commits (nothing to do by default)."""
