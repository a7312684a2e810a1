"""Why a package (or a set of packages) was refused: every problem, each by its path.

A package is validated as a whole before anything changes, so one refusal lists all that
is wrong — ``regions/7371: adopts[3].sla_working_days: 20 is above the national maximum
14`` — and the author fixes everything in one pass instead of one error per attempt.
"""

from dataclasses import dataclass

from pydantic import ValidationError

from shared.errors import Rejected

__all__ = ["PackageInvalid", "PackageProblem", "from_validation_error", "path_of"]


@dataclass(frozen=True)
class PackageProblem:
    """One thing wrong: in which package (``national``, ``regions/7371`` or a file name),
    where in it (``adopts[3].sla_working_days``; empty for the whole package), and why."""

    package: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.package}: {self.path}" if self.path else self.package
        return f"{where}: {self.message}"


class PackageInvalid(Rejected):
    """The packages do not make a catalogue; nothing was changed. ``problems`` lists all."""

    def __init__(self, problems: list[PackageProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def path_of(location: tuple[int | str, ...]) -> str:
    """``("adopts", 3, "sla_working_days")`` → ``adopts[3].sla_working_days``."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _plain(error: dict) -> str:
    """Pydantic's message, in words a package author acts on."""
    if error["type"] == "extra_forbidden":
        return "is not a field a package has (misspelt?)"
    if error["type"] == "missing":
        return "is required"
    if error["type"] == "literal_error":
        return f"{error['input']!r} is not allowed: {error['msg'].removeprefix('Input should be ')}"
    if error["type"] == "string_pattern_mismatch":
        return f"{error['input']!r} does not have the expected form ({error['ctx']['pattern']})"
    return error["msg"].removeprefix("Value error, ")


def from_validation_error(package: str, error: ValidationError) -> list[PackageProblem]:
    """Each of pydantic's errors as a problem with its path in the package."""
    problems = []
    for item in error.errors():
        location = tuple(part for part in item["loc"] if part not in ("NationalPackage",))
        problems.append(PackageProblem(package, path_of(location), _plain(item)))
    return problems
