"""Catalogue packages: the national standard services, and each region's adoption of them.

``load_package`` reads a file, ``compile_catalogue`` turns the national package and the
regions' packages into the runtime :class:`~shared.catalogue.Catalogue` (validated as a
whole, or :class:`PackageInvalid` with every problem by path), ``diff_packages`` says what
changed between two versions of a package, service by service (docs/catalogue.md).
"""

from shared.catalogue.packaging.compiler import compile_catalogue, package_name
from shared.catalogue.packaging.diff import Change, diff_packages, render_changes
from shared.catalogue.packaging.files import load_package, package_from
from shared.catalogue.packaging.models import (
    Adoption,
    LocalService,
    NationalPackage,
    NationalService,
    Office,
    OpeningHours,
    Package,
    QueuedService,
    QueueSettings,
    RegionInfo,
    RegionPackage,
)
from shared.catalogue.packaging.problems import PackageInvalid, PackageProblem

__all__ = [
    "Adoption",
    "Change",
    "LocalService",
    "NationalPackage",
    "NationalService",
    "Office",
    "OpeningHours",
    "Package",
    "PackageInvalid",
    "PackageProblem",
    "QueueSettings",
    "QueuedService",
    "RegionInfo",
    "RegionPackage",
    "compile_catalogue",
    "diff_packages",
    "load_package",
    "package_from",
    "package_name",
    "render_changes",
]
