"""The JSON bodies of intake's applications API: what a client may send, and the
answers. Server-owned fields (status, ids, times) are never taken from a client."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.privacy.plain_input import PlainInput
from shared.profile import ProfileUpdate

__all__ = [
    "AcceptedApplication",
    "ActionAccepted",
    "CancelRequest",
    "FormData",
    "InformationResponse",
    "SubmitApplication",
]

MAX_FORM_DEPTH = 16
INT64 = range(-(2**63), 2**63)


def _storable(value: Any, depth: int = 0) -> Any:
    """Refuse what JSON allows but a stored document cannot hold: integers beyond 64 bits
    (BSON's widest) and nesting deeper than any form needs (canonical encoding stops at
    a few hundred levels). Checked before anything else, so the answer is a 422."""
    if depth > MAX_FORM_DEPTH:
        raise ValueError(
            f"isian bertingkat terlalu dalam / nested deeper than {MAX_FORM_DEPTH} levels"
        )
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value not in INT64:
        raise ValueError("angka terlalu besar / number too large (at most 64-bit integers)")
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        for child in children:
            _storable(child, depth + 1)
    return value


FormData = Annotated[dict[str, Any], AfterValidator(_storable)]


class SubmitApplication(PlainInput):
    """What a client may send. Server-owned fields (status, ids, times) are refused."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=64, examples=["ktp-el"])
    region: str = Field(pattern=r"^[0-9]{4}$", examples=["3576"])
    data: FormData = Field(default_factory=dict, examples=[{"reason": "baru"}])
    channel: Literal["web", "mobile", "counter", "kiosk"] = "web"
    documents: list[str] = Field(
        default_factory=list, max_length=20, description="sha256 of documents uploaded first."
    )
    citizen_nik: str | None = Field(
        None,
        pattern=r"^[0-9]{16}$",
        description="Counter operators only: the NIK of the citizen served (kiosks send the "
        "signed-in citizen's token in X-Citizen-Token instead).",
    )
    applicant: ProfileUpdate | None = Field(
        None,
        description="Profile fields the service needs that the profile lacks: saved to the "
        "profile for next time, then shared with the agency like the rest (see "
        "applicant_fields in GET /api/v1/services/{code}).",
    )


class AcceptedApplication(BaseModel):
    id: str
    tracking_number: str
    status: str
    sla_due_at: datetime


class CancelRequest(PlainInput):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=500)


class InformationResponse(PlainInput):
    model_config = ConfigDict(extra="forbid")

    data: FormData = Field(default_factory=dict, description="Corrected or added fields.")
    documents: list[str] = Field(default_factory=list, max_length=20)
    note: str | None = Field(None, max_length=1000)


class ActionAccepted(BaseModel):
    id: str
    status: str
    detail: str
