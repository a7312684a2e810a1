"""The account's security page (``/account/security``): the signed-in devices, the
password, signing out everywhere, and the data rights (a copy of my data, erasure).

Every action that ends the session (a new password, signing out everywhere, signing
this device out, erasure) deletes the portal's session cookies, which every service on
the site shares (path ``/``), and leads back to the portal's sign-in with why.
"""

from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter
from fastapi.responses import Response

from services.identity.web.messages import WRONG_ERASE_PASSWORD, Message, password_errors
from services.identity.web.page import AccountPage, IdentityApi, PageDep
from shared.web import DEVICE_COOKIE, checked_form, end_session

__all__ = ["security_router"]

security_router = APIRouter(include_in_schema=False)


@security_router.get("/account/signin")
async def signin(page: PageDep, next: str = "/portal/security") -> Response:
    """Signing in happens at the portal, which holds the session: its sign-in, then back
    to ``next`` (a portal page; the portal refuses any other)."""
    return page.to_portal(f"/portal/signin?next={quote(next)}")


@security_router.get("/account/security")
async def security(page: PageDep, client: IdentityApi) -> Response:
    listed = await client.get("/api/v1/me/devices")
    if listed.status_code != 200 or not page.signed_in:
        return page.sign_in_first()
    return _security_page(page, listed.json(), await _region(client), {})


@security_router.post("/account/security/password")
async def change_password(page: PageDep, client: IdentityApi) -> Response:
    """Every device is signed out, this one too: the citizen signs in again."""
    form = await checked_form(page.request)
    body = {
        "current_password": str(form.get("current_password", "")),
        "new_password": str(form.get("new_password", "")),
    }
    changed = await client.post("/api/v1/me/password", json=body)
    if changed.status_code == 204:
        return end_session(page.to_portal("/portal/signin?changed=1&next=/portal/security"))
    return await _security_again(page, client, changed, password_errors(changed))


@security_router.post("/account/security/devices/{device_id}/signout")
async def sign_device_out(page: PageDep, client: IdentityApi, device_id: str) -> Response:
    """One of my devices signed out; the API refuses another account's device."""
    await checked_form(page.request)
    removed = await client.delete(f"/api/v1/me/devices/{quote(device_id, safe='')}")
    if removed.status_code == 401:
        return page.sign_in_first()
    if device_id == page.request.cookies.get(DEVICE_COOKIE):
        return end_session(page.to_portal("/portal/signin?signed_out=1"))
    return page.redirect("/account/security?removed=1")


@security_router.post("/account/security/data-export")
async def export_my_data(page: PageDep, client: IdentityApi) -> Response:
    """A copy of my data, answered to this post as a file: no link to it is ever in
    the browser's address bar or history (the API fetches it with the session's
    token)."""
    await checked_form(page.request)
    made = await client.post("/api/v1/me/data-export")
    if made.status_code == 401:
        return page.sign_in_first()
    if made.status_code != 201:
        return page.render("missing.html", made.status_code)
    copy = await client.get(made.json()["download"])
    if copy.status_code != 200:
        return page.render("missing.html", copy.status_code)
    headers = {name: copy.headers[name] for name in ("content-disposition", "cache-control")}
    return Response(copy.content, media_type="application/json", headers=headers)


@security_router.post("/account/security/erasure")
async def erase_my_account(page: PageDep, client: IdentityApi) -> Response:
    """Close the account and erase its data; the page says what is kept and why."""
    form = await checked_form(page.request)
    password = str(form.get("erase_password", ""))
    erased = await client.post("/api/v1/me/erasure", json={"password": password})
    if erased.status_code == 200:
        return end_session(page.render("erased.html", 200, erased=erased.json()))
    errors = {"erase_password": WRONG_ERASE_PASSWORD}
    return await _security_again(page, client, erased, errors)


@security_router.post("/account/security/signout-everywhere")
async def sign_out_everywhere(page: PageDep, client: IdentityApi) -> Response:
    await checked_form(page.request)
    done = await client.post("/api/v1/auth/signout-everywhere")
    if done.status_code != 204:
        return page.sign_in_first()
    return end_session(page.to_portal("/portal/signin?everywhere=1"))


async def _security_again(
    page: AccountPage,
    client: httpx.AsyncClient,
    refused: httpx.Response,
    errors: dict[str, Message],
) -> Response:
    """The security page again after ``refused``, with why; signed out, to sign in."""
    listed = await client.get("/api/v1/me/devices")
    if refused.status_code == 401 or listed.status_code != 200:
        return page.sign_in_first()
    return _security_page(page, listed.json(), await _region(client), errors, refused.status_code)


async def _region(client: httpx.AsyncClient) -> str | None:
    """The citizen's region: its zone is the one the page's times are shown in."""
    profile = await client.get("/api/v1/me")
    return profile.json().get("region") if profile.status_code == 200 else None


def _security_page(
    page: AccountPage,
    devices: list[dict[str, Any]],
    region: str | None,
    errors: dict[str, Message],
    status: int = 200,
) -> Response:
    current = page.request.cookies.get(DEVICE_COOKIE)
    for device in devices:
        device["created_at"] = datetime.fromisoformat(device["created_at"])
        device["last_used_at"] = datetime.fromisoformat(device["last_used_at"])
        device["current"] = device["id"] == current
    return page.render("security.html", status, devices=devices, errors=errors, region=region)
