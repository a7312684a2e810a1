"""A mobile service unit's day of offline captures, accepted item by item.

A mobile unit (*layanan keliling*) works in villages with poor coverage: its operator
checks each citizen's KTP in hand (the counter's rule, which identity keeps), and the
device keeps the applications until it reaches a network, then sends them in one
request, each item with its own ``Idempotency-Key`` (made on the device), its
``captured_at`` and the citizen's NIK. Each item is judged and stored on its own, in
order, with its idempotency record in the same unit of work (:mod:`group_commit`), so a
batch sent twice, or cut off and sent again whole, creates each application once (the
items stored before answer ``duplicate``), and one item's problem is never the batch's.

Keys are scoped to the operator, and kept in ``mobile_batch_keys`` for the capture
window plus ``MPP_IDEMPOTENCY_TTL_HOURS``: by the time a key is forgotten, its item
would be refused as too old, so a late resend never creates a second application. The
SLA clock starts at ``captured_at`` (:func:`submissions.submit`).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from pymongo.errors import DuplicateKeyError

from services.intake.group_commit import GroupCommit
from services.intake.idempotency import MAX_KEY_LENGTH, IdempotencyStore, Replay
from services.intake.refusals import CaptureTimeRefused, OutsideRegion, problem_for
from services.intake.schemas import FormData
from services.intake.submissions import Accepted, Submit, submit
from services.intake.submissions import validate_request as validate_form
from shared.catalogue import Catalogue
from shared.errors import Rejected
from shared.events import utcnow
from shared.idempotency import fingerprint
from shared.privacy.personal import Personal
from shared.privacy.plain_input import PlainInput
from shared.profile import ProfileUpdate

__all__ = ["BatchItem", "CounterApplicant", "ItemOutcome", "MobileBatches"]

BATCH_PATH = "/api/v1/batches"
CLOCK_SKEW = timedelta(minutes=5)
"""How far a device's clock may run ahead before a ``captured_at`` counts as future."""

log = structlog.get_logger(__name__)


