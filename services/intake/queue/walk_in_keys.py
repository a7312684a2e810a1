"""A walk-in ticket under the kiosk's Idempotency-Key: a kiosk that lost the answer and
asks again with the same key gets the same ticket, never a second place.

The answer is kept like a booking's (``idempotency_keys``, under ``<kiosk>:<key>``), in
the ticket's own transaction; a retry finds it and answers it again
(``Idempotent-Replayed: true``), the same key with another body is refused
("Idempotency-Key dipakai ulang / Idempotency-Key reused"). Without a key a walk-in is
given a ticket as before.
"""

from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse, Response
from pymongo.errors import DuplicateKeyError

from services.intake.deps import replayed
from services.intake.idempotency import IdempotencyStore, parse_key
from services.intake.queue.hall import Hall
from services.intake.queue.kiosk import walk_in
from shared.auth import CitizenPrincipal
from shared.events import utcnow
from shared.idempotency import fingerprint

__all__ = ["walk_in_answer"]

_PATH = "/api/v1/queue/walk-ins"


async def walk_in_answer(
    hall: Hall,
    kiosk: CitizenPrincipal,
    body: dict[str, Any],
    keys: IdempotencyStore,
    header: str | None,
    view: Callable[[dict[str, Any]], dict[str, Any]],
) -> Response:
    """201 with a new ticket, or the kept answer of the same key again."""
    service, priority = body["service"], body["priority"]
    if header is None:
        return JSONResponse(view(await walk_in(hall, kiosk, service, priority)), 201)
    print_ = fingerprint(body, path=_PATH)
    record_id = keys.begin(kiosk.subject, parse_key(header))
    try:
        stored = await keys.stored([record_id])
        if stored:
            return replayed(keys.replay(stored[record_id], print_))

        def record(ticket: dict[str, Any]) -> dict[str, Any]:
            answer = view(ticket)
            return {
                "_id": record_id,
                "fingerprint": print_,
                "status": 201,
                "body": answer,
                "location": None,
                "created_at": utcnow(),
            }

        try:
            ticket = await walk_in(hall, kiosk, service, priority, (keys, record))
        except DuplicateKeyError:
            return replayed(await keys.after_conflict(record_id, print_))
        return JSONResponse(view(ticket), 201)
    finally:
        keys.end(record_id)
