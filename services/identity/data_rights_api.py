"""The citizen's data rights over HTTP: a copy of their data, and erasing the account.

Thin translators around :class:`services.identity.data_rights.DataRights`; what they need
comes from :mod:`services.identity.deps`.
"""

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from services.identity.accounts_api import confirm_callers_password
from services.identity.deps import PartsDep, Principal, RightsDep
from shared.auth import CitizenPrincipal
from shared.problems import Problem

__all__ = ["data_rights_router"]


class ExportLink(BaseModel):
    download: str = Field(
        description="Where to fetch the JSON copy with the same token (GET, Authorization "
        "header); the address carries no credential."
    )
    expires_at: Any


class ErasureRequest(BaseModel):
    password: str = Field(min_length=1, max_length=128, description="The account's password.")


class Erased(BaseModel):
    erased_at: Any
    kept: list[str] = Field(description="What the platform keeps, and why.")
    open_applications: int = Field(
        description="Applications still being processed: the agency can no longer read your "
        "personal data for them."
    )


data_rights_router = APIRouter(prefix="/api/v1", tags=["privacy"])


def _citizens_only(principal: CitizenPrincipal) -> None:
    if not principal.is_citizen:
        raise Problem(403, "Khusus warga / Citizens only", "Only a citizen's own token.")


@data_rights_router.post(
    "/me/data-export",
    status_code=201,
    response_model=ExportLink,
    operation_id="export_my_data",
    summary="A copy of everything the platform holds about me (fetched with my token)",
)
async def export_my_data(
    request: Request, principal: Principal, rights: RightsDep
) -> dict[str, Any]:
    _citizens_only(principal)
    return await rights.export(principal.subject, request.headers["authorization"])


@data_rights_router.get(
    "/me/data-exports/{export_id}",
    operation_id="download_my_data",
    summary="Download a copy of my data (with my own token; the address opens nothing alone)",
    responses={404: {"description": "Expired, gone or not mine"}, 410: {"description": "Erased"}},
)
async def download_my_data(export_id: str, principal: Principal, rights: RightsDep) -> Response:
    _citizens_only(principal)
    held = await rights.download(export_id[:64], principal.subject)
    return Response(
        orjson.dumps(held, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="data-saya-mpp.json"',
            "Cache-Control": "private, no-store",
        },
    )


@data_rights_router.post(
    "/me/erasure",
    response_model=Erased,
    operation_id="erase_my_account",
    summary="Close my account and erase my personal data everywhere",
)
async def erase_my_account(
    body: ErasureRequest, request: Request, principal: Principal, parts: PartsDep
) -> dict[str, Any]:
    _citizens_only(principal)
    await confirm_callers_password(parts, request, principal.subject, body.password, "password")
    return await parts.rights.erase(principal.subject, request.headers["authorization"])
