"""One-time codes: six digits sent to a citizen's email or phone, typed back to prove it.

Two uses: confirming that a contact is the citizen's (``contact_verification``) and
resetting a forgotten password (``password_reset``). The rules:

* a code is six digits from :mod:`secrets`, valid ``MPP_AUTH_CODE_MINUTES`` (10);
* it is stored only as an HMAC under ``MPP_AUTH_CODE_SECRET`` — a key the database does
  not hold, so a copy of the database cannot be searched through the million possible
  codes; the plain code leaves identity only in the event that asks notify to send it;
* one live code per account and purpose (and contact, for a contact check): a new one
  replaces the old;
* every try counts before it is checked, so guesses sent at once cannot get past the
  limit: after ``MPP_AUTH_CODE_ATTEMPTS`` (5) tries the code is dead; the right code
  is spent by its first use;
* every try at any code of one account and purpose counts too
  (:mod:`services.identity.code_attempts`): after ``MPP_AUTH_CODE_FREE_FAILURES`` (10)
  wrong ones each further try waits, the wait doubling, so asking for fresh codes does
  not buy fresh guesses;
* at most ``MPP_AUTH_CODES_PER_WINDOW`` (3) codes go to one address per
  ``MPP_AUTH_CODE_WINDOW_MINUTES`` (15), whichever account asks: a counter document per
  address (keyed by an HMAC of it), written in the same transaction as the code, so
  concurrent requests cannot both take the last one.

The code row and the ``AccountCodeIssued`` event are written in one transaction (the
outbox); notify sends the code.
"""

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NoReturn, TypeVar

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.identity.code_attempts import CodeAttempts, TooManyTries
from shared.correlation import current_correlation_id
from shared.events import AccountCodeData, AccountCodeIssued, utcnow
from shared.ids import uuid7
from shared.outbox import Outbox
from shared.privacy.personal import Personal
from shared.sealing import seal
from shared.settings import Settings
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = [
    "CodeRejected",
    "CodeStore",
    "Contact",
    "Purpose",
    "TooManyCodes",
    "TooManyTries",
    "new_code",
    "verification_cleared",
]

Purpose = Literal["contact_verification", "password_reset"]
Contact = Literal["email", "phone"]
T = TypeVar("T")


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def verification_cleared(current: dict[str, Any] | None, changes: dict[str, Any]) -> dict[str, Any]:
    """The verification flags a profile change clears: a contact that changes is no
    longer confirmed."""
    cleared: dict[str, Any] = {}
    for contact in ("email", "phone"):
        if contact in changes and (current is None or current.get(contact) != changes[contact]):
            cleared[f"{contact}_verified"] = False
    return cleared


