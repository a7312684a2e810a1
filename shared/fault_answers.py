"""What a service answers when something fails that is not the caller's doing: the
database out of reach (503, retry) or an error nobody foresaw (500); both logged by their
type only, never with the request's data."""

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure, PyMongoError

from shared.problems import language_of, problem_response

__all__ = ["answer_faults"]

log = structlog.get_logger(__name__)


def answer_faults(app: FastAPI, retry: str = "Retry shortly.") -> None:
    """Problem documents for faults on ``app``; ``retry`` tells the caller how to try
    again (an API taking an ``Idempotency-Key`` says to send the same one)."""

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", error=type(exc).__name__, path=request.url.path)
        return problem_response(
            500,
            "Kesalahan server / Server error",
            f"Something went wrong on our side; nothing half-stored. {retry}",
            instance=request.url.path,
            language=language_of(request),
        )

    async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database error", error=type(exc).__name__, path=request.url.path)
        if not isinstance(exc, ConnectionFailure):
            return await unexpected(request, exc)
        return problem_response(
            503,
            "Layanan sementara tidak tersedia / Temporarily unavailable",
            f"The database is not reachable; nothing was stored. {retry}",
            instance=request.url.path,
            headers={"Retry-After": "5"},
            language=language_of(request),
        )

    app.add_exception_handler(PyMongoError, database_unavailable)
    app.add_exception_handler(Exception, unexpected)
