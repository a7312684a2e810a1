"""The portal calls intake's own HTTP API in-process, so a page and a mobile app go
through exactly the same validation, idempotency and rate limits."""

from datetime import datetime
from typing import Any

import httpx
from fastapi import Request

from shared.web import SESSION_COOKIE, bearer, local_api

__all__ = ["SESSION_COOKIE", "api", "field_errors", "parse_time"]


def api(request: Request, token: str | None = None) -> httpx.AsyncClient:
    """Intake's own API, as the browser's session."""
    return local_api(request, bearer(token or request.cookies.get(SESSION_COOKIE)))


def field_errors(problem: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``{field: message}`` from a problem's ``errors``, with ``prefix`` taken off."""
    errors: dict[str, str] = {}
    for error in problem.get("errors") or []:
        field = str(error.get("field", ""))
        if prefix and field.startswith(prefix):
            field = field[len(prefix) :]
        errors.setdefault(field, str(error.get("message", "")))
    return errors


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime) or value is None:
        return value
    return datetime.fromisoformat(str(value))
