"""The event contract: one envelope, typed data, one canonical encoding.

Every message on the backbone is an :class:`Event` — an envelope (id, type, source, time,
subject, region, correlation and causation ids, schema version) whose ``type`` selects
the shape of ``data``. Events are facts, named in the past tense.

On the wire every event is a CloudEvent 1.0 in structured mode (the Kafka and HTTP
bindings): a JSON object with ``specversion``, ``id``, ``source``, ``type``, ``time``,
``subject``, ``datacontenttype`` and ``data``, and the extension attributes
``region``, ``correlationid``, ``causationid`` and ``schemaversion``. The Python names
stay what the services use (``event.correlation_id``, ``event.source == "intake"``):
:func:`encode` writes the CloudEvents names and the ``source`` as a URI-reference
(``intake`` → ``/mpp/intake``, ``agency:dinkes-3576`` → ``/mpp/agency/dinkes-3576``),
:func:`decode` reads them back — and still reads the envelope written before (snake-case
attributes, bare ``source``), so records already on topics and in the audit log decode.

Readers are tolerant: unknown fields are ignored, so a producer may add fields without
breaking older consumers. A new *type* is a new class in :data:`Event`.

:func:`encode` is the one canonical JSON encoding (sorted keys, no whitespace, UTC
times with a ``Z``); the audit hash chain hashes exactly the bytes it received.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    model_serializer,
    model_validator,
)

from shared.channels import ChannelName
from shared.ids import uuid7

__all__ = [
    "BUILDING",
    "CONTENT_TYPE",
    "AccountCodeData",
    "AccountCodeIssued",
    "AccountContactReplaced",
    "AccountContactsChanged",
    "AccountFrozen",
    "AccountFrozenData",
    "ActorKind",
    "AgencyStatusReported",
    "AnswerForwarded",
    "Applicant",
    "ApplicantAddress",
    "ApplicationChannel",
    "ApplicationDispatched",
    "ApplicationSubmitted",
    "BillChanged",
    "BillChannel",
    "BillData",
    "CancellationForwarded",
    "CancellationRefused",
    "CancellationRequested",
    "ComplaintAnswered",
    "ComplaintAnsweredData",
    "ComplaintClosed",
    "ComplaintClosedData",
    "ComplaintEscalated",
    "ComplaintEscalatedData",
    "ComplaintFiled",
    "ComplaintFiledData",
    "ComplaintForwarded",
    "ComplaintForwardedData",
    "ComplaintKind",
    "ComplaintReplied",
    "ComplaintRepliedData",
    "ComplaintTracked",
    "ComplaintTrackedData",
    "ContactReplacedData",
    "DataAccessed",
    "DeadLettered",
    "DocumentIssued",
    "DocumentRevoked",
    "Event",
    "FindingHandled",
    "FindingHandledData",
    "InformationProvided",
    "InvalidEvent",
    "NikVerified",
    "NikVerifiedData",
    "NotificationStatusChanged",
    "OperatorActed",
    "PaymentRefusalData",
    "PaymentRefused",
    "QueueBooked",
    "QueueBookingCancelled",
    "QueueCalled",
    "QueueChanged",
    "QueueCheckedIn",
    "QueueData",
    "QueueEventType",
    "QueueNoShow",
    "QueueReleased",
    "QueueServed",
    "QueueTransferred",
    "QueueWalkedIn",
    "RefundData",
    "RefundFailed",
    "RefundSubmitted",
    "RefundSucceeded",
    "ResultDocument",
    "SlaBreached",
    "StaffAccessRevoked",
    "StaffRevocationData",
    "StatusChanged",
    "SurveyAnswered",
    "UtcDatetime",
    "WebhookDeliveryFailed",
    "decode",
    "encode",
    "source_name",
    "source_uri",
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


ApplicationChannel = Literal["web", "mobile", "counter", "kiosk", "mobile_unit"]
"""Where an application came in: the citizen's browser or app, a counter operator, a
kiosk, or a mobile service unit (captured offline in a village, sent later in a batch)."""


CONTENT_TYPE = "application/cloudevents+json"
"""The ``content-type`` of a record (Kafka header) or a request (HTTP) holding one
structured-mode CloudEvent."""

_SOURCE_PREFIX = "/mpp/"


class _Envelope(_Model):
    specversion: Literal["1.0"] = Field("1.0", description="CloudEvents version.")
    id: str = Field(default_factory=uuid7, description="UUIDv7 of this event.")
    source: str = Field(
        description="URI-reference of the service or system that emitted the event: "
        "/mpp/intake, /mpp/routing, an agency /mpp/agency/<code> (in code the name: intake, "
        "routing, agency:<code>)."
    )
    time: UtcDatetime = Field(default_factory=utcnow)
    subject: str = Field(description="Application id the event is about.")
    datacontenttype: Literal["application/json"] = "application/json"
    region: str | None = Field(None, description="Kemendagri region code (extension).")
    correlation_id: str = Field(
        validation_alias=AliasChoices("correlationid", "correlation_id"),
        serialization_alias="correlationid",
        description="Id shared by every event of one request (extension correlationid).",
    )
    causation_id: str | None = Field(
        None,
        validation_alias=AliasChoices("causationid", "causation_id"),
        serialization_alias="causationid",
        description="Id of the event that caused this (extension causationid).",
    )
    schema_version: int = Field(
        1,
        validation_alias=AliasChoices("schemaversion", "schema_version"),
        serialization_alias="schemaversion",
        description="Version of this type's data shape (extension schemaversion).",
    )


# --- data shapes ------------------------------------------------------------------


class DocumentRef(_Model):
    sha256: str
    name: str
    content_type: str
    size: int


class _OnlyPresent(_Model):
    """Written without its empty fields: a field the service did not declare is absent
    from the event, not present as null."""

    @model_serializer(mode="wrap")
    def _present(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {key: value for key, value in handler(self).items() if value is not None}


class ApplicantAddress(_OnlyPresent):
    """Where the applicant lives, as written on the KTP and the family card."""

    street: str | None = None
    rt: str | None = Field(None, description="Rukun tetangga (neighbourhood), e.g. 003.")
    rw: str | None = Field(None, description="Rukun warga (hamlet), e.g. 005.")
    village: str | None = Field(None, description="Kelurahan/desa.")
    district: str | None = Field(None, description="Kecamatan.")
    city: str | None = Field(None, description="Kabupaten/kota.")
    province: str | None = None
    region_code: str | None = Field(None, description="Kemendagri code of the kabupaten/kota.")
    postal_code: str | None = None


class Applicant(_OnlyPresent):
    """The applicant's personal data an agency needs to serve them: only the fields the
    service declares (``applicant_fields`` in the catalogue) are present; the others are
    None. Personal data: on topics it travels only sealed under the citizen's key
    (``SubmittedData.applicant_sealed``); the agency reads it through its API. Never in
    headers or logs."""

    nik: str | None = None
    name: str | None = None
    birth_place: str | None = None
    birth_date: str | None = Field(None, description="ISO date, YYYY-MM-DD.")
    sex: Literal["F", "M"] | None = None
    address: ApplicantAddress | None = None
    family_card_number: str | None = None
    phone: str | None = None
    email: str | None = None


class ResultDocument(_Model):
    """A document an agency issued as the outcome of an application (the KTP-el, the
    certificate, the permit), checkable by anyone through its verification code."""

    code: str = Field(description="Verification code printed on the document.")
    sha256: str
    name: str
    content_type: str
    size: int
    issued_at: UtcDatetime


class SubmittedData(_Model):
    application_id: str
    tracking_number: str
    service: str
    region: str
    channel: ApplicationChannel
    citizen_id: str | None = None
    form: dict[str, Any] = Field(default_factory=dict)
    form_version: int = 1
    documents: list[DocumentRef] = Field(default_factory=list)
    applicant: Applicant | None = Field(
        None,
        description="The declared applicant fields in plaintext: events from before personal "
        "data was sealed only.",
    )
    applicant_sealed: str | None = Field(
        None,
        description="The declared applicant fields, pinned when submitted, as JSON sealed under "
        "the citizen's data key (pdp1.<citizen id>.<...>, docs/privacy.md): unreadable once "
        "the citizen's account is erased.",
    )
    submitted_at: UtcDatetime
    sla_due_at: UtcDatetime | None = None
    captured_at: UtcDatetime | None = Field(
        None,
        description="When a mobile service unit captured the application offline (before "
        "submitted_at); the SLA clock starts here. Absent for every other channel.",
    )
    catalogue_version: int | None = Field(
        None,
        description="The catalogue version the application was submitted under: its form, "
        "SLA and office are that version's (absent before versions were pinned).",
    )
    office: str | None = Field(
        None,
        description="The agency office that version routes it to; routing delivers there "
        "while the office exists (absent before versions were pinned).",
    )


class DispatchedData(_Model):
    application_id: str
    tracking_number: str
    service: str
    region: str
    agency: str
    form: dict[str, Any] = Field(default_factory=dict)
    documents: list[DocumentRef] = Field(default_factory=list)
    applicant: Applicant | None = Field(
        None,
        description="Who applied, in plaintext: events from before personal data was sealed "
        "only. The agency reads the applicant with GET /api/v1/agency/applications/{id}.",
    )
    applicant_fields: list[str] = Field(
        default_factory=list,
        description="The applicant fields this service declares and the application holds; "
        "their values are read through the agency API, which records each reading.",
    )
    sla_due_at: UtcDatetime | None = None
    rule_version: int = 1
    workflow_version: int = 1


class AgencyReportData(_Model):
    application_id: str
    agency: str
    status: str
    note: str | None = None
    requested_fields: list[str] = Field(default_factory=list)
    results: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="With approved or completed: sha256 of result documents the agency "
        "uploaded first (POST /api/v1/agency/applications/{id}/results).",
    )


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
    results: list[ResultDocument] = Field(
        default_factory=list, description="Documents issued with this change."
    )
    sla_due_at: UtcDatetime | None = None


class NotificationData(_Model):
    notification_id: str
    application_id: str
    citizen_id: str | None = None
    channel: ChannelName
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


ActorKind = Literal["officer", "auditor", "citizen", "system"]
"""Who read personal data: an agency's officer, an auditor, the citizen, the platform."""


