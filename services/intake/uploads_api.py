"""``/api/v1/uploads``: resumable document uploads over tus 1.0 (core, with the
creation, expiration and termination extensions), so any tus client works; the requests
and answers are in docs/intake.md. An upload is its creator's only (anyone else gets
404); errors are problem documents carrying ``Tus-Resumable``.
"""

import base64
import binascii
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, Field

from services.intake.deps import Principal, UploadsDep
from services.intake.refusals import problem_for
from services.intake.uploads import Upload, UploadStore
from shared.auth import CitizenPrincipal
from shared.errors import Rejected
from shared.events import DocumentRef
from shared.problems import Problem

__all__ = ["TUS_VERSION", "uploads_router"]

TUS_VERSION = "1.0.0"
OFFSET_STREAM = "application/offset+octet-stream"
_EXTENSIONS = "creation,expiration,termination"
_DIGITS = re.compile(r"[0-9]{1,15}")  # ASCII digits only: int() also reads other scripts


class UploadView(BaseModel):
    id: str
    length: int = Field(description="Bytes in the whole document.")
    offset: int = Field(description="Bytes received so far.")
    expires_at: datetime = Field(description="Deleted then unless more bytes arrive.")
    document: DocumentRef | None = Field(
        None,
        description="The document it became once complete: send its sha256 with the "
        "application, as for POST /api/v1/documents.",
    )


def _tus_problem(status: int, title: str, detail: str) -> Problem:
    return Problem(status, title, detail, headers={"Tus-Resumable": TUS_VERSION})


def _tus(problem: Problem) -> Problem:
    """``problem`` carrying ``Tus-Resumable``, as every answer of the protocol does."""
    problem.headers = {**(problem.headers or {}), "Tus-Resumable": TUS_VERSION}
    return problem


def _filename(metadata: str | None) -> str | None:
    """``filename`` from ``Upload-Metadata`` (comma-separated ``key base64value``)."""
    for pair in (metadata or "").split(","):
        key, _, value = pair.strip().partition(" ")
        if key in ("filename", "name") and value:
            try:
                return base64.b64decode(value, validate=True).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                raise _tus_problem(
                    400,
                    "Upload-Metadata tidak valid / Invalid Upload-Metadata",
                    "Each value in Upload-Metadata is base64.",
                ) from None
    return None


def _headers(upload: Upload) -> dict[str, str]:
    return {
        "Tus-Resumable": TUS_VERSION,
        "Upload-Offset": str(upload.offset),
        "Upload-Length": str(upload.length),
        "Upload-Expires": format_datetime(upload.expires_at.astimezone(UTC), usegmt=True),
        "Cache-Control": "no-store",
    }


uploads_router = APIRouter(prefix="/api/v1/uploads", tags=["documents"])


async def _tus_citizen(
    caller: Principal,
    tus_resumable: Annotated[str | None, Header()] = None,
) -> CitizenPrincipal:
    if tus_resumable != TUS_VERSION:
        raise Problem(
            412,
            "Versi tus tidak didukung / Unsupported tus version",
            f"Send Tus-Resumable: {TUS_VERSION}.",
            headers={"Tus-Resumable": TUS_VERSION, "Tus-Version": TUS_VERSION},
        )
    if not caller.is_citizen:
        raise _tus_problem(403, "Khusus warga / Citizens only", "Citizens upload their documents.")
    return caller


Citizen = Annotated[CitizenPrincipal, Depends(_tus_citizen)]


async def _own(store: UploadStore, id: str, caller: CitizenPrincipal) -> Upload:
    found = await store.find(caller.subject, id)
    if found is None:
        raise _tus_problem(
            404,
            "Unggahan tidak ditemukan / Upload not found",
            "Tidak ada unggahan Anda dengan id ini (mungkin kedaluwarsa) / You have no "
            "upload with this id (it may have expired): start a new one.",
        )
    return found


@uploads_router.options("", status_code=204, summary="What this tus server supports")
async def capabilities(store: UploadsDep) -> Response:
    return Response(
        status_code=204,
        headers={
            "Tus-Resumable": TUS_VERSION,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": _EXTENSIONS,
            "Tus-Max-Size": str(store.limit),
        },
    )


@uploads_router.post(
    "",
    status_code=201,
    summary="Start a resumable upload (tus creation)",
    responses={201: {"description": "Created; Location is the upload's address"}, 413: {}},
)
async def create_upload(
    request: Request,
    caller: Citizen,
    store: UploadsDep,
    upload_length: Annotated[str | None, Header()] = None,
    upload_metadata: Annotated[str | None, Header(max_length=2000)] = None,
) -> Response:
    if not _DIGITS.fullmatch(upload_length or "") or int(upload_length or 0) < 1:
        raise _tus_problem(
            400,
            "Upload-Length wajib / Upload-Length required",
            "Send the document's size in bytes in Upload-Length (deferred lengths are "
            "not supported).",
        )
    upload = await store.create(caller.subject, int(upload_length), _filename(upload_metadata))
    location = f"{str(request.base_url).rstrip('/')}/api/v1/uploads/{upload.id}"
    return Response(status_code=201, headers={**_headers(upload), "Location": location})


@uploads_router.head("/{id}", summary="How far an upload got (Upload-Offset)")
async def upload_offset(id: str, caller: Citizen, store: UploadsDep) -> Response:
    return Response(status_code=200, headers=_headers(await _own(store, id, caller)))


@uploads_router.patch(
    "/{id}",
    status_code=204,
    summary="Append bytes from Upload-Offset",
    responses={409: {}, 413: {}, 415: {}},
)
async def append(
    id: str,
    request: Request,
    caller: Citizen,
    store: UploadsDep,
    upload_offset: Annotated[str | None, Header()] = None,
    content_type: Annotated[str | None, Header()] = None,
) -> Response:
    if (content_type or "").split(";")[0].strip() != OFFSET_STREAM:
        raise _tus_problem(
            415,
            "Content-Type salah / Wrong Content-Type",
            f"A PATCH carries Content-Type: {OFFSET_STREAM}.",
        )
    if upload_offset is None or not _DIGITS.fullmatch(upload_offset):
        raise _tus_problem(
            400, "Upload-Offset wajib / Upload-Offset required", "Send Upload-Offset."
        )
    upload = await _own(store, id, caller)
    try:
        upload = await store.append(upload, int(upload_offset), request.stream())
    except Rejected as refusal:
        raise _tus(problem_for(refusal)) from refusal
    except Problem as problem:  # the document's own checks (its size and type)
        raise _tus(problem) from None
    return Response(status_code=204, headers=_headers(upload))


@uploads_router.delete("/{id}", status_code=204, summary="Abandon an upload (tus termination)")
async def abandon(id: str, caller: Citizen, store: UploadsDep) -> Response:
    await store.delete(await _own(store, id, caller))
    return Response(status_code=204, headers={"Tus-Resumable": TUS_VERSION})


@uploads_router.get(
    "/{id}",
    response_model=UploadView,
    summary="An upload's progress, and the document it became",
)
async def upload_status(id: str, caller: Principal, store: UploadsDep) -> UploadView:
    if not caller.is_citizen:
        raise Problem(403, "Khusus warga / Citizens only", "Citizens upload their documents.")
    upload = await _own(store, id, caller)
    return UploadView(
        id=upload.id,
        length=upload.length,
        offset=upload.offset,
        expires_at=upload.expires_at,
        document=upload.document,
    )
