"""What verification does, one plain function per request, reached without HTTP.

The routes of :mod:`services.routing.verification` build a query and hand it here with
the result documents and routing's applications, so a unit test can hand fakes. A
refusal is a :class:`~shared.problems.Problem` (problem+json, Bahasa Indonesia first).
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from services.routing.applications import ApplicationRepository
from services.routing.results import ResultStore
from shared import document_links
from shared.catalogue import Catalogue
from shared.problems import Problem

__all__ = [
    "CITIZEN_LINK_AGENCY",
    "CitizenDownload",
    "OpenedResult",
    "VerifyDocument",
    "open_citizen_result",
    "verification_view",
    "verify_document",
]

CITIZEN_LINK_AGENCY = "citizen"
"""The ``agency`` a citizen's download signature names (an officer's names the agency)."""


@dataclass(frozen=True)
class VerifyDocument:
    """A document named by its printed code, or by its file's SHA-256."""

    code: str | None
    sha256: str | None


@dataclass(frozen=True)
class CitizenDownload:
    """The signed fields intake posts for a citizen's own result."""

    code: str
    application: str
    citizen: str
    expires: int
    signature: str


@dataclass(frozen=True)
class OpenedResult:
    """A result document's stored row and its bytes, as they are read."""

    row: dict[str, Any]
    chunks: AsyncIterator[bytes]


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


async def verify_document(
    query: VerifyDocument,
    results: ResultStore,
    applications: ApplicationRepository,
    catalogue: Catalogue,
) -> dict:
    """Who issued the document, for which service, when, and whether it stands (404 for
    one never issued)."""
    row = await results.find(code=query.code, sha256=query.sha256)
    if row is None:
        raise _unknown(query.code, query.sha256)
    application = await applications.service_and_region(row["application_id"])
    row = {**row, "service": application.get("service")}
    return verification_view(row, catalogue, application.get("region"))


async def open_citizen_result(
    command: CitizenDownload, results: ResultStore, link_secret: SecretStr
) -> OpenedResult:
    """The citizen's own result, when the link is genuine, unexpired and names it (403
    otherwise; 410 once it is revoked)."""
    row = await results.find(code=command.code)
    valid = row is not None and document_links.verify(
        link_secret,
        command.application,
        row["sha256"],
        CITIZEN_LINK_AGENCY,
        command.expires,
        command.signature,
        officer=command.citizen,
    )
    if row is None or not valid or row["application_id"] != command.application:
        raise Problem(
            403,
            "Tautan dokumen tidak berlaku / Document link not valid",
            "Tautan ini kedaluwarsa atau tidak sah; unduh lagi dari halaman permohonan "
            "Anda / This link has expired or is not genuine; download it again from "
            "your application's page.",
        )
    if row["state"] == "revoked":
        raise Problem(
            410,
            "Dokumen sudah dicabut / Document revoked",
            f"Instansi mencabut dokumen ini: {row.get('revocation_reason') or '-'} / The "
            "agency revoked this document; contact it for a new one.",
        )
    chunks = await results.open(row)
    if chunks is None:
        raise Problem(
            410,
            "Data sudah dihapus / Data erased",
            "Pemilik dokumen ini telah menghapus akunnya; dokumen tidak dapat dibuka lagi / "
            "The owner of this document erased their account; it can no longer be opened.",
        )
    return OpenedResult(row, chunks)


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
