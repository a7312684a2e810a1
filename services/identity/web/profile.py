"""The profile page (``/account/profile``): the data entered once, which every
application form is prefilled from.

Identity's, like every page where a password may be typed: a new email or mobile number
needs the current password (``PATCH /api/v1/me``). The form is flat; the address is sent
whole, since the API replaces it whole.
"""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData

from services.identity.web.messages import field_errors, problem_of
from services.identity.web.page import AccountPage, IdentityApi, PageDep
from shared.channels import CHANNEL_NAMES, CHANNELS
from shared.web import checked_form
from shared.web.applicant import (
    ADDRESS_HINTS,
    ADDRESS_LABELS,
    ADDRESS_PARTS,
    NUMERIC_FIELDS,
    SEX_LABELS,
    shown_value,
)

__all__ = ["profile_router"]

profile_router = APIRouter(include_in_schema=False)


@profile_router.get("/account/profile")
async def profile(page: PageDep, client: IdentityApi) -> Response:
    found = await client.get("/api/v1/me")
    if found.status_code != 200 or not page.signed_in:
        return page.sign_in_first("/portal/profile")
    me = found.json()
    return _profile_page(page, me, profile_values(me), {})


@profile_router.post("/account/profile")
async def save_profile(page: PageDep, client: IdentityApi) -> Response:
    if not page.signed_in:
        return page.sign_in_first("/portal/profile")
    body, shown = read_profile(await checked_form(page.request))
    saved = await client.patch("/api/v1/me", json=body)
    if saved.status_code == 200:
        return page.redirect("/account/profile?saved=1")
    problem = problem_of(saved)
    if saved.status_code in (401, 404) or (saved.status_code == 403 and not problem.get("errors")):
        return page.sign_in_first("/portal/profile")
    errors = profile_errors(field_errors(problem)) or {"": str(problem.get("detail", ""))}
    status = saved.status_code if saved.status_code in (403, 429) else 422
    return _profile_page(page, (await client.get("/api/v1/me")).json(), shown, errors, status)


def _profile_page(
    page: AccountPage,
    me: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    regions = {r.code: r.name for r in page.request.app.state.identity.runtime.catalogue.regions}
    return page.render(
        "profile.html",
        status,
        me=me,
        values=values,
        errors=errors,
        address_parts=ADDRESS_PARTS,
        address_labels=ADDRESS_LABELS,
        address_hints=ADDRESS_HINTS,
        numeric=NUMERIC_FIELDS,
        region=me.get("region"),
        region_name=regions.get(me.get("region") or ""),
        birth_date=shown_value("birth_date", me.get("birth_date"), "id"),
        sex=SEX_LABELS.get(me.get("sex") or ""),
        channels=CHANNELS,
    )


_PROFILE_TEXT = ("name", "email", "phone", "birth_place", "family_card_number")


def profile_values(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile as the page's fields (the address flattened into its parts)."""
    values = {key: profile.get(key) or "" for key in _PROFILE_TEXT}
    address = profile.get("address") or {}
    values.update({part: address.get(part) or "" for part in ADDRESS_PARTS})
    values["language"] = profile.get("language") or "id"
    values["notification_channels"] = list(profile.get("notification_channels") or [])
    return values


def read_profile(form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the PATCH body, the values to show again). An empty text field is left as it
    was; the address is sent whole, since the API replaces it whole."""
    shown: dict[str, Any] = {
        key: str(form.get(key, "")).strip() for key in (*_PROFILE_TEXT, *ADDRESS_PARTS)
    }
    shown["language"] = "en" if form.get("language") == "en" else "id"
    shown["notification_channels"] = [
        str(c) for c in form.getlist("notification_channels") if c in CHANNEL_NAMES
    ]
    body: dict[str, Any] = {key: shown[key] for key in _PROFILE_TEXT if shown[key]}
    if any(shown[part] for part in ADDRESS_PARTS):
        body["address"] = {part: shown[part] or None for part in ADDRESS_PARTS}
    body["language"] = shown["language"]
    body["notification_channels"] = shown["notification_channels"]
    # Needed to change the email or phone; never shown again.
    if password := str(form.get("current_password", "")):
        body["current_password"] = password
    return body, shown


def profile_errors(errors: dict[str, str]) -> dict[str, str]:
    """The API's field names (``address.city``, ``notification_channels.0``) as the
    page's (``city``, ``notification_channels``)."""
    named: dict[str, str] = {}
    for field, message in errors.items():
        if field.startswith("address."):
            field = field.removeprefix("address.")
        elif field.startswith("notification_channels"):
            field = "notification_channels"
        named.setdefault(field, message.removeprefix("Value error, "))
    return named
