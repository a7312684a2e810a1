"""The service catalogue over HTTP, in the spirit of Open311 GeoReport v2: the regions
(jurisdictions), the services offered in one, and one service with its form.

The catalogue is the runtime's (loaded once per process); the routes take it from
:mod:`services.intake.deps`."""

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.intake.deps import CatalogueDep
from shared.catalogue import Catalogue, Service, TextList
from shared.problems import Problem

__all__ = ["catalogue_router"]


class RegionView(BaseModel):
    code: str
    name: str
    mpp: str


class AgencyRef(BaseModel):
    code: str
    name: dict[str, str]
    handler: str


class ServiceSummary(BaseModel):
    code: str
    name: dict[str, str]
    sla_working_days: int = Field(
        description="The region's SLA when a region is asked for, else the national maximum."
    )
    fee_idr: int = Field(description="The region's fee when a region is asked for.")
    regions: list[str]


class RegionTermsView(BaseModel):
    sla_working_days: int
    fee_idr: int
    counters: list[str] = Field(description="The MPP counters (loket) that serve it.")


class ServiceDetail(ServiceSummary):
    requirements: TextList
    documents: list[str]
    agencies: dict[str, AgencyRef]
    form_version: int
    form_schema: dict[str, Any]
    applicant_fields: list[str] = Field(
        description="Profile fields the agency receives with an application (only these)."
    )
    terms: dict[str, RegionTermsView] = Field(
        description="Each region's own SLA, fee and counters for the service."
    )
    catalogue_version: int


def _regions_of(catalogue: Catalogue, service: Service) -> list[str]:
    if "*" in service.agencies:
        return [region.code for region in catalogue.regions]
    return sorted(service.agencies)


def _summary(catalogue: Catalogue, service: Service, region: str | None = None) -> dict[str, Any]:
    """The service as ``region`` publishes it (its SLA and fee), or by national default."""
    terms = catalogue.terms(service.code, region) if region else None
    return {
        "code": service.code,
        "name": service.name.model_dump(),
        "sla_working_days": terms.sla_working_days if terms else service.sla_working_days,
        "fee_idr": terms.fee_idr if terms else service.fee_idr,
        "regions": _regions_of(catalogue, service),
    }


def _terms(catalogue: Catalogue, service: Service) -> dict[str, RegionTermsView]:
    """Each region's own SLA, fee and counters for ``service``."""
    found = {}
    for region in _regions_of(catalogue, service):
        terms = catalogue.terms(service.code, region)
        if terms is not None:
            found[region] = RegionTermsView(
                sla_working_days=terms.sla_working_days,
                fee_idr=terms.fee_idr,
                counters=list(terms.counters),
            )
    return found


def _agencies(catalogue: Catalogue, service: Service) -> dict[str, AgencyRef]:
    """The agency handling ``service`` in each region that offers it."""
    agencies = {}
    for region in _regions_of(catalogue, service):
        agency = catalogue.agency_for(service.code, region)
        if agency is not None:
            agencies[region] = AgencyRef(
                code=agency.code, name=agency.name.model_dump(), handler=agency.handler.kind
            )
    return agencies


catalogue_router = APIRouter(prefix="/api/v1", tags=["catalogue"])


@catalogue_router.get("/regions", response_model=list[RegionView], summary="Regions with an MPP")
async def list_regions(catalogue: CatalogueDep) -> list[RegionView]:
    return [RegionView(**region.model_dump()) for region in catalogue.regions]


@catalogue_router.get(
    "/services", response_model=list[ServiceSummary], summary="Services, optionally by region"
)
async def list_services(
    catalogue: CatalogueDep,
    region: str | None = Query(None, pattern=r"^[0-9]{4}$", examples=["3576"]),
) -> list[ServiceSummary]:
    if region is None:
        offered = catalogue.services
    elif catalogue.region(region) is None:
        raise Problem(
            404,
            "Wilayah tidak dikenal / Unknown region",
            f"There is no region with code {region}; see GET /api/v1/regions.",
        )
    else:
        offered = catalogue.services_in(region)
    return [ServiceSummary(**_summary(catalogue, service, region)) for service in offered]


@catalogue_router.get(
    "/services/{code}",
    response_model=ServiceDetail,
    summary="One service: requirements, documents, agency per region, form schema",
)
async def get_service(code: str, catalogue: CatalogueDep) -> ServiceDetail:
    found = catalogue.service(code)
    if found is None:
        raise Problem(
            404,
            "Layanan tidak dikenal / Unknown service",
            f"There is no service with code {code!r}; see GET /api/v1/services.",
        )
    return ServiceDetail(
        **_summary(catalogue, found),
        requirements=found.requirements,
        documents=found.documents,
        agencies=_agencies(catalogue, found),
        form_version=found.form_version,
        form_schema=found.form,
        applicant_fields=list(found.applicant_fields),
        terms=_terms(catalogue, found),
        catalogue_version=catalogue.version,
    )
