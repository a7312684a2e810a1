"""Authlib's server on Starlette: its requests, its responses, and its blocking calls.

Authlib's grants are synchronous: they call back into the provider (find the client,
find the code, start a refresh family) and expect an answer. The provider's stores are
asynchronous. So each Authlib call runs on a worker thread (:func:`in_worker`) and each
call back runs on the event loop, the thread waiting for it (:func:`wait_for`): the
loop keeps serving other requests meanwhile. A :class:`Call` travels with the request
(a context variable, copied into the worker thread): the loop to call back on, the key
ring read once for the whole request (so a token and the ID token beside it name the
same key), and what the exchange started.
"""

import asyncio
import contextvars
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.errors import InsecureTransportError
from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from services.identity.oidc.keys import KeyRing

__all__ = ["Call", "StarletteRequest", "current_call", "in_worker", "respond", "wait_for"]

T = TypeVar("T")

_CALL: contextvars.ContextVar["Call"] = contextvars.ContextVar("oidc_call")
_WORKERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="oidc")
WAIT_SECONDS = 30.0


@dataclass
class Call:
    """One request's state, shared by the loop and the worker thread."""

    loop: asyncio.AbstractEventLoop
    ring: KeyRing
    family_id: str | None = None
    device_name: str | None = None  # the browser the code was signed in on


def current_call() -> Call:
    return _CALL.get()


async def in_worker(ring: KeyRing, work: Callable[[], T]) -> T:
    """Run a blocking Authlib call on a worker thread, its call backs on this loop."""
    call = Call(asyncio.get_running_loop(), ring)
    context = contextvars.copy_context()
    context.run(_CALL.set, call)
    return await call.loop.run_in_executor(_WORKERS, context.run, work)


def wait_for(work: Awaitable[T]) -> T:
    """From the worker thread: run ``work`` on the request's loop and wait for it."""
    future = asyncio.run_coroutine_threadsafe(_awaited(work), current_call().loop)
    return future.result(WAIT_SECONDS)


async def _awaited(work: Awaitable[T]) -> T:
    return await work


class _Payload(OAuth2Payload):
    def __init__(self, values: QueryParams | FormData) -> None:
        self._data = {key: str(value) for key, value in values.items()}
        lists: defaultdict[str, list] = defaultdict(list)
        for key, value in values.multi_items():
            lists[key].append(str(value))
        self._datalist = lists

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list]:
        return self._datalist


class StarletteRequest(OAuth2Request):
    """A Starlette request as Authlib reads it: the query string at the authorization
    endpoint, the form at the token endpoint (read before, on the loop)."""

    def __init__(
        self, request: Request, form: FormData | None = None, *, secure_only: bool = True
    ) -> None:
        if secure_only:
            InsecureTransportError.check(str(request.url))
        # OAuth2Request.__init__ is not called: it checks the transport unconditionally,
        # and the local stack serves plain HTTP on addresses that are not loopback.
        self.method = request.method
        self.uri = str(request.url)
        self.headers = request.headers
        self._body = None
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None
        self._form = form if form is not None else FormData()
        self._args = request.query_params
        self.payload = _Payload(form if form is not None else request.query_params)

    @property
    def args(self) -> QueryParams:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return {key: str(value) for key, value in self._form.items()}


_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


_ERRORS = {
    "invalid_grant": (
        "Izin tidak berlaku / Grant not valid",
        "Kode atau token penyegaran tidak berlaku (salah, kedaluwarsa, sudah dipakai, atau "
        "milik aplikasi lain); minta pengguna masuk lagi",
    ),
    "invalid_client": (
        "Aplikasi tidak dikenali / Client not authenticated",
        "Periksa client_id dan rahasianya (HTTP Basic untuk aplikasi rahasia)",
    ),
    "invalid_request": (
        "Permintaan tidak lengkap / Invalid request",
        "Periksa parameter permintaan",
    ),
    "unauthorized_client": (
        "Aplikasi tidak diizinkan / Client not allowed",
        "Aplikasi ini tidak terdaftar untuk jenis grant ini",
    ),
    "unsupported_grant_type": (
        "Jenis grant tidak didukung / Unsupported grant type",
        "Gunakan authorization_code, refresh_token atau client_credentials",
    ),
    "invalid_scope": (
        "Cakupan tidak diizinkan / Scope not allowed",
        "Minta hanya cakupan yang terdaftar untuk aplikasi ini",
    ),
}


def _problem(status: int, body: dict[str, Any], headers: dict[str, str]) -> JSONResponse:
    """An OAuth error (RFC 6749, section 5.2) as a problem document that keeps the
    ``error`` and ``error_description`` members clients read."""
    error = str(body.get("error", "invalid_request"))
    title, hint = _ERRORS.get(error, ("Permintaan ditolak / Request refused", "Periksa"))
    described = str(body.get("error_description") or error)
    document = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": f"{hint} / {described}",
        **body,
    }
    return JSONResponse(
        document,
        status_code=status,
        headers={**headers, **_NO_STORE},
        media_type="application/problem+json",
    )


def respond(status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
    """Authlib's (status, body, headers) as a Starlette response."""
    kept = {name: value for name, value in headers if name.lower() != "content-type"}
    if status in (301, 302, 303) and "Location" in kept:
        return RedirectResponse(kept["Location"], status_code=302, headers=_NO_STORE)
    if isinstance(body, str) and body.startswith("{"):
        body = json.loads(body)
    if isinstance(body, dict) and status >= 400:
        return _problem(status, body, kept)
    if isinstance(body, dict):
        return JSONResponse(body, status_code=status, headers={**kept, **_NO_STORE})
    return Response(body or "", status_code=status, headers={**kept, **_NO_STORE})
