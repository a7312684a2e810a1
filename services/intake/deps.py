"""What intake's routes are given: FastAPI dependencies reading the parts the composition
root (:mod:`services.intake.app`) wired once and left on ``app.state.intake``.

The routers are plain module-level ``APIRouter`` objects; a route names what it needs
(``drafts: DraftsDep``, ``caller: Principal``) and FastAPI hands it over per request,
so a test can build an app with other parts.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.intake.applications import ApplicationRepository
from services.intake.batches import MobileBatches
from services.intake.document_access import DocumentAccess
from services.intake.documents import DocumentStore
from services.intake.drafts import DraftStore
from services.intake.group_commit import GroupCommit
from services.intake.idempotency import IdempotencyStore
from services.intake.identity_client import IdentityClient
from services.intake.uploads import UploadStore
from shared.auth import CitizenPrincipal
from shared.catalogue import Catalogue
from shared.runtime import Runtime
from shared.settings import Settings

__all__ = [
    "AccessDep",
    "ApplicationsDep",
    "BatchesDep",
    "CatalogueDep",
    "CommitsDep",
    "DocumentsDep",
    "DraftsDep",
    "IdempotencyDep",
    "IdentityDep",
    "IntakeParts",
    "PartsDep",
    "Principal",
    "RuntimeDep",
    "SettingsDep",
    "Submitter",
    "UploadsDep",
    "parts",
    "principal",
    "submitter",
]


@dataclass(frozen=True)
class IntakeParts:
    """Intake's stores and services, wired once per process."""

    runtime: Runtime
    principal: Callable[[Request], Awaitable[CitizenPrincipal]]
    """The verified caller, within their rate limit, not signed out since."""
    submitter: Callable[[Request], Awaitable[CitizenPrincipal]]
    """The same for a submission, which leaves the sign-out check to identity's answer
    about the applicant."""
    identity: IdentityClient
    """Identity's API: accounts, staff and applicants' declared fields, asked with the
    caller's own token."""
    idempotency: IdempotencyStore
    documents: DocumentStore
    uploads: UploadStore
    applications: ApplicationRepository
    commits: GroupCommit
    drafts: DraftStore
    batches: MobileBatches
    """Mobile units' offline captures."""
    access: DocumentAccess
    """Records each opening of a citizen's document by an officer."""


def parts(request: Request) -> IntakeParts:
    found: IntakeParts = request.app.state.intake
    return found


async def principal(request: Request) -> CitizenPrincipal:
    return await parts(request).principal(request)


async def submitter(request: Request) -> CitizenPrincipal:
    return await parts(request).submitter(request)


def _runtime(request: Request) -> Runtime:
    return parts(request).runtime


def _settings(request: Request) -> Settings:
    return parts(request).runtime.settings


def _catalogue(request: Request) -> Catalogue:
    return parts(request).runtime.catalogue


def _identity(request: Request) -> IdentityClient:
    return parts(request).identity


def _idempotency(request: Request) -> IdempotencyStore:
    return parts(request).idempotency


def _documents(request: Request) -> DocumentStore:
    return parts(request).documents


def _uploads(request: Request) -> UploadStore:
    return parts(request).uploads


def _applications(request: Request) -> ApplicationRepository:
    return parts(request).applications


def _commits(request: Request) -> GroupCommit:
    return parts(request).commits


def _drafts(request: Request) -> DraftStore:
    return parts(request).drafts


def _batches(request: Request) -> MobileBatches:
    return parts(request).batches


def _access(request: Request) -> DocumentAccess:
    return parts(request).access


PartsDep = Annotated[IntakeParts, Depends(parts)]
Principal = Annotated[CitizenPrincipal, Depends(principal)]
Submitter = Annotated[CitizenPrincipal, Depends(submitter)]
RuntimeDep = Annotated[Runtime, Depends(_runtime)]
SettingsDep = Annotated[Settings, Depends(_settings)]
CatalogueDep = Annotated[Catalogue, Depends(_catalogue)]
IdentityDep = Annotated[IdentityClient, Depends(_identity)]
IdempotencyDep = Annotated[IdempotencyStore, Depends(_idempotency)]
DocumentsDep = Annotated[DocumentStore, Depends(_documents)]
UploadsDep = Annotated[UploadStore, Depends(_uploads)]
ApplicationsDep = Annotated[ApplicationRepository, Depends(_applications)]
CommitsDep = Annotated[GroupCommit, Depends(_commits)]
DraftsDep = Annotated[DraftStore, Depends(_drafts)]
BatchesDep = Annotated[MobileBatches, Depends(_batches)]
AccessDep = Annotated[DocumentAccess, Depends(_access)]
