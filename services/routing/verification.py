"""Public verification of result documents, and the citizen's download of their own.

Anyone holding a paper can check it: ``GET /api/v1/verify/{code}`` (or ``?sha256=`` for a
file) answers the issuing agency, the service, the date of issue, the document's hash,
and whether it was revoked — never who it was issued to. The page ``/verify`` shows the
same to a person (see :mod:`services.routing.web`).

Citizens download their results through intake (which knows whose application it is);
intake sends them here with a short-lived link signed with the key it shares with
routing, naming the application, the file's hash and the citizen.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from services.routing.results import ResultStore
from shared import document_links
from shared.catalogue import Catalogue
from shared.files import file_response
from shared.problems import Problem
from shared.settings import Settings

__all__ = ["CITIZEN_LINK_AGENCY", "Verification", "verification_router", "verification_view"]

CITIZEN_LINK_AGENCY = "citizen"
"""The ``agency`` field of a citizen's download link (an officer's names the agency)."""


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


def verification_view(row: dict, catalogue: Catalogue, region: str | None) -> dict:
    """What verification shows of an issued document (no personal data)."""
    agency = catalogue.agency(row["agency"])
    service_code = row.get("service") or ""
    service = catalogue.service(service_code)
    return {
        "code": row["_id"],
        "valid": row["state"] == "issued",
        "state": row["state"],
        "agency": {"code": row["agency"], "name": agency.name.model_dump() if agency else None},
        "service": {
            "code": service_code,
            "name": service.name.model_dump() if service else None,
        },
        "region": region,
        "issued_at": row.get("issued_at"),
        "sha256": row["sha256"],
        "content_type": row["content_type"],
        "size": row["size"],
        "revoked_at": row.get("revoked_at"),
        "revocation_reason": row.get("revocation_reason"),
    }


def _unknown(code: str | None, sha256: str | None) -> Problem:
    what_id, what_en = (
        (f"kode {code}", f"the code {code}")
        if code
        else (f"SHA-256 {sha256}", f"the SHA-256 {sha256}")
    )
    return Problem(
        404,
        "Dokumen tidak dikenal / Unknown document",
        f"Tidak ada dokumen terbit dengan {what_id}; periksa kodenya di kertas / No issued "
        f"document has {what_en}; check the code printed on the paper.",
    )


def verification_router(
    results: ResultStore, applications: Any, catalogue: Catalogue, settings: Settings
) -> APIRouter:
    router = APIRouter(tags=["verification"])

    async def lookup(code: str | None, sha256: str | None) -> dict:
        row = await results.find(code=code, sha256=sha256)
        if row is None:
            raise _unknown(code, sha256)
        application = await applications.find_one(
            {"_id": row["application_id"]}, {"service": 1, "region": 1}
        )
        row = {**row, "service": (application or {}).get("service")}
        return verification_view(row, catalogue, (application or {}).get("region"))

    @router.get(
        "/api/v1/verify/{code}",
        response_model=Verification,
        summary="Verify an issued document by its code (public)",
    )
    async def verify_code(code: Annotated[str, Path(max_length=40)]) -> dict:
        return await lookup(code, None)

    @router.get(
        "/api/v1/verify",
        response_model=Verification,
        summary="Verify a document file by its SHA-256 (public)",
    )
    async def verify_hash(
        sha256: Annotated[str, Query(pattern=r"^[0-9a-fA-F]{64}$")],
    ) -> dict:
        return await lookup(None, sha256)

    @router.get("/results/{code}", include_in_schema=False)
    async def download(
        code: str,
        application: str = Query(max_length=64),
        citizen: str = Query("", max_length=64),
        expires: int = Query(),
        signature: str = Query(max_length=128),
    ) -> StreamingResponse:
        """A citizen's own result, from the signed link intake gave them."""
        row = await results.find(code=code)
        valid = row is not None and document_links.verify(
            settings.document_link_secret,
            application,
            row["sha256"],
            CITIZEN_LINK_AGENCY,
            expires,
            signature,
            officer=citizen,
        )
        if row is None or not valid or row["application_id"] != application:
            raise Problem(
                403,
                "Tautan dokumen tidak berlaku / Document link not valid",
                "Tautan ini kedaluwarsa atau tidak sah; unduh lagi dari halaman permohonan "
                "Anda / This link has expired or is not genuine; download it again from "
                "your application's page.",
            )
        assert row is not None
        if row["state"] == "revoked":
            raise Problem(
                410,
                "Dokumen sudah dicabut / Document revoked",
                f"Instansi mencabut dokumen ini: {row.get('revocation_reason') or '-'} / The "
                "agency revoked this document; contact it for a new one.",
            )
        chunks = await results.open(row)
        return file_response(chunks, row["name"], row["content_type"], row["size"], inline=False)

    return router
