"""Public verification of result documents, and the citizen's download of their own.

Anyone holding a paper can check it: ``GET /api/v1/verify/{code}`` (or ``?sha256=`` for a
file) answers the issuing agency, the service, the date of issue, the document's hash,
and whether it was revoked — never who it was issued to. The page ``/verify`` shows the
same to a person (see :mod:`services.routing.web`).

Citizens download their results through intake (which knows whose application it is):
intake posts here, server to server, short-lived fields signed with the key it shares
with routing, naming the application, the file's hash and the citizen, and streams the
file on. The signature travels in the body and never reaches a browser; ``GET
/results/{code}`` answers 410.

Each route hands its query to :mod:`services.routing.verification_handlers`; what it
needs comes from :mod:`services.routing.deps`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from services.routing import verification_handlers as handle
from services.routing.deps import (
    IssuedResults,
    RoutedApplications,
    RoutingCatalogue,
    ServiceRuntime,
)
from services.routing.verification_handlers import (
    CITIZEN_LINK_AGENCY,
    CitizenDownload,
    VerifyDocument,
    verification_view,
)
from shared.files import file_response
from shared.problems import Problem

__all__ = ["CITIZEN_LINK_AGENCY", "Verification", "verification_router", "verification_view"]


class Named(BaseModel):
    code: str
    name: dict[str, str] | None = None


class Verification(BaseModel):
    code: str
    valid: bool = Field(description="Issued and not revoked.")
    state: str = Field(description="issued or revoked")
    agency: Named
    service: Named
    region: str | None = None
    issued_at: Any = None
    sha256: str
    content_type: str
    size: int
    revoked_at: Any = None
    revocation_reason: str | None = None


verification_router = APIRouter(tags=["verification"])


@verification_router.get(
    "/api/v1/verify/{code}",
    response_model=Verification,
    summary="Verify an issued document by its code (public)",
)
async def verify_code(
    code: Annotated[str, Path(max_length=40)],
    results: IssuedResults,
    applications: RoutedApplications,
    catalogue: RoutingCatalogue,
) -> dict:
    query = VerifyDocument(code, None)
    return await handle.verify_document(query, results, applications, catalogue)


@verification_router.get(
    "/api/v1/verify",
    response_model=Verification,
    summary="Verify a document file by its SHA-256 (public)",
)
async def verify_hash(
    sha256: Annotated[str, Query(pattern=r"^[0-9a-fA-F]{64}$")],
    results: IssuedResults,
    applications: RoutedApplications,
    catalogue: RoutingCatalogue,
) -> dict:
    query = VerifyDocument(None, sha256)
    return await handle.verify_document(query, results, applications, catalogue)


@verification_router.post("/results/{code}", include_in_schema=False)
async def download(
    code: str,
    results: IssuedResults,
    runtime: ServiceRuntime,
    application: Annotated[str, Form(max_length=64)],
    expires: Annotated[int, Form()],
    signature: Annotated[str, Form(max_length=128)],
    citizen: Annotated[str, Form(max_length=64)] = "",
) -> StreamingResponse:
    """A citizen's own result, fetched by intake with the fields it signed (in the
    body, never in a URL) and streamed on to the citizen."""
    command = CitizenDownload(code, application, citizen, expires, signature)
    opened = await handle.open_citizen_result(
        command, results, runtime.settings.document_link_secret
    )
    row = opened.row
    return file_response(opened.chunks, row["name"], row["content_type"], row["size"], inline=False)


@verification_router.get("/results/{code}", include_in_schema=False, status_code=410)
async def download_by_url(code: str) -> None:
    """The old download link with its signature in the query: nothing opens from a URL."""
    raise Problem(
        410,
        "Tautan dokumen tidak berlaku / Document link not valid",
        "Dokumen hasil diunduh dari halaman permohonan Anda, bukan dari alamat URL / A "
        "result is downloaded from your application's page, never from a URL.",
    )
