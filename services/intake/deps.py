"""What intake's routes are given: FastAPI dependencies reading the parts the
composition root left on ``app.state.intake``, so a test can build an app with others.

The ``Idempotency-Key`` is one too (:func:`idempotent`): the route says what to remember
under it (:meth:`OpenKey.remember`, which opens the key after the request was read, so a
malformed body is refused for itself first) and its command carries that
:class:`~services.intake.idempotency.Remember`. When the write fails on a key stored
before, the dependency answers the stored response again (``Idempotent-Replayed:
true``) or refuses a key reused for another request.
"""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response
from pymongo.errors import DuplicateKeyError

from services.intake.applications import ApplicationRepository
from services.intake.batches import MobileBatches
from services.intake.callers import kiosk_judge
from services.intake.documents import DocumentAccess, DocumentStore
from services.intake.drafts import DraftStore
from services.intake.group_commit import GroupCommit
from services.intake.idempotency import IdempotencyStore, Remember, Replay, parse_key
from services.intake.identity_client import IdentityClient
from services.intake.parts import IntakeParts
from services.intake.queue.bookings import BookingStore
from services.intake.queue.ledger import QueueLedger
from services.intake.submitters import Applicants
from services.intake.uploads import UploadStore
from shared.auth import CitizenPrincipal
from shared.catalogue import Catalogue
from shared.runtime import Runtime
from shared.settings import Settings

__all__ = [
    "AccessDep",
    "ApplicantsDep",
    "ApplicationsDep",
    "BatchesDep",
    "BookingsDep",
    "CatalogueDep",
    "CommitsDep",
    "DocumentsDep",
    "DraftsDep",
    "IdempotentKey",
    "IdentityDep",
    "LedgerDep",
    "PartsDep",
    "Principal",
    "RuntimeDep",
    "SettingsDep",
    "Submitter",
    "UploadsDep",
    "install_replays",
    "replayed",
]


def parts(request: Request) -> IntakeParts:
    found: IntakeParts = request.app.state.intake
    return found


def _part(name: str) -> Callable[[Request], Any]:
    """The dependency on one of the parts (``runtime.settings``: a part of a part)."""
    get = attrgetter(name)

    def part(request: Request) -> Any:
        return get(parts(request))

    return part


async def _principal(request: Request) -> CitizenPrincipal:
    return await parts(request).principal(request)


async def _submitter(request: Request) -> CitizenPrincipal:
    return await parts(request).submitter(request)


def _applicants(request: Request) -> Applicants:
    found = parts(request)
    return Applicants(
        identity=found.identity,
        catalogue=found.runtime.catalogue,
        documents=found.documents,
        judge=kiosk_judge(found.principal, request),
    )


PartsDep = Annotated[IntakeParts, Depends(parts)]
Principal = Annotated[CitizenPrincipal, Depends(_principal)]
Submitter = Annotated[CitizenPrincipal, Depends(_submitter)]
RuntimeDep = Annotated[Runtime, Depends(_part("runtime"))]
SettingsDep = Annotated[Settings, Depends(_part("runtime.settings"))]
CatalogueDep = Annotated[Catalogue, Depends(_part("runtime.catalogue"))]
IdentityDep = Annotated[IdentityClient, Depends(_part("identity"))]
DocumentsDep = Annotated[DocumentStore, Depends(_part("documents"))]
UploadsDep = Annotated[UploadStore, Depends(_part("uploads"))]
ApplicationsDep = Annotated[ApplicationRepository, Depends(_part("applications"))]
CommitsDep = Annotated[GroupCommit, Depends(_part("commits"))]
DraftsDep = Annotated[DraftStore, Depends(_part("drafts"))]
BatchesDep = Annotated[MobileBatches, Depends(_part("batches"))]
AccessDep = Annotated[DocumentAccess, Depends(_part("access"))]
ApplicantsDep = Annotated[Applicants, Depends(_applicants)]
LedgerDep = Annotated[QueueLedger, Depends(_part("ledger"))]
BookingsDep = Annotated[BookingStore, Depends(_part("bookings"))]


@dataclass
class OpenKey:
    """The request's Idempotency-Key, for its caller: opened when the route says what
    to remember under it (after the request was read and checked, so a malformed body
    is refused for itself first), closed once the route has answered."""

    keys: IdempotencyStore
    scope: str
    """Whose keys: the caller's token's subject."""
    header: str | None
    record_id: str | None = None
    fingerprint: str | None = None

    def remember(self, print_: str, status: int, location_prefix: str) -> Remember:
        """What the route's command carries to keep its answer under the key, for a
        request whose fingerprint is ``print_``; refused without a valid key, or while
        the same key is being processed."""
        key = parse_key(self.header)
        self.record_id = self.keys.begin(self.scope, key)
        self.fingerprint = print_
        return self.keys.remember(self.record_id, print_, status, location_prefix)


class Replayed(Exception):
    """The key's answer was stored before: the route answers it again."""

    def __init__(self, replay: Replay) -> None:
        super().__init__(replay.status)
        self.replay = replay


async def idempotent(
    request: Request,
    caller: Submitter,
    idempotency_key: Annotated[str | None, Header(max_length=300)] = None,
) -> AsyncIterator[OpenKey]:
    """The route's key; a write that failed on the key being stored before is answered
    with the stored response (or refused, for another request's key)."""
    opened = OpenKey(parts(request).idempotency, caller.subject, idempotency_key)
    try:
        yield opened
    except DuplicateKeyError:
        if opened.record_id is None or opened.fingerprint is None:
            raise
        replay = await opened.keys.after_conflict(opened.record_id, opened.fingerprint)
        raise Replayed(replay) from None
    finally:
        if opened.record_id is not None:
            opened.keys.end(opened.record_id)


async def _replayed(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replayed)
    return replayed(exc.replay)


def replayed(replay: Replay) -> Response:
    """The response stored under a key, answered again."""
    headers = {"Idempotent-Replayed": "true"}
    if replay.location:
        headers["Location"] = replay.location
    return JSONResponse(replay.body, status_code=replay.status, headers=headers)


def install_replays(app: FastAPI) -> None:
    """Answer a replayed key with the response stored under it."""
    app.add_exception_handler(Replayed, _replayed)


IdempotentKey = Annotated[OpenKey, Depends(idempotent, scope="function")]
"""The request's Idempotency-Key, opened; closed before the answer is sent."""
