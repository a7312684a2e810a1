"""``POST /api/v1/batches``: a mobile unit's operator sends the day's offline captures
(:mod:`services.intake.batches` judges and stores them, item by item); what the route
needs comes from :mod:`services.intake.deps`."""

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.intake.batches import BatchItem, ItemOutcome
from services.intake.callers import client_ip
from services.intake.deps import BatchesDep, IdentityDep, Principal, SettingsDep
from services.intake.submitters import serving_staff
from shared.auth import CitizenPrincipal
from shared.correlation import current_correlation_id
from shared.languages import pick
from shared.problems import Problem, language_of

__all__ = ["batches_router"]


class BatchRequest(BaseModel):
    items: list[BatchItem | dict[str, Any]] = Field(
        description="The applications captured offline, each a BatchItem; an item that is "
        "not is that item's problem, not the batch's."
    )


class BatchOutcome(BaseModel):
    received: int
    accepted: int = Field(description="Stored by this request.")
    duplicates: int = Field(description="Stored by an earlier send of the same items.")
    problems: int = Field(description="Not stored: see each item's problem.")
    items: list[ItemOutcome]


def _operators_only(caller: CitizenPrincipal) -> None:
    if caller.operator_role != "mobile_unit":
        raise Problem(
            403,
            "Khusus petugas layanan keliling / Mobile unit operators only",
            "Only a mobile service unit's operator sends batches of offline captures.",
        )


def _sized(items: list[Any], max_items: int) -> None:
    """422 for an empty batch, 413 for one over ``max_items``."""
    if not items:
        raise Problem(
            422,
            "Batch kosong / Empty batch",
            "Kirim minimal satu permohonan / Send at least one application.",
            errors=[{"field": "items", "message": "at least one item"}],
        )
    if len(items) > max_items:
        raise Problem(
            413,
            "Batch terlalu besar / Batch too large",
            f"Satu batch paling banyak {max_items} permohonan; bagi menjadi beberapa batch "
            f"/ One batch holds at most {max_items} applications; send several.",
            errors=[{"field": "items", "message": f"at most {max_items} items"}],
            max_items=max_items,
        )


def _in_language(outcomes: list[ItemOutcome], language: str | None) -> list[ItemOutcome]:
    """Items' problems in the caller's language, when they asked for one."""
    for outcome in outcomes:
        if outcome.problem is not None and language is not None:
            outcome.problem.title = pick(outcome.problem.title, language)
            outcome.problem.detail = pick(outcome.problem.detail, language)
    return outcomes


def _counted(outcomes: list[ItemOutcome]) -> BatchOutcome:
    count = {k: sum(1 for o in outcomes if o.outcome == k) for k in ("accepted", "duplicate")}
    return BatchOutcome(
        received=len(outcomes),
        accepted=count["accepted"],
        duplicates=count["duplicate"],
        problems=len(outcomes) - count["accepted"] - count["duplicate"],
        items=outcomes,
    )


batches_router = APIRouter(prefix="/api/v1", tags=["mobile units"])


@batches_router.post(
    "/batches",
    response_model=BatchOutcome,
    summary="Send a mobile unit's offline captures (mobile unit operators)",
    responses={401: {}, 403: {}, 413: {}, 422: {}},
)
async def send_batch(
    body: BatchRequest,
    caller: Principal,
    request: Request,
    batches: BatchesDep,
    settings: SettingsDep,
    identity: IdentityDep,
) -> BatchOutcome:
    """Each item is stored on its own, in order, with its own Idempotency-Key (scoped
    to this operator): send the whole batch again after a cut — the items stored
    before answer ``duplicate`` with their tracking number, each application exists
    once. A ``captured_at`` in the future or older than the capture window is that
    item's problem."""
    _operators_only(caller)
    authorization = request.headers.get("authorization", "")
    staff = await serving_staff(identity, authorization, client_ip(request))
    _sized(body.items, settings.mobile_batch_max_items)
    asking = partial(identity.counter_applicant, authorization, client_ip(request))
    outcomes = await batches.submit(staff, body.items, current_correlation_id(), asking)
    return _counted(_in_language(outcomes, language_of(request)))
