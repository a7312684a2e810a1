"""Intake's HTTP API: thin translators between HTTP and :mod:`submissions`."""

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.intake.submissions import SubmissionRequest, accept_submission
from shared.ids import uuid7
from shared.problems import Problem
from shared.runtime import Runtime

__all__ = ["applications_router"]


class SubmitApplication(BaseModel):
    """What a client may send. Server-owned fields (status, ids, times) are refused."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=64, examples=["ktp-el"])
    region: str = Field(pattern=r"^[0-9]{4}$", examples=["3576"])
    data: dict[str, Any] = Field(default_factory=dict, examples=[{"reason": "baru"}])
    channel: Literal["web", "mobile", "counter", "kiosk"] = "web"
    citizen_id: str | None = Field(None, max_length=64)


class AcceptedApplication(BaseModel):
    id: str
    tracking_number: str
    status: str
    sla_due_at: datetime


class TimelineEntry(BaseModel):
    status: str
    at: datetime
    note: str | None = None
    sequence: int


class ApplicationView(BaseModel):
    id: str
    tracking_number: str
    service: str
    region: str
    channel: str
    status: str
    agency: str | None = None
    submitted_at: datetime
    sla_due_at: datetime | None
    timeline: list[TimelineEntry]


def applications_router(runtime: Runtime, outbox: Any) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["applications"])
    applications = runtime.db["applications"]

    @router.post(
        "/applications",
        status_code=202,
        response_model=AcceptedApplication,
        summary="Submit an application",
    )
    async def submit(
        body: SubmitApplication,
        request: Request,
        response: Response,
        x_correlation_id: str | None = Header(None, max_length=64),
    ) -> AcceptedApplication:
        accepted = await accept_submission(
            request=SubmissionRequest(
                service=body.service,
                region=body.region,
                data=body.data,
                channel=body.channel,
                citizen_id=body.citizen_id,
                correlation_id=x_correlation_id or uuid7(),
            ),
            catalogue=runtime.catalogue,
            mongo=runtime.mongo,
            db=runtime.db,
            outbox=outbox,
            topics=runtime.topics,
        )
        response.headers["Location"] = str(request.url_for("get_application", id=accepted.id))
        return AcceptedApplication(**accepted.__dict__)

    @router.get(
        "/applications/{id}",
        response_model=ApplicationView,
        summary="Status and timeline of one application",
    )
    async def get_application(id: str) -> ApplicationView:
        document = await applications.find_one({"_id": id})
        if document is None:
            raise Problem(404, "Tidak ditemukan / Not found", f"No application with id {id}.")
        return ApplicationView(
            id=document["_id"],
            **{k: document.get(k) for k in ApplicationView.model_fields if k != "id"},
        )

    return router
