"""RFC 9457 problem details for every HTTP error.

Every error a service returns is ``application/problem+json`` with a title and a
detail a person can act on; validation errors list each field and what is wrong with it
(``errors``), so a form can show the message next to the field.

Titles and details are written "<Bahasa Indonesia> / <English>"; the request's
``Accept-Language`` picks one of the two (see :mod:`shared.languages`), and the answer
says which with ``Content-Language``.
"""

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.languages import Language, content_language, negotiate, pick

__all__ = [
    "Problem",
    "install_problem_handlers",
    "language_of",
    "problem_components",
    "problem_response",
    "problem_responses",
]

PROBLEM_JSON = "application/problem+json"

# Declared once as components (see :func:`problem_components`) and referred to from
# every error response: a client generator then makes one Problem class, not one per
# operation and status.
PROBLEM_COMPONENTS: dict[str, dict[str, Any]] = {
    "Problem": {
        "title": "Problem",
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
        },
        "required": ["title", "status"],
    },
    "FieldError": {
        "title": "FieldError",
        "type": "object",
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
        "required": ["field", "message"],
    },
}
PROBLEM_SCHEMA: dict[str, Any] = {"$ref": "#/components/schemas/Problem"}

# The errors any endpoint of the platform can answer with, documented in every service's
# OpenAPI document so clients (and schema-checking tools) know their shape.
COMMON_ERRORS = (400, 401, 403, 404, 409, 413, 422, 429, 503)


def problem_responses(statuses: tuple[int, ...] = COMMON_ERRORS) -> dict[int | str, Any]:
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


def problem_components(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the problem document's schemas to an OpenAPI document (in place)."""
    spec.setdefault("components", {}).setdefault("schemas", {}).update(PROBLEM_COMPONENTS)
    return spec


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.headers = headers
        self.extensions = extensions


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    language: Language | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem document; with ``language``, its title, detail and field messages in
    that language only (None: as written, both languages)."""
    body: dict[str, Any] = {
        "type": type_,
        "title": pick(title, language),
        "status": status,
        "detail": pick(detail, language),
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    if language is not None and isinstance(body.get("errors"), list):
        body["errors"] = [_localised(error, language) for error in body["errors"]]
    sent = {
        **(headers or {}),
        "Content-Language": content_language(language),
        "Vary": "Accept-Language",
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=sent)


def _localised(error: Any, language: Language) -> Any:
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return {**error, "message": pick(error["message"], language)}
    return error


def language_of(request: Request) -> Language | None:
    """The language the request asked for (``Accept-Language``); None: both."""
    return negotiate(request.headers.get("accept-language"))


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "(body)"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            instance=request.url.path,
            type_=exc.type,
            headers=exc.headers,
            language=language_of(request),
            **exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        language = language_of(request)
        details = {
            None: f"Periksa isian berikut / Check these fields: {fields}",
            "id": f"Periksa isian berikut: {fields}",
            "en": f"Check these fields: {fields}",
        }
        return problem_response(
            422,
            "Data tidak valid / Invalid data",
            details[language],
            instance=request.url.path,
            errors=errors,
            language=language,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            404: "Tidak ditemukan / Not found",
            405: "Metode tidak diizinkan / Method not allowed",
        }
        return problem_response(
            exc.status_code,
            titles.get(exc.status_code, "Error"),
            str(exc.detail),
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
            language=language_of(request),
        )
