"""What routing does with the events it reads, one handler per event type.

Routing has two subscriptions. Submitted applications are routed a poll's run at a time
(:class:`~shared.messagebus.Batched`: one transaction for the run, the database being
the cost of routing). Changes asked from outside — an agency system's status report on
its updates topic, a citizen's cancellation or answer on the citizen-actions topic —
each move one application through the workflow (:mod:`services.routing.dispatch`,
:mod:`services.routing.citizen_actions`). A refusal by a rule (a foreign agency's report,
an unknown application, an illegal transition) is dead-lettered by the bus at once.
"""

from collections.abc import Sequence
from functools import partial

from services.routing import citizen_actions
from services.routing.dispatch import Router
from shared.events import (
    AgencyStatusReported,
    ApplicationSubmitted,
    CancellationRequested,
    InformationProvided,
)
from shared.messagebus import Batched, HandlerTable
from shared.unit_of_work import UnitOfWork

__all__ = [
    "change_handlers",
    "on_agency_status_reported",
    "on_applications_submitted",
    "on_cancellation_requested",
    "on_information_provided",
    "submission_handlers",
]


async def on_applications_submitted(
    router: Router, events: Sequence[ApplicationSubmitted], uow: UnitOfWork
) -> None:
    await router.route(events, uow)


async def on_agency_status_reported(
    router: Router, event: AgencyStatusReported, uow: UnitOfWork
) -> None:
    await router.apply_agency_report(event, uow)


async def on_cancellation_requested(
    router: Router, event: CancellationRequested, uow: UnitOfWork
) -> None:
    await citizen_actions.cancel(router, event, uow)


async def on_information_provided(
    router: Router, event: InformationProvided, uow: UnitOfWork
) -> None:
    await citizen_actions.answer(router, event, uow)


def submission_handlers(router: Router) -> HandlerTable:
    """Routing's subscription to submitted applications."""
    return {ApplicationSubmitted: Batched(partial(on_applications_submitted, router))}


def change_handlers(router: Router) -> HandlerTable:
    """Routing's subscription to the changes asked from outside: agency systems' reports
    and citizens' actions."""
    return {
        AgencyStatusReported: partial(on_agency_status_reported, router),
        CancellationRequested: partial(on_cancellation_requested, router),
        InformationProvided: partial(on_information_provided, router),
    }
