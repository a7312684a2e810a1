"""What identity refuses as a rule, and the problem each refusal answers: the one mapping.

Identity's handlers say "no" by raising a :class:`~shared.errors.Rejected` subclass
named for the rule, never an HTTP problem; :data:`install_refusals` answers each with its
problem+json document (Bahasa Indonesia first). A staff account outside an
administrator's reach answers 404, as an unknown one does (:mod:`staff_admin`).
"""

from collections.abc import Callable

from services.identity.staff import StaffError, UsernameTaken
from services.identity.staff_admin import NoSuchStaff, NotAnAdministrator, NotYourStaff
from shared.errors import Rejected
from shared.problems import Problem
from shared.refusals import RefusalTable

__all__ = [
    "NoSuchStaff",
    "NotAnAdministrator",
    "NotYourStaff",
    "StaffError",
    "UsernameTaken",
    "install_refusals",
    "problem_for",
]

_PROBLEMS: dict[type[Rejected], Callable[[Rejected], Problem]] = {
    NotAnAdministrator: lambda _: Problem(
        403,
        "Khusus admin petugas / Staff administrators only",
        "Hanya admin wilayah, admin nasional atau admin platform yang mengelola akun "
        "petugas / Only a region's, the national or the platform's administrator manages "
        "staff accounts.",
    ),
    NotYourStaff: lambda r: Problem(
        403,
        "Di luar wewenang Anda / Outside your administration",
        f"Anda tidak dapat membuat akun {r} ini: admin wilayah hanya untuk kantor dan loket "
        "wilayahnya sendiri, dan akun admin hanya dibuat operator platform (mpp staff) / "
        f"You cannot create this {r} account: a region's administrator adds staff for its "
        "own region's offices and counters only, and administrators are added by the "
        "platform's operators (mpp staff).",
    ),
    NoSuchStaff: lambda r: Problem(
        404,
        "Petugas tidak ditemukan / No such staff member",
        f"Tidak ada petugas {r} yang Anda kelola; lihat GET /api/v1/staff / No staff "
        f"member {r} you administer; list yours at GET /api/v1/staff.",
    ),
    UsernameTaken: lambda r: Problem(
        409, "Nama pengguna sudah dipakai / Username taken", f"{r}; choose another username."
    ),
    StaffError: lambda r: Problem(422, "Data petugas ditolak / Staff details refused", str(r)),
}

_TABLE = RefusalTable(_PROBLEMS)
problem_for = _TABLE.problem_for
"""The problem a refusal answers (a refusal not listed: 422 with its message)."""
install_refusals = _TABLE.install
"""Answer every refusal a route lets through with its problem (:class:`RefusalTable`)."""
