"""Administering staff accounts: who may add, list, disable and reset whom, and the one
code path the staff API (:mod:`services.identity.staff_api`) and ``mpp staff`` share.

Who administers what (docs/identity.md, "Administering staff"):

==================  =============================================================
administrator       manages
==================  =============================================================
``region_admin``    officers and supervisors of the offices whose region is theirs,
                    and the counters, kiosks, mobile units, queue kiosks and
                    counter officers of their region
``national_admin``  officers, supervisors, counters, kiosks, mobile units, queue
                    kiosks and counter officers of
``admin``           every region and of the national offices; may also disable a
                    ``region_admin`` (one who left is stopped at once)
an operator         everyone, administrators included (``mpp staff``, on the
                    platform's own machines)
==================  =============================================================

No token creates an administrator of any kind, nor resets one's password: a stolen
administrator's token must not mint new administrators or take another's account.
Whether an office belongs to a region is read from the live catalogue at the moment of
the request (``catalogue.agency(code).region``; None for a national office).

A refusal is a :class:`~shared.errors.Rejected` subclass, answered by identity's refusal
table (:mod:`services.identity.refusals`). An account outside the administrator's reach
is refused as if it did not exist (:class:`NoSuchStaff`), as another agency's
application is: whether a username exists elsewhere is not the caller's to learn.
"""

import secrets
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from services.identity.staff import StaffStore
from shared.auth import AGENCY_ROLES, OPERATOR_ROLES, QUEUE_ROLES, CitizenPrincipal
from shared.catalogue import Catalogue
from shared.errors import Rejected

__all__ = [
    "ADMINISTRATOR_ROLES",
    "Administrator",
    "NoSuchStaff",
    "NotAnAdministrator",
    "NotYourStaff",
    "Revocations",
    "add_staff",
    "disable_staff",
    "may_manage",
    "new_password",
    "reset_staff_password",
    "visible_staff",
]

log = structlog.get_logger(__name__)

ADMINISTRATOR_ROLES = frozenset({"region_admin", "national_admin", "admin"})
_NATIONWIDE = frozenset({"national_admin", "admin", "operator"})
_REGION_BOUND = OPERATOR_ROLES | QUEUE_ROLES
_MANAGED = AGENCY_ROLES | _REGION_BOUND


class NotAnAdministrator(Rejected):
    """The token is not a staff administrator's (a citizen's, an officer's, a counter's)."""


class NotYourStaff(Rejected):
    """An account the administrator may not create: another region's office or region,
    a national office for a region's administrator, or an administrator of any kind."""


class NoSuchStaff(Rejected, LookupError):
    """No account by this username within the administrator's reach."""


class Revocations(Protocol):
    """Where ``mpp staff`` also writes the moment before which a username's tokens are
    refused (routing's ``staff_revocations``), so routing refuses them the moment the
    command ends. Routing learns it from the ``staff.access_revoked`` event anyway
    (:meth:`StaffStore.disable`, :meth:`StaffStore.reset_password`): the staff API
    passes none."""

    async def record(self, username: str, at: Any, *, disabled: bool) -> None: ...


@dataclass(frozen=True)
class Administrator:
    """Who administers: a staff member by their token, or an operator at the command
    line. ``who`` is what the records name (a username, or ``operator:<name>``)."""

    who: str
    role: str
    region: str | None = None

    @classmethod
    def of(cls, principal: CitizenPrincipal) -> "Administrator":
        """The token's administrator; :class:`NotAnAdministrator` for any other token."""
        role = next((r for r in principal.roles if r in ADMINISTRATOR_ROLES), None)
        if role is None or (role == "region_admin" and not principal.region):
            raise NotAnAdministrator(principal.staff_role or "citizen")
        return cls(principal.subject, role, principal.region if role == "region_admin" else None)

    @classmethod
    def operator(cls, name: str) -> "Administrator":
        return cls(f"operator:{name}", "operator")


def _region_of(catalogue: Catalogue, staff: dict[str, Any]) -> str | None:
    """The region an account works in: its own (operators), its office's (officers,
    supervisors; None for a national office or one no longer in the catalogue)."""
    if staff.get("role") in _REGION_BOUND:
        return staff.get("region")
    office = catalogue.agency(staff.get("agency") or "")
    return office.region if office is not None else None