class AccessData(_Model):
    application_id: str | None = Field(
        None, description="The application read; None for a read of a citizen's records."
    )
    citizen_id: str | None = Field(
        None,
        description="The citizen whose records were read (an auditor opening them); None "
        "for a read of one application, whose citizen the application names.",
    )
    actor_kind: ActorKind
    actor_id: str
    agency: str | None = None
    purpose: str


class ContactsData(_Model):
    """A citizen's notification preferences and contacts (personal data: only on the
    accounts topic, which only notify and audit read)."""

    citizen_id: str
    language: Literal["id", "en"] = "id"
    channels: list[ChannelName] = Field(
        default_factory=lambda: ["in_app"],
        description="In order of preference; push reaches the devices registered with notify.",
    )
    email: str | None = None
    phone: str | None = Field(None, description="E.164, e.g. +6281234567890.")
    profile_version: int = Field(ge=1, description="Increases with every change.")


class CancellationData(_Model):
    application_id: str
    tracking_number: str
    citizen_id: str
    reason: str | None = None
    channel: ApplicationChannel = "web"


class InformationData(_Model):
    application_id: str
    tracking_number: str
    citizen_id: str
    form: dict[str, Any] = Field(
        default_factory=dict, description="Corrected or added form fields (merged over the old)."
    )
    documents: list[DocumentRef] = Field(default_factory=list)
    note: str | None = None
    channel: ApplicationChannel = "web"


