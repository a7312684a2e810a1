"""What routing's routes take from its composition root.

:func:`services.routing.app.build` makes routing's parts once and keeps them on
``app.state``; the providers here hand them to a route through FastAPI's ``Depends``.
The routers themselves are module-level and hold nothing, a route names what it needs
in its signature, and a test can replace any part (``app.dependency_overrides``).
"""

from typing import Annotated

from fastapi import Depends, Header, Request

from services.routing.agency_applications import AgencyApplications
from services.routing.agency_callers import identify
from services.routing.agency_models import Caller
from services.routing.dispatch import Router
from services.routing.results import ResultStore
from shared.runtime import Runtime
from shared.unit_of_work import UnitOfWork

__all__ = [
    "Applications",
    "AuthenticatedCaller",
    "Results",
    "ServiceRuntime",
    "Uow",
    "Workflow",
    "agency_applications",
    "caller",
    "results",
    "runtime",
    "unit_of_work",
    "workflow",
]


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def unit_of_work(request: Request) -> UnitOfWork:
    """A unit of work for the request's command (routing's database and outbox)."""
    return request.app.state.runtime.units()


def workflow(request: Request) -> Router:
    """Routing's workflow: dispatch, transitions and what they publish."""
    return request.app.state.router


def results(request: Request) -> ResultStore | None:
    """The result documents agencies issue; None where they are not kept."""
    return request.app.state.router.results


def agency_applications(request: Request) -> AgencyApplications:
    return request.app.state.agency_applications


async def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
    """Who calls the agency API (:func:`services.routing.agency_callers.identify`)."""
    state = request.app.state
    return await identify(authorization, state.api_keys, state.agency_staff)


ServiceRuntime = Annotated[Runtime, Depends(runtime)]
Uow = Annotated[UnitOfWork, Depends(unit_of_work)]
Workflow = Annotated[Router, Depends(workflow)]
Results = Annotated[ResultStore | None, Depends(results)]
Applications = Annotated[AgencyApplications, Depends(agency_applications)]
AuthenticatedCaller = Annotated[Caller, Depends(caller)]