class TooManyCodes(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__("too many codes for this contact")
        self.retry_after = retry_after


class CodeRejected(Exception):
    """Wrong, expired, spent or never issued; ``attempts_left`` is 0 once it is dead."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__("the code was not accepted")
        self.attempts_left = attempts_left


@dataclass(frozen=True)
class Issued:
    expires_at: datetime


class CodeStore:
    def __init__(
        self,
        *,
        mongo: AsyncMongoClient,
        db: AsyncDatabase,
        outbox: Outbox | None = None,
        topics: Topics,
        settings: Settings,
        personal: Personal,
        units: UnitsOfWork | None = None,
    ) -> None:
        self.mongo = mongo
        self.units = units or UnitsOfWork(mongo, outbox)
        self.personal = personal
        self.codes = db["account_codes"]
        self.windows = db["code_windows"]
        self.topics = topics
        self.lifetime = timedelta(minutes=settings.auth_code_minutes)
        self.attempts = settings.auth_code_attempts
        self.per_window = settings.auth_codes_per_window
        self.window = timedelta(minutes=settings.auth_code_window_minutes)
        self._key = settings.auth_code_secret.get_secret_value().encode()
        self.tries = CodeAttempts(
            db,
            free=settings.auth_code_free_failures,
            base=settings.auth_code_backoff_seconds,
            cap=settings.auth_code_backoff_max_seconds,
        )
        self._delivery_key = settings.code_delivery_secret

    async def create_indexes(self) -> None:
        # Dead rows are dropped by MongoDB; every read checks expires_at as well.
        await self.codes.create_index("expires_at", expireAfterSeconds=0)
        await self.windows.create_index("expires_at", expireAfterSeconds=0)
        await self.tries.create_indexes()

    def _mac(self, *parts: str) -> str:
        return hmac.new(self._key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _slot(account_id: str, purpose: Purpose, channel: Contact) -> str:
        # A reset goes to one contact and is typed back without naming it.
        return f"{account_id}:{purpose}" + ("" if purpose == "password_reset" else f":{channel}")

    async def issue(
        self,
        *,
        account_id: str,
        purpose: Purpose,
        channel: Contact,
        address: str,
        correlation_id: str | None = None,
    ) -> Issued:
        """Store a new code and stage the event that sends it; raises
        :class:`TooManyCodes` when the address had its share of codes."""
        code = new_code()
        now = utcnow()
        expires_at = now + self.lifetime
        contact = self._mac("contact", channel, address)
        slot = self._slot(account_id, purpose, channel)
        salt = secrets.token_hex(16)
        row = {
            "account_id": account_id,
            "purpose": purpose,
            "channel": channel,
            "contact": contact,
            "salt": salt,
            "digest": self._mac("code", slot, salt, code),
            "tries": 0,
            "created_at": now,
            "expires_at": expires_at,
        }
        event_id = uuid7()
        data = AccountCodeData(
            citizen_id=account_id,
            purpose=purpose,
            channel=channel,
            # The address travels sealed under the citizen's key, the code under the key
            # identity and notify share: erasing the account makes the address unreadable.
            address=await self.personal.seal(account_id, address),
            sealed_code="",
            expires_at=expires_at,
        )
        sealed = seal(self._delivery_key, code, data.code_context(event_id))
        event = AccountCodeIssued(
            id=event_id,
            source="identity",
            subject=account_id,
            correlation_id=correlation_id or current_correlation_id(),
            data=data.model_copy(update={"sealed_code": sealed}),
        )

        async def write(tx: Transaction) -> None:
            window = await self.windows.find_one({"_id": contact}, session=tx.session)
            recent = [t for t in (window or {}).get("issued", []) if t > now - self.window]
            if len(recent) >= self.per_window:
                raise TooManyCodes((min(recent) + self.window - now).total_seconds())
            await self.windows.update_one(
                {"_id": contact},
                {"$set": {"issued": [*recent, now], "expires_at": now + self.window}},
                upsert=True,
                session=tx.session,
            )
            await self.codes.replace_one({"_id": slot}, row, upsert=True, session=tx.session)
            tx.emit(self.topics.accounts, event)

        await self.units.run(write)
        return Issued(expires_at)

    async def check(
        self,
        *,
        account_id: str,
        purpose: Purpose,
        channel: Contact,
        code: str,
        address: str | None,
        then: Callable[[AsyncClientSession], Awaitable[T]],
    ) -> T:
        """Take one try at the code; when it is right, spend it and run ``then`` in the
        same transaction (the change the code allows). ``address``, when given, must be
        the one the code was sent to. Raises :class:`CodeRejected`, or
        :class:`TooManyTries` while the account must wait."""
        tries = f"{purpose}:account:{account_id}"
        await self.tries.start(tries)
        result = await self._check(account_id, purpose, channel, code, address, then)
        await self.tries.succeeded(tries)
        return result

    async def refuse_unknown(self, purpose: Purpose, username: str) -> NoReturn:
        """A try at a code for a username with no account: counted like one (keyed by an
        HMAC of the username), so the limit says nothing of who has an account; raises
        :class:`TooManyTries` or :class:`CodeRejected`."""
        await self.tries.start(
            f"{purpose}:username:{self._mac('username', username.strip().lower())}"
        )
        raise CodeRejected(0)

    async def _check(
        self,
        account_id: str,
        purpose: Purpose,
        channel: Contact,
        code: str,
        address: str | None,
        then: Callable[[AsyncClientSession], Awaitable[T]],
    ) -> T:
        slot = self._slot(account_id, purpose, channel)
        now = utcnow()
        row = await self.codes.find_one_and_update(
            {"_id": slot, "tries": {"$lt": self.attempts}, "expires_at": {"$gt": now}},
            {"$inc": {"tries": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if row is None:
            raise CodeRejected(0)
        left = self.attempts - row["tries"]
        right = hmac.compare_digest(row["digest"], self._mac("code", slot, row["salt"], code))
        if address is not None and row["contact"] != self._mac("contact", channel, address):
            right = False  # the contact changed since the code was sent: it proves nothing
            left = 0
        if not right:
            if left == 0:
                await self.codes.delete_one({"_id": slot, "digest": row["digest"]})
            raise CodeRejected(left)

        async def spend(tx: Transaction) -> tuple[bool, T | None]:
            spent = await self.codes.delete_one(
                {"_id": slot, "digest": row["digest"]}, session=tx.session
            )
            if spent.deleted_count == 0:
                return False, None  # used (or replaced) by a request running beside this one
            return True, await then(tx.session)

        used, result = await self.units.run(spend)
        if not used:
            raise CodeRejected(0)
        return result  # type: ignore[return-value]
