"""The citizen's view of an application, from the read model ``mpp.applications.status``
keeps (:mod:`handlers`), so "where is my application?" never waits on routing; the views
add what changes with the clock (the working days left).
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from pymongo.asynchronous.collection import AsyncCollection

from services.intake.bills import BillView
from shared.calendar import NATIONAL, WorkingCalendar
from shared.events import DocumentRef, ResultDocument
from shared.privacy.personal import Personal
from shared.workflow import TERMINAL

__all__ = [
    "ApplicationView",
    "CitizenResult",
    "PublicStatus",
    "PublicStep",
    "TimelineEntry",
    "public_status",
    "view",
]


class TimelineEntry(BaseModel):
    status: str
    at: datetime
    note: str | None = None
    sequence: int
    requested_fields: list[str] = Field(default_factory=list)


class CitizenResult(ResultDocument):
    download: str = Field(description="Where the citizen downloads it (signed in).")
    verify: str = Field(description="The public verification of its code.")


class CancellationRefusal(BaseModel):
    at: datetime
    reason: str


class ApplicationView(BaseModel):
    id: str
    tracking_number: str
    service: str
    region: str
    channel: str
    status: str
    agency: str | None = None
    submitted_at: datetime
    captured_at: datetime | None = Field(
        None,
        description="When a mobile service unit took the application down offline (its "
        "SLA counts from here); null for every other channel.",
    )
    sla_due_at: datetime | None
    working_days_remaining: int | None = Field(
        None,
        description="Working days left before sla_due_at (today not counted; negative once "
        "overdue); null once the application reached a final status.",
    )
    documents: list[DocumentRef] = Field(default_factory=list)
    cancellation_requested_at: datetime | None = None
    cancellation_refused: CancellationRefusal | None = Field(
        None, description="Why the last cancellation request was refused."
    )
    applicant_fields: list[str] = Field(
        default_factory=list, description="Which of your profile fields the agency received."
    )
    applicant: dict[str, Any] | None = Field(
        None, description="What the agency received of your profile (pinned when submitted)."
    )
    results: list[CitizenResult] = Field(
        default_factory=list, description="Documents the agency issued to you."
    )
    bill: BillView | None = Field(
        None,
        description="What you owe for it: amount, how to pay it, until when, and the "
        "receipt once paid (docs/payments.md); null when the platform bills nothing.",
    )
    timeline: list[TimelineEntry]


async def with_applicant_opened(document: dict[str, Any], personal: Personal) -> dict[str, Any]:
    """The application with its sealed applicant snapshot (None once erased) and the
    personal answers of its form opened for its citizen."""
    owner = document.get("citizen_id") or ""
    applicant = await personal.open(document.get("applicant"), owner)
    opened = {**document, "applicant": applicant if isinstance(applicant, dict) else None}
    if isinstance(document.get("form"), dict):
        opened["form"] = await personal.open_all(document["form"], owner)
    return opened


def view(
    document: dict[str, Any],
    now: datetime,
    verify_base: str = "",
    calendar: WorkingCalendar = NATIONAL,
) -> ApplicationView:
    """The citizen's view of an application whose applicant was opened
    (:func:`with_applicant_opened`); the working days left are counted in ``calendar``,
    its region's (``Catalogue.calendar_for``)."""
    due = document.get("sla_due_at")
    running = due is not None and document["status"] not in TERMINAL
    results = [
        {
            **result,
            "download": f"/api/v1/applications/{document['_id']}/results/{result['code']}",
            "verify": f"{verify_base}/verify/{result['code']}",
        }
        for result in document.get("results") or []
    ]
    applicant = document.get("applicant") or {}
    return ApplicationView(
        id=document["_id"],
        working_days_remaining=calendar.working_days_remaining(now, due) if running else None,
        results=results,
        applicant_fields=document.get("applicant_fields")
        or [k for k, v in applicant.items() if v is not None],
        **{
            k: document.get(k)
            for k in ApplicationView.model_fields
            if k not in ("id", "working_days_remaining", "results", "applicant_fields")
        },
    )


class PublicStep(BaseModel):
    status: str
    at: datetime


class PublicStatus(BaseModel):
    """What anyone holding the tracking number may see: nothing personal (no names, no
    agency notes, no form data, no documents)."""

    tracking_number: str
    service: str
    region: str
    status: str
    sla_due_at: datetime | None = None
    timeline: list[PublicStep]


async def public_status(applications: AsyncCollection, number: str) -> PublicStatus | None:
    """The public view of the application with this tracking number (case and spaces
    around it ignored); None when there is none. The portal's track page shows the same."""
    wanted = number.strip().upper()
    document = await applications.find_one(
        {"tracking_number": wanted},
        {"service": 1, "region": 1, "status": 1, "timeline": 1, "sla_due_at": 1},
    )
    if document is None:
        return None
    return PublicStatus.model_validate({**document, "tracking_number": wanted})
