"""Audit's HTTP API: thin translators to :mod:`queries`, :mod:`incremental`,
:mod:`jobs`, :mod:`export` and :mod:`access`.

Auditors authenticate with an API key (``Authorization: Bearer mppa_…``, issued with
``mpp audit issue-key NAME``); every route reads, except starting a verification job,
which writes only the job's own progress. Reading one application's timeline is itself
recorded as an access, before the data is returned.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder as jsonable
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.audit.access import record_access
from services.audit.checkpoints import Checkpoints
from services.audit.citizens import CitizenOnly
from services.audit.export import export_lines
from services.audit.incremental import verify_increment
from services.audit.jobs import VerificationJobs
from services.audit.keys import auditor_for
from services.audit.queries import EventFilter, access_log_of_citizen, events_page, timeline
from services.audit.signing import public_key_text
from shared.problems import Problem
from shared.runtime import Runtime

__all__ = ["audit_router", "citizen_router"]

_bearer = HTTPBearer(auto_error=False, description="Auditor API key (mpp audit issue-key)")


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        "Perlu kunci auditor / Auditor key required",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="mpp-audit"'},
    )


def audit_router(runtime: Runtime, checkpoints: Checkpoints, jobs: VerificationJobs) -> APIRouter:
    db = runtime.db

    async def auditor(request: Request) -> str:
        credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
        if credentials is None:
            raise _unauthorized("Send an auditor key: Authorization: Bearer <key>.")
        name = await auditor_for(db, credentials.credentials)
        if name is None:
            raise _unauthorized("This auditor key is not known; ask an operator for one.")
        return name

    Auditor = Annotated[str, Depends(auditor)]

    async def opened(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each event with its sealed personal values opened for the auditor, or
        "[erased]" where the citizen's key was destroyed; the stored bytes (and the
        hashes shown) are unchanged."""
        for view in views:
            view["event"] = await runtime.personal.open_all(view["event"])
        return views

    router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

    @router.get("/events", summary="Recorded events, filtered, oldest first")
    async def events(
        _auditor: Auditor,
        application_id: str | None = None,
        agency: str | None = None,
        region: str | None = None,
        type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: Annotated[
            int, Query(ge=0, le=2**62, description="next_cursor of the last page")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        where = EventFilter(application_id, agency, region, type, since, until)
        items, next_cursor = await events_page(db, where, cursor, limit)
        return {"items": await opened(items), "next_cursor": next_cursor}

    @router.get("/applications/{id}", summary="Everything that happened to one application")
    async def application(
        id: str,
        name: Auditor,
        purpose: Annotated[str, Query(max_length=200)] = "audit",
    ) -> dict[str, Any]:
        entries = await opened(await timeline(db, id))
        if not entries:
            raise Problem(404, "Tidak ditemukan / Not found", f"No recorded events for {id}.")
        region = next((e["event"].get("region") for e in entries if e["type"]), None)
        await record_access(
            runtime.broker,
            runtime.topics.access,
            application_id=id,
            region=region,
            actor_kind="auditor",
            actor_id=name,
            purpose=purpose,
        )
        accessed = [e for e in entries if e["type"] == "application.accessed"]
        return {
            "application_id": id,
            "events": entries,
            "accessed_by": [
                {
                    "at": e["time"],
                    "actor_kind": e["event"]["data"]["actor_kind"],
                    "actor_id": e["event"]["data"]["actor_id"],
                    "purpose": e["event"]["data"]["purpose"],
                }
                for e in accessed
            ],
        }

    @router.get("/verify", summary="Verify the records added since the last verification")
    async def verify(_auditor: Auditor) -> dict[str, Any]:
        """From the last verified position (signed), at most ``MPP_AUDIT_VERIFY_STEP``
        records: ``complete`` is false while more are left, and the next request carries
        on. Records before the position are trusted; the whole log is verified by a job
        (``POST /api/v1/audit/verify/jobs``)."""
        step = runtime.settings.audit_verify_step
        return (await verify_increment(db, checkpoints.signer, step)).as_dict()

    @router.post(
        "/verify/jobs",
        status_code=202,
        summary="Start verifying the whole log; poll the job for its progress",
    )
    async def start_verification(name: Auditor, request: Request) -> JSONResponse:
        """One job at a time: while one runs, this answers with it (200)."""
        job, started = await jobs.start(started_by=name)
        location = str(request.url_for("verification_job", id=job["id"]))
        return JSONResponse(
            jsonable(job), status_code=202 if started else 200, headers={"Location": location}
        )

    @router.get(
        "/verify/jobs/{id}",
        name="verification_job",
        summary="A verification job: records verified of the total, then the verdict",
    )
    async def verification_job(id: str, _auditor: Auditor) -> dict[str, Any]:
        job = await jobs.get(id)
        if job is None:
            raise Problem(404, "Tidak ditemukan / Not found", f"No verification job {id}.")
        return job

    @router.get("/export", summary="The whole log as JSON lines, with signed checkpoints")
    async def export(_auditor: Auditor) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            async for block in export_lines(db, checkpoints):
                yield block

        return StreamingResponse(
            body(),
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="audit-export.jsonl"'},
        )

    @router.get("/public-key", summary="The key that signs checkpoints (published)")
    async def public_key() -> dict[str, str]:
        return {
            "algorithm": "Ed25519",
            "public_key": public_key_text(checkpoints.signer.public_key),
            "key_id": checkpoints.signer.key_id,
        }

    return router


def citizen_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/api/v1/me", tags=["citizens"])
    Citizen = Annotated[str, Depends(CitizenOnly(runtime.settings))]

    @router.get("/access-log", summary="Who read my applications, and why")
    async def access_log(citizen_id: Citizen) -> dict[str, Any]:
        return {"items": await access_log_of_citizen(runtime.db, citizen_id)}

    return router
