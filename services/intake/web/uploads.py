"""Large documents from the portal's pages, in pieces: the page's script sends a file to
``/portal/uploads`` a piece at a time (showing its progress), and the form then carries
the upload's id instead of the file. These routes pass each request on to the tus API as
the signed-in citizen, since the HttpOnly session cookie is out of the script's reach;
the script proves it runs on the page with the form's CSRF token. Without JavaScript the
form posts its files as before.
"""

import base64
import re

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.intake.uploads_api import OFFSET_STREAM, TUS_VERSION
from services.intake.web.deps import IntakeApi, PageDep
from shared.web import CSRF_COOKIE

__all__ = ["PIECE_BYTES", "uploads_router"]

PIECE_BYTES = 2 * 1_048_576
"""How much the page's script sends in one request (progress moves in these steps)."""
_KIND = re.compile(r"[a-z0-9_]{1,40}")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,7}")
_PASSED_ON = ("upload-offset", "upload-length", "upload-expires", "tus-resumable")

uploads_router = APIRouter(include_in_schema=False)


def _token_matches(request: Request) -> bool:
    sent = request.headers.get("x-csrf-token", "")
    expected = request.cookies.get(CSRF_COOKIE, "")
    return bool(expected) and sent == expected


def _answer(answer: httpx.Response, **headers: str) -> Response:
    kept = {k: v for k, v in answer.headers.items() if k.lower() in _PASSED_ON}
    return Response(status_code=answer.status_code, headers={**kept, **headers})


@uploads_router.post("/portal/uploads")
async def start_upload(
    page: PageDep, client: IntakeApi, kind: str = "", suffix: str = ""
) -> Response:
    """A new upload of ``Upload-Length`` bytes, named by the document's kind (a file
    name often carries a person's name)."""
    request = page.request
    if not page.signed_in:
        return Response(status_code=401)
    if not _token_matches(request) or not _KIND.fullmatch(kind):
        return Response(status_code=403)
    suffix = suffix.lower() if _SUFFIX.fullmatch(suffix.lower()) else ""
    name = base64.b64encode(f"{kind}{suffix}".encode()).decode()
    answer = await client.post(
        "/api/v1/uploads",
        headers={
            "Tus-Resumable": TUS_VERSION,
            "Upload-Length": request.headers.get("upload-length", ""),
            "Upload-Metadata": f"filename {name}",
        },
    )
    if answer.status_code != 201:
        return _answer(answer)
    upload = answer.headers["location"].rsplit("/", 1)[-1]
    return _answer(answer, Location=f"{request.scope.get('root_path', '')}/portal/uploads/{upload}")


@uploads_router.patch("/portal/uploads/{upload}")
async def send_piece(page: PageDep, client: IntakeApi, upload: str) -> Response:
    """The next piece, from ``Upload-Offset``."""
    request = page.request
    if not _token_matches(request):
        return Response(status_code=403)
    answer = await client.patch(
        f"/api/v1/uploads/{upload}",
        content=await request.body(),
        headers={
            "Tus-Resumable": TUS_VERSION,
            "Upload-Offset": request.headers.get("upload-offset", ""),
            "Content-Type": OFFSET_STREAM,
        },
    )
    return _answer(answer)


@uploads_router.head("/portal/uploads/{upload}")
async def piece_offset(page: PageDep, client: IntakeApi, upload: str) -> Response:
    """How far an upload got, to go on after a dropped connection."""
    if not _token_matches(page.request):
        return Response(status_code=403)
    answer = await client.head(f"/api/v1/uploads/{upload}", headers={"Tus-Resumable": TUS_VERSION})
    return _answer(answer)
