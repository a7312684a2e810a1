"""``POST /documents/{sha256}``: a document opened from an officer's signed form.

Reached by a browser (the workbench's form, posted into a new tab), so not part of the
API's schema; its credential is the signature in the form's body, never in the URL,
where history and logs would keep it. The old ``GET`` answers 410 and opens nothing.
"""

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import StreamingResponse

from services.intake.deps import AccessDep, ApplicationsDep, DocumentsDep, SettingsDep
from services.intake.documents import OpenLinkedDocument, open_linked_document
from shared.files import file_response
from shared.problems import Problem

__all__ = ["document_links_router"]

document_links_router = APIRouter(include_in_schema=False)


@document_links_router.post(
    "/documents/{sha256}",
    summary="Open a document from an officer's signed form",
    response_class=StreamingResponse,
    responses={
        403: {"description": "Invalid or expired signature"},
        404: {"description": "Not one of that application's documents"},
    },
)
async def open_document(
    sha256: str,
    documents: DocumentsDep,
    applications: ApplicationsDep,
    access: AccessDep,
    settings: SettingsDep,
    application: Annotated[str, Form(max_length=64)],
    agency: Annotated[str, Form(max_length=100)],
    expires: Annotated[int, Form()],
    signature: Annotated[str, Form(max_length=128)],
    officer: Annotated[str, Form(max_length=120)] = "",
) -> StreamingResponse:
    command = OpenLinkedDocument(application, sha256, agency, officer, expires, signature)
    opened = await open_linked_document(
        command,
        secret=settings.document_link_secret,
        documents=documents,
        applications=applications,
        access=access,
    )
    return file_response(opened.chunks, opened.name, opened.content_type, opened.size, inline=True)


@document_links_router.get("/documents/{sha256}", status_code=410)
async def document_by_url(sha256: str) -> None:
    """A document's address alone, or an old link with its signature in the query:
    nothing is read from it, and nothing opens."""
    raise Problem(
        410,
        "Tautan dokumen tidak berlaku / Document link not valid",
        "Dokumen dibuka dari tombolnya di meja kerja, bukan dari alamat URL; buka lagi "
        "permohonan di meja kerja / A document opens from its button in the workbench, "
        "never from a URL; open the application in the workbench again.",
    )
