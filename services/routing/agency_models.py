"""What the agency API takes and answers: the request and response bodies of
:mod:`services.routing.agency_api`, and who is calling (:class:`Caller`)."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from services.routing.workflow import STATUSES
from shared.privacy.plain_input import PlainInput

__all__ = [
    "ApplicationDetail",
    "ApplicationPage",
    "ApplicationView",
    "Caller",
    "RevokeRequest",
    "Status",
    "TransitionRequest",
    "UploadedResult",
]

Status = Literal[STATUSES]  # type: ignore[valid-type]


class Caller(BaseModel):
    """Who calls: an agency's system (``key_id``) or one of its staff (``staff``)."""

    agency: str
    key_id: str | None = None
    staff: str | None = Field(None, description="The staff member's username.")

    @property
    def actor_id(self) -> str:
        """How records name the caller: ``<agency>/<username>`` or ``<agency>/key:<id>``."""
        return f"{self.agency}/{self.staff or 'key:' + str(self.key_id)}"


class TransitionRequest(PlainInput):
    to: Status = Field(description="The next status.")
    note: str | None = Field(None, max_length=2000, description="Shown to the citizen.")
    requested_fields: list[str] = Field(
        default_factory=list, max_length=50, description="With needs_info: what is missing."
    )
    results: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(
        default_factory=list,
        max_length=10,
        description="With approved or completed: sha256 of result documents uploaded first "
        "(POST /applications/{id}/results); they are issued with this change.",
    )


class RevokeRequest(PlainInput):
    reason: str = Field(min_length=3, max_length=500, description="Why, shown on verification.")


class UploadedResult(BaseModel):
    code: str = Field(description="Verification code; verifies once the document is issued.")
    sha256: str
    name: str
    content_type: str
    size: int
    state: Literal["draft", "issued", "revoked"]


class ApplicationView(BaseModel):
    id: str
    tracking_number: str
    service: str
    region: str
    agency: str
    status: str
    sequence: int
    allowed_next: list[str]
    sla_due_at: Any = None
    working_days_left: int | None = None
    overdue: bool = False
    delivery_state: str | None = None
    submitted_at: Any = None
    updated_at: Any = None


class ApplicationDetail(ApplicationView):
    form: dict[str, Any] = Field(default_factory=dict)
    documents: list[dict[str, Any]] = Field(default_factory=list)
    applicant: dict[str, Any] | None = Field(
        None, description="Who applied: only the fields the service declares."
    )
    applicant_erased: bool = Field(
        False,
        description="The citizen erased their account: their personal data can no longer be "
        "read (docs/privacy.md).",
    )
    requested_fields: list[str] = Field(default_factory=list)
    responses: list[dict[str, Any]] = Field(
        default_factory=list, description="The citizen's answers to needs_info, oldest first."
    )
    cancellation: dict[str, Any] | None = None
    results: list[dict[str, Any]] = Field(default_factory=list, description="Issued results.")


class ApplicationPage(BaseModel):
    items: list[ApplicationView]
    page: int
    page_size: int
    next_page: int | None
