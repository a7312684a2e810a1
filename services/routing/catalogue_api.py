"""The catalogue's admin API: publish a package, and read what was published.

``POST /api/v1/catalogue/packages`` does what ``mpp catalogue publish`` does
(:mod:`services.routing.catalogue_publishing`), for a person signed in at identity: a
``national_admin`` for the national package, a ``region_admin`` for their own region's.
``?dry_run=true`` checks the package and answers what would change, storing nothing. A
package that does not hold together answers 422 with every problem by path (``errors``);
one whose version is not above the published one answers 409.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from services.routing.catalogue_publishing import (
    CatalogueVersions,
    NotYours,
    StaleVersion,
    check,
    publish,
)
from services.routing.deps import ServiceRuntime, Uow
from shared.auth import CitizenPrincipal
from shared.catalogue.packaging import PackageInvalid
from shared.problems import Problem

__all__ = ["catalogue_admin_router"]

catalogue_admin_router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue admin"])

_ADMIN_ROLES = ("national_admin", "region_admin")


class PublishRequest(BaseModel):
    package: dict[str, Any] = Field(description="The whole package (docs/catalogue.md).")
    reason: str = Field(min_length=3, max_length=500, description="Why, for the audit log.")


class PublishAnswer(BaseModel):
    package_id: str
    package_version: int
    catalogue_version: int | None = Field(None, description="None on a dry run.")
    changes: list[str]
    dry_run: bool = False


def _versions(request: Request) -> CatalogueVersions:
    return request.app.state.parts.catalogue_versions


async def administrator(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> CitizenPrincipal:
    """A catalogue administrator's verified token, not revoked since it was issued."""
    staff = request.app.state.parts.staff
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(
            401,
            "Perlu masuk / Sign-in required",
            "Kirim token admin katalog / send a catalogue administrator's access token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await staff.signed_in(token)
    if not any(role in principal.roles for role in _ADMIN_ROLES):
        raise _forbidden("Token ini bukan milik admin katalog / not a catalogue administrator's")
    return principal


Administrator = Annotated[CitizenPrincipal, Depends(administrator)]
Versions = Annotated[CatalogueVersions, Depends(_versions)]


@catalogue_admin_router.post(
    "/packages", response_model=PublishAnswer, status_code=201, summary="Publish a package"
)
async def publish_package(
    body: PublishRequest,
    who: Administrator,
    runtime: ServiceRuntime,
    versions: Versions,
    uow: Uow,
    dry_run: Annotated[bool, Query(description="Check and diff only; store nothing.")] = False,
) -> PublishAnswer:
    try:
        if dry_run:
            checked = check(body.package, runtime.catalogue, who)
            return PublishAnswer(
                package_id=checked.package_id,
                package_version=checked.package.version,
                changes=checked.changes,
                dry_run=True,
            )
        done = await publish(
            body.package,
            by=who.subject,
            reason=body.reason,
            live=runtime.catalogue,
            versions=versions,
            uow=uow,
            topics=runtime.topics,
            principal=who,
        )
    except PackageInvalid as refused:
        raise _invalid(refused) from None
    except NotYours as refused:
        raise _forbidden(str(refused)) from None
    except StaleVersion as refused:
        raise Problem(
            409, "Versi paket sudah terbit / Version already published", str(refused)
        ) from None
    return PublishAnswer(
        package_id=done.package_id,
        package_version=done.package_version,
        catalogue_version=done.catalogue_version,
        changes=done.changes,
    )


@catalogue_admin_router.get("/packages/{package}/versions", summary="A package's versions")
async def package_versions(package: str, _who: Administrator, versions: Versions) -> list[dict]:
    """Every published version of a package, newest first: who, when, why, what changed."""
    return await versions.history(package)


@catalogue_admin_router.get(
    "/packages/{package}/versions/{number}", summary="One published version, whole"
)
async def package_version(
    package: str, number: int, _who: Administrator, versions: Versions
) -> dict:
    found = await versions.version(package, number)
    if found is None:
        raise Problem(
            404,
            "Versi tidak ada / No such version",
            f"paket {package} tidak punya versi {number} / package {package} has no "
            f"version {number}",
        )
    return found


def _invalid(refused: PackageInvalid) -> Problem:
    return Problem(
        422,
        "Paket katalog tidak valid / Invalid catalogue package",
        "Tidak ada yang diubah; perbaiki semua masalah di 'errors' / nothing was changed; "
        "fix every problem listed in 'errors'",
        errors=[
            {"package": p.package, "path": p.path, "message": p.message} for p in refused.problems
        ],
    )


def _forbidden(detail: str) -> Problem:
    return Problem(403, "Tidak diizinkan / Not allowed", detail)
