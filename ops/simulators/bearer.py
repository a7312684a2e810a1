"""The bearer-token check both stand-ins put in front of their write endpoints."""

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Header

from shared.problems import Problem

__all__ = ["bearer_required"]


def bearer_required(token: str) -> Callable[..., None]:
    """A FastAPI dependency: 401 problem unless ``Authorization: Bearer <token>``."""

    def authorised(authorization: Annotated[str | None, Header()] = None) -> None:
        if not hmac.compare_digest(authorization or "", f"Bearer {token}"):
            raise Problem(
                401,
                "Tidak terotorisasi / Unauthorised",
                "Token bearer salah atau tidak ada / Wrong or missing bearer token.",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return authorised