class AnswerForwardedData(_Model):
    """The citizen's answer to the agency's "needs more information", as the agency
    receives it: the fields answered (with their values), the new documents, the note."""

    application_id: str
    tracking_number: str
    service: str
    agency: str
    requested_fields: list[str] = Field(
        default_factory=list, description="What the agency had asked for."
    )
    form: dict[str, Any] = Field(default_factory=dict, description="The answered fields.")
    documents: list[DocumentRef] = Field(default_factory=list)
    note: str | None = None
    answered_at: UtcDatetime


class CancellationForwardedData(_Model):
    application_id: str
    tracking_number: str
    service: str
    agency: str
    reason: str | None = None
    cancelled_at: UtcDatetime


class CancellationRefusedData(_Model):
    application_id: str
    tracking_number: str
    citizen_id: str
    status: str = Field(description="The status that no longer allows cancelling.")
    reason: str


class DocumentIssuedData(_Model):
    """The public record of one issued document: no personal data."""

    code: str
    sha256: str
    application_id: str
    agency: str
    service: str
    region: str
    content_type: str
    size: int
    issued_at: UtcDatetime


class DocumentRevokedData(_Model):
    code: str
    sha256: str
    application_id: str
    agency: str
    reason: str
    revoked_by: str
    revoked_at: UtcDatetime


class OperatorActionData(_Model):
    """An operator closed a loop by hand (``mpp applications reroute``, ``mpp agency
    redeliver``): what, on what, by whom, with what outcome."""

    action: Literal["reroute", "redeliver"]
    target: str = Field(description="Application id or webhook delivery id.")
    application_id: str
    operator: str
    outcome: str


class EscalationData(_Model):
    """Why an agency's supervisor is being told about an application (no citizen data)."""

    application_id: str
    tracking_number: str
    service: str
    region: str
    agency: str
    status: str = Field(description="The application's status when escalated.")
    sla_due_at: UtcDatetime | None = None
    escalate_to: list[str] = Field(description="Supervisor (and operator) addresses.")
    reason: str


class SurveyData(_Model):
    """One citizen's SKM answer (PermenPANRB 14/2017): nine elements, each 1–4. It names
    the service, agency and region it rates and the month it was given, never the
    citizen nor the application (the survey is anonymous: schema version 2). A version 1
    answer named its application and exact time; read now, those are ignored and its
    month is taken from that time."""

    service: str
    agency: str | None = None
    region: str
    month: str = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", examples=["2026-11"])
    scores: list[Annotated[int, Field(ge=1, le=4)]] = Field(min_length=9, max_length=9)

    @model_validator(mode="before")
    @classmethod
    def _month_of_version_1(cls, value: Any) -> Any:
        if isinstance(value, dict) and "month" not in value and value.get("answered_at"):
            return {**value, "month": str(value["answered_at"])[:7]}
        return value


class DeliveryFailureData(EscalationData):
    delivery_id: str
    endpoint_host: str = Field(description="Host of the agency endpoint (no path or query).")
    attempts: int
    last_error: str


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
    """Someone read an application's data, or a citizen's records (``subject`` is then
    the citizen id): citizens see who, and why."""

    type: Literal["application.accessed"] = "application.accessed"
    data: AccessData


class AccountContactsChanged(_Envelope):
    """A citizen's contacts or notification preferences were set or changed (intake
    publishes on the accounts topic; ``subject`` is the citizen id; notify keeps the
    highest ``profile_version``)."""

    type: Literal["account.contacts_changed"] = "account.contacts_changed"
    data: ContactsData


class CancellationRequested(_Envelope):
    """A citizen asked to cancel an application; routing decides whether the workflow
    allows it and answers with a StatusChanged (``cancelled``) when it does."""

    type: Literal["application.cancellation_requested"] = "application.cancellation_requested"
    data: CancellationData


