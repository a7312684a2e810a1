"""Public tracking: an application's status by its tracking number, the JSON twin of the
portal's ``/portal/track`` (the same lookup, nothing personal). A strong ``ETag``,
revalidated every time, lets an app poll an unchanged status for a bodiless 304; the
per-IP rate limit keeps anyone from sweeping tracking numbers quickly.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from services.intake.deps import ApplicationsDep
from services.intake.tracking import PublicStatus, public_status
from shared.http_cache import PUBLIC, cached_json
from shared.problems import Problem

__all__ = ["tracking_router"]

TrackingNumber = Annotated[str, Path(min_length=1, max_length=64)]


tracking_router = APIRouter(prefix="/api/v1", tags=["tracking"])


@tracking_router.get(
    "/track/{tracking_number}",
    response_model=PublicStatus,
    summary="Track an application by its tracking number (public)",
    description="Status, service, region, due date and the times of each status; "
    "nothing personal. Send the last `ETag` in `If-None-Match`: an unchanged status "
    "answers 304 with no body.",
    responses={304: {"description": "Not modified since the ETag sent"}},
)
async def track_application(
    tracking_number: TrackingNumber, request: Request, applications: ApplicationsDep
) -> Response:
    found = await public_status(applications.collection, tracking_number)
    if found is None:
        raise Problem(
            404,
            "Nomor pelacakan tidak ditemukan / Tracking number not found",
            "Periksa kembali nomornya / Check the number and try again.",
        )
    return cached_json(request, found.model_dump(mode="json"), cache_control=PUBLIC)
