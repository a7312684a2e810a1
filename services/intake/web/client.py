"""The portal calls the platform's HTTP API as the browser's session, so a page and a
mobile app go through exactly the same validation, idempotency and rate limits: intake's
own API in-process, and identity's (sign-in, the profile, ``/api/v1/me/...``) over HTTP
(:mod:`services.intake.identity_client`), as the proxy routes them."""

from datetime import datetime
from pathlib import PurePath
from typing import Any

import httpx
from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from services.intake.identity_client import IdentityClient, is_identity_path
from shared.web import SESSION_COOKIE, bearer

__all__ = [
    "SESSION_COOKIE",
    "api",
    "attached",
    "field_errors",
    "me",
    "parse_time",
    "send_documents",
]


class _PortalTransport(httpx.AsyncBaseTransport):
    """Identity's paths to identity, the rest to this very app."""

    def __init__(self, local: httpx.AsyncBaseTransport, request: Request) -> None:
        self.local = local
        self.identity: IdentityClient = request.app.state.identity_client
        self.client = request.client.host if request.client else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if is_identity_path(request.url.path):
            return await self.identity.forward(request, self.client)
        return await self.local.handle_async_request(request)

    async def aclose(self) -> None:
        await self.local.aclose()


def api(request: Request, token: str | None = None) -> httpx.AsyncClient:
    """The platform's API, as the browser's session."""
    client = request.client
    local = httpx.ASGITransport(
        app=request.app, client=(client.host, client.port) if client else ("127.0.0.1", 0)
    )
    return httpx.AsyncClient(
        transport=_PortalTransport(local, request),
        base_url="http://self",
        headers=bearer(token or request.cookies.get(SESSION_COOKIE)),
    )


async def me(client: httpx.AsyncClient) -> dict[str, Any] | None:
    """The caller's profile; None when the session is not valid (expired, signed out,
    not a citizen's)."""
    answer = await client.get("/api/v1/me")
    return answer.json() if answer.status_code == 200 else None


def field_errors(problem: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``{field: message}`` from a problem's ``errors``, with ``prefix`` taken off."""
    errors: dict[str, str] = {}
    for error in problem.get("errors") or []:
        field = str(error.get("field", ""))
        if prefix and field.startswith(prefix):
            field = field[len(prefix) :]
        errors.setdefault(field, str(error.get("message", "")))
    return errors


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime) or value is None:
        return value
    return datetime.fromisoformat(str(value))


def attached(form: FormData, kinds: list[str]) -> tuple[dict[str, UploadFile], dict[str, str]]:
    """The documents a form carries, by the kinds asked for: the files (``doc.<kind>``),
    and the uploads the page's script already sent in pieces (``upload.<kind>``: the
    upload's id), whose kinds are not read from their file inputs."""
    sent = {kind: str(form.get(f"upload.{kind}", "")).strip() for kind in kinds}
    uploads = {kind: upload for kind, upload in sent.items() if upload}
    found = {kind: form.get(f"doc.{kind}") for kind in kinds if kind not in uploads}
    files = {
        kind: file for kind, file in found.items() if isinstance(file, UploadFile) and file.filename
    }
    return files, uploads


async def send_documents(
    client: httpx.AsyncClient,
    files: dict[str, UploadFile],
    uploads: dict[str, str],
    errors: dict[str, str],
) -> list[str]:
    """The sha256 of each document: the uploads finished in pieces, then each file
    uploaded through the API. A refusal, or an upload not the citizen's or not
    complete, goes in ``errors`` under its input (``doc.<kind>``)."""
    hashes = []
    for kind, upload in uploads.items():
        answer = await client.get(f"/api/v1/uploads/{upload}")
        view: dict[str, Any] = answer.json()
        document = (view.get("document") or {}) if answer.status_code == 200 else {}
        if document.get("sha256"):
            hashes.append(str(document["sha256"]))
        else:
            errors[f"doc.{kind}"] = str(view.get("title") or _UNFINISHED)
    for kind, file in files.items():
        # Named by the document's kind: a file name often carries a person's name,
        # and it travels with the application's events.
        name = kind + PurePath(file.filename or "").suffix.lower()[:8]
        stored = await client.post("/api/v1/documents", files={"file": (name, await file.read())})
        if stored.status_code == 201:
            hashes.append(stored.json()["sha256"])
        else:
            errors[f"doc.{kind}"] = stored.json().get("title", "")
    return hashes


_UNFINISHED = (
    "Unggahan belum selesai; lampirkan berkasnya lagi / The upload did not finish; "
    "attach the file again"
)
