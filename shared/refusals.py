"""A service's refusals answered as problems: the table each service keeps, applied one way.

A handler says "no" by raising a :class:`~shared.errors.Rejected` subclass named for the
rule; each service lists, once, the problem+json document each of its refusals answers
(``services/<service>/refusals.py``). This module looks a refusal up in such a table (by
its class, then its bases) and installs the table on an app, so a route that lets a
refusal through answers it exactly as a raised :class:`~shared.problems.Problem` is.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from shared.errors import Rejected
from shared.problems import Problem

__all__ = ["RefusalTable"]

Answer = Callable[[Any], Problem]


@dataclass(frozen=True)
class RefusalTable:
    """The problems a service's refusals answer. ``outage`` is the service's own
    exception for a dependency not answering (a fault, not a refusal), answered 503 when
    the table does not name it more precisely."""

    problems: Mapping[type[Exception], Answer]
    outage: type[Exception] | None = None

    def problem_for(self, refusal: Exception) -> Problem:
        """The problem a refusal answers (a refusal not listed: 422 with its message)."""
        for kind in type(refusal).__mro__:
            if kind in self.problems:
                return self.problems[kind](refusal)
        if self.outage is not None and isinstance(refusal, self.outage):
            return Problem(
                503,
                "Layanan sementara tidak tersedia / Temporarily unavailable",
                "Nothing was stored; retry in a moment.",
                headers={"Retry-After": "5"},
            )
        return Problem(422, "Permintaan ditolak / Request refused", str(refusal))

    def install(self, app: FastAPI) -> None:
        """Answer every refusal (and outage) a route lets through with its problem, by
        the app's own problem handler."""
        answer = app.exception_handlers[Problem]

        async def refused(request: Request, refusal: Exception) -> Response:
            return await answer(request, self.problem_for(refusal))

        app.add_exception_handler(Rejected, refused)
        if self.outage is not None:
            app.add_exception_handler(self.outage, refused)
