"""What audit's routes take from its composition root.

:func:`services.audit.app.build` makes audit's parts once
(:class:`~services.audit.parts.AuditParts`) and keeps them on ``app.state.audit`` (and
:func:`services.audit.web.mount_web` the pages' templates on ``app.state.pages``); the
providers here hand them to a route through FastAPI's ``Depends``, so the routers are
module-level and hold nothing, and a test can replace any part
(``app.dependency_overrides``).
"""

from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.audit.access import record_access
from services.audit.api_handlers import AccessRecorder, AuditorsLog
from services.audit.checkpoints import Checkpoints
from services.audit.jobs import VerificationJobs
from services.audit.keys import auditor_for
from services.audit.parts import AuditParts
from shared.problems import Problem
from shared.runtime import Runtime
from shared.web import Pages

__all__ = [
    "AuditPages",
    "Auditor",
    "Citizen",
    "Jobs",
    "Log",
    "Recorder",
    "ServiceRuntime",
    "SignedCheckpoints",
    "access_recorder",
    "auditor",
    "auditors_log",
    "checkpoints",
    "citizen",
    "pages",
    "runtime",
    "verification_jobs",
]

_bearer = HTTPBearer(auto_error=False, description="Auditor API key (mpp audit issue-key)")


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _parts(request: Request) -> AuditParts:
    parts: AuditParts = request.app.state.audit
    return parts


def checkpoints(request: Request) -> Checkpoints:
    return _parts(request).checkpoints


def verification_jobs(request: Request) -> VerificationJobs:
    return _parts(request).jobs


def auditors_log(request: Request) -> AuditorsLog:
    return _parts(request).auditors_log()


def access_recorder(request: Request) -> AccessRecorder:
    """Records an auditor's read on audit's access topic (:mod:`services.audit.access`)."""
    runtime = request.app.state.runtime
    return partial(record_access, runtime.broker, runtime.topics.access)


async def auditor(request: Request) -> str:
    """The auditor the ``Authorization: Bearer`` key names (401 otherwise)."""
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    if credentials is None:
        raise _unauthorized("Send an auditor key: Authorization: Bearer <key>.")
    name = await auditor_for(request.app.state.runtime.db, credentials.credentials)
    if name is None:
        raise _unauthorized("This auditor key is not known; ask an operator for one.")
    return name


async def citizen(request: Request) -> str:
    """The verified citizen's id (:class:`services.audit.citizens.CitizenOnly`)."""
    return await _parts(request).citizen_only(request)


def pages(request: Request) -> Pages:
    """The console's and the citizen page's templates."""
    return request.app.state.pages


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        "Perlu kunci auditor / Auditor key required",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="mpp-audit"'},
    )


ServiceRuntime = Annotated[Runtime, Depends(runtime)]
SignedCheckpoints = Annotated[Checkpoints, Depends(checkpoints)]
Jobs = Annotated[VerificationJobs, Depends(verification_jobs)]
Log = Annotated[AuditorsLog, Depends(auditors_log)]
Recorder = Annotated[AccessRecorder, Depends(access_recorder)]
Auditor = Annotated[str, Depends(auditor)]
Citizen = Annotated[str, Depends(citizen)]
AuditPages = Annotated[Pages, Depends(pages)]
