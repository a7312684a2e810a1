"""What audit refuses, and the problem each refusal answers: the one mapping.

Audit's handlers (:mod:`services.audit.api_handlers`) say "no" by raising a
:class:`~shared.errors.Rejected` subclass named for the rule, never an HTTP problem;
:func:`install_refusals` answers each with its problem+json document (Bahasa Indonesia
first).
"""

from collections.abc import Callable

from shared.errors import Rejected
from shared.problems import Problem
from shared.refusals import RefusalTable

__all__ = [
    "NoSuchJob",
    "NothingOnCitizen",
    "NothingRecorded",
    "install_refusals",
    "problem_for",
]


class NothingRecorded(Rejected, LookupError):
    """No event of this application is in the log."""


class NothingOnCitizen(Rejected, LookupError):
    """No recorded event names this citizen."""


class NoSuchJob(Rejected, LookupError):
    """No verification job has this id."""


_NOT_FOUND = "Tidak ditemukan / Not found"

_PROBLEMS: dict[type[Rejected], Callable[[Rejected], Problem]] = {
    NothingRecorded: lambda r: Problem(404, _NOT_FOUND, f"No recorded events for {r}."),
    NothingOnCitizen: lambda r: Problem(
        404,
        _NOT_FOUND,
        f"Tidak ada catatan tentang warga {r} / no recorded events name citizen {r}.",
    ),
    NoSuchJob: lambda r: Problem(404, _NOT_FOUND, f"No verification job {r}."),
}


_TABLE = RefusalTable(_PROBLEMS)
problem_for = _TABLE.problem_for
"""The problem a refusal answers (a refusal not listed: 422 with its message)."""
install_refusals = _TABLE.install
"""Answer every refusal a route lets through with its problem (:class:`RefusalTable`)."""
