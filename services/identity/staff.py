"""Staff accounts: the people, and the kiosks, who act for agencies and for citizens.

Each officer, supervisor, counter operator and kiosk has an account of their own, so
every record names the person who acted — never a shared key, never a name typed into a
form. An account has one role and is bound to what the role works on:

===============  ===========================  ==========================================
role             bound to                     does
===============  ===========================  ==========================================
``officer``      one agency of the catalogue  the agency API and workbench of that agency
``supervisor``   one agency of the catalogue  the same, as the agency's supervisor
``counter``      one MPP region               looks a citizen up by NIK, submits for them
``kiosk``        one MPP region               submits for the citizen signed in at it
``mobile_unit``  one MPP region               checks KTPs in villages, captures offline,
                                              sends the day's batch (:mod:`batches`)
``queue_kiosk``  one MPP region               checks bookings in, hands out queue tickets
``counter_officer`` one MPP region            calls the next queue ticket at a counter
``finance_officer`` one MPP region            reads the region's payments reconciliation
                                              (added by an operator with ``mpp staff``)
``region_admin`` one region (Kemendagri code)  publishes that region's catalogue package;
                                              administers its offices' and counters' staff
``national_admin`` nothing                    publishes the national catalogue package;
                                              administers every region's staff
``admin``        nothing                      the platform's administration
===============  ===========================  ==========================================

Staff sign in at ``POST /api/v1/auth/token`` with their username; the token carries the
role and the ``agency`` or ``region`` claim (:mod:`shared.auth`). Passwords are argon2
hashes. ``mpp staff`` (``ops/staff_cli.py``) and the staff API
(:mod:`services.identity.staff_api`) add, list and disable staff and reset passwords,
under the rules of :mod:`services.identity.staff_admin`. Disabling an account, or
resetting its password, sets ``tokens_valid_after``: tokens issued earlier are refused
here (counter and kiosk requests, the staff API), and a ``staff.access_revoked`` event
is staged in identity's outbox in the same transaction, on the staff topic: routing
reads it and refuses those tokens too within seconds (services never read each other's
data). The event names the account by username, never by name, email or phone.

The ``staff`` collection replaces ``operators`` (counter and kiosk credentials only);
:meth:`StaffStore.prepare` moves its entries over when identity starts.
"""

import asyncio
import re
from contextlib import suppress
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.auth import (
    AGENCY_ROLES,
    FINANCE_ROLES,
    OPERATOR_ROLES,
    QUEUE_ROLES,
    CitizenPrincipal,
)
from shared.catalogue import Catalogue
from shared.correlation import current_correlation_id
from shared.errors import Rejected
from shared.events import StaffAccessRevoked, StaffRevocationData, utcnow
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "StaffError",
    "StaffStore",
    "UsernameTaken",
    "revoked_event",
    "staff_claims",
    "still_valid",
]

ROLES = (
    "officer",
    "supervisor",
    "counter",
    "kiosk",
    "mobile_unit",
    "queue_kiosk",
    "counter_officer",
    "finance_officer",
    "region_admin",
    "national_admin",
    "admin",
)
_REGION_CODE = re.compile(r"^[0-9]{4}$")
MIN_PASSWORD_LENGTH = 12
_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,39}$")
_WITHOUT_HASH = {"password_hash": 0}


class StaffError(Rejected, ValueError):
    """Input refused: an unknown agency or region, a binding the role does not take, or
    a username or password that does not qualify."""


class UsernameTaken(StaffError):
    """The username belongs to an account already (perhaps a disabled one)."""


