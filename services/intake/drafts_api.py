"""Drafts over HTTP: save, list, read and delete the caller's half-filled forms.

Thin translators around :class:`services.intake.drafts.DraftStore`, which keeps one
draft per citizen and service; what the routes need comes from
:mod:`services.intake.deps`. Staff accounts keep no drafts.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from services.intake.deps import CatalogueDep, DraftsDep, Principal
from services.intake.drafts import Draft, DraftBody
from shared.problems import Problem

__all__ = ["drafts_router"]

ServiceCode = Annotated[str, Path(min_length=1, max_length=64, examples=["skck"])]


async def _own(principal: Principal) -> str:
    """The caller's account id; staff keep no drafts."""
    if not principal.is_citizen:
        raise Problem(403, "Khusus warga / Citizens only", "Staff accounts keep no drafts.")
    return principal.subject


Mine = Annotated[str, Depends(_own)]


def _view(document: dict[str, Any]) -> Draft:
    return Draft(**{name: document[name] for name in Draft.model_fields})


def _no_draft(service: str) -> Problem:
    return Problem(
        404,
        "Draf tidak ditemukan / No draft",
        f"Anda tidak punya draf untuk layanan {service} / You have no draft for {service}; "
        "see GET /api/v1/drafts.",
    )


drafts_router = APIRouter(prefix="/api/v1", tags=["drafts"])


@drafts_router.put(
    "/drafts/{service}",
    response_model=Draft,
    summary="Save my draft of a service's form (replaces the one before)",
)
async def save_draft(
    service: ServiceCode,
    body: DraftBody,
    citizen_id: Mine,
    drafts: DraftsDep,
    catalogue: CatalogueDep,
) -> Draft:
    """Allowed before the account is proven. Checked for size and shape only: the
    form's own rules apply when it is submitted."""
    if catalogue.service(service) is None:
        raise Problem(
            404,
            "Layanan tidak ditemukan / Unknown service",
            f"Tidak ada layanan {service} / There is no service {service}; see "
            "GET /api/v1/services.",
        )
    return _view(await drafts.save(citizen_id, service, body.region, body.data))


@drafts_router.get("/drafts", response_model=list[Draft], summary="My drafts, newest first")
async def list_drafts(citizen_id: Mine, drafts: DraftsDep) -> list[Draft]:
    return [_view(document) for document in await drafts.mine(citizen_id)]


@drafts_router.get("/drafts/{service}", response_model=Draft, summary="My draft of a service")
async def get_draft(service: ServiceCode, citizen_id: Mine, drafts: DraftsDep) -> Draft:
    document = await drafts.find(citizen_id, service)
    if document is None:
        raise _no_draft(service)
    return _view(document)


@drafts_router.delete("/drafts/{service}", status_code=204, summary="Delete my draft of a service")
async def delete_draft(service: ServiceCode, citizen_id: Mine, drafts: DraftsDep) -> Response:
    if not await drafts.delete(citizen_id, service):
        raise _no_draft(service)
    return Response(status_code=204)
