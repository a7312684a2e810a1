"""Queue staff signed in to intake's ``/antrean`` pages: a queue kiosk or a counter
officer, each bound to one region (docs/queue.md, "The building's pages").

The pages are a relying party of identity's provider (client ``antrean``), like the
workbench: the person types their username and password on identity's page only; the
one-time code comes back to ``/antrean/oidc/callback`` and is exchanged server to
server. The access token is kept in an HttpOnly, SameSite=Lax cookie scoped to
``/antrean`` once it is a queue kiosk's or a counter officer's; each page sends it to
intake's own queue API, which checks it again on every call.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.intake.web.deps import Page, PageDep
from shared.auth import CitizenPrincipal, InvalidToken, KeysUnavailable, TokenVerifier
from shared.web import checked_form
from shared.web.code_flow import CodeFlow, CodeFlowFailed
from shared.web.signin import AreaSignIn

__all__ = ["QUEUE_AREA", "Staff", "StaffDep", "queue_signin_router", "staff_of"]

QUEUE_AREA = AreaSignIn("mpp_antrean", "/antrean")
"""The kiosk's or counter officer's access token, for ``/antrean`` pages only."""

_NOT_QUEUE_STAFF = (
    "Akun ini bukan akun kios antrean atau petugas loket / This account is not a queue "
    "kiosk's or a counter officer's."
)
_FAILED = {
    "access_denied": "Anda membatalkan masuk. Belum ada yang berubah / You cancelled "
    "signing in. Nothing has changed.",
    "expired": "Waktu masuk sudah habis, atau masuk dimulai di jendela lain. Silakan mulai "
    "lagi / Signing in took too long, or was started in another window. Please start again.",
    "refused": "Layanan masuk tidak menerima permintaan ini. Silakan masuk lagi / The "
    "sign-in service did not accept this request. Please sign in again.",
    "unavailable": "Layanan masuk tidak dapat dihubungi; coba lagi sebentar / The sign-in "
    "service cannot be reached; try again shortly.",
}

queue_signin_router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Staff:
    """Who the cookie names (None: nobody signed in), and the page's request."""

    page: Page
    person: CitizenPrincipal | None

    def has(self, role: str) -> bool:
        """Whether the person holds ``role`` for a region (the token says which)."""
        return self.person is not None and role in self.person.roles and bool(self.person.region)

    @property
    def region(self) -> str:
        return (self.person.region or "") if self.person else ""

    def sign_in_first(self) -> Response:
        request = self.page.request
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        after = wanted if request.method == "GET" else None
        return QUEUE_AREA.sign_in_first(self.page.pages, request, forget=True, after=after)

    def refused(self) -> Response:
        """A signed-in account without the page's role: told so, with a way out."""
        return self.page.render("antrean_gagal.html", 403, message=_NOT_QUEUE_STAFF)


def _verifier(request: Request) -> TokenVerifier:
    state = request.app.state
    if getattr(state, "queue_tokens", None) is None:
        state.queue_tokens = TokenVerifier(state.runtime.settings)
    verifier: TokenVerifier = state.queue_tokens
    return verifier


async def staff_of(page: PageDep) -> Staff:
    """The person the ``/antrean`` cookie names: signature and expiry checked here, every
    other check (a disabled account, the role, the region) by the queue API it calls."""
    token = QUEUE_AREA.credential(page.request)
    if not token:
        return Staff(page, None)
    try:
        return Staff(page, await _verifier(page.request).verify_async(token))
    except (InvalidToken, KeysUnavailable):
        return Staff(page, None)


StaffDep = Annotated[Staff, Depends(staff_of)]


def _flow(request: Request) -> CodeFlow:
    state = request.app.state
    return CodeFlow(
        "antrean",
        QUEUE_AREA.area,
        "intake",
        state.runtime.settings,
        transport=state.identity_client.transport,
    )


@queue_signin_router.get("/antrean/signin")
async def signin(request: Request, next: str | None = None) -> Response:
    """To identity's sign-in page; back to ``next`` (an ``/antrean`` page) afterwards."""
    return _flow(request).begin(request, next)


@queue_signin_router.get("/antrean/oidc/callback")
async def callback(page: PageDep) -> Response:
    """The provider's answer: the token kept when it is queue staff's, else a page that
    says why not."""
    flow = _flow(page.request)
    try:
        signed = await flow.finish(page.request)
        person = await _verifier(page.request).verify_async(signed.access_token)
    except CodeFlowFailed as failed:
        code = 503 if failed.reason == "unavailable" else 401
        message = _FAILED.get(failed.reason, _FAILED["refused"])
        return flow.forget(page.render("antrean_gagal.html", code, message=message))
    except (InvalidToken, KeysUnavailable):
        return flow.forget(page.render("antrean_gagal.html", 401, message=_FAILED["refused"]))
    if not (set(person.roles) & {"queue_kiosk", "counter_officer"}) or not person.region:
        return flow.forget(page.render("antrean_gagal.html", 403, message=_NOT_QUEUE_STAFF))
    response = QUEUE_AREA.signed_in(
        page.pages, page.request, signed.access_token, max_age=signed.expires_in, to=signed.after
    )
    return flow.forget(response)


@queue_signin_router.post("/antrean/signout")
async def signout(page: PageDep) -> Response:
    await checked_form(page.request)
    return QUEUE_AREA.sign_in_first(page.pages, page.request, forget=True)


@queue_signin_router.get("/antrean/")
async def start(staff: StaffDep) -> Response:
    """The kiosk's page or the counter's, by the account's role."""
    if staff.has("queue_kiosk"):
        return staff.page.redirect("/antrean/kios")
    if staff.has("counter_officer"):
        return staff.page.redirect("/antrean/loket")
    return staff.sign_in_first() if staff.person is None else staff.refused()
