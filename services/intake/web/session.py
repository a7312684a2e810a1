"""The browser's session: the ``mpp_session`` cookie holds the access token, and
``mpp_device`` names the signed-in device (the refresh-token family) the sign-in started.

The portal keeps no refresh token: a page session lasts one access token. Naming the
device still matters: the security page marks it as "this device", and signing out of
the portal (or removing this device there) revokes it, so the list of devices does not
fill with sign-ins long over.
"""

import re
from typing import Any

from fastapi import Request, Response

from services.intake.web.client import SESSION_COOKIE

__all__ = ["DEVICE_COOKIE", "device_label", "end", "signed_in", "start"]

DEVICE_COOKIE = "mpp_device"

_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS", "macOS"),
    ("Linux", "Linux"),
)


def signed_in(request: Request) -> bool:
    return bool(request.cookies.get(SESSION_COOKIE))


def device_label(user_agent: str | None) -> str:
    """How the device list names a portal sign-in: "Portal web — Chrome, Android"; the
    browser's own words, cut short, when neither is recognised."""
    agent = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in agent), None)
    known = ", ".join(part for part in (browser, system) if part)
    shown = known or re.sub(r"[^\w ./()-]+", " ", agent).strip()[:60] or "?"
    return f"Portal web — {shown}"


def start(response: Response, request: Request, token: dict[str, Any], device: str | None) -> None:
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


def end(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(DEVICE_COOKIE, path="/")
    return response
