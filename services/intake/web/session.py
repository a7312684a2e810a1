"""The browser's session: the ``mpp_session`` cookie holds the access token, and
``mpp_device`` names the signed-in device (the refresh family) the sign-in started.

The portal keeps no refresh token: a page session lasts one access token. Naming the
device still matters: the security page (identity's ``/account/security``) marks it as
"this device", and signing out of the portal revokes it, so the list of devices does not
fill with sign-ins long over. Both cookies have the path ``/``: on the one origin every
service's pages read them (and locally, every port of 127.0.0.1).
"""

from typing import Any

from fastapi import Request, Response

from shared.web import DEVICE_COOKIE, SESSION_COOKIE, end_session

__all__ = ["DEVICE_COOKIE", "end", "signed_in", "start"]


def signed_in(request: Request) -> bool:
    return bool(request.cookies.get(SESSION_COOKIE))


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
    return end_session(response)
