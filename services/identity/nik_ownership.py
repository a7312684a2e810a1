"""Who owns a NIK: proven, not claimed.

A NIK is printed on every KTP, so typing one proves nothing. An account's NIK stays
*unverified* — the account may read the catalogue and keep its profile, but not submit —
until it is proven in one of two ways:

* **Dukcapil** (:mod:`services.identity.dukcapil`): the NIK, the name and the birth date
  agree with the population register. The birth date is read from the NIK, so the name
  is the only thing guessed; a "no match" tells something about a NIK. So only an account
  with confirmed email and phone may try, a NIK that has an owner is refused before any
  try, and tries are counted per account (``MPP_NIK_CHECKS_PER_DAY`` per 24 hours) and
  per NIK across accounts (twice that) — counter documents written before the call, so
  tries sent at once cannot exceed them; a try Dukcapil did not answer is given back.
* **At the counter**: a counter operator holds the KTP, types its NIK, and marks the
  account verified (``method: counter``, the operator and region kept).

Registration no longer turns the real citizen away because somebody else typed their
NIK first: unverified accounts may share a NIK. Proving it, in one transaction:

1. claims the NIK in ``nik_owners`` (its ``_id`` is the NIK's blind index: one owner per
   NIK, enforced by the database, so two proofs at once cannot both win);
2. marks the account verified;
3. freezes every other account holding that NIK — kept for audit, signed out of every
   device, no sign-in — and stages ``AccountFrozen`` so notify tells its owner at its
   confirmed contacts. A counter proof of a frozen account brings it back (the KTP says
   it is the holder's);
4. stages ``NikVerified`` (no NIK, name or birth date in it) for the audit log.

A KTP checked in person outweighs a name and birth date somebody knew: a counter proof
takes a NIK over from an account that proved it through Dukcapil (which is then frozen
the same way). Once a counter has proven a NIK, registering it again is refused (409).
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import structlog
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.identity.account_history import AccountHistory, Actor
from services.identity.account_records import AccountRecords
from services.identity.dukcapil import DukcapilClient, DukcapilRejected, DukcapilUnavailable
from services.identity.sealed_accounts import SealedAccounts
from services.identity.sessions import Sessions
from shared.correlation import current_correlation_id
from shared.events import (
    AccountFrozen,
    AccountFrozenData,
    NikVerified,
    NikVerifiedData,
    utcnow,
)
from shared.outbox import Outbox
from shared.problems import Problem
from shared.settings import Settings
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["Method", "NikOwnership", "Proven", "frozen_problem", "same_name"]

log = structlog.get_logger(__name__)

Method = Literal["dukcapil", "counter"]


def same_name(a: str, b: str) -> bool:
    """Names as a KTP prints them and as a person types them: case, spacing, accents and
    punctuation aside."""
    return _name_key(a) == _name_key(b)


def _name_key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", plain.lower()).split())


def frozen_problem() -> Problem:
    return Problem(
        403,
        "Akun dibekukan / Account frozen",
        "NIK akun ini telah dibuktikan oleh pemiliknya, jadi akun ini dibekukan; datanya "
        "disimpan untuk audit. Bila NIK ini milik Anda, datanglah ke loket MPP dengan KTP "
        "/ The NIK of this account was proven by its owner, so this account is frozen; its "
        "data is kept for audit. If the NIK is yours, visit an MPP counter with your KTP.",
    )


@dataclass(frozen=True)
class Proven:
    account: dict[str, Any]
    frozen: list[str]


async def forget_owner(
    db: AsyncDatabase, account_id: str, session: AsyncClientSession | None
) -> None:
    """The account owns no NIK any more (erasure)."""
    await db["nik_owners"].delete_many({"account_id": account_id}, session=session)


class NikOwnership:
    def __init__(
        self,
        *,
        mongo: AsyncMongoClient,
        db: AsyncDatabase,
        outbox: Outbox | None = None,
        topics: Topics,
        sessions: Sessions,
        dukcapil: DukcapilClient,
        settings: Settings,
        sealed: SealedAccounts,
        units: UnitsOfWork | None = None,
    ) -> None:
        self.units = units or UnitsOfWork(mongo, outbox)
        self.sealed = sealed
        self.history = AccountHistory(db, sealed.personal)
        self.accounts = db["accounts"]
        self.records = AccountRecords(db)
        self.owners = db["nik_owners"]
        self.checks = db["nik_checks"]
        self.topics = topics
        self.sessions = sessions
        self.dukcapil = dukcapil
        self.checks_per_day = settings.nik_checks_per_day

    async def create_indexes(self) -> None:
        await self.checks.create_index("expires_at", expireAfterSeconds=0)

    async def owner_of(self, nik: str) -> str | None:
        found = await self.owners.find_one({"_id": self.sealed.nik_index(nik)}, {"account_id": 1})
        return found["account_id"] if found else None

    # --- proving with Dukcapil ------------------------------------------------------

    async def prove_with_dukcapil(self, account_id: str, name: str | None) -> Proven:
        account = await self._provable(account_id)
        if account.get("nik_verification"):
            return Proven(account, [])
        if not (account.get("email_verified") and account.get("phone_verified")):
            # Each try costs confirmed contacts, so accounts made in bulk cannot guess.
            raise Problem(
                403,
                "Konfirmasi email dan nomor HP dulu / Confirm the email and phone first",
                "NIK diperiksa ke Dukcapil setelah email dan nomor HP akun dikonfirmasi dengan "
                "kode / The NIK is checked with Dukcapil once the account's email and phone "
                "are confirmed with their codes (POST /api/v1/me/contact-verifications).",
                to_verify=[c for c in ("email", "phone") if not account.get(f"{c}_verified")],
            )
        owner = await self.owner_of(account["nik"])
        if owner is not None and owner != account_id:
            raise _owned_elsewhere()  # before any try: Dukcapil's answer would tell something
        typed = name or account["name"]
        spent = [account_id, "nik:" + self.sealed.nik_index(account["nik"])]
        left = await self._spend_check(spent[0], self.checks_per_day)
        await self._spend_check(spent[1], self.checks_per_day * 2)
        try:
            match = await self.dukcapil.matches(
                account["nik"], typed, date.fromisoformat(account["birth_date"])
            )
        except DukcapilRejected:
            raise Problem(
                422,
                "Dukcapil tidak dapat memeriksa data ini / Dukcapil cannot check this data",
                "Periksa penulisan nama (huruf dan spasi, sesuai KTP) / Check how the name is "
                "written (letters and spaces, as on the KTP).",
                errors=[{"field": "name", "message": "not accepted by Dukcapil"}],
                attempts_left=left,
            ) from None
        except DukcapilUnavailable as exc:
            # Not the citizen's fault: the tries are given back.
            await self.checks.update_many({"_id": {"$in": spent}}, {"$inc": {"used": -1}})
            seconds = str(max(1, round(exc.retry_after)))
            raise Problem(
                503,
                "Dukcapil sedang tidak dapat dihubungi / Dukcapil is unreachable",
                f"Verifikasi NIK belum bisa dilakukan; coba lagi setelah {seconds} detik, atau "
                f"datang ke loket MPP dengan KTP / The NIK cannot be checked now; retry after "
                f"{seconds} s, or visit an MPP counter with your KTP.",
                headers={"Retry-After": seconds},
            ) from None
        log.info("nik checked with dukcapil", account_id=account_id, match=match)
        if not match:
            raise Problem(
                422,
                "Data tidak cocok dengan Dukcapil / Does not match Dukcapil's records",
                "Nama dan tanggal lahir harus sama persis dengan KTP; periksa nama (sesuai KTP) "
                "dan coba lagi, atau datang ke loket MPP / The name and birth date must be as "
                "on the KTP; check the name and try again, or visit an MPP counter.",
                errors=[{"field": "name", "message": "does not match the KTP's name"}],
                attempts_left=left,
            )
        return await self.prove(account_id, method="dukcapil", name=name)

    async def _provable(self, account_id: str) -> dict[str, Any]:
        account = await self.sealed.open(
            await self.accounts.find_one({"_id": account_id}, {"password_hash": 0})
        )
        if account is None:
            raise Problem(404, "Akun tidak ditemukan / Account not found", "Sign in again.")
        if account.get("frozen_at") is not None:
            raise frozen_problem()
        return account

    async def _spend_check(self, account_id: str, allowed: int) -> int:
        """Count one Dukcapil try (of an account, or of a NIK across accounts) before
        making it; 429 when the day's tries are spent."""
        now = utcnow()
        window = await self.checks.find_one_and_update(
            {"_id": account_id, "expires_at": {"$gt": now}},
            {"$inc": {"used": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if window is None:
            try:
                await self.checks.insert_one(
                    {"_id": account_id, "used": 1, "expires_at": now + timedelta(days=1)}
                )
                return allowed - 1
            except DuplicateKeyError:  # an expired window not yet swept, or a race
                window = await self.checks.find_one_and_update(
                    {"_id": account_id},
                    {"$inc": {"used": 1}},
                    return_document=ReturnDocument.AFTER,
                )
                if window["expires_at"] <= now:
                    await self.checks.update_one(
                        {"_id": account_id},
                        {"$set": {"used": 1, "expires_at": now + timedelta(days=1)}},
                    )
                    return allowed - 1
        if window["used"] > allowed:
            seconds = max(1, int((window["expires_at"] - now).total_seconds()))
            raise Problem(
                429,
                "Terlalu banyak percobaan verifikasi / Too many verification attempts",
                f"Coba lagi setelah {seconds} detik atau datang ke loket MPP dengan KTP / Retry "
                f"after {seconds} s, or visit an MPP counter with your KTP.",
                headers={"Retry-After": str(seconds)},
            )
        return allowed - window["used"]

    # --- the proof itself -------------------------------------------------------------

    async def prove(
        self,
        account_id: str,
        *,
        method: Method,
        name: str | None = None,
        operator_id: str | None = None,
        region: str | None = None,
    ) -> Proven:
        """Make ``account_id`` the owner of its NIK and freeze the other holders."""
        now = utcnow()
        verification: dict[str, Any] = {"method": method, "at": now}
        if operator_id is not None:
            verification |= {"operator_id": operator_id, "region": region}
        frozen_ids: list[str] = []
        entry = None
        if operator_id is not None:  # the account's history names who checked the KTP
            operator = Actor("counter", operator_id, region)
            entry = await self.history.entry(account_id, "nik_proven", operator, at=now)

        async def write(tx: Transaction) -> dict[str, Any]:
            frozen_ids.clear()  # anew: the driver may retry the transaction
            account = await self._to_prove(account_id, method, tx)
            if account.get("nik_verification"):
                return account
            await self._claim(account, method, now, tx)
            frozen_ids.extend(await self._freeze_others(account, now, tx))
            updated = await self._mark_verified(account_id, verification, name, now, tx)
            if entry is not None:
                await self.history.add(entry, tx.session)
            verified = NikVerifiedData(
                citizen_id=account_id,
                method=method,
                operator_id=operator_id,
                region=region,
                frozen_accounts=list(frozen_ids),
            )
            tx.emit(self.topics.accounts, _verified_event(verified))
            return updated

        try:
            account = await self.units.run(write)
        except DuplicateKeyError:  # someone proved the same NIK a moment earlier
            raise _owned_elsewhere() from None
        for frozen in frozen_ids:
            self.sessions.signed_out(frozen, now)
        log.info("nik proven", account_id=account_id, method=method, frozen=len(frozen_ids))
        account.pop("password_hash", None)
        return Proven(await self.sealed.open(account), list(frozen_ids))  # type: ignore[arg-type]

    async def revoke(self, account_id: str, supervisor: Actor, reason: str) -> None:
        """Take back the proof that made ``account_id`` its NIK's owner: a supervisor has
        the holder's KTP in hand and it is not this account's holder's. In one
        transaction the NIK has no owner again (so the real holder registers and proves
        it), the account loses its proof and is frozen — signed out of every device,
        kept for audit; a counter proof with its holder's KTP brings it back — and the
        account's history names the supervisor, with the reason sealed."""
        now = utcnow()
        entry = await self.history.entry(
            account_id, "nik_proof_revoked", supervisor, reason=reason, at=now
        )

        async def write(tx: Transaction) -> None:
            account = await self.accounts.find_one({"_id": account_id}, session=tx.session)
            owner = account and await self.owners.find_one(
                {"_id": account["nik_index"]}, {"account_id": 1}, session=tx.session
            )
            if owner is None or owner["account_id"] != account_id:
                raise Problem(
                    409,
                    "Akun ini tidak memegang bukti NIK / This account holds no NIK proof",
                    "Tidak ada bukti NIK untuk dicabut pada akun ini; periksa akun yang "
                    "dipilih / There is no NIK proof to take back on this account; check "
                    "which account was chosen.",
                )
            await self.owners.delete_one({"_id": owner["_id"]}, session=tx.session)
            await self.records.freeze(
                account_id, "nik_proof_revoked", now, tx.session, drop_nik_proof=True
            )
            await self.sessions.sign_out_everywhere(account_id, tx.session)
            await self.history.add(entry, tx.session)
            # In the audit log too, naming the supervisor; notify tells the account's owner.
            tx.emit(self.topics.accounts, _frozen_event(account, revoked_by=supervisor.id))

        await self.units.run(write)
        self.sessions.signed_out(account_id, now)
        log.info("nik proof revoked", account_id=account_id, supervisor=supervisor.id)

    async def _to_prove(self, account_id: str, method: Method, tx: Transaction) -> dict[str, Any]:
        """The account to prove, read in the proof's transaction; a frozen one comes back
        only with its KTP in hand (a counter proof)."""
        account = await self.accounts.find_one({"_id": account_id}, session=tx.session)
        if account is None:
            raise Problem(404, "Akun tidak ditemukan / Account not found", "Sign in again.")
        if account.get("frozen_at") is not None:
            if method != "counter":
                raise frozen_problem()
            # The KTP in hand says this frozen account is the holder's: it comes back.
            await self.records.unfreeze(account_id, tx.session)
        return account

    async def _claim(
        self, account: dict[str, Any], method: Method, now: datetime, tx: Transaction
    ) -> None:
        """Make the account its NIK's one owner in ``nik_owners``, or refuse."""
        nik = account["nik_index"]  # the NIK's blind index: nik_owners never hold a NIK
        owner = await self.owners.find_one({"_id": nik}, session=tx.session)
        claim = {"account_id": account["_id"], "method": method, "at": now}
        if owner is None:
            await self.owners.insert_one({"_id": nik, **claim}, session=tx.session)
        elif method == "counter" and owner["method"] == "dukcapil":
            # A KTP in hand outweighs a name and birth date somebody knew.
            await self.owners.replace_one({"_id": nik}, claim, session=tx.session)
            await self.records.drop_nik_proof(owner["account_id"], tx.session)
        else:
            raise _owned_elsewhere()

    async def _freeze_others(
        self, account: dict[str, Any], now: datetime, tx: Transaction
    ) -> list[str]:
        """Freeze every other holder of the NIK, signed out of every device, each with
        ``AccountFrozen`` raised; returns their ids."""
        frozen: list[str] = []
        others = self.accounts.find(
            {"nik_index": account["nik_index"], "_id": {"$ne": account["_id"]}, "frozen_at": None},
            session=tx.session,
        )
        async for other in others:
            frozen.append(other["_id"])
            await self.records.freeze(other["_id"], "nik_proven_by_another", now, tx.session)
            await self.sessions.sign_out_everywhere(other["_id"], tx.session)
            tx.emit(self.topics.accounts, _frozen_event(other, proven_by=account["_id"]))
        return frozen

    async def _mark_verified(
        self,
        account_id: str,
        verification: dict[str, Any],
        name: str | None,
        now: datetime,
        tx: Transaction,
    ) -> dict[str, Any]:
        """The account verified (with the name as on the KTP, when one was typed)."""
        changes: dict[str, Any] = {"nik_verification": verification, "updated_at": now}
        if name is not None:
            changes |= await self.sealed.seal(account_id, {"name": name.strip()})
        return await self.records.nik_proven(account_id, changes, tx.session)


def _verified_event(data: NikVerifiedData) -> NikVerified:
    return NikVerified(
        source="identity",
        subject=data.citizen_id,
        correlation_id=current_correlation_id(),
        data=data,
    )


def _frozen_event(
    account: dict[str, Any], *, proven_by: str | None = None, revoked_by: str | None = None
) -> AccountFrozen:
    return AccountFrozen(
        source="identity",
        subject=account["_id"],
        correlation_id=current_correlation_id(),
        data=AccountFrozenData(
            citizen_id=account["_id"],
            reason="nik_proof_revoked" if revoked_by else "nik_proven_by_another",
            proven_by=proven_by,
            revoked_by=revoked_by,
            language=account.get("language", "id"),
            # Only contacts the owner confirmed: typed ones may be anybody's. Both stay
            # sealed under that owner's key, as stored.
            email=account.get("email") if account.get("email_verified") else None,
            phone=account.get("phone") if account.get("phone_verified") else None,
        ),
    )


def _owned_elsewhere() -> Problem:
    return Problem(
        409,
        "NIK sudah dimiliki akun lain / NIK already proven by another account",
        "NIK ini sudah dibuktikan oleh akun lain. Bila NIK ini milik Anda, datanglah ke loket "
        "MPP dengan KTP / Another account already proved this NIK. If it is yours, visit an "
        "MPP counter with your KTP.",
    )
