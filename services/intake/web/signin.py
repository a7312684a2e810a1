"""Signing a citizen in to the portal: at the platform's provider, never here.

``/portal/signin`` sends the browser to identity's sign-in page with the code flow and
PKCE (:class:`shared.web.code_flow.CodeFlow`, the ``portal`` client); the citizen types
their password there and only there. ``/portal/oidc/callback`` exchanges the code and
starts the portal's session as :mod:`services.intake.web.session` keeps it: the access
token, and the device (the refresh family the sign-in started, named by the ID token's
``sid``). A sign-in that cannot finish says why on a page with a way to start again.

``/portal/signin`` with a notice (``reset``, ``changed``, ``everywhere``,
``signed_out``) says what just happened first, with a button that starts the sign-in.

``/portal/register`` starts the same flow with ``prompt=create``: the provider shows its
registration page, and the new citizen comes back signed in, to ``/portal/verify``
(which leads to identity's ``/account/verify``) — as does anyone signing in without a
page asked for whose NIK is not proven yet (the ID token's ``nik_proof``), a
registration begun from the provider's sign-in page included. The account pages (every
one where a password is typed, and the verify page) are identity's (``/account/...``);
their old portal addresses lead there, so bookmarks and links in old messages keep
working.
"""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.web import session
from services.intake.web.deps import Page, PageDep
from shared.web import service_url
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
    session.start(response, page.request, token, signed.claims.get("sid"))
    return flow.forget(response)


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
