"""What intake asks identity, over HTTP, with the caller's own token.

Intake holds no account and never opens identity's database: it forwards the caller's
own ``Authorization`` to identity's API (:mod:`services.identity.applicants_api`), so a
citizen's token reads only that citizen's fields and an operator's only what a counter
may read, and intake needs no credential of its own. The browser's address goes along
in the signed client header (:mod:`shared.signed_client`), so identity's per-IP limit
counts the browser, not intake.

A refusal from identity is raised again as
:class:`~services.intake.refusals.IdentityRefused`, in identity's own words; when
identity does not answer, or answers 5xx, it is
:class:`~services.intake.refusals.IdentityUnavailable` (503) and nothing is stored.
"""

import asyncio
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog

from services.intake.refusals import IdentityRefused, IdentityUnavailable, SignedOut, problem_for
from shared.auth import CitizenPrincipal
from shared.correlation import current_correlation_id
from shared.events import Applicant
from shared.profile import ProfileUpdate
from shared.settings import Settings
from shared.signed_client import SIGNED_CLIENT_HEADER, sign_client
from shared.web import internal_url

__all__ = ["IDENTITY_PATHS", "IdentityClient", "SignOuts", "is_identity_path"]

IDENTITY_PATHS = (
    "/api/v1/accounts",
    "/api/v1/auth/",
    "/api/v1/me",
    "/api/v1/counter/",
    "/api/v1/staff",
    "/api/v1/staff/",
    "/oauth/",
    "/account/",
    "/.well-known/openid-configuration",
)
"""Where identity's API, its OpenID Connect provider and its account pages are, as the
proxy routes them (deploy/nginx/default.conf); ``/api/v1/me/access-log`` is audit's."""

log = structlog.get_logger(__name__)

_PASSED_ON = ("errors", "to_verify", "missing_fields", "error")
_HEADERS_PASSED_ON = ("WWW-Authenticate", "Retry-After")


def is_identity_path(path: str) -> bool:
    """Whether the proxy sends ``path`` to identity."""
    if path.startswith("/api/v1/me/access-log"):
        return False
    if path == "/api/v1/me" or path.startswith("/api/v1/me/"):
        return True
    if path in ("/api/v1/accounts", "/api/v1/staff", "/.well-known/openid-configuration"):
        return True
    return path.startswith(tuple(p for p in IDENTITY_PATHS if p.endswith("/")))


def _refusal(answer: httpx.Response) -> IdentityRefused:
    """Identity's refusal, said again as intake's own."""
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    headers = {h: answer.headers[h] for h in _HEADERS_PASSED_ON if h in answer.headers}
    return IdentityRefused(
        answer.status_code,
        str(body.get("title", "Permintaan ditolak / Refused")),
        str(body.get("detail", "")),
        type_=str(body.get("type", "about:blank")),
        headers=headers or None,
        fields={key: body[key] for key in _PASSED_ON if key in body},
    )