class InformationProvided(_Envelope):
    """A citizen answered a "needs more information" request with data or documents;
    routing moves the application to ``resubmitted``."""

    type: Literal["application.information_provided"] = "application.information_provided"
    data: InformationData


class SlaBreached(_Envelope):
    """An application passed its SLA due date without a decision; the agency's
    supervisor is escalated to."""

    type: Literal["application.sla_breached"] = "application.sla_breached"
    data: EscalationData


class WebhookDeliveryFailed(_Envelope):
    """Every attempt to deliver an application to an agency's webhook failed; it waits
    in the ``delivery_failed`` state for an operator."""

    type: Literal["agency.delivery_failed"] = "agency.delivery_failed"
    data: DeliveryFailureData


class SurveyAnswered(_Envelope):
    """A citizen rated a completed application on the nine SKM elements (notify accepts
    one answer per application and publishes it on the notifications topic). Its
    ``subject`` is the service rated, not the application, and it is keyed by it."""

    type: Literal["survey.answered"] = "survey.answered"
    data: SurveyData
    schema_version: int = Field(
        2,
        validation_alias=AliasChoices("schemaversion", "schema_version"),
        serialization_alias="schemaversion",
        description="2: anonymous (no application id, the month only).",
    )


QueueEventType = Literal[
    "queue.booked",
    "queue.cancelled",
    "queue.checked_in",
    "queue.walked_in",
    "queue.called",
    "queue.served",
    "queue.no_show",
    "queue.transferred",
    "queue.released",
]
"""What happened to a booking or a ticket at the MPP's queue (docs/queue.md)."""


class QueueData(_Model):
    """One step of the MPP's queue. Nothing in it says who the citizen is beyond their
    account id (``citizen_id``; a walk-in has none): no NIK, name, phone or email. ``actor`` is the
    kiosk's or officer's username, ``None`` for the citizen's own booking and the
    release sweep."""

    region: str
    service: str
    day: str = Field(description="The slot's day, in the region's local time (YYYY-MM-DD).")
    slot: str | None = Field(None, description="The slot's start, local time (HH:MM).")
    booking: str | None = Field(None, description="The booking code, when booked.")
    ticket: str | None = Field(None, description="The ticket id, once a ticket is given.")
    number: str | None = Field(None, description="The ticket number called out: A-017.")
    lane: str | None = Field(None, description="The lane's letter; P is the priority lane.")
    priority: bool = False
    counter: str | None = None
    actor: str | None = None
    citizen_id: str | None = None
    from_service: str | None = Field(None, description="A transfer: the service before.")
    survey_digest: str | None = Field(
        None,
        description="A walk-in's ticket: the digest of the survey code printed on it "
        "(shared/walk_in_survey.py), never the code; notify opens the survey with it.",
    )
    at: UtcDatetime | None = Field(
        None,
        description="When the step happened on the queue's clock (a ticket given, called, "
        "finished or moved); absent: the envelope's time.",
    )


class _QueueEvent(_Envelope):
    """What happened at the MPP's queue; keyed by its subject (a booking code or a
    ticket id)."""

    data: QueueData


class QueueBooked(_QueueEvent):
    """A citizen booked a slot from the phone (subject: the booking code)."""

    type: Literal["queue.booked"] = "queue.booked"


class QueueBookingCancelled(_QueueEvent):
    """The citizen cancelled their booking; its place went back (subject: the booking code)."""

    type: Literal["queue.cancelled"] = "queue.cancelled"


class QueueCheckedIn(_QueueEvent):
    """A kiosk checked a booking in and gave it a ticket (subject: the ticket id)."""

    type: Literal["queue.checked_in"] = "queue.checked_in"


class QueueWalkedIn(_QueueEvent):
    """A kiosk gave a walk-in a ticket from the slot's walk-in share (subject: the ticket id)."""

    type: Literal["queue.walked_in"] = "queue.walked_in"


class QueueCalled(_QueueEvent):
    """An officer called the ticket to their counter (subject: the ticket id)."""

    type: Literal["queue.called"] = "queue.called"


class QueueServed(_QueueEvent):
    """The officer served the ticket (subject: the ticket id)."""

    type: Literal["queue.served"] = "queue.served"


class QueueNoShow(_QueueEvent):
    """The ticket was called and nobody came (subject: the ticket id)."""

    type: Literal["queue.no_show"] = "queue.no_show"


class QueueTransferred(_QueueEvent):
    """The ticket moved to another service's lane, keeping its place (subject: the ticket id)."""

    type: Literal["queue.transferred"] = "queue.transferred"


class QueueReleased(_QueueEvent):
    """A booking not checked in by its slot's grace period was released, its place given
    to walk-ins (subject: the booking code)."""

    type: Literal["queue.released"] = "queue.released"


QueueChanged = (
    QueueBooked
    | QueueBookingCancelled
    | QueueCheckedIn
    | QueueWalkedIn
    | QueueCalled
    | QueueServed
    | QueueNoShow
    | QueueTransferred
    | QueueReleased
)
"""Every event of the queue topic."""


