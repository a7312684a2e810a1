"""``mpp catalogue``: check a catalogue package before it is published, and review its diff.

mpp catalogue validate FILE...   every problem by path (exit 1), or what it makes (exit 0)
mpp catalogue diff OLD NEW       what changed, service by service
mpp catalogue schema KIND        the JSON Schema of a national or region package
mpp catalogue publish FILE --reason WHY   publish it: live in every service within seconds

A package is a JSON or YAML file (docs/catalogue.md). ``validate`` checks the files as
they would be live: a region's package with the national package and every other region
of ``shared/catalogue/packages/`` (a file given here takes the place of the one there for
the same region, a national file the place of the national package), so an office code
another region already uses is caught before it is published.
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ops.catalogue_publish import add_publish_parser, publish_file
from shared.catalogue import PACKAGES_DIR, Catalogue
from shared.catalogue.packaging import (
    NationalPackage,
    PackageInvalid,
    PackageProblem,
    RegionPackage,
    compile_catalogue,
    diff_packages,
    load_package,
    render_changes,
)
from shared.catalogue.packaging.schema import package_schema_text

__all__ = ["add_parser", "catalogue_with", "run"]


def add_parser(commands: Any) -> None:
    catalogue = commands.add_parser(
        "catalogue",
        help="catalogue packages: validate, diff, schema, publish",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = catalogue.add_subparsers(dest="action", required=True, metavar="ACTION")
    validate = actions.add_parser("validate", help="check packages as they would be live")
    validate.add_argument("files", nargs="+", metavar="FILE", help="a .json, .yaml or .yml file")
    diff = actions.add_parser("diff", help="what changed between two versions of a package")
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    schema = actions.add_parser("schema", help="print the JSON Schema of a package kind")
    schema.add_argument("kind", choices=["national", "region"])
    add_publish_parser(actions)


def _loaded(paths: Sequence[str | Path]) -> list[NationalPackage | RegionPackage]:
    """Every file's package, or one refusal listing the problems of all of them."""
    packages, problems = [], []
    for path in paths:
        try:
            packages.append(load_package(path))
        except PackageInvalid as refused:
            problems += refused.problems
    if problems:
        raise PackageInvalid(problems)
    return packages


def catalogue_with(
    packages: Sequence[NationalPackage | RegionPackage], base: Path = PACKAGES_DIR
) -> Catalogue:
    """The catalogue ``packages`` make in place of their counterparts in ``base`` (a
    ``national.json`` and ``regions/*.json``): what would be live once they are."""
    national = next((p for p in packages if isinstance(p, NationalPackage)), None)
    if national is None:
        national = load_package(base / "national.json")  # type: ignore[assignment]
    given = [p for p in packages if isinstance(p, RegionPackage)]
    codes = {p.region.code for p in given}
    current = _loaded(sorted((base / "regions").glob("*.json")))
    kept = [p for p in current if isinstance(p, RegionPackage) and p.region.code not in codes]
    return compile_catalogue(national, kept + given)  # type: ignore[arg-type]


def _refused(problems: list[PackageProblem]) -> int:
    noun = "problem" if len(problems) == 1 else "problems"
    print(f"{len(problems)} {noun}; nothing would change:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


def _validate(paths: Sequence[str]) -> int:
    try:
        packages = _loaded(paths)
        catalogue = catalogue_with(packages)
    except PackageInvalid as refused:
        return _refused(refused.problems)
    for package in packages:
        if isinstance(package, RegionPackage):
            code = package.region.code
            offered = len(catalogue.services_in(code))
            named = f"{package.region.name} ({code}) version {package.version}"
            print(f"{named}: valid, {offered} services")
        else:
            print(f"national version {package.version}: valid, {len(package.services)} services")
    return 0


def _diff(old: str, new: str) -> int:
    try:
        before, after = _loaded([old, new])
    except PackageInvalid as refused:
        return _refused(refused.problems)
    print(render_changes(diff_packages(before, after)), end="")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.action == "publish":
        return asyncio.run(publish_file(args))
    if args.action == "validate":
        return _validate(args.files)
    if args.action == "schema":
        print(package_schema_text(args.kind), end="")
        return 0
    return _diff(args.old, args.new)
