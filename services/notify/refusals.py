"""What notify refuses, and the problem each refusal answers: the one mapping.

Notify's handlers (:mod:`services.notify.api_handlers`, the survey store) say "no" by
raising a :class:`~shared.errors.Rejected` subclass named for the rule, never an HTTP
problem; :func:`install_refusals` answers each with its problem+json document
(Bahasa Indonesia first). A notice, survey or device of another citizen is refused as
if it did not exist (404), so its existence is never revealed.
"""

from collections.abc import Callable

from services.notify.surveys import AlreadyAnswered, NotInvited
from shared.errors import Rejected
from shared.problems import Problem
from shared.refusals import RefusalTable

__all__ = [
    "AlreadyAnswered",
    "NativePushOff",
    "NoSuchDevice",
    "NoSuchNotice",
    "NotInvited",
    "UnusableSubscription",
    "install_refusals",
    "problem_for",
]


class NoSuchNotice(Rejected, LookupError):
    """The citizen has no notice with this id (it may be another citizen's)."""


class NoSuchDevice(Rejected, LookupError):
    """The citizen has no device with this id (it may be another citizen's)."""


class UnusableSubscription(Rejected, ValueError):
    """A Web Push endpoint notify may not call; the message says why."""


class NativePushOff(Rejected):
    """An FCM token offered while this platform does not send through FCM."""


_NOT_FOUND = "Tidak ditemukan / Not found"

_PROBLEMS: dict[type[Rejected], Callable[[Rejected], Problem]] = {
    NoSuchNotice: lambda r: Problem(
        404, _NOT_FOUND, f"You have no notice {r}. List yours at GET /api/v1/notifications."
    ),
    NoSuchDevice: lambda r: Problem(
        404, _NOT_FOUND, f"You have no device {r}. List yours at GET /api/v1/devices."
    ),
    NotInvited: lambda r: Problem(
        404,
        "Survei tidak ditemukan / No survey",
        f"There is no survey for application {r} on your account: a survey opens when one "
        "of your applications is completed.",
    ),
    AlreadyAnswered: lambda _: Problem(
        409,
        "Sudah dinilai / Already answered",
        "This application's survey was already answered; one answer per application.",
    ),
    UnusableSubscription: lambda r: Problem(
        422, "Langganan tidak dapat dipakai / Unusable subscription", str(r)
    ),
    NativePushOff: lambda _: Problem(
        422,
        "Push aplikasi tidak aktif / Native app push is off",
        "This platform does not send through FCM; use Web Push (GET /api/v1/devices/push-config).",
    ),
}


_TABLE = RefusalTable(_PROBLEMS)
problem_for = _TABLE.problem_for
"""The problem a refusal answers (a refusal not listed: 422 with its message)."""
install_refusals = _TABLE.install
"""Answer every refusal a route lets through with its problem (:class:`RefusalTable`)."""
