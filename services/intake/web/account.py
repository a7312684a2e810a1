"""The portal's page for proving the account (``/portal/verify``).

Thin like the other routes: each reads a form, calls identity's API as the browser's
session (:mod:`services.identity.recovery_api`, :mod:`services.identity.nik_api`) and
renders a page; the API's refusals are said again in the page's language by
:mod:`services.intake.web.messages`. The pages where a password is typed are identity's
(``/account/...``, :mod:`services.intake.web.signin` leads there).
"""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from services.intake.web.client import me
from services.intake.web.deps import IntakeApi, Page, PageDep
from services.intake.web.messages import Message, explain
from shared.web import checked_form

__all__ = ["account_router"]

_CHANNELS = ("email", "phone")

account_router = APIRouter(include_in_schema=False)


# --- proving the account ----------------------------------------------------------------


@account_router.get("/portal/verify")
async def verify(page: PageDep, client: IntakeApi) -> Response:
    """Email, phone and NIK, each with its state and what to do next."""
    profile = await me(client)
    if profile is None or not page.signed_in:
        return page.sign_in_first()
    return _verify_page(page, profile)


@account_router.post("/portal/verify/{channel}/send")
async def send_code(page: PageDep, client: IntakeApi, channel: str) -> Response:
    await checked_form(page.request)
    if (profile := await me(client)) is None:
        return page.sign_in_first()
    if channel not in _CHANNELS:
        return page.missing()
    sent = await client.post("/api/v1/me/contact-verifications", json={"channel": channel})
    if sent.status_code == 202:
        return page.redirect(f"/portal/verify?sent={channel}#{channel}")
    if sent.status_code == 409:  # verified already
        return page.redirect("/portal/verify")
    if sent.status_code == 401:
        return page.sign_in_first()
    return _verify_page(page, profile, {channel: explain("send", sent)}, sent.status_code)


@account_router.post("/portal/verify/{channel}/confirm")
async def confirm_code(page: PageDep, client: IntakeApi, channel: str) -> Response:
    form = await checked_form(page.request)
    code = "".join(str(form.get("code", "")).split())  # "123 456" is fine
    if (profile := await me(client)) is None:
        return page.sign_in_first()
    if channel not in _CHANNELS:
        return page.missing()
    confirmed = await client.post(
        "/api/v1/me/contact-verifications/confirm", json={"channel": channel, "code": code}
    )
    if confirmed.status_code == 200:
        return page.redirect(f"/portal/verify?confirmed={channel}")
    if confirmed.status_code == 401:
        return page.sign_in_first()
    errors = {channel: explain("code", confirmed)}
    return _verify_page(page, profile, errors, confirmed.status_code)


@account_router.post("/portal/verify/nik")
async def check_nik(page: PageDep, client: IntakeApi) -> Response:
    form = await checked_form(page.request)
    name = str(form.get("name", "")).strip()
    if (profile := await me(client)) is None:
        return page.sign_in_first()
    checked = await client.post("/api/v1/me/nik-verification", json={"name": name} if name else {})
    if checked.status_code == 200:
        return page.redirect("/portal/verify?confirmed=nik")
    if checked.status_code == 401:
        return page.sign_in_first()
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
