"""The event contract: one envelope, typed data, one canonical encoding.

Every message on the backbone is an :class:`Event` — an envelope (id, type, source, time,
subject, region, correlation and causation ids, schema version) whose ``type`` selects
the shape of ``data``. Events are facts, named in the past tense.

Readers are tolerant: unknown fields are ignored, so a producer may add fields without
breaking older consumers. A new *type* is a new class in :data:`Event`.

:func:`encode` is the one canonical JSON encoding (sorted keys, no whitespace, UTC
times with a ``Z``); the audit hash chain hashes exactly these bytes.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
)

from shared.ids import uuid7

__all__ = [
    "AgencyStatusReported",
    "ApplicationDispatched",
    "ApplicationSubmitted",
    "DataAccessed",
    "DeadLettered",
    "Event",
    "InvalidEvent",
    "NotificationStatusChanged",
    "StatusChanged",
    "UtcDatetime",
    "decode",
    "encode",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("time must carry a timezone")
    return value.astimezone(UTC)


def _format_utc(value: datetime) -> str:
    # Converted here as well as on input: model_copy and construct skip validation.
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


UtcDatetime = Annotated[
    datetime, AfterValidator(_to_utc), PlainSerializer(_format_utc, when_used="json")
]
"""A timezone-aware time, normalised to UTC, written as ``2026-11-23T09:00:00.000000Z``."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Envelope(_Model):
    id: str = Field(default_factory=uuid7, description="UUIDv7 of this event.")
    source: str = Field(description="Service or system that emitted the event.")
    time: UtcDatetime = Field(default_factory=utcnow)
    subject: str = Field(description="Application id the event is about.")
    region: str | None = Field(None, description="Kemendagri region code.")
    correlation_id: str = Field(description="Id shared by every event of one request.")
    causation_id: str | None = Field(None, description="Id of the event that caused this.")
    schema_version: int = 1


# --- data shapes ------------------------------------------------------------------


class DocumentRef(_Model):
    sha256: str
    name: str
    content_type: str
    size: int


class SubmittedData(_Model):
    application_id: str
    tracking_number: str
    service: str
    region: str
    channel: Literal["web", "mobile", "counter", "kiosk"]
    citizen_id: str | None = None
    form: dict[str, Any] = Field(default_factory=dict)
    form_version: int = 1
    documents: list[DocumentRef] = Field(default_factory=list)
    submitted_at: UtcDatetime
    sla_due_at: UtcDatetime | None = None


class DispatchedData(_Model):
    application_id: str
    tracking_number: str
    service: str
    region: str
    agency: str
    form: dict[str, Any] = Field(default_factory=dict)
    documents: list[DocumentRef] = Field(default_factory=list)
    sla_due_at: UtcDatetime | None = None
    rule_version: int = 1
    workflow_version: int = 1


class AgencyReportData(_Model):
    application_id: str
    agency: str
    status: str
    note: str | None = None
    requested_fields: list[str] = Field(default_factory=list)


class StatusChangedData(_Model):
    application_id: str
    tracking_number: str
    service: str
    region: str
    agency: str | None = None
    citizen_id: str | None = None
    from_status: str | None = None
    to_status: str
    sequence: int = Field(ge=1, description="Per-application, gap-free, starting at 1.")
    actor: Literal["system", "agency", "citizen"]
    note: str | None = None
    requested_fields: list[str] = Field(default_factory=list)
    sla_due_at: UtcDatetime | None = None


class NotificationData(_Model):
    notification_id: str
    application_id: str
    citizen_id: str | None = None
    channel: Literal["in_app", "email", "sms", "whatsapp"]
    status: Literal[
        "created",
        "sending",
        "delivered",
        "temporary-failure",
        "permanent-failure",
        "technical-failure",
    ]
    status_sequence: int
    template: str
    template_version: int


class DeadLetterData(_Model):
    topic: str
    partition: int
    offset: int
    consumer_group: str
    reason: str
    attempts: int
    payload: str = Field(description="The original message, decoded as UTF-8 with replacement.")


class AccessData(_Model):
    application_id: str
    actor_kind: Literal["officer", "auditor", "citizen", "system"]
    actor_id: str
    agency: str | None = None
    purpose: str


# --- the events --------------------------------------------------------------------


class ApplicationSubmitted(_Envelope):
    """A citizen's application was accepted by intake."""

    type: Literal["application.submitted"] = "application.submitted"
    data: SubmittedData


class ApplicationDispatched(_Envelope):
    """Routing handed an application to its agency (the agency inbox contract)."""

    type: Literal["application.dispatched"] = "application.dispatched"
    data: DispatchedData


class AgencyStatusReported(_Envelope):
    """An agency's system reported a new status for one of its applications."""

    type: Literal["agency.status_reported"] = "agency.status_reported"
    data: AgencyReportData


class StatusChanged(_Envelope):
    """The workflow moved an application to a new status."""

    type: Literal["application.status_changed"] = "application.status_changed"
    data: StatusChangedData


class NotificationStatusChanged(_Envelope):
    """A notice to a citizen reached a delivery status."""

    type: Literal["notification.status_changed"] = "notification.status_changed"
    data: NotificationData


class DeadLettered(_Envelope):
    """A message could not be processed and was set aside with the reason."""

    type: Literal["message.dead_lettered"] = "message.dead_lettered"
    data: DeadLetterData


class DataAccessed(_Envelope):
    """Someone read an application's data (citizens see who, and why)."""

    type: Literal["application.accessed"] = "application.accessed"
    data: AccessData


Event = Annotated[
    ApplicationSubmitted
    | ApplicationDispatched
    | AgencyStatusReported
    | StatusChanged
    | NotificationStatusChanged
    | DeadLettered
    | DataAccessed,
    Field(discriminator="type"),
]

_EVENT = TypeAdapter(Event)


class InvalidEvent(ValueError):
    """A message that is not a valid event; ``reason`` says why, for the dead-letter."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def encode(event: _Envelope) -> bytes:
    """The canonical JSON of an event: sorted keys, no whitespace, UTC times."""
    return orjson.dumps(event.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)


def decode(raw: bytes | str) -> Event:
    """Parse and validate one message; raises :class:`InvalidEvent` with a reason."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidEvent("not a JSON object")
    try:
        return _EVENT.validate_python(document)
    except ValidationError as exc:
        raise InvalidEvent(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(part) for part in error["loc"]) or "(event)"
        problems.append(f"{where}: {error['msg']}")
    return "invalid event: " + "; ".join(problems)
