"""The portal's account pages: proving the account (``/portal/verify``), a forgotten
password (``/portal/forgot`` → ``/portal/reset``) and the signed-in devices and password
(``/portal/security``).

Thin like the other routes: each reads a form, calls intake's API in process
(:mod:`services.identity.recovery_api`, :mod:`services.identity.nik_api`) and renders a page;
the API's refusals are said again in the page's language by
:mod:`services.intake.web.messages`.
"""

from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter
from fastapi.responses import Response

from services.intake.web import session
from services.intake.web.client import me, parse_time
from services.intake.web.deps import IntakeApi, Page, PageDep
from services.intake.web.messages import (
    RESET_SENT,
    TYPE_USERNAME,
    WRONG_ERASE_PASSWORD,
    Message,
    explain,
    password_errors,
    reset_errors,
)
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


# --- a forgotten password ----------------------------------------------------------------


@account_router.get("/portal/forgot")
async def forgot_form(page: PageDep) -> Response:
    return page.render("forgot.html", username="", errors={})


@account_router.post("/portal/forgot")
async def forgot(page: PageDep, client: IntakeApi) -> Response:
    """The same answer whether or not the account exists (the API's is 202 always)."""
    form = await checked_form(page.request)
    username = str(form.get("username", "")).strip()
    asked = await client.post("/api/v1/auth/password-reset", json={"username": username})
    if asked.status_code != 202:
        error = TYPE_USERNAME if asked.status_code == 422 else explain("reset", asked)
        errors = {"username": error}
        return page.render("forgot.html", asked.status_code, username=username, errors=errors)
    # Nothing typed is kept for the next page: on a shared computer the next person
    # would see it.
    return page.redirect("/portal/reset?sent=1")


@account_router.get("/portal/reset")
async def reset_form(page: PageDep) -> Response:
    return page.render("reset.html", username="", errors={}, sent=RESET_SENT)


@account_router.post("/portal/reset")
async def reset(page: PageDep, client: IntakeApi) -> Response:
    form = await checked_form(page.request)
    body = {
        "username": str(form.get("username", "")).strip(),
        "code": "".join(str(form.get("code", "")).split()),
        "new_password": str(form.get("new_password", "")),
    }
    done = await client.post("/api/v1/auth/password-reset/confirm", json=body)
    if done.status_code == 204:
        return session.end(page.redirect("/portal/signin?reset=1"))
    return page.render(
        "reset.html",
        done.status_code,
        username=body["username"],
        errors=reset_errors(done),
        sent=RESET_SENT,
    )


# --- devices and password ----------------------------------------------------------------


@account_router.get("/portal/security")
async def security(page: PageDep, client: IntakeApi) -> Response:
    listed = await client.get("/api/v1/me/devices")
    if listed.status_code != 200 or not page.signed_in:
        return page.sign_in_first()
    return _security_page(page, listed.json(), await _region(client), {})


@account_router.post("/portal/security/password")
async def change_password(page: PageDep, client: IntakeApi) -> Response:
    """Every device is signed out, this one too: the citizen signs in again."""
    form = await checked_form(page.request)
    body = {
        "current_password": str(form.get("current_password", "")),
        "new_password": str(form.get("new_password", "")),
    }
    changed = await client.post("/api/v1/me/password", json=body)
    if changed.status_code == 204:
        return session.end(page.redirect("/portal/signin?changed=1&next=/portal/security"))
    return await _security_again(page, client, changed, password_errors(changed))


@account_router.post("/portal/security/devices/{device_id}/signout")
async def sign_device_out(page: PageDep, client: IntakeApi, device_id: str) -> Response:
    await checked_form(page.request)
    removed = await client.delete(f"/api/v1/me/devices/{quote(device_id, safe='')}")
    if removed.status_code == 401:
        return page.sign_in_first()
    if device_id == page.request.cookies.get(session.DEVICE_COOKIE):
        return session.end(page.redirect("/portal/signin?signed_out=1"))
    return page.redirect("/portal/security?removed=1")


@account_router.post("/portal/security/data-export")
async def export_my_data(page: PageDep, client: IntakeApi) -> Response:
    """A copy of my data, answered to this post as a file: no link to it is ever in
    the browser's address bar or history (the API fetches it with the session's
    token)."""
    await checked_form(page.request)
    made = await client.post("/api/v1/me/data-export")
    if made.status_code == 401:
        return page.sign_in_first()
    if made.status_code != 201:
        return page.missing(made.status_code)
    copy = await client.get(made.json()["download"])
    if copy.status_code != 200:
        return page.missing(copy.status_code)
    headers = {name: copy.headers[name] for name in ("content-disposition", "cache-control")}
    return Response(copy.content, media_type="application/json", headers=headers)


@account_router.post("/portal/security/erasure")
async def erase_my_account(page: PageDep, client: IntakeApi) -> Response:
    """Close the account and erase its data; the page says what is kept and why."""
    form = await checked_form(page.request)
    password = str(form.get("erase_password", ""))
    erased = await client.post("/api/v1/me/erasure", json={"password": password})
    if erased.status_code == 200:
        return session.end(page.render("erased.html", 200, erased=erased.json()))
    errors = {"erase_password": WRONG_ERASE_PASSWORD}
    return await _security_again(page, client, erased, errors)


@account_router.post("/portal/security/signout-everywhere")
async def sign_out_everywhere(page: PageDep, client: IntakeApi) -> Response:
    await checked_form(page.request)
    done = await client.post("/api/v1/auth/signout-everywhere")
    if done.status_code != 204:
        return page.sign_in_first()
    return session.end(page.redirect("/portal/signin?everywhere=1"))


async def _security_again(
    page: Page, client: httpx.AsyncClient, refused: httpx.Response, errors: dict[str, Message]
) -> Response:
    """The security page again after ``refused``, with why; signed out, to sign in."""
    listed = await client.get("/api/v1/me/devices")
    if refused.status_code == 401 or listed.status_code != 200:
        return page.sign_in_first()
    return _security_page(page, listed.json(), await _region(client), errors, refused.status_code)


async def _region(client: httpx.AsyncClient) -> str | None:
    """The citizen's region: its zone is the one the page's times are shown in."""
    profile = await me(client)
    return profile.get("region") if profile else None


def _security_page(
    page: Page,
    devices: list[dict[str, Any]],
    region: str | None,
    errors: dict[str, Message],
    status: int = 200,
) -> Response:
    current = page.request.cookies.get(session.DEVICE_COOKIE)
    for device in devices:
        device["created_at"] = parse_time(device["created_at"])
        device["last_used_at"] = parse_time(device["last_used_at"])
        device["current"] = device["id"] == current
    return page.render("security.html", status, devices=devices, errors=errors, region=region)
