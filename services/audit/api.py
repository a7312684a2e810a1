"""Audit's HTTP API: thin translators to :mod:`queries`, :mod:`verification`,
:mod:`export` and :mod:`access`.

Auditors authenticate with an API key (``Authorization: Bearer mppa_…``, issued with
``mpp audit issue-key NAME``); every route is read-only. Reading one application's
timeline is itself recorded as an access, before the data is returned.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.audit.access import record_access
from services.audit.checkpoints import Checkpoints
from services.audit.citizens import CitizenOnly
from services.audit.export import export_lines
from services.audit.keys import auditor_for
from services.audit.queries import EventFilter, access_log_of_citizen, events_page, timeline
from services.audit.signing import public_key_text
from services.audit.verification import verify_store
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


def audit_router(runtime: Runtime, checkpoints: Checkpoints) -> APIRouter:
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
        return {"items": items, "next_cursor": next_cursor}

    @router.get("/applications/{id}", summary="Everything that happened to one application")
    async def application(
        id: str,
        name: Auditor,
        purpose: Annotated[str, Query(max_length=200)] = "audit",
    ) -> dict[str, Any]:
        entries = await timeline(db, id)
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

    @router.get("/verify", summary="Verify the whole chain and its signed checkpoints")
    async def verify(_auditor: Auditor) -> dict[str, Any]:
        verdict = await verify_store(db, checkpoints.signer.public_key)
        return {
            "ok": verdict.ok,
            "checked": verdict.checked,
            "first_invalid": verdict.first_invalid,
            "reason": verdict.reason,
        }

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
