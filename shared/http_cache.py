"""Conditional GETs: a strong ``ETag`` on a JSON answer, and ``304 Not Modified`` when the
client already holds it.

Mobile apps poll "where is my application?" over metered connections; a 304 carries no
body, so an unchanged status costs a few hundred bytes instead of the whole view. The
tag is a hash of the exact bytes sent, so it changes whenever anything in the answer
does (a new status, a new timeline entry, fewer working days left) and never otherwise.
The server still reads the database to compute it: the saving is the network's, which
is the scarce part on a phone.

``Cache-Control`` says who may keep a copy: a citizen's own data is ``private,
no-cache`` (only the device, revalidated every time); public tracking is ``public,
no-cache`` (any cache may keep it, but revalidates before using it, so an app opened
from a "status changed" notice never shows the old status).
"""

import hashlib
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

__all__ = ["PRIVATE", "PUBLIC", "cached_json", "etag_of", "matches"]

PRIVATE = "private, no-cache"
PUBLIC = "public, no-cache"


def etag_of(body: bytes) -> str:
    """A strong validator: the same bytes, the same tag."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag``: ``*``, or any listed tag; compared
    weakly, as RFC 9110 §13.1.2 requires for this header (``W/`` is ignored)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    offered = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in offered


def cached_json(
    request: Request,
    content: Any,
    *,
    cache_control: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """``content`` as JSON with its ``ETag``, or a bodiless 304 when the client's
    ``If-None-Match`` already names it; ``headers`` go on both."""
    body = JSONResponse(jsonable_encoder(content)).body
    etag = etag_of(body)
    sent = {**(headers or {}), "ETag": etag, "Cache-Control": cache_control}
    if cache_control.startswith("private"):
        sent["Vary"] = "Authorization"
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=sent)
    return Response(body, media_type="application/json", headers=sent)