class AnswerForwarded(_Envelope):
    """Routing forwarded the citizen's answer to the agency (on its inbox topic or
    webhook), after moving the application to ``resubmitted``."""

    type: Literal["application.answer_forwarded"] = "application.answer_forwarded"
    data: AnswerForwardedData


class CancellationForwarded(_Envelope):
    """Routing told the agency the citizen cancelled the application: stop working on it."""

    type: Literal["application.cancellation_forwarded"] = "application.cancellation_forwarded"
    data: CancellationForwardedData


class CancellationRefused(_Envelope):
    """The workflow no longer allowed the citizen's cancellation (the agency decided
    first); intake clears the request and shows the citizen why."""

    type: Literal["application.cancellation_refused"] = "application.cancellation_refused"
    data: CancellationRefusedData


class DocumentIssued(_Envelope):
    """An agency issued a result document; its code now verifies publicly."""

    type: Literal["document.issued"] = "document.issued"
    data: DocumentIssuedData


class DocumentRevoked(_Envelope):
    """An agency revoked a result document; verification now says so."""

    type: Literal["document.revoked"] = "document.revoked"
    data: DocumentRevokedData


class OperatorActed(_Envelope):
    """An operator re-routed an application or redelivered a webhook by hand."""

    type: Literal["operator.acted"] = "operator.acted"
    data: OperatorActionData


class CataloguePublishedData(_Model):
    """One package of the catalogue, published: the whole document (a region's or the
    national one), who published it and why, and what changed. The event's ``subject``
    is the package's id (``national`` or the region code), the key on the compacted
    catalogue topic, so the topic keeps each package's newest version."""

    package_id: str = Field(examples=["national", "7371"])
    package_version: int = Field(ge=1)
    catalogue_version: int = Field(
        ge=1,
        description="The catalogue's version after this publish: one number for the whole "
        "catalogue, one higher with every publish of any package; applications pin it.",
    )
    package: dict[str, Any]
    published_by: str = Field(description="The staff member's username, or operator:<name>.")
    reason: str
    changes: list[str] = Field(default_factory=list, description="The diff, one line each.")


class CataloguePublished(_Envelope):
    """A national or region package was published (``mpp catalogue publish`` or the
    admin API): every service applies it within seconds; audit records who and why."""

    type: Literal["catalogue.published"] = "catalogue.published"
    data: CataloguePublishedData


class AccountCodeData(_Model):
    """A one-time code to send to one of a citizen's contacts. Personal data: only on
    the accounts topic (notify and audit read it), never in headers or logs. The code
    itself is sealed for notify (:mod:`shared.sealing`, context ``code_context``), so the
    audit log, which keeps this event for good, never holds a usable code."""

    citizen_id: str
    purpose: Literal["contact_verification", "password_reset"]
    channel: Literal["email", "phone"] = Field(description="Email, or the phone by SMS.")
    address: str = Field(description="The email address, or the phone number in E.164.")
    sealed_code: str = Field(description="The code, sealed under MPP_CODE_DELIVERY_SECRET.")
    expires_at: UtcDatetime

    def code_context(self, event_id: str) -> str:
        """What the sealed code is bound to: this event, purpose, citizen and address."""
        return f"{event_id}|{self.purpose}|{self.citizen_id}|{self.channel}|{self.address}"


class AccountCodeIssued(_Envelope):
    """Intake issued a one-time code to confirm a citizen's email or phone, or to reset
    their password (``subject`` is the citizen id); notify sends it to ``address``."""

    type: Literal["account.code_issued"] = "account.code_issued"
    data: AccountCodeData


class NikVerifiedData(_Model):
    """A citizen proved the NIK of their account; no NIK, name or birth date here — the
    account id says whose."""

    citizen_id: str
    method: Literal["dukcapil", "counter"] = Field(
        description="dukcapil: name and birth date matched Dukcapil's records; counter: an "
        "operator checked the KTP in person."
    )
    operator_id: str | None = Field(None, description="The counter operator's account.")
    region: str | None = Field(None, description="The counter's MPP region.")
    frozen_accounts: list[str] = Field(
        default_factory=list,
        description="Unverified accounts that held the same NIK, frozen by this proof.",
    )


class NikVerified(_Envelope):
    """An account's NIK is proven (intake, accounts topic; ``subject`` is the citizen id)."""

    type: Literal["account.nik_verified"] = "account.nik_verified"
    data: NikVerifiedData


class AccountFrozenData(_Model):
    """An account frozen because its NIK was proven by someone else, or because a
    supervisor took back the counter proof it held (it was not the holder's). Personal
    data (the contacts to tell): only on the accounts topic, never in headers or logs."""

    citizen_id: str
    reason: Literal["nik_proven_by_another", "nik_proof_revoked"] = "nik_proven_by_another"
    proven_by: str | None = Field(
        None, description="The account that proved the NIK (nik_proven_by_another)."
    )
    revoked_by: str | None = Field(
        None,
        description="The Disdukcapil supervisor (staff username) who took a counter proof "
        "back with the holder's KTP in hand (nik_proof_revoked); the reason stays in the "
        "account's history, sealed.",
    )
    language: Literal["id", "en"] = "id"
    email: str | None = None
    phone: str | None = Field(None, description="E.164.")