def _binding(
    catalogue: Catalogue, role: str, agency: str | None, region: str | None
) -> dict[str, str | None]:
    """The agency or region the role is bound to, checked against the catalogue."""
    if role not in ROLES:
        raise StaffError(f"peran {role} tidak dikenal / unknown role {role}: {', '.join(ROLES)}")
    if role in AGENCY_ROLES:
        if agency is None or region is not None:
            raise StaffError(
                f"peran {role} terikat pada satu instansi: beri --agency, tanpa --region / "
                f"the {role} role is bound to one agency: give --agency, not --region"
            )
        if catalogue.agency(agency) is None:
            raise StaffError(
                f"instansi {agency} tidak ada di katalog / unknown agency {agency}: "
                "see the offices in shared/catalogue/packages/"
            )
        return {"agency": agency, "region": None}
    if role in OPERATOR_ROLES | QUEUE_ROLES | FINANCE_ROLES:
        if region is None or agency is not None:
            raise StaffError(
                f"peran {role} terikat pada satu wilayah MPP: beri --region, tanpa --agency / "
                f"the {role} role is bound to one MPP region: give --region, not --agency"
            )
        if catalogue.region(region) is None:
            raise StaffError(
                f"wilayah {region} tidak ada di katalog / unknown region {region}: "
                "see shared/catalogue/packages/regions/"
            )
        return {"agency": None, "region": region}
    if role == "region_admin":
        # A region's administrator exists before its first package does: the region is
        # checked by its form, not against the catalogue.
        if region is None or agency is not None or not _REGION_CODE.match(region):
            raise StaffError(
                "peran region_admin terikat pada satu wilayah: beri --region (kode "
                "Kemendagri 4 angka), tanpa --agency / the region_admin role is bound to one "
                "region: give --region (a 4-digit Kemendagri code), not --agency"
            )
        return {"agency": None, "region": region}
    if agency is not None or region is not None:
        raise StaffError(
            f"peran {role} tidak terikat pada instansi atau wilayah / "
            f"the {role} role is bound to no agency or region: give neither --agency nor "
            "--region"
        )
    return {"agency": None, "region": None}


def _checked_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise StaffError(
            "nama pengguna: 3–40 huruf kecil, angka, titik, minus atau garis bawah, diawali "
            "huruf / username: 3-40 lower-case letters, digits, '.', '-' or '_', starting "
            "with a letter"
        )
    return username


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(
            f"kata sandi petugas minimal {MIN_PASSWORD_LENGTH} karakter / a staff password "
            f"has at least {MIN_PASSWORD_LENGTH} characters"
        )
    return password


def staff_claims(staff: dict[str, Any]) -> dict[str, str]:
    """The claims a staff member's access token carries besides subject and roles."""
    found = {key: staff.get(key) for key in ("agency", "region", "name")}
    return {key: value for key, value in found.items() if value}


def still_valid(staff: dict[str, Any] | None, principal: CitizenPrincipal) -> bool:
    """Whether a staff token may still be used: the account exists, is not disabled, and
    the token was issued after the last password reset (to the millisecond)."""
    if staff is None or staff.get("disabled_at") is not None:
        return False
    after: datetime | None = staff.get("tokens_valid_after")
    if after is None:
        return True
    return principal.issued_at is not None and principal.issued_at >= after


def revoked_event(staff: dict[str, Any], by: str | None) -> StaffAccessRevoked:
    """The announcement of a disable or password reset just written to ``staff``: the
    account's username, role and binding, the moment, and who — nothing personal."""
    return StaffAccessRevoked(
        source="identity",
        subject=staff["_id"],
        region=staff.get("region"),
        correlation_id=current_correlation_id(),
        data=StaffRevocationData(
            username=staff["_id"],
            role=staff["role"],
            agency=staff.get("agency"),
            region=staff.get("region"),
            tokens_valid_after=staff["tokens_valid_after"],
            disabled=staff.get("disabled_at") is not None,
            by=by or "unknown",
        ),
    )