class BatchItem(PlainInput):
    """One application captured offline."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=r"^[\x20-\x7e]+$",
        description="Made on the device when the application was captured (e.g. a UUID); "
        "the same in every resend.",
    )
    captured_at: datetime = Field(
        description="When the operator took the application down, with its timezone; the "
        "SLA clock starts here."
    )
    citizen_nik: str = Field(pattern=r"^[0-9]{16}$", description="From the KTP in hand.")
    service: str = Field(min_length=1, max_length=64, examples=["ktp-el"])
    region: str | None = Field(
        None, pattern=r"^[0-9]{4}$", description="The unit's own region (the default)."
    )
    data: FormData = Field(default_factory=dict, examples=[{"reason": "baru"}])
    applicant: ProfileUpdate | None = Field(
        None,
        description="Profile fields the service needs that the citizen's profile lacks, "
        "as for a counter.",
    )

    @field_validator("captured_at")
    @classmethod
    def _utc_to_the_millisecond(cls, value: datetime) -> datetime:
        """As stored (BSON keeps milliseconds), so a resend's fingerprint matches."""
        if value.tzinfo is None:
            raise ValueError("needs a timezone, e.g. 2026-11-23T09:15:00+07:00")
        return value.astimezone(UTC).replace(microsecond=value.microsecond // 1000 * 1000)


_ITEM = TypeAdapter(BatchItem)


class CapturedApplication(BaseModel):
    id: str
    tracking_number: str
    status: str
    sla_due_at: datetime
    captured_at: datetime


class ItemProblem(BaseModel):
    """The item's problem, as a problem document would say it."""

    status: int
    title: str
    detail: str
    errors: list[dict[str, Any]] | None = None


class ItemOutcome(BaseModel):
    index: int = Field(description="The item's position in the batch, from 0.")
    idempotency_key: str | None
    outcome: Literal["accepted", "duplicate", "problem"] = Field(
        description="accepted: stored now; duplicate: stored by an earlier send (the same "
        "application); problem: not stored — see problem."
    )
    application: CapturedApplication | None = None
    problem: ItemProblem | None = None


def capture_window_refusal(
    captured_at: datetime, now: datetime, window: timedelta
) -> CaptureTimeRefused | None:
    """Why ``captured_at`` is refused (in the future, or older than the window), or None."""
    if captured_at > now + CLOCK_SKEW:
        return CaptureTimeRefused("in the future: check the device's clock")
    if captured_at < now - window:
        hours = int(window.total_seconds() // 3600)
        return CaptureTimeRefused(
            f"lebih dari {hours} jam lalu; ajukan ulang di loket / more than {hours} hours "
            "ago; apply again at a counter"
        )
    return None


def _as_problem(refusal: Rejected) -> ItemProblem:
    """The item's refusal, as its problem document would word it."""
    problem = problem_for(refusal)
    errors = problem.extensions.get("errors")
    return ItemProblem(
        status=problem.status, title=problem.title, detail=problem.detail, errors=errors
    )


def _parsed(raw: Any) -> BatchItem | ItemProblem:
    """The item, or its problem when it is not a :class:`BatchItem`."""
    try:
        return _ITEM.validate_python(raw)
    except ValidationError as error:
        return _invalid(error)


def _invalid(error: ValidationError) -> ItemProblem:
    errors = [
        {"field": ".".join(str(p) for p in e["loc"]) or "(item)", "message": e["msg"]}
        for e in error.errors()
    ]
    return ItemProblem(
        status=422,
        title="Data tidak valid / Invalid data",
        detail="Periksa isian berikut / Check these fields: "
        + ", ".join(sorted({e["field"] for e in errors})),
        errors=errors,
    )


CounterApplicant = Callable[..., Awaitable[tuple[str, Any]]]
"""Identity's answer for the citizen whose KTP the operator holds (its
:meth:`~services.intake.identity_client.IdentityClient.counter_applicant`, asked with the
operator's own token): their account and declared fields."""


@dataclass
class MobileBatches:
    """Accepts a mobile unit's batch; one per intake process."""

    personal: Personal
    keys: IdempotencyStore
    catalogue: Catalogue
    commits: GroupCommit
    window: timedelta

    async def submit(
        self,
        staff: dict[str, Any],
        items: list[Any],
        correlation_id: str,
        identity: CounterApplicant,
    ) -> list[ItemOutcome]:
        """Each item's outcome, in the batch's order."""
        scope = f"mobile_unit:{staff['_id']}"
        parsed = [_parsed(raw) for raw in items]
        stored = await self.keys.stored(
            [f"{scope}:{item.idempotency_key}" for item in parsed if isinstance(item, BatchItem)]
        )
        outcomes = []
        for index, item in enumerate(parsed):
            if isinstance(item, ItemProblem):
                key = (
                    items[index].get("idempotency_key") if isinstance(items[index], dict) else None
                )
                outcomes.append(
                    ItemOutcome(
                        index=index,
                        idempotency_key=key if isinstance(key, str) else None,
                        outcome="problem",
                        problem=item,
                    )
                )
                continue
            outcomes.append(
                await self._one(index, item, scope, staff, stored, (correlation_id, identity))
            )
        log.info(
            "mobile batch",
            staff=staff["_id"],
            region=staff["region"],
            items=len(items),
            **{
                kind: sum(1 for o in outcomes if o.outcome == kind)
                for kind in ("accepted", "duplicate", "problem")
            },
        )
        return outcomes

    async def _one(
        self,
        index: int,
        item: BatchItem,
        scope: str,
        staff: dict[str, Any],
        stored: dict[str, dict[str, Any]],
        context: tuple[str, CounterApplicant],
    ) -> ItemOutcome:
        record_id = f"{scope}:{item.idempotency_key}"
        print_ = fingerprint(item.model_dump(mode="json", exclude_none=True), path=BATCH_PATH)
        outcome = ItemOutcome(index=index, idempotency_key=item.idempotency_key, outcome="problem")
        try:
            if record_id in stored:
                return _duplicate(outcome, self.keys.replay(stored[record_id], print_))
            started = self.keys.begin(scope, item.idempotency_key)
            try:
                accepted = await self._accept(item, staff, started, print_, context)
            except DuplicateKeyError:  # stored meanwhile: the same key earlier in this batch
                return _duplicate(outcome, await self.keys.after_conflict(started, print_))
            finally:
                self.keys.end(started)
        except Rejected as refusal:  # identity not answering is no refusal: the batch's
            outcome.problem = _as_problem(refusal)
            return outcome
        outcome.outcome = "accepted"
        outcome.application = CapturedApplication(**accepted.__dict__, captured_at=item.captured_at)
        return outcome

    async def _accept(
        self,
        item: BatchItem,
        staff: dict[str, Any],
        record_id: str,
        print_: str,
        context: tuple[str, CounterApplicant],
    ) -> Accepted:
        correlation_id, identity = context
        refused = capture_window_refusal(item.captured_at, utcnow(), self.window)
        if refused is not None:
            raise refused
        region = item.region or staff["region"]
        if region != staff["region"]:
            raise OutsideRegion(staff["region"])
        command = Submit(
            service=item.service,
            region=region,
            data=item.data,
            channel="mobile_unit",
            citizen_id=None,
            correlation_id=correlation_id,
            operator_id=staff["_id"],
            captured_at=item.captured_at,
        )
        validate_form(self.catalogue, command)  # a bad form saves nothing to the profile
        # The account that proved the NIK and its declared fields, after filling what
        # the item added (never a contact, never a field the profile holds, recorded in
        # the operator's name); the KTP was in the operator's hand, so the NIK proof is
        # enough (as at a counter).
        citizen_id, applicant = await identity(
            nik=item.citizen_nik, service=item.service, region=region, applicant=item.applicant
        )
        remember = self.keys.remember(
            record_id, print_, 200, "/api/v1/applications/", {"captured_at": item.captured_at}
        )
        command = replace(command, citizen_id=citizen_id, applicant=applicant, remember=remember)
        return await submit(
            command, catalogue=self.catalogue, personal=self.personal, commits=self.commits
        )


def _duplicate(outcome: ItemOutcome, replay: Replay) -> ItemOutcome:
    outcome.outcome = "duplicate"
    outcome.application = CapturedApplication.model_validate(replay.body)
    return outcome