class AccountFrozen(_Envelope):
    """Intake froze an account (its data kept for audit); notify tells its owner at the
    account's contacts."""

    type: Literal["account.frozen"] = "account.frozen"
    data: AccountFrozenData


class ContactReplacedData(_Model):
    """A citizen replaced the email or phone that password resets go to. Personal data
    (the old address, to tell): only on the accounts topic, never in headers or logs."""

    citizen_id: str
    channel: Literal["email", "phone"] = Field(description="Which contact was replaced.")
    address: str = Field(
        description="The old, verified address (sealed under the citizen's key, as stored)."
    )
    language: Literal["id", "en"] = "id"


class AccountContactReplaced(_Envelope):
    """A verified email or phone of a citizen was replaced (with the current password);
    notify tells the old address, so a change the owner did not make does not go
    unseen."""

    type: Literal["account.contact_replaced"] = "account.contact_replaced"
    data: ContactReplacedData


class DataRightData(_Model):
    """A citizen exercised a data-subject right (UU PDP): which, and what came of it. No
    personal data: the citizen is named by id only."""

    citizen_id: str
    right: Literal["access", "erasure"] = Field(
        description="access: 'download my data'; erasure: the account closed and erased."
    )
    kept: list[str] = Field(
        default_factory=list,
        description="What the platform keeps after an erasure, and why (docs/privacy.md).",
    )
    expires_at: UtcDatetime | None = Field(
        None, description="Until when the export can be fetched."
    )


class DataRightExercised(_Envelope):
    """Intake served a data-subject request (accounts topic): recorded in the audit log;
    on an erasure, notify forgets the citizen's contacts."""

    type: Literal["account.data_right_exercised"] = "account.data_right_exercised"
    data: DataRightData


class StaffRevocationData(_Model):
    """A staff account's tokens revoked: which account, bound to what, from when, and
    who did it. No name, email or phone: the username says whose."""

    username: str = Field(examples=["sari.dinkes"])
    role: str = Field(examples=["officer"], description="officer, supervisor, counter, ….")
    agency: str | None = Field(None, description="The office (officers, supervisors).")
    region: str | None = Field(None, description="The region (counters, kiosks, admins).")
    tokens_valid_after: UtcDatetime = Field(
        description="Tokens issued before this moment are refused."
    )
    disabled: bool = Field(
        description="true: the account was disabled (every token refused, for good); "
        "false: its password was reset (tokens issued earlier refused)."
    )
    by: str = Field(description="The administrator's username, or operator:<name>.")


class StaffAccessRevoked(_Envelope):
    """Identity disabled a staff account or reset its password (the staff API or ``mpp
    staff``; ``subject`` is the username): routing refuses the tokens issued before,
    audit records who stopped whom."""

    type: Literal["staff.access_revoked"] = "staff.access_revoked"
    data: StaffRevocationData


class BillChannel(_Model):
    """One way to pay a bill, as the citizen is shown it: SIMPONI's billing code, the
    dynamic QRIS payload, or the virtual account number at the region's bank."""

    kind: Literal["simponi", "qris", "virtual_account"]
    code: str = Field(
        description="The billing code, the QRIS payload, or the virtual account number."
    )


class BillData(_Model):
    """One bill as it is after a change of its state (docs/payments.md): made with the
    workflow step that needs it, issued by the biller (a SIMPONI billing code), then paid,
    expired or failed. The receipt (NTPN and the bank's NTB) comes with ``paid``."""

    bill_id: str
    application_id: str
    tracking_number: str
    service: str
    region: str
    state: Literal["created", "pending", "paid", "expired", "failed"]
    from_state: str | None = None
    amount_idr: int = Field(gt=0)
    kind: Literal["pnbp", "regional_levy"]
    account: str | None = Field(None, description="The PNBP account code, for pnbp.")
    channel: str = Field(description="Who bills it: simponi (PNBP).")
    billing_code: str | None = Field(None, description="The 15-digit SIMPONI billing code.")
    expires_at: UtcDatetime | None = None
    ntpn: str | None = Field(None, description="The state's receipt number, once paid (PNBP).")
    reference: str | None = Field(None, description="The bank's reference, once paid (levy).")
    qris: str | None = Field(None, description="The dynamic QRIS payload to pay a levy with.")
    ntb: str | None = Field(None, description="The bank's transaction number, once paid.")
    paid_at: UtcDatetime | None = None
    reason: str | None = Field(None, description="Why it failed or expired.")
    virtual_account: str | None = Field(
        None, description="The virtual account number at the region's bank (a levy)."
    )
    channels: list[BillChannel] = Field(
        default_factory=list, description="The ways to pay it, once it has its codes."
    )


class BillChanged(_Envelope):
    """A bill moved to another state (its subject is the application it bills)."""

    type: Literal["payment.bill_changed"] = "payment.bill_changed"
    data: BillData


class PaymentRefusalData(_Model):
    """A payment report the platform refused, kept for the finance officer: the bill it
    named (when one was found), what it claimed, and the answer given."""

    channel: str
    bill_id: str | None = None
    billing_code: str | None = None
    amount_idr: int | None = None
    reference: str | None = Field(None, description="The payer's NTPN or reference.")
    answer_code: str = Field(description="The code answered to the biller or bank.")
    reason: str


