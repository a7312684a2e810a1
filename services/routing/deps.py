"""What routing's routes take from its composition root.

:func:`services.routing.app.build` keeps routing's parts
(:class:`services.routing.composition.RoutingParts`) on ``app.state.parts`` (and
:func:`services.routing.web.mount_web` the pages' templates); the providers here hand
them to a route through FastAPI's ``Depends``.
The routers themselves are module-level and hold nothing, a route names what it needs
in its signature, and a test can replace any part (``app.dependency_overrides``).
"""

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header, Request

from services.routing.agency_applications import AgencyApplications
from services.routing.agency_callers import identify
from services.routing.agency_models import Caller
from services.routing.applications import ApplicationRepository
from services.routing.parts import RoutingUnitOfWork
from services.routing.results import ResultStore
from shared.catalogue import Catalogue
from shared.runtime import Runtime
from shared.web import Pages

if TYPE_CHECKING:  # the parts import the routes' modules, which import these providers
    from services.routing.composition import RoutingParts

__all__ = [
    "Applications",
    "AuthenticatedCaller",
    "IssuedResults",
    "Results",
    "RoutedApplications",
    "RoutingCatalogue",
    "RoutingPages",
    "ServiceRuntime",
    "Uow",
    "agency_applications",
    "caller",
    "catalogue",
    "issued_results",
    "pages",
    "results",
    "routed_applications",
    "runtime",
    "unit_of_work",
]


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def unit_of_work(request: Request) -> RoutingUnitOfWork:
    """A unit of work for the request's command: routing's transaction and outbox, and
    the stores it writes (:mod:`services.routing.parts`)."""
    return request.app.state.runtime.units()


def results(request: Request) -> ResultStore | None:
    """The result documents agencies issue; None where they are not kept."""
    return _parts(request).results


def issued_results(request: Request) -> ResultStore:
    """The result documents, for verification and citizens' downloads."""
    return _parts(request).results


def routed_applications(request: Request) -> ApplicationRepository:
    return _parts(request).applications


def catalogue(request: Request) -> Catalogue:
    return request.app.state.runtime.catalogue


def pages(request: Request) -> Pages:
    """The workbench's, dashboard's and verification page's templates."""
    return request.app.state.pages


def agency_applications(request: Request) -> AgencyApplications:
    return _parts(request).agency_applications


async def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
    """Who calls the agency API (:func:`services.routing.agency_callers.identify`)."""
    parts = _parts(request)
    return await identify(authorization, parts.keys, parts.staff)


def _parts(request: Request) -> "RoutingParts":
    return request.app.state.parts


ServiceRuntime = Annotated[Runtime, Depends(runtime)]
Uow = Annotated[RoutingUnitOfWork, Depends(unit_of_work)]
Results = Annotated[ResultStore | None, Depends(results)]
Applications = Annotated[AgencyApplications, Depends(agency_applications)]
AuthenticatedCaller = Annotated[Caller, Depends(caller)]
IssuedResults = Annotated[ResultStore, Depends(issued_results)]
RoutedApplications = Annotated[ApplicationRepository, Depends(routed_applications)]
RoutingCatalogue = Annotated[Catalogue, Depends(catalogue)]
RoutingPages = Annotated[Pages, Depends(pages)]
