"""Publishing a package of the catalogue: checked as a whole, kept, and announced.

``mpp catalogue publish FILE`` and ``POST /api/v1/catalogue/packages`` both call
:func:`publish`. A package is compiled with every other package this process serves
before anything changes: a package that does not hold together is refused with every
problem by path (:class:`~shared.catalogue.packaging.PackageInvalid`), and nothing is
stored or sent. A package that does is stored (every version stays readable, for audit)
and announced as a ``catalogue.published`` event in the same transaction; every process
of every service applies it from the catalogue topic (:mod:`shared.catalogue.live`).

Who may publish what (:func:`may_publish`) is decided by the caller's token, never by the
package: a ``national_admin`` publishes the national package; a ``region_admin``
publishes only the package of the region its account is bound to.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.routing.announcements import catalogue_published
from shared.auth import CitizenPrincipal
from shared.catalogue import Catalogue
from shared.catalogue.live import LiveCatalogue, compile_packages, package_id
from shared.catalogue.packaging import (
    NationalPackage,
    PackageInvalid,
    PackageProblem,
    RegionPackage,
    diff_packages,
    package_from,
)
from shared.errors import Rejected
from shared.events import CataloguePublishedData, utcnow
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitOfWork

__all__ = [
    "CatalogueVersions",
    "Checked",
    "NotYours",
    "Published",
    "StaleVersion",
    "check",
    "may_publish",
    "publish",
]


class NotYours(Rejected, PermissionError):
    """The caller's role or region does not cover this package."""


class StaleVersion(Rejected):
    """The package's version is not above the version published already."""

    def __init__(self, package: str, offered: int, published: int) -> None:
        super().__init__(
            f"paket {package} versi {offered} tidak lebih baru dari versi terbit "
            f"{published}; naikkan 'version' / package {package} version {offered} is not "
            f"above the published version {published}: raise 'version'"
        )
        self.published = published


@dataclass(frozen=True)
class Published:
    package_id: str
    package_version: int
    catalogue_version: int
    changes: list[str]
    published_at: datetime


def may_publish(principal: CitizenPrincipal, package: NationalPackage | RegionPackage) -> None:
    """Refuse (:class:`NotYours`) unless the caller's account may publish ``package``."""
    if isinstance(package, NationalPackage):
        if "national_admin" not in principal.roles:
            raise NotYours(
                "paket nasional hanya diterbitkan admin nasional / only a national "
                "administrator publishes the national package"
            )
        return
    code = package.region.code
    if "region_admin" not in principal.roles or principal.region != code:
        raise NotYours(
            f"paket wilayah {code} hanya diterbitkan admin wilayah {code} / only an "
            f"administrator of region {code} publishes its package"
        )


class CatalogueVersions:
    """Every published version of every package (collection ``catalogue_versions``), and
    the catalogue's version counter (``catalogue_head``): the only writer of both."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.versions = db["catalogue_versions"]
        self.head = db["catalogue_head"]

    async def create_indexes(self) -> None:
        await self.versions.create_index([("package_id", 1), ("package_version", -1)], unique=True)

    async def latest(self, package_id: str) -> dict[str, Any] | None:
        return await self.versions.find_one(
            {"package_id": package_id}, sort=[("package_version", -1)]
        )

    async def version(self, package_id: str, number: int) -> dict[str, Any] | None:
        return await self.versions.find_one(
            {"package_id": package_id, "package_version": number}, {"_id": 0}
        )

    async def history(self, package_id: str) -> list[dict[str, Any]]:
        found = self.versions.find(
            {"package_id": package_id},
            {"_id": 0, "package": 0},
            sort=[("package_version", -1)],
        )
        return await found.to_list(length=None)

    async def next_catalogue_version(self, floor: int, session: AsyncClientSession) -> int:
        """One above the newest catalogue version (and above ``floor``, the version this
        process serves): two publishes at once write the same counter, so one retries."""
        head = await self.head.find_one({"_id": "catalogue"}, session=session)
        number = max(head["version"] if head else 0, floor) + 1
        await self.head.update_one(
            {"_id": "catalogue"}, {"$set": {"version": number}}, upsert=True, session=session
        )
        return number

    async def keep(self, record: dict[str, Any], session: AsyncClientSession) -> None:
        try:
            await self.versions.insert_one(record, session=session)
        except DuplicateKeyError:
            raise StaleVersion(record["package_id"], record["package_version"], 0) from None


@dataclass(frozen=True)
class Checked:
    """A package that holds together with the rest, and what it would change."""

    package: NationalPackage | RegionPackage
    package_id: str
    changes: list[str]


def check(
    document: dict[str, Any], live: LiveCatalogue, principal: CitizenPrincipal | None = None
) -> Checked:
    """Parse ``document``, refuse it unless ``principal`` (when given) may publish it,
    and compile it with every other package (:class:`PackageInvalid` lists every
    problem). Nothing is stored: the dry run is this alone."""
    package = package_from(document, "package")
    if principal is not None:
        may_publish(principal, package)
    key = package_id(package)
    candidate = compile_packages({**live.packages, key: package}, live.current.version + 1)
    _no_new_inboxes(candidate, live.current, key)
    before = live.packages.get(key)
    changes = diff_packages(before, package) if before else ["new package"]
    return Checked(package, key, [str(change) for change in changes])


def _no_new_inboxes(candidate: Catalogue, current: Catalogue, key: str) -> None:
    """Refuse a package that needs Kafka topics the platform does not have: an office
    joins Kafka through a system that exists (its inbox, updates topic and credentials),
    and a new system is added with its topics and credentials first (docs/catalogue.md)."""
    new = sorted(set(candidate.kafka_inboxes()) - set(current.kafka_inboxes()))
    if new:
        raise PackageInvalid(
            [
                PackageProblem(
                    key,
                    "offices",
                    f"{party}: a new Kafka inbox; name an existing system in handler.system "
                    "(a new system's topics and credentials come first)",
                )
                for party in new
            ]
        )


async def publish(
    document: dict[str, Any],
    *,
    by: str,
    reason: str,
    live: LiveCatalogue,
    versions: CatalogueVersions,
    uow: UnitOfWork,
    topics: Topics,
    principal: CitizenPrincipal | None = None,
) -> Published:
    """Check, keep and announce one package (``principal``: the caller, when it is a
    person's token; the operator's ``mpp`` passes none and is named in ``by``)."""
    checked = check(document, live, principal)
    newest = await versions.latest(checked.package_id)
    served = live.packages.get(checked.package_id)  # a release may ship a newer one
    published = max(newest["package_version"] if newest else 0, served.version if served else 0)
    if checked.package.version <= published:
        raise StaleVersion(checked.package_id, checked.package.version, published)

    async def work(tx: Transaction) -> Published:
        number = await versions.next_catalogue_version(live.current.version, tx.session)
        done = Published(
            checked.package_id, checked.package.version, number, checked.changes, utcnow()
        )
        await versions.keep(_record(done, document, by, reason), tx.session)
        tx.emit(topics.catalogue, catalogue_published(_data(done, document, by, reason)))
        return done

    return await uow.run(work)


def _data(
    done: Published, document: dict[str, Any], by: str, reason: str
) -> CataloguePublishedData:
    return CataloguePublishedData(
        package_id=done.package_id,
        package_version=done.package_version,
        catalogue_version=done.catalogue_version,
        package=document,
        published_by=by,
        reason=reason,
        changes=done.changes,
    )


def _record(done: Published, document: dict[str, Any], by: str, reason: str) -> dict[str, Any]:
    return {
        **_data(done, document, by, reason).model_dump(mode="json"),
        "published_at": done.published_at,
    }