class PaymentRefused(_Envelope):
    """A payment report was refused (unknown or expired bill, wrong amount); its subject
    is the application when the bill was found, else the billing code."""

    type: Literal["payment.refused"] = "payment.refused"
    data: PaymentRefusalData


class RefundData(_Model):
    """A refund of part or all of a paid bill, asked by the region's finance officer
    (docs/payments.md, "Refunds"): submitted to the bank, then succeeded or failed."""

    refund_id: str
    bill_id: str
    application_id: str
    tracking_number: str
    service: str
    region: str
    state: Literal["submitted", "success", "failed"]
    amount_idr: int = Field(gt=0)
    refundable_idr: int = Field(
        ge=0, description="What may still be refunded of the bill after this refund."
    )
    reason: str = Field(description="The finance officer's reason.")
    by: str = Field(description="The finance officer's username.")
    bank_reference: str | None = Field(None, description="The bank's refund reference.")
    failure: str | None = Field(None, description="Why the bank refused it, when failed.")


class RefundSubmitted(_Envelope):
    """A refund was asked and its amount taken off the bill's refundable amount."""

    type: Literal["payment.refund_submitted"] = "payment.refund_submitted"
    data: RefundData


class RefundSucceeded(_Envelope):
    """The bank returned the refund's amount to the payer."""

    type: Literal["payment.refund_succeeded"] = "payment.refund_succeeded"
    data: RefundData


class RefundFailed(_Envelope):
    """The bank refused the refund; its amount is refundable again."""

    type: Literal["payment.refund_failed"] = "payment.refund_failed"
    data: RefundData


class FindingHandledData(_Model):
    """A region's finance officer marked a reconciliation finding handled: which finding
    (its day, kind and codes: no personal data), by whom, and what they did."""

    finding_id: str
    day: str = Field(description="The settlement day, YYYY-MM-DD.")
    kind: Literal["unmatched", "unsettled", "amount"]
    reason: str
    channel: str
    billing_code: str | None = None
    receipt: str | None = None
    bill_id: str | None = None
    handled_by: str = Field(description="The finance officer's username.")
    note: str = Field(description="What the officer did about it, in their words.")


class FindingHandled(_Envelope):
    """A reconciliation finding was handled by the region's finance officer; its subject
    is the bill's application when the finding has one, else the finding."""

    type: Literal["payment.finding_handled"] = "payment.finding_handled"
    data: FindingHandledData


# --- consultation and complaints (docs/complaints.md) -------------------------------

ComplaintKind = Literal["konsultasi", "pengaduan"]

BUILDING = "mpp"
"""The ``service`` of a complaint about the MPP building itself (its facilities, its
staff's conduct, its queue): no agency answers one, the region's administrator does."""
"""A question (konsultasi) or a complaint (pengaduan), as SP4N-LAPOR! sorts them."""


class ComplaintFiledData(_Model):
    """What a citizen filed about one of their applications, or about a service of a
    region. ``citizen_id`` stays on the citizen-actions topic (routing and audit read it);
    what reaches the agency is :class:`ComplaintForwardedData`, which never names the
    citizen."""

    complaint_id: str
    kind: ComplaintKind
    about: Literal["application", "service", "building"] = Field(
        "application",
        description="application: one of the citizen's (application_id names it); service: "
        "a service of the region, whose office there answers; building: the region's MPP "
        "itself (service is 'mpp'), which the region's administrator answers.",
    )
    application_id: str | None = None
    tracking_number: str | None = None
    service: str
    region: str
    citizen_id: str
    text: str = Field(max_length=4000)
    documents: list[DocumentRef] = Field(default_factory=list)
    confidential: bool = Field(
        False, description="true: the agency sees no application, tracking number or citizen."
    )
    filed_at: UtcDatetime


class ComplaintForwardedData(_Model):
    """A complaint as its agency receives it. A confidential one carries no application
    id, no tracking number and nothing of the citizen: only the service and the words."""

    complaint_id: str
    kind: ComplaintKind
    agency: str
    service: str
    region: str
    application_id: str | None = None
    tracking_number: str | None = None
    text: str
    documents: list[DocumentRef] = Field(default_factory=list)
    confidential: bool = False
    filed_at: UtcDatetime
    answer_due_at: UtcDatetime


class ComplaintTrackedData(_Model):
    """SP4N-LAPOR! holds the complaint under ``tracking_id``, in ``lapor_status``."""

    complaint_id: str
    agency: str
    tracking_id: str
    lapor_status: str = Field(examples=["diterima", "diproses", "selesai"])
    at: UtcDatetime


class ComplaintAnsweredData(_Model):
    complaint_id: str
    agency: str
    answer: str
    answered_by: str = Field(description="The officer's username, or key:<key id>.")
    answered_at: UtcDatetime
    close_due_at: UtcDatetime


class ComplaintRepliedData(_Model):
    """The citizen replied to the agency's answer: the agency owes another answer."""

    complaint_id: str
    agency: str
    text: str
    replied_at: UtcDatetime
    answer_due_at: UtcDatetime


