"""``POST /api/v1/batches``: a mobile unit's operator sends the day's offline captures
(:mod:`services.intake.batches` judges and stores them, item by item)."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.intake.batches import BatchItem, ItemOutcome, MobileBatches
from services.intake.counter_api import serving_staff
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


def batches_router(
    batches: MobileBatches,
    principal: Callable[..., Awaitable[CitizenPrincipal]],
    max_items: int,
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["mobile units"])
    Principal = Annotated[CitizenPrincipal, Depends(principal)]

    @router.post(
        "/batches",
        response_model=BatchOutcome,
        summary="Send a mobile unit's offline captures (mobile unit operators)",
        responses={401: {}, 403: {}, 413: {}, 422: {}},
    )
    async def send_batch(body: BatchRequest, caller: Principal, request: Request) -> BatchOutcome:
        """Each item is stored on its own, in order, with its own Idempotency-Key (scoped
        to this operator): send the whole batch again after a cut — the items stored
        before answer ``duplicate`` with their tracking number, each application exists
        once. A ``captured_at`` in the future or older than the capture window is that
        item's problem."""
        if caller.operator_role != "mobile_unit":
            raise Problem(
                403,
                "Khusus petugas layanan keliling / Mobile unit operators only",
                "Only a mobile service unit's operator sends batches of offline captures.",
            )
        staff = await serving_staff(batches.accounts.staff, caller)
        if not body.items:
            raise Problem(
                422,
                "Batch kosong / Empty batch",
                "Kirim minimal satu permohonan / Send at least one application.",
                errors=[{"field": "items", "message": "at least one item"}],
            )
        if len(body.items) > max_items:
            raise Problem(
                413,
                "Batch terlalu besar / Batch too large",
                f"Satu batch paling banyak {max_items} permohonan; bagi menjadi beberapa batch "
                f"/ One batch holds at most {max_items} applications; send several.",
                errors=[{"field": "items", "message": f"at most {max_items} items"}],
                max_items=max_items,
            )
        outcomes = await batches.submit(staff, body.items, current_correlation_id())
        language = language_of(request)
        for outcome in outcomes:
            if outcome.problem is not None and language is not None:
                outcome.problem.title = pick(outcome.problem.title, language)
                outcome.problem.detail = pick(outcome.problem.detail, language)
        count = {k: sum(1 for o in outcomes if o.outcome == k) for k in ("accepted", "duplicate")}
        return BatchOutcome(
            received=len(outcomes),
            accepted=count["accepted"],
            duplicates=count["duplicate"],
            problems=len(outcomes) - count["accepted"] - count["duplicate"],
            items=outcomes,
        )

    return router
