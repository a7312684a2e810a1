"""Audit's HTTP API: thin translators to :mod:`api_handlers`, :mod:`queries`,
:mod:`incremental`, :mod:`jobs` and :mod:`export`.

Auditors authenticate with an API key (``Authorization: Bearer mppa_…``, issued with
``mpp audit issue-key NAME``); every route reads, except starting a verification job,
which writes only the job's own progress. Personal values stay sealed as stored in
what is read in bulk; opening them takes a request for one application or one citizen
with a stated purpose (``POST …/open``). Reading one application's timeline, and
every opening, is recorded as an access before the data is returned. What a route
needs comes from :mod:`services.audit.deps`.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder as jsonable
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from services.audit import api_handlers as handle
from services.audit.api_handlers import FindEvents, OpenCitizen, ReadHistory
from services.audit.deps import (
    Auditor,
    Citizen,
    Jobs,
    Log,
    Recorder,
    ServiceRuntime,
    SignedCheckpoints,
)
from services.audit.export import export_lines
from services.audit.incremental import verify_increment
from services.audit.queries import EventFilter, access_log_of_citizen
from services.audit.signing import public_key_text

__all__ = ["audit_router", "citizen_router"]

audit_router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
citizen_router = APIRouter(prefix="/api/v1/me", tags=["citizens"])


class OpenRequest(BaseModel):
    """Why personal data is opened: shown to the citizen in their access log."""

    purpose: str = Field(
        min_length=10,
        max_length=200,
        description="Why the auditor needs the plain values (e.g. 'pemeriksaan pengaduan "
        "nomor 12/2026'); the citizen sees it with the auditor's name.",
    )


@audit_router.get(
    "/events", summary="Recorded events, filtered, oldest first; personal values sealed"
)
async def events(
    _auditor: Auditor,
    log: Log,
    application_id: str | None = None,
    agency: str | None = None,
    region: str | None = None,
    type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[int, Query(ge=0, le=2**62, description="next_cursor of the last page")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    citizen_id: str | None = None,
) -> dict[str, Any]:
    """Each event as stored: personal values sealed (``pdp1.…``); see ``…/open``."""
    where = EventFilter(application_id, agency, region, type, since, until, citizen_id)
    return await handle.find_events(FindEvents(where, cursor, limit), log)


@audit_router.get(
    "/applications/{id}",
    summary="Everything that happened to one application; personal values sealed",
)
async def application(
    id: str,
    name: Auditor,
    log: Log,
    record_access: Recorder,
    purpose: Annotated[str, Query(max_length=200)] = "audit",
) -> dict[str, Any]:
    return await handle.read_history(ReadHistory(name, id, purpose), log, record_access)


@audit_router.post(
    "/applications/{id}/open",
    summary="One application's timeline with its personal values opened, for a stated "
    "purpose (recorded in the citizen's access log)",
)
async def open_application(
    id: str, body: OpenRequest, name: Auditor, log: Log, record_access: Recorder
) -> dict[str, Any]:
    return await handle.open_history(ReadHistory(name, id, body.purpose), log, record_access)


@audit_router.post(
    "/citizens/{citizen_id}/open",
    summary="The records naming one citizen with their personal values opened, for a "
    "stated purpose (recorded in the citizen's access log)",
)
async def open_citizen(
    citizen_id: str,
    body: OpenRequest,
    name: Auditor,
    log: Log,
    record_access: Recorder,
    cursor: Annotated[int, Query(ge=0, le=2**62, description="next_cursor of the last page")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    query = OpenCitizen(name, citizen_id, body.purpose, cursor, limit)
    return await handle.open_citizen(query, log, record_access)


@audit_router.get("/verify", summary="Verify the records added since the last verification")
async def verify(
    _auditor: Auditor, runtime: ServiceRuntime, checkpoints: SignedCheckpoints
) -> dict[str, Any]:
    """From the last verified position (signed), at most ``MPP_AUDIT_VERIFY_STEP``
    records: ``complete`` is false while more are left, and the next request carries
    on. Records before the position are trusted; the whole log is verified by a job
    (``POST /api/v1/audit/verify/jobs``)."""
    step = runtime.settings.audit_verify_step
    return (await verify_increment(runtime.db, checkpoints.signer, step)).as_dict()


@audit_router.post(
    "/verify/jobs",
    status_code=202,
    summary="Start verifying the whole log; poll the job for its progress",
)
async def start_verification(name: Auditor, request: Request, jobs: Jobs) -> JSONResponse:
    """One job at a time: while one runs, this answers with it (200)."""
    job, started = await jobs.start(started_by=name)
    location = str(request.url_for("verification_job", id=job["id"]))
    return JSONResponse(
        jsonable(job), status_code=202 if started else 200, headers={"Location": location}
    )


@audit_router.get(
    "/verify/jobs/{id}",
    name="verification_job",
    summary="A verification job: records verified of the total, then the verdict",
)
async def verification_job(id: str, _auditor: Auditor, jobs: Jobs) -> dict[str, Any]:
    return await handle.verification_job(id, jobs)


@audit_router.get("/export", summary="The whole log as JSON lines, with signed checkpoints")
async def export(
    _auditor: Auditor, runtime: ServiceRuntime, checkpoints: SignedCheckpoints
) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        async for block in export_lines(runtime.db, checkpoints):
            yield block

    return StreamingResponse(
        body(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="audit-export.jsonl"'},
    )


@audit_router.get("/public-key", summary="The key that signs checkpoints (published)")
async def public_key(checkpoints: SignedCheckpoints) -> dict[str, str]:
    return {
        "algorithm": "Ed25519",
        "public_key": public_key_text(checkpoints.signer.public_key),
        "key_id": checkpoints.signer.key_id,
    }


@citizen_router.get("/access-log", summary="Who read my applications, and why")
async def access_log(citizen_id: Citizen, runtime: ServiceRuntime) -> dict[str, Any]:
    return {"items": await access_log_of_citizen(runtime.db, citizen_id)}
