"""``GET /documents/{sha256}``: a document opened from an officer's signed link.

Like the web pages, it is reached by a browser following a link, so it is not part of
the API's schema; its credential is the link's signature, not a bearer token. The route
builds the command and streams what
:func:`services.intake.document_access.open_linked_document` hands back.
"""

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from services.intake.deps import AccessDep, ApplicationsDep, DocumentsDep, SettingsDep
from services.intake.document_access import OpenLinkedDocument, open_linked_document
from shared.files import file_response

__all__ = ["document_links_router"]

document_links_router = APIRouter(include_in_schema=False)


@document_links_router.get(
    "/documents/{sha256}",
    summary="Open a document from an officer's signed link",
    response_class=StreamingResponse,
    responses={
        403: {"description": "Invalid or expired link"},
        404: {"description": "Not one of that application's documents"},
    },
)
async def open_document(
    sha256: str,
    documents: DocumentsDep,
    applications: ApplicationsDep,
    access: AccessDep,
    settings: SettingsDep,
    application: str = Query(max_length=64),
    agency: str = Query(max_length=100),
    expires: int = Query(),
    signature: str = Query(max_length=128),
    officer: str = Query("", max_length=120),
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