class StaffStore:
    """Staff accounts in identity's ``staff`` collection, keyed by username. A disable
    or a password reset is written in one transaction with its ``staff.access_revoked``
    event, staged through ``units`` (identity's outbox) for ``topics.staff``."""

    def __init__(
        self,
        db: AsyncDatabase,
        catalogue: Catalogue,
        hasher: PasswordHasher,
        *,
        units: UnitsOfWork,
        topics: Topics,
    ) -> None:
        self.staff = db["staff"]
        self._operators = db["operators"]  # the collection ``staff`` replaces
        self.catalogue = catalogue
        self.hasher = hasher
        self.units = units
        self.topics = topics

    async def prepare(self) -> None:
        """Indexes, then the counter and kiosk credentials of ``operators`` moved over
        (idempotent: several identity processes may start at once)."""
        await self.staff.create_index([("agency", 1), ("role", 1)])
        await self.staff.create_index([("region", 1), ("role", 1)])
        async for old in self._operators.find({}):
            role = next((r for r in old.get("roles") or [] if r in OPERATOR_ROLES), "counter")
            moved = {
                "role": role,
                "roles": [role],
                "agency": None,
                "region": old.get("region"),
                "name": None,
                "password_hash": old["password_hash"],
                "created_at": utcnow(),
                "disabled_at": None,
                "tokens_valid_after": None,
                "migrated_from": "operators",
            }
            with suppress(DuplicateKeyError):  # another process moved it first
                await self.staff.update_one(
                    {"_id": str(old["_id"]).lower()}, {"$setOnInsert": moved}, upsert=True
                )
        await self._operators.drop()

    async def add(
        self,
        username: str,
        role: str,
        password: str,
        *,
        agency: str | None = None,
        region: str | None = None,
        name: str | None = None,
        by: str | None = None,
    ) -> dict[str, Any]:
        """A new account, made ``by`` an administrator; :class:`StaffError` when the
        input does not qualify or the username is taken (a disabled account keeps its
        username, so records stay unambiguous)."""
        bound = _binding(self.catalogue, role, agency, region)
        password_hash = await asyncio.to_thread(self.hasher.hash, _checked_password(password))
        now = utcnow()
        staff = {
            "_id": _checked_username(username),
            "role": role,
            "roles": [role],
            **bound,
            "name": (name or "").strip()[:100] or None,
            "password_hash": password_hash,
            "created_at": now,
            "disabled_at": None,
            "tokens_valid_after": None,
            "created_by": by,
        }
        try:
            await self.staff.insert_one(staff)
        except DuplicateKeyError:
            raise UsernameTaken(
                f"nama pengguna {username} sudah dipakai / username {username} is taken"
            ) from None
        return {k: v for k, v in staff.items() if k != "password_hash"}

    def check(self, role: str, agency: str | None, region: str | None) -> None:
        """:class:`StaffError` when the role is unknown or its binding does not qualify."""
        _binding(self.catalogue, role, agency, region)

    async def find(self, username: str) -> dict[str, Any] | None:
        return await self.staff.find_one({"_id": username}, _WITHOUT_HASH)

    async def check_password(self, username: str, password: str) -> dict[str, Any] | None:
        """The active account whose password this is; None otherwise (the same work is
        done for an unknown or disabled username, so timing does not tell them apart)."""
        found = await self.staff.find_one({"_id": username, "disabled_at": None})
        password_hash = found["password_hash"] if found else _DUMMY_HASH
        matches = await asyncio.to_thread(self._verify, password_hash, password)
        if found is None or not matches:
            return None
        return {k: v for k, v in found.items() if k != "password_hash"}

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def disable(self, username: str, by: str | None = None) -> dict[str, Any] | None:
        """Disable at once (``by`` an administrator): no more sign-ins, and every token
        issued so far is refused — here, and by routing once the event staged with the
        change is read. None when there is no such account; an account already disabled
        stays as it was, and nothing is announced again."""
        now = utcnow()

        async def write(tx: Transaction) -> dict[str, Any] | None:
            disabled = await self.staff.find_one_and_update(
                {"_id": username, "disabled_at": None},
                {"$set": {"disabled_at": now, "tokens_valid_after": now, "disabled_by": by}},
                projection=_WITHOUT_HASH,
                return_document=ReturnDocument.AFTER,
                session=tx.session,
            )
            if disabled is not None:
                tx.emit(self.topics.staff, revoked_event(disabled, by))
            return disabled

        return await self.units.run(write) or await self.find(username)

    async def reset_password(
        self, username: str, password: str, by: str | None = None
    ) -> dict[str, Any] | None:
        """A new password (set ``by`` an administrator); tokens issued before it are
        refused, here and by routing (the event staged with it). None when there is no
        such account."""
        password_hash = await asyncio.to_thread(self.hasher.hash, _checked_password(password))
        changes = {"password_hash": password_hash, "tokens_valid_after": utcnow()}

        async def write(tx: Transaction) -> dict[str, Any] | None:
            updated = await self.staff.find_one_and_update(
                {"_id": username},
                {"$set": {**changes, "password_reset_by": by}},
                projection=_WITHOUT_HASH,
                return_document=ReturnDocument.AFTER,
                session=tx.session,
            )
            if updated is not None:
                tx.emit(self.topics.staff, revoked_event(updated, by))
            return updated

        return await self.units.run(write)

    async def list(
        self,
        *,
        agency: str | None = None,
        role: str | None = None,
        region: str | None = None,
        within: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """The accounts matching every filter given; ``within`` is the part of the
        collection the caller may see (a query, :mod:`services.identity.staff_admin`)."""
        query: dict[str, Any] = {
            key: value
            for key, value in {"agency": agency, "role": role, "region": region}.items()
            if value is not None
        }
        if within:
            query = {"$and": [query, within]}
        return await self.staff.find(query, _WITHOUT_HASH).sort("_id", 1).to_list(None)

    async def valid_for(self, principal: CitizenPrincipal) -> dict[str, Any] | None:
        """The staff account behind a verified token, while the token may be used."""
        staff = await self.find(principal.subject)
        return staff if still_valid(staff, principal) else None


_DUMMY_HASH = PasswordHasher().hash("not-a-real-password")