def may_manage(
    admin: Administrator, staff: dict[str, Any], catalogue: Catalogue, *, disabling: bool = False
) -> bool:
    """Whether ``admin`` may create, reset or (with ``disabling``) disable ``staff`` —
    an account, or the role and binding asked for one."""
    if admin.role == "operator":
        return True
    role = staff.get("role")
    if role not in _MANAGED:
        return disabling and role == "region_admin" and admin.role in _NATIONWIDE
    if admin.role in _NATIONWIDE:
        return True
    return _region_of(catalogue, staff) == admin.region


def _within(admin: Administrator, catalogue: Catalogue) -> dict[str, Any] | None:
    """The part of the ``staff`` collection ``admin`` sees, as a query (None: all)."""
    if admin.role in _NATIONWIDE:
        return None
    offices = [agency.code for agency in catalogue.agencies if agency.region == admin.region]
    return {
        "$or": [
            {"role": {"$in": sorted(_REGION_BOUND)}, "region": admin.region},
            {"role": {"$in": sorted(AGENCY_ROLES)}, "agency": {"$in": offices}},
        ]
    }


def new_password() -> str:
    """A one-time initial password: 16 characters, 96 random bits."""
    return secrets.token_urlsafe(12)


async def add_staff(
    store: StaffStore,
    admin: Administrator,
    username: str,
    role: str,
    *,
    agency: str | None = None,
    region: str | None = None,
    name: str | None = None,
    password: str | None = None,
) -> tuple[dict[str, Any], str]:
    """A new account and its initial password (generated unless given). The input is
    checked first (an unknown office or region is named, whoever asks: the catalogue is
    public), then the administrator's reach."""
    store.check(role, agency, region)  # an unknown role, office or region: 422 first
    if not may_manage(admin, {"role": role, "agency": agency, "region": region}, store.catalogue):
        raise NotYourStaff(role)
    password = new_password() if password is None else password
    added = await store.add(
        username, role, password, agency=agency, region=region, name=name, by=admin.who
    )
    log.info("staff added", by=admin.who, username=username, role=role, bound_to=agency or region)
    return added, password


async def _managed(
    store: StaffStore, admin: Administrator, username: str, *, disabling: bool = False
) -> dict[str, Any]:
    found = await store.find(username)
    if found is None or not may_manage(admin, found, store.catalogue, disabling=disabling):
        raise NoSuchStaff(username)
    return found


async def disable_staff(
    store: StaffStore, admin: Administrator, username: str, revocations: Revocations | None
) -> tuple[dict[str, Any], bool]:
    """Disable at once; answers the account and whether it was disabled already. The
    store announces it to routing (a ``staff.access_revoked`` event, so a service
    checking tokens by signature refuses those already issued); ``revocations``, when
    given, is told at once too."""
    found = await _managed(store, admin, username, disabling=True)
    disabled = await store.disable(username, by=admin.who)
    if disabled is None:  # removed meanwhile
        raise NoSuchStaff(username)
    if revocations is not None:
        await revocations.record(username, disabled["disabled_at"], disabled=True)
    already = found.get("disabled_at") is not None
    log.info("staff disabled", by=admin.who, username=username, already=already)
    return disabled, already


async def reset_staff_password(
    store: StaffStore,
    admin: Administrator,
    username: str,
    revocations: Revocations | None,
    password: str | None = None,
) -> tuple[dict[str, Any], str]:
    """A new password (generated unless given); tokens issued before it are refused,
    here, by routing once the store's event is read, and by ``revocations`` if given."""
    await _managed(store, admin, username)
    password = new_password() if password is None else password
    updated = await store.reset_password(username, password, by=admin.who)
    if updated is None:
        raise NoSuchStaff(username)
    if revocations is not None:
        await revocations.record(username, updated["tokens_valid_after"], disabled=False)
    log.info("staff password reset", by=admin.who, username=username)
    return updated, password


async def visible_staff(
    store: StaffStore,
    admin: Administrator,
    *,
    agency: str | None = None,
    role: str | None = None,
    region: str | None = None,
) -> list[dict[str, Any]]:
    """The accounts ``admin`` may see, narrowed by the filters given."""
    within = _within(admin, store.catalogue)
    return await store.list(agency=agency, role=role, region=region, within=within)
