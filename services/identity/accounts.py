"""One account per citizen: registration, sign-in, and the profile entered once.

The account id (a UUIDv7) is the citizen's identity everywhere else on the platform —
tokens, events, notices. The NIK and the rest of the profile are checked and stored
once, here; they leave identity only for an application, and only the fields its
service declares (:mod:`shared.applicant`). Birth date and sex are read from the
NIK at registration, and a change that disagrees with the NIK is refused.

Whenever contacts or notification preferences change, an ``AccountContactsChanged``
event is staged in the same transaction on the accounts topic, which only notify and
audit read.

Staff (officers, supervisors, counter operators, kiosks, administrators) sign in at the
same door with their username; their accounts are :mod:`services.identity.staff`.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import ConfigDict, Field, field_validator
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.identity.account_history import AccountHistory
from services.identity.account_records import AccountRecords
from services.identity.codes import verification_cleared
from services.identity.contact_change import (
    ContactReplaced,
    contact_change_needs_password,
    replaced_contacts,
)
from services.identity.nik_ownership import frozen_problem
from services.identity.passwords import Passwords
from services.identity.sealed_accounts import SealedAccounts
from services.identity.staff import StaffStore, staff_claims
from shared.catalogue import Catalogue
from shared.channels import ChannelName
from shared.correlation import current_correlation_id
from shared.events import AccountContactsChanged, ContactsData, utcnow
from shared.ids import uuid7
from shared.nik import NikError, parse_nik
from shared.outbox import Outbox
from shared.privacy.plain_input import PlainInput
from shared.problems import Problem
from shared.profile import Address, ProfileUpdate, check_email, normalise_phone
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = [
    "AccountStore",
    "Address",
    "NewAccount",
    "ProfileUpdate",
    "SignedIn",
    "normalise_phone",
    "refuse_unproven",
    "still_to_verify",
]

Channel = ChannelName
_email = check_email


class NewAccount(PlainInput):
    model_config = ConfigDict(extra="forbid")

    nik: str = Field(examples=["3576014507900001"], description="16-digit NIK.")
    name: str = Field(min_length=1, max_length=100)
    email: str = Field(max_length=254, examples=["siti@example.id"])
    phone: str = Field(max_length=20, examples=["081234567890"])
    password: str = Field(min_length=8, max_length=128)
    birth_place: str | None = Field(None, min_length=1, max_length=100)
    address: Address | None = None
    family_card_number: str | None = Field(None, pattern=r"^[0-9]{16}$")

    _email = field_validator("email")(_email)
    _phone = field_validator("phone")(normalise_phone)


_CONTACT_FIELDS = ("email", "phone", "language", "notification_channels")


@dataclass(frozen=True)
class SignedIn:
    """Who signed in: the token's subject and roles, and for staff the ``claims`` that
    bind them (``agency`` or ``region``) and their display ``name`` — pass them on:
    ``issue_token(settings, s.subject, s.roles, **s.claims)``."""

    subject: str
    roles: tuple[str, ...]
    claims: dict[str, str] = field(default_factory=dict)


class AccountStore:
    """Accounts (citizens) and staff (:class:`StaffStore`) in identity's database."""

    def __init__(
        self,
        *,
        mongo: AsyncMongoClient,
        db: AsyncDatabase,
        outbox: Outbox | None = None,
        topics: Topics,
        catalogue: Catalogue,
        sealed: SealedAccounts,
        passwords: Passwords | None = None,
        units: UnitsOfWork | None = None,
    ) -> None:
        self.mongo = mongo
        self.units = units or UnitsOfWork(mongo, outbox)
        self.sealed = sealed
        self.accounts = db["accounts"]
        self.records = AccountRecords(db)
        self.owners = db["nik_owners"]
        self.topics = topics
        self.catalogue = catalogue
        self.hasher = PasswordHasher()
        self.passwords = passwords or Passwords(hasher=self.hasher)
        self.staff = StaffStore(db, catalogue, self.hasher, units=self.units, topics=topics)
        self.history = AccountHistory(db, sealed.personal)

    async def create_indexes(self) -> None:
        # Unverified accounts may share a NIK (services.identity.nik_ownership): the one
        # owner per NIK is nik_owners' _id. The NIK and the email are found by their blind
        # indexes (services.identity.sealed_accounts); the plaintext indexes of databases
        # from before are dropped. An erased account has no email index.
        existing = await self.accounts.index_information()
        for old in ("nik_1", "email_1"):
            if old in existing:
                await self.accounts.drop_index(old)
        await self.accounts.create_index("nik_index")
        await self.accounts.create_index(
            "email_index",
            unique=True,
            partialFilterExpression={"email_index": {"$type": "string"}},
        )
        await self.staff.prepare()  # its indexes, and the old operators moved over
        await self.history.create_indexes()

    # --- registration ----------------------------------------------------------

    async def register(self, new: NewAccount) -> dict[str, Any]:
        try:
            info = parse_nik(new.nik)
        except NikError as exc:
            raise Problem(
                422,
                "NIK tidak valid / Invalid NIK",
                str(exc),
                errors=[{"field": "nik", "message": str(exc)}],
            ) from None
        owner = await self.owners.find_one({"_id": self.sealed.nik_index(new.nik)}, {"method": 1})
        if owner is not None and owner["method"] == "counter":
            raise _nik_owned()
        password_hash = await self.passwords.hash(new.password)
        now = utcnow()
        account = {
            "_id": uuid7(),
            "nik": new.nik,
            "name": new.name,
            "email": new.email,
            "phone": new.phone,
            "birth_place": new.birth_place,
            "birth_date": info.birth_date.isoformat(),
            "sex": info.sex,
            "address": new.address.model_dump(mode="json") if new.address else None,
            "family_card_number": new.family_card_number,
            "language": "id",
            "notification_channels": ["in_app", "email"],
            "region": info.region,
            "password_hash": password_hash,
            "roles": ["citizen"],
            "profile_version": 1,
            "created_at": now,
            "updated_at": now,
        }

        stored = await self.sealed.seal(account["_id"], account)

        async def write(tx: Transaction) -> None:
            await self.records.insert(stored, tx.session)
            tx.emit(self.topics.accounts, _contacts_event(stored))

        try:
            await self.units.run(write)
        except DuplicateKeyError:
            raise _email_taken() from None
        return account

    # --- sign-in -----------------------------------------------------------------

    async def authenticate(self, username: str, password: str) -> SignedIn | None:
        """NIK, email or staff username with a password; None when they do not match,
        or the staff account is disabled."""
        username = username.strip()
        if "@" not in username and not (len(username) == 16 and username.isdigit()):
            staff = await self.staff.check_password(username.lower(), password)
            if staff is None:
                return None
            return SignedIn(staff["_id"], tuple(staff["roles"]), staff_claims(staff))
        if "@" in username:
            found = await self.accounts.find_one({"email_index": self.sealed.email_index(username)})
        else:
            found = await self.account_of_nik(username)
        if found is None:
            # Same work as a wrong password, so timing does not reveal who has an account.
            await asyncio.to_thread(self._verify, _DUMMY_HASH, password)
            return None
        if not await asyncio.to_thread(self._verify, found["password_hash"], password):
            return None
        if found.get("frozen_at") is not None:
            raise frozen_problem()
        return SignedIn(found["_id"], tuple(found["roles"]))

    async def account_of_nik(self, nik: str) -> dict[str, Any] | None:
        """The account a NIK signs in to (and resets the password of): its proven owner,
        else its only holder that is not frozen. While unverified accounts share a NIK,
        none is chosen — they sign in with their email — and nothing says so."""
        index = self.sealed.nik_index(nik)
        owner = await self.owners.find_one({"_id": index}, {"account_id": 1})
        if owner is not None:
            return await self.sealed.open(
                await self.accounts.find_one({"_id": owner["account_id"]})
            )
        holders = await self.accounts.find({"nik_index": index, "frozen_at": None}).to_list(2)
        return await self.sealed.open(holders[0]) if len(holders) == 1 else None

    async def still_signed_in(self, subject: str) -> SignedIn | None:
        """The sign-in behind ``subject`` as it stands now — for issuing a fresh token
        without the password (a refresh): None when the account is gone or the staff
        member was disabled."""
        staff = await self.staff.find(subject)
        if staff is not None:
            if staff.get("disabled_at") is not None:
                return None
            return SignedIn(staff["_id"], tuple(staff["roles"]), staff_claims(staff))
        found = await self.accounts.find_one({"_id": subject}, {"roles": 1, "frozen_at": 1})
        if found is None:
            return None
        if found.get("frozen_at") is not None:
            raise frozen_problem()
        return SignedIn(found["_id"], tuple(found["roles"]))

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def find_by_nik(self, nik: str) -> dict[str, Any] | None:
        """The account that proved ``nik``; None while nobody has."""
        owner = await self.owners.find_one({"_id": self.sealed.nik_index(nik)}, {"account_id": 1})
        if owner is None:
            return None
        return await self.sealed.open(
            await self.accounts.find_one({"_id": owner["account_id"]}, {"password_hash": 0})
        )

    async def holders(
        self, nik: str, email: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Accounts registered with ``nik``, frozen ones too (a counter proof brings one
        back), newest first; only the one with ``email`` when the citizen names it, so
        a flood of squatters' accounts cannot hide theirs."""
        query: dict[str, Any] = {"nik_index": self.sealed.nik_index(nik)}
        if email is not None:
            query["email_index"] = self.sealed.email_index(email)
        found = self.accounts.find(query, {"password_hash": 0}, sort=[("created_at", -1)])
        return [opened for a in await found.to_list(limit) if (opened := await self.sealed.open(a))]

    # --- profile -----------------------------------------------------------------

    async def profile(self, account_id: str) -> dict[str, Any] | None:
        return await self.sealed.open(
            await self.accounts.find_one({"_id": account_id}, {"password_hash": 0})
        )

    async def update_profile(
        self, account_id: str, update: ProfileUpdate, *, password_confirmed: bool = False
    ) -> dict[str, Any]:
        """Save what ``update`` sets. A new email or phone — where password resets go —
        is refused (403) unless the caller confirmed the current password
        (``password_confirmed``): a stolen token alone must not move the account's
        recovery elsewhere. A verified contact that is replaced is told
        (``AccountContactReplaced``)."""
        changes = update.model_dump(exclude_unset=True, mode="json")
        changes = {k: v for k, v in changes.items() if v is not None}
        if "birth_date" in changes or "sex" in changes:
            await self._agrees_with_nik(account_id, update)
        contacts_changed = any(field in changes for field in _CONTACT_FIELDS)
        sealed_changes = await self.sealed.seal(account_id, changes)

        async def write(tx: Transaction) -> dict[str, Any] | None:
            cleared: dict[str, Any] = {}
            replaced: list[ContactReplaced] = []
            if "email" in changes or "phone" in changes:
                stored = await self.accounts.find_one(
                    {"_id": account_id},
                    {"email": 1, "phone": 1, "email_verified": 1, "phone_verified": 1},
                    session=tx.session,
                )
                current = await self.sealed.open(stored)
                cleared = verification_cleared(current, changes)
                if cleared and not password_confirmed:
                    raise contact_change_needs_password(sorted(cleared))
                replaced = replaced_contacts(stored, cleared)
            updated = await self.records.change_profile(
                account_id,
                {**sealed_changes, **cleared, "updated_at": utcnow()},
                contacts_changed,
                tx.session,
            )
            if updated is not None and contacts_changed:
                tx.emit(self.topics.accounts, _contacts_event(updated))
            for old in replaced if updated is not None else []:
                tx.emit(self.topics.accounts, old.event(updated))
            return updated

        try:
            updated = await self.units.run(write)
        except DuplicateKeyError:
            raise _email_taken() from None
        if updated is None:
            raise Problem(404, "Akun tidak ditemukan / Account not found", "Sign in again.")
        return await self.sealed.open(updated)  # type: ignore[return-value]

    async def _agrees_with_nik(self, account_id: str, update: ProfileUpdate) -> None:
        """Birth date and sex are written in the NIK; a profile may not contradict it."""
        account = await self.sealed.open(
            await self.accounts.find_one({"_id": account_id}, {"nik": 1})
        )
        if account is None:
            return
        info = parse_nik(account["nik"])
        errors = []
        if update.birth_date is not None and update.birth_date != info.birth_date:
            errors.append(
                {
                    "field": "birth_date",
                    "message": f"NIK Anda menyatakan {info.birth_date.isoformat()} / your NIK "
                    f"says {info.birth_date.isoformat()}",
                }
            )
        if update.sex is not None and update.sex != info.sex:
            errors.append(
                {
                    "field": "sex",
                    "message": f"NIK Anda menyatakan {info.sex} / your NIK says {info.sex}",
                }
            )
        if errors:
            raise Problem(
                422,
                "Tidak sesuai dengan NIK / Does not agree with the NIK",
                "Tanggal lahir dan jenis kelamin tertulis di NIK; periksa kembali / The birth "
                "date and sex are part of the NIK; check them again.",
                errors=errors,
            )


def still_to_verify(account: dict[str, Any]) -> list[str]:
    """What the citizen must still prove before submitting: of email, phone and nik."""
    missing = [c for c in ("email", "phone") if not account.get(f"{c}_verified")]
    return missing + ([] if account.get("nik_verification") else ["nik"])


_HOW_TO_PROVE = {
    "email": "konfirmasi email dengan kode / confirm the email with a code "
    "(POST /api/v1/me/contact-verifications)",
    "phone": "konfirmasi nomor HP dengan kode SMS / confirm the phone with an SMS code "
    "(POST /api/v1/me/contact-verifications)",
    "nik": "verifikasi NIK dengan Dukcapil atau di loket MPP dengan KTP / prove the NIK with "
    "Dukcapil (POST /api/v1/me/nik-verification) or at an MPP counter with the KTP",
}


def refuse_unproven(account: dict[str, Any], channel: str) -> None:
    """403 unless the account may submit on ``channel``: email, phone and NIK proven
    (at a counter, the operator has the KTP and the NIK proof is enough)."""
    missing = still_to_verify(account)
    if channel == "counter":
        missing = [m for m in missing if m == "nik"]
    if not missing:
        return
    raise Problem(
        403,
        "Akun belum terverifikasi / Account not verified yet",
        "Sebelum mengajukan permohonan / Before applying: "
        + "; ".join(_HOW_TO_PROVE[m] for m in missing)
        + ". Draf dan katalog tetap bisa dipakai / Drafts and the catalogue stay available.",
        type_="https://mpp.go.id/problems/unverified-account",
        to_verify=missing,
    )


def _nik_owned() -> Problem:
    return Problem(
        409,
        "NIK sudah terdaftar / NIK already registered",
        "NIK ini sudah diverifikasi untuk akun lain; silakan masuk atau atur ulang kata sandi. "
        "Bila Anda tidak mendaftarkannya, datanglah ke loket MPP dengan KTP / This NIK is "
        "proven for another account; sign in or reset the password. If you did not register "
        "it, visit an MPP counter with your KTP.",
        errors=[{"field": "nik", "message": "already registered"}],
    )


def _contacts_event(account: dict[str, Any]) -> AccountContactsChanged:
    return AccountContactsChanged(
        source="identity",
        subject=account["_id"],
        correlation_id=current_correlation_id(),
        data=ContactsData(
            citizen_id=account["_id"],
            language=account["language"],
            channels=account["notification_channels"],
            email=account["email"],  # sealed under the citizen's key, as stored
            phone=account["phone"],  # SMS and WhatsApp both use the mobile number
            profile_version=account["profile_version"],
        ),
    )


def _email_taken() -> Problem:
    return Problem(
        409,
        "Email sudah dipakai / Email already in use",
        "Email ini sudah dipakai akun lain; gunakan email lain "
        "/ Another account uses this email; use a different one.",
        errors=[{"field": "email", "message": "already in use"}],
    )


_DUMMY_HASH = PasswordHasher().hash("not-a-real-password")