class ComplaintEscalatedData(_Model):
    complaint_id: str
    agency: str
    region: str
    step: Literal["forward", "answer"] = Field(
        description="forward: not forwarded within 3 working days; answer: not answered "
        "within 5 working days of reaching the agency."
    )
    due_at: UtcDatetime
    escalate_to: list[str] = Field(default_factory=list)
    reason: str


class ComplaintClosedData(_Model):
    complaint_id: str
    agency: str
    reason: str
    closed_at: UtcDatetime


class ComplaintFiled(_Envelope):
    """A citizen filed a question or a complaint about an application (``subject`` is the
    complaint id, the key of every complaint event)."""

    type: Literal["complaint.filed"] = "complaint.filed"
    data: ComplaintFiledData


class ComplaintForwarded(_Envelope):
    """Routing put the complaint before its agency (on its inbox topic, or its workbench)."""

    type: Literal["complaint.forwarded"] = "complaint.forwarded"
    data: ComplaintForwardedData


class ComplaintTracked(_Envelope):
    """SP4N-LAPOR! recorded the complaint, or its status there changed."""

    type: Literal["complaint.tracked"] = "complaint.tracked"
    data: ComplaintTrackedData


class ComplaintAnswered(_Envelope):
    """The agency answered the complaint."""

    type: Literal["complaint.answered"] = "complaint.answered"
    data: ComplaintAnsweredData


class ComplaintReplied(_Envelope):
    """The citizen replied to the answer; the agency is told and answers again."""

    type: Literal["complaint.replied"] = "complaint.replied"
    data: ComplaintRepliedData


class ComplaintEscalated(_Envelope):
    """A step of the SP4N-LAPOR! timeline passed its due date: the supervisor is told."""

    type: Literal["complaint.escalated"] = "complaint.escalated"
    data: ComplaintEscalatedData


class ComplaintClosed(_Envelope):
    """The complaint closed: 10 working days passed after the answer with no reply."""

    type: Literal["complaint.closed"] = "complaint.closed"
    data: ComplaintClosedData


Event = Annotated[
    ApplicationSubmitted
    | ApplicationDispatched
    | AgencyStatusReported
    | StatusChanged
    | NotificationStatusChanged
    | DeadLettered
    | DataAccessed
    | SlaBreached
    | WebhookDeliveryFailed
    | AccountContactsChanged
    | CancellationRequested
    | InformationProvided
    | SurveyAnswered
    | QueueBooked
    | QueueBookingCancelled
    | QueueCheckedIn
    | QueueWalkedIn
    | QueueCalled
    | QueueServed
    | QueueNoShow
    | QueueTransferred
    | QueueReleased
    | AnswerForwarded
    | CancellationForwarded
    | CancellationRefused
    | DocumentIssued
    | DocumentRevoked
    | OperatorActed
    | AccountCodeIssued
    | NikVerified
    | AccountFrozen
    | AccountContactReplaced
    | DataRightExercised
    | CataloguePublished
    | StaffAccessRevoked
    | BillChanged
    | PaymentRefused
    | RefundSubmitted
    | RefundSucceeded
    | RefundFailed
    | FindingHandled
    | ComplaintFiled
    | ComplaintForwarded
    | ComplaintTracked
    | ComplaintAnswered
    | ComplaintReplied
    | ComplaintEscalated
    | ComplaintClosed,
    Field(discriminator="type"),
]

_EVENT = TypeAdapter(Event)


class InvalidEvent(ValueError):
    """A message that is not a valid event; ``reason`` says why, for the dead-letter."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def source_uri(source: str) -> str:
    """The wire ``source`` of a service name: ``intake`` → ``/mpp/intake``,
    ``agency:dinkes-3576`` → ``/mpp/agency/dinkes-3576``. A source that already is a
    URI-reference (an agency's own, kept by :func:`source_name`) is written as it is."""
    if source.startswith(("/", "urn:")) or "://" in source:
        return source
    return _SOURCE_PREFIX + source.replace(":", "/")


def source_name(uri: str) -> str:
    """The service name of a wire ``source`` (the inverse of :func:`source_uri`); a
    source outside ``/mpp/`` (an agency's own URI) is kept as it is."""
    if uri.startswith(_SOURCE_PREFIX):
        return uri.removeprefix(_SOURCE_PREFIX).replace("/", ":")
    return uri


def encode(event: _Envelope) -> bytes:
    """The canonical structured-mode CloudEvent of an event: sorted keys, no
    whitespace, UTC times, CloudEvents attribute names, ``source`` as a URI-reference."""
    document = event.model_dump(mode="json", by_alias=True)
    document["source"] = source_uri(event.source)
    if document.get("causationid") is None:
        del document["causationid"]  # CloudEvents attributes are absent, never null
    if document.get("region") is None:
        del document["region"]
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def decode(raw: bytes | str) -> Event:
    """Parse and validate one message — a CloudEvent, or an event in the envelope
    written before (snake-case attributes, bare ``source``); raises
    :class:`InvalidEvent` with a reason."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidEvent("not a JSON object")
    if "specversion" in document:
        if document["specversion"] != "1.0":
            raise InvalidEvent(f"unsupported specversion: {document['specversion']!r}")
        if isinstance(document.get("source"), str):
            document["source"] = source_name(document["source"])
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
