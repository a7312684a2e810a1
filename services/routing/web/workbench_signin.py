"""An officer's sign-in at the workbench: routing's pages are a relying party of the
identity service's OpenID Connect provider (docs/oidc.md, client ``workbench``).

``GET /workbench/signin`` sends the browser to the provider's sign-in page with the
code flow and PKCE (:class:`shared.web.code_flow.CodeFlow`); the officer types their
username and password there, on identity's address, and only there. The provider sends
the browser back to ``GET /workbench/oidc/callback`` with a one-time code, which routing
exchanges server to server for the officer's access token. Routing never receives a
password: it keeps the access token in the workbench's cookie, as any other page of the
workbench expects, once its own agency API has accepted it (an officer's or a
supervisor's account, or a region's finance staff, who go to the reconciliation page; a
citizen's or a counter operator's token is refused here).

When the sign-in does not finish — the officer cancelled, waited too long, started in
another window, the provider refused or could not be reached — the page says so in
words and offers one way on: signing in again.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import httpx

from services.routing.web.payments_desk import PAYMENTS_PAGE as FINANCE_PAGE
from services.routing.web.workbench_handlers import APPLICATIONS
from shared.web.code_flow import CodeFlowFailed
from shared.web.code_flow import SignedIn as ProviderSignedIn

__all__ = [
    "NOT_AN_OFFICER",
    "FailedSignIn",
    "SignedIn",
    "accept",
    "failed",
]

NOT_AN_OFFICER = (
    "Akun ini bukan akun petugas instansi / This account is not an agency officer's or "
    "supervisor's."
)
RECONCILIATION = "/api/v1/payments/reconciliation"


_FAILURES = {
    "access_denied": (
        401,
        "Anda membatalkan masuk. Belum ada yang berubah / You cancelled signing in. "
        "Nothing has changed.",
    ),
    "expired": (
        401,
        "Waktu masuk sudah habis, atau masuk dimulai di jendela lain. Silakan mulai lagi / "
        "Signing in took too long, or was started in another window. Please start again.",
    ),
    "refused": (
        401,
        "Layanan masuk tidak menerima permintaan ini. Silakan masuk lagi / The sign-in "
        "service did not accept this request. Please sign in again.",
    ),
    "unavailable": (
        503,
        "Layanan masuk tidak dapat dihubungi; coba lagi sebentar / The sign-in service "
        "cannot be reached; try again shortly.",
    ),
}


@dataclass(frozen=True)
class SignedIn:
    """The officer's access token, its life in seconds, and the page they wanted."""

    token: str
    lifetime: int
    after: str


@dataclass(frozen=True)
class FailedSignIn:
    """The page for people when signing in did not finish: the answer's status and the
    message in both languages (never a status code or a reason key on the page)."""

    code: int
    message: str


def failed(failure: CodeFlowFailed) -> FailedSignIn:
    """What the officer is told when the provider's part of the sign-in did not finish."""
    code, message = _FAILURES.get(failure.reason, _FAILURES["refused"])
    return FailedSignIn(code, message)


async def accept(
    provider: ProviderSignedIn, agency_api: Callable[[str], httpx.AsyncClient]
) -> SignedIn | FailedSignIn:
    """The provider's access token, kept only when routing's agency API accepts it — an
    agency officer's or supervisor's account; anyone else is refused as before."""
    try:
        async with agency_api(provider.access_token) as client:
            check = await client.get(APPLICATIONS, params={"page_size": 1})
    except httpx.HTTPError:
        return FailedSignIn(*_FAILURES["unavailable"])
    if check.status_code >= 500:
        return FailedSignIn(*_FAILURES["unavailable"])
    if check.status_code == 200:
        return SignedIn(provider.access_token, provider.expires_in, provider.after)
    return await _finance_staff(provider, agency_api)


async def _finance_staff(
    provider: ProviderSignedIn, api: Callable[[str], httpx.AsyncClient]
) -> SignedIn | FailedSignIn:
    """A region's finance staff, whom the reconciliation API accepts, work on its page
    (the queue is not theirs); anyone else is refused as before."""
    try:
        async with api(provider.access_token) as client:
            check = await client.get(RECONCILIATION, params={"date": date.today().isoformat()})
    except httpx.HTTPError:
        return FailedSignIn(*_FAILURES["unavailable"])
    if check.status_code != 200:
        return FailedSignIn(403, NOT_AN_OFFICER)
    wanted = provider.after if provider.after.startswith(FINANCE_PAGE) else FINANCE_PAGE
    return SignedIn(provider.access_token, provider.expires_in, wanted)
