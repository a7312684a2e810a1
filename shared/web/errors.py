"""Pages answer pages: a refusal or a failure on a page's route is a page, not JSON.

A service's API speaks RFC 9457 problem documents, and so do the layers in front of its
routes (the body limit answers 413, the CSRF check 403, the router 404, an unexpected
error 500). A person who posted a form cannot read JSON, so on every route that is not
the API, :class:`PageErrors` turns such an answer into a page in the page's language
that says what happened and what to do next; the status code stays. Routes under
``/api/`` (and the health and metrics endpoints) keep their problem documents.
"""

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from shared.web import Pages

__all__ = ["FORM_EXPIRED", "NOT_PAGES", "PageErrors", "is_page"]

log = structlog.get_logger(__name__)

FORM_EXPIRED = "https://mpp.go.id/problems/form-expired"
"""The problem type of a form whose CSRF token did not match (``checked_form``)."""
NOT_PAGES = (
    "/api/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/asyncapi.json",
    "/docs",
    "/redoc",
    "/documents/",
    "/results/",
    "/.well-known/",
    "/oauth/token",
    "/oauth/jwks",
    "/oauth/userinfo",
)
"""Paths that answer machines, and the signed links to files (a refused link is a
problem document, as the API's): their errors stay problem documents."""
_KEPT_HEADERS = ("retry-after", "content-language")


def is_page(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


class PageErrors:
    """Problem documents (and unexpected errors) on page routes, as pages."""

    def __init__(self, app: ASGIApp, pages: "Pages") -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page(scope["path"]):
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        body = bytearray()
        started = False

        async def as_page(message: Message) -> None:
            nonlocal held, started
            if message["type"] == "http.response.start":
                if message["status"] >= 400 and _is_json(message):
                    held = message  # the page replaces it once its body has arrived
                    return
                started = True
            elif held is not None and message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    started = True
                    await self._page(scope, held, bytes(body), receive, send)
                return
            await send(message)

        try:
            await self.app(scope, receive, as_page)
        except Exception as error:
            if started:
                raise
            # What failed is logged (its kind and the path, nothing the person typed).
            log.error("page failed", error=type(error).__name__, path=scope["path"])
            problem = {"status": 500, "title": "Kesalahan server / Server error"}
            await self._respond(scope, 500, problem, {}, receive, send)

    async def _page(
        self, scope: Scope, start: Message, body: bytes, receive: Receive, send: Send
    ) -> None:
        try:
            problem = json.loads(body or b"{}")
        except ValueError:
            problem = {}
        if not isinstance(problem, dict):
            problem = {}
        headers = Headers(raw=start["headers"])
        kept = {name: headers[name] for name in _KEPT_HEADERS if name in headers}
        await self._respond(scope, start["status"], problem, kept, receive, send)

    async def _respond(
        self,
        scope: Scope,
        status: int,
        problem: dict[str, Any],
        headers: dict[str, str],
        receive: Receive,
        send: Send,
    ) -> None:
        request = Request(scope, receive)
        response = self.pages.render(
            request,
            "error.html",
            status,
            status=status,
            reason=_reason(status, problem),
            title_words=_halves(str(problem.get("title", ""))),
            back=_back(request),
        )
        response.headers.update({k: v for k, v in headers.items() if k != "content-language"})
        response.headers["Cache-Control"] = "no-store"
        await response(scope, receive, send)


def _is_json(start: Message) -> bool:
    kind = Headers(raw=start["headers"]).get("content-type", "")
    return kind.startswith(("application/json", "application/problem+json"))


def _reason(status: int, problem: dict[str, Any]) -> str:
    """Which explanation the page gives (``error.html`` words each one)."""
    if problem.get("type") == FORM_EXPIRED:
        return "form_expired"
    return {
        401: "signed_out",
        403: "forbidden",
        404: "missing",
        405: "missing",
        413: "too_large",
        415: "wrong_type",
        429: "too_many",
        503: "unavailable",
    }.get(status, "failed" if status >= 500 else "refused")


def _halves(title: str) -> tuple[str, str] | None:
    """A problem's bilingual title "Indonesian / English" as its two languages."""
    indonesian, _, english = title.partition(" / ")
    return (indonesian, english or indonesian) if indonesian else None


def _back(request: Request) -> str | None:
    """The page the person came from on this site (the form to send again), if known:
    its path, when the referring page's host is this one (a proxy may drop the port)."""
    referer = urlsplit(request.headers.get("referer", ""))
    host = request.headers.get("host", "").rsplit(":", 1)[0]
    if not host or referer.hostname != host or not referer.path.startswith("/"):
        return None
    path = referer.path if not referer.path.startswith("//") else None
    return path and path + (f"?{referer.query}" if referer.query else "")
