"""The page that proves the account (``/account/verify``): the email and the mobile
number by a code, the NIK with Dukcapil (or at a counter).

Thin like the other account pages: each reads a form, calls identity's own API in
process (:mod:`services.identity.recovery_api`, :mod:`services.identity.nik_api`) and
renders a page; the API's refusals are said again in the page's language by
:func:`services.identity.web.messages.explain`.
"""

from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.responses import Response

from services.identity.web.messages import Message, explain
from services.identity.web.page import AccountPage as Page
from services.identity.web.page import IdentityApi, PageDep
from shared.web import checked_form

__all__ = ["verify_router"]

_CHANNELS = ("email", "phone")
_BACK = "/account/verify"  # where the sign-in returns: the portal's address of this page

verify_router = APIRouter(include_in_schema=False)


async def me(client: httpx.AsyncClient) -> dict[str, Any] | None:
    """The caller's profile; None when the session is not valid."""
    answer = await client.get("/api/v1/me")
    return answer.json() if answer.status_code == 200 else None


@verify_router.get("/account/verify")
async def verify(page: PageDep, client: IdentityApi) -> Response:
    """Email, phone and NIK, each with its state and what to do next."""
    profile = await me(client)
    if profile is None or not page.signed_in:
        return page.sign_in_first(_BACK)
    return _verify_page(page, profile)


@verify_router.post("/account/verify/{channel}/send")
async def send_code(page: PageDep, client: IdentityApi, channel: str) -> Response:
    await checked_form(page.request)
    if (profile := await me(client)) is None:
        return page.sign_in_first(_BACK)
    if channel not in _CHANNELS:
        return page.render("missing.html", 404)
    sent = await client.post("/api/v1/me/contact-verifications", json={"channel": channel})
    if sent.status_code == 202:
        return page.redirect(f"/account/verify?sent={channel}#{channel}")
    if sent.status_code == 409:  # verified already
        return page.redirect("/account/verify")
    if sent.status_code == 401:
        return page.sign_in_first(_BACK)
    return _verify_page(page, profile, {channel: explain("send", sent)}, sent.status_code)


@verify_router.post("/account/verify/{channel}/confirm")
async def confirm_code(page: PageDep, client: IdentityApi, channel: str) -> Response:
    form = await checked_form(page.request)
    code = "".join(str(form.get("code", "")).split())  # "123 456" is fine
    if (profile := await me(client)) is None:
        return page.sign_in_first(_BACK)
    if channel not in _CHANNELS:
        return page.render("missing.html", 404)
    confirmed = await client.post(
        "/api/v1/me/contact-verifications/confirm", json={"channel": channel, "code": code}
    )
    if confirmed.status_code == 200:
        return page.redirect(f"/account/verify?confirmed={channel}")
    if confirmed.status_code == 401:
        return page.sign_in_first(_BACK)
    errors = {channel: explain("code", confirmed)}
    return _verify_page(page, profile, errors, confirmed.status_code)


@verify_router.post("/account/verify/nik")
async def check_nik(page: PageDep, client: IdentityApi) -> Response:
    form = await checked_form(page.request)
    name = str(form.get("name", "")).strip()
    if (profile := await me(client)) is None:
        return page.sign_in_first(_BACK)
    checked = await client.post("/api/v1/me/nik-verification", json={"name": name} if name else {})
    if checked.status_code == 200:
        return page.redirect("/account/verify?confirmed=nik")
    if checked.status_code == 401:
        return page.sign_in_first(_BACK)
    errors = {"nik": explain("nik", checked)}
    return _verify_page(page, profile, errors, checked.status_code, name)


def _verify_page(
    page: Page,
    profile: dict[str, Any],
    errors: dict[str, Message] | None = None,
    status: int = 200,
    name: str | None = None,
) -> Response:
    sent = page.request.query_params.get("sent")
    return page.render(
        "verify.html",
        status,
        me=profile,
        errors=errors or {},
        sent=sent if sent in _CHANNELS else None,
        name=profile["name"] if name is None else name,
    )