class IdentityClient:
    """Identity's API, as intake's callers; ``transport`` lets a test put identity in
    the same process."""

    def __init__(
        self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.secret = settings.document_link_secret
        self.transport = transport  # the portal's sign-in exchanges its codes the same way
        self._http = httpx.AsyncClient(
            base_url=internal_url(settings, "identity"),
            transport=transport,
            timeout=httpx.Timeout(10, connect=2),
        )

    async def held_open(self) -> None:
        """Runs with the service: keeps the connections to identity, and closes them
        when the service stops (its background tasks are cancelled then)."""
        try:
            await asyncio.Event().wait()
        finally:
            await self._http.aclose()

    async def forward(self, request: httpx.Request, client: str | None) -> httpx.Response:
        """``request`` (a page's call to identity's API, as the browser) sent to identity,
        the browser's address in the signed header; 503 when identity does not answer."""
        url = self._http.base_url.join(request.url.raw_path.decode("ascii"))
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "host"]
        if client:
            headers.append((SIGNED_CLIENT_HEADER, sign_client(self.secret, client)))
        sent = self._http.build_request(
            request.method, url, headers=headers, content=await request.aread()
        )
        try:
            answer = await self._http.send(sent)
        except httpx.HTTPError as error:
            log.warning("identity unreachable", path=request.url.path, error=type(error).__name__)
            problem = problem_for(IdentityUnavailable())
            body = {"type": "about:blank", "title": problem.title, "status": 503}
            return httpx.Response(
                503,
                json={**body, "detail": problem.detail},
                headers={"Content-Type": "application/problem+json", "Retry-After": "5"},
            )
        await answer.aread()
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    async def _call(
        self, method: str, path: str, authorization: str, client: str | None, **kwargs: Any
    ) -> Any:
        headers = {"Authorization": authorization, "X-Correlation-Id": current_correlation_id()}
        if client:
            headers[SIGNED_CLIENT_HEADER] = sign_client(self.secret, client)
        try:
            answer = await self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            log.warning("identity unreachable", path=path, error=type(error).__name__)
            raise IdentityUnavailable(path) from None
        if answer.status_code >= 500:
            log.warning("identity failed", path=path, status=answer.status_code)
            raise IdentityUnavailable(path)
        if answer.status_code >= 400:
            raise _refusal(answer)
        return answer.json()

    async def tokens_valid_after(self, authorization: str, client: str | None) -> datetime | None:
        """Since when the caller's account's tokens count; 401 once signed out."""
        found = await self._call("GET", "/api/v1/auth/session", authorization, client)
        value = found.get("tokens_valid_after")
        return None if value is None else datetime.fromisoformat(value)

    async def can_submit(self, authorization: str, client: str | None) -> bool:
        """Whether the caller's account is proven (email, phone and NIK), as identity says."""
        found = await self._call("GET", "/api/v1/me", authorization, client)
        return bool(found.get("can_submit"))

    async def staff(self, authorization: str, client: str | None) -> dict[str, Any]:
        """The operator's staff account while it may act (``_id``, ``role``, ``region``,
        ``agency``); 401 once disabled or its password reset."""
        found = await self._call("GET", "/api/v1/staff/me", authorization, client)
        return {**found, "_id": found["username"]}

    async def my_applicant(
        self,
        authorization: str,
        client: str | None,
        *,
        service: str,
        channel: str,
        applicant: ProfileUpdate | None,
    ) -> Applicant | None:
        """The citizen's own declared fields for ``service``, after saving ``applicant``."""
        body = _asking({"service": service, "channel": channel}, applicant)
        found = await self._call("POST", "/api/v1/me/applicant", authorization, client, json=body)
        return _applicant(found)

    async def counter_applicant(
        self,
        authorization: str,
        client: str | None,
        *,
        nik: str,
        service: str,
        region: str,
        applicant: ProfileUpdate | None,
    ) -> tuple[str, Applicant | None]:
        """(citizen id, declared fields) of the citizen whose KTP an operator holds."""
        body = _asking({"nik": nik, "service": service, "region": region}, applicant)
        path = "/api/v1/counter/applicants"
        found = await self._call("POST", path, authorization, client, json=body)
        return str(found["citizen_id"]), _applicant(found)


def _asking(body: dict[str, Any], applicant: ProfileUpdate | None) -> dict[str, Any]:
    """A question about an applicant, with the profile fields the form added."""
    if applicant is not None:
        body["applicant"] = applicant.model_dump(mode="json", exclude_unset=True)
    return body


def _applicant(found: dict[str, Any]) -> Applicant | None:
    value = found.get("applicant")
    return None if value is None else Applicant.model_validate(value)


class SignOuts:
    """Refuses an access token issued before its account signed out everywhere.

    Identity knows when that was; intake asks it with the caller's token. A request that
    changes something asks every time; a read may use the answer for the same account
    from the last few seconds (as each identity process does itself), so reading a
    timeline does not cost a call per page."""

    READ_SECONDS = 5.0
    _READS = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, identity: IdentityClient, token_minutes: int) -> None:
        self.identity = identity
        self.token_minutes = token_minutes
        self._valid_after: OrderedDict[str, tuple[datetime | None, float]] = OrderedDict()

    async def refuse_signed_out(
        self, principal: CitizenPrincipal, method: str, authorization: str, client: str | None
    ) -> None:
        """Refuse (:class:`~services.intake.refusals.SignedOut`) a citizen's token issued
        before the account signed out everywhere."""
        if not principal.is_citizen:
            return
        cached = self._valid_after.get(principal.subject)
        if (
            method in self._READS
            and cached is not None
            and time.monotonic() - cached[1] < self.READ_SECONDS
        ):
            valid_after = cached[0]
        else:
            valid_after = await self.identity.tokens_valid_after(authorization, client)
            self._remember(principal.subject, valid_after)
        if valid_after is None:
            return
        # When the token was issued, to the millisecond (its UUIDv7 id); for a token that
        # does not say, its expiry less the lifetime. BSON keeps milliseconds too.
        issued_at = principal.issued_at or principal.expires_at - timedelta(
            minutes=self.token_minutes
        )
        if issued_at < valid_after.replace(microsecond=valid_after.microsecond // 1000 * 1000):
            raise SignedOut(principal.subject)

    def _remember(self, subject: str, valid_after: datetime | None) -> None:
        self._valid_after[subject] = (valid_after, time.monotonic())
        self._valid_after.move_to_end(subject)
        if len(self._valid_after) > 100_000:
            self._valid_after.popitem(last=False)
