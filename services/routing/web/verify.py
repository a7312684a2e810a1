"""The public verification page: anyone holding a result document types its code (or
opens the link printed on it) and sees who issued it, for which service, when, its
hash, and whether it still stands — never who it was issued to.

The page calls routing's own public API in process (``GET /api/v1/verify/{code}``, or
``?sha256=`` when a file's hash is typed), like every other page; the templates and the
catalogue come from :mod:`services.routing.deps`.
"""

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.routing.deps import RoutingCatalogue, RoutingPages
from shared.web import Pages, local_api

__all__ = ["verification_pages"]

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")

verification_pages = APIRouter(include_in_schema=False)


def _render(pages: Pages, request: Request, code: int = 200, **context: Any) -> Response:
    return pages.render(request, "verify.html", code, signed_in=False, **context)


@verification_pages.get("/verify")
async def verify_form(request: Request, pages: RoutingPages, code: str | None = None) -> Response:
    """The form; a typed code goes to its own page (a link one can share)."""
    typed = (code or "").strip()
    if typed:
        return pages.redirect(request, f"/verify/{quote(typed[:80], safe='')}")
    return _render(pages, request, typed="", found=None)


@verification_pages.get("/verify/{code}")
async def verify(
    request: Request, code: str, pages: RoutingPages, catalogue: RoutingCatalogue
) -> Response:
    typed = code.strip()[:80]
    async with local_api(request) as client:
        if _SHA256.match(typed):
            answer = await client.get("/api/v1/verify", params={"sha256": typed})
        else:
            answer = await client.get(f"/api/v1/verify/{quote(typed, safe='')}")
    if answer.status_code != 200:
        return _render(pages, request, 404, typed=typed, found=None, unknown=True)
    found = answer.json()
    region = catalogue.region(found["region"]) if found.get("region") else None
    return _render(
        pages,
        request,
        typed=typed,
        found=found,
        region_name=region.name if region is not None else None,
        issued_at=_parsed(found.get("issued_at")),
        revoked_at=_parsed(found.get("revoked_at")),
    )


def _parsed(value: Any) -> datetime | None:
    """An API time; the page writes its day in the zone of the document's region (the
    date printed on the paper)."""
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
