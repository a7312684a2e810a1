"""Signing a citizen in to the portal: at the platform's provider, never here.

``/portal/signin`` sends the browser to identity's sign-in page with the code flow and
PKCE (:class:`shared.web.code_flow.CodeFlow`, the ``portal`` client); with a notice
(``reset``, ``changed``, ``everywhere``, ``signed_out``) it first says what just
happened. ``/portal/oidc/callback`` starts the portal's session in two cookies (path
``/``, read by every service's pages on the one origin): ``mpp_session``, the access
token (no refresh token: a page session lasts one access token), and ``mpp_device``, the
refresh family the sign-in started (the ID token's ``sid``), which identity's security
page marks as "this device" and signing out of the portal revokes.

``/portal/register`` starts the same flow with ``prompt=create``; the new citizen comes
back signed in to ``/portal/verify``, as does anyone whose NIK is not proven yet (the ID
token's ``nik_proof``). The account pages are identity's (``/account/...``); their old
portal addresses lead there, so bookmarks and old messages keep working.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.web.deps import Page, PageDep
from shared.web import DEVICE_COOKIE, SESSION_COOKIE, service_url
from shared.web.code_flow import CodeFlow, CodeFlowFailed

__all__ = ["portal_flow", "signin_router"]

_NOTICES = ("reset", "changed", "everywhere", "signed_out")
_DEFAULT_NEXT = "/portal/applications"

signin_router = APIRouter(include_in_schema=False)


def portal_flow(request: Request) -> CodeFlow:
    """The portal as the provider's ``portal`` client; identity reached as intake
    reaches its API (a test puts identity in the same process)."""
    state = request.app.state
    return CodeFlow(
        "portal",
        "/portal",
        "intake",
        state.runtime.settings,
        transport=state.identity_client.transport,
    )


@signin_router.get("/portal/signin")
async def signin(page: PageDep, next: str = _DEFAULT_NEXT) -> Response:
    """To the provider's sign-in page, back to ``next`` (a portal page) afterwards."""
    if any(page.request.query_params.get(notice) for notice in _NOTICES):
        return page.render("signin.html", next=_local(next))
    return portal_flow(page.request).begin(page.request, _local(next))


@signin_router.get("/portal/register")
async def register(page: PageDep) -> Response:
    """To the provider's registration page; signed in afterwards, to prove the account."""
    return portal_flow(page.request).begin(page.request, "/portal/verify", prompt="create")


@signin_router.get("/portal/forgot")
@signin_router.get("/portal/reset")
@signin_router.get("/portal/security")
@signin_router.get("/portal/profile")
@signin_router.get("/portal/verify")
async def moved_to_identity(page: PageDep) -> Response:
    """The account pages, at identity: the same page there, its query kept
    (``/portal/reset?sent=1`` → ``/account/reset?sent=1``)."""
    url = page.request.url
    target = service_url(page.pages.settings, "identity") + url.path.replace(
        "/portal/", "/account/", 1
    )
    return RedirectResponse(f"{target}?{url.query}" if url.query else target, status_code=303)


@signin_router.get("/portal/oidc/callback")
async def callback(page: PageDep) -> Response:
    """The provider's answer: the portal's session started, or a page that says why
    not. The waiting cookie is deleted either way."""
    flow = portal_flow(page.request)
    try:
        signed = await flow.finish(page.request)
    except CodeFlowFailed as failed:
        return flow.forget(_failed(page, failed.reason))
    response = page.redirect(_onward(signed.after, signed.claims))
    token = {"access_token": signed.access_token, "expires_in": signed.expires_in}
    _start(response, page.request, token, signed.claims.get("sid"))
    return flow.forget(response)


def _start(response: Response, request: Request, token: dict[str, Any], device: Any) -> None:
    """Put the access token (and the device it started) in the browser's cookies."""
    for name, value in ((SESSION_COOKIE, token["access_token"]), (DEVICE_COOKIE, device)):
        if value is None:
            response.delete_cookie(name, path="/")
            continue
        response.set_cookie(
            name,
            value,
            max_age=token["expires_in"],
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )


def _onward(after: str, claims: dict[str, object]) -> str:
    """Where the signed-in citizen goes: the page asked for; without one, an account
    whose NIK is not proven yet (one just registered from the sign-in page, say) to the
    page that proves it, else to their applications."""
    if after == _DEFAULT_NEXT and claims.get("nik_proof", "none") == "none":
        return "/portal/verify"
    return after


def _failed(page: Page, reason: str) -> Response:
    status = 503 if reason == "unavailable" else 400
    response = page.render("signin_failed.html", status, reason=reason)
    response.headers["Cache-Control"] = "no-store"
    return response


def _local(path: str) -> str:
    """Only the portal's own pages, so a crafted ``next`` cannot send anyone elsewhere."""
    return path if path.startswith("/portal/") and not path.startswith("//") else _DEFAULT_NEXT
