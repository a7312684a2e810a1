"""The provider's signing keys: stored in the database, rotated without a restart.

Every token the provider signs (access tokens, ID tokens) names its key in the JWS
header (``kid``); relying parties find the key in the JWKS (``GET /oauth/jwks``). A key
passes through three states, each key one document of ``oidc_signing_keys``:

- ``next``: published in the JWKS but not signing yet, so relying parties have it
  cached before the first token it signs reaches them;
- ``current``: signs every new token;
- ``retired``: signs nothing, published until the last token it signed has expired
  (the longest token lifetime plus the verifiers' leeway), then dropped.

:meth:`SigningKeys.rotate` promotes ``next`` to ``current``, retires the old current
and makes a new ``next``, in one transaction. A process reads the keys again at most
``MPP_OIDC_KEY_CACHE_SECONDS`` after it last did, so every replica signs with the new
key within that time, without a restart; a replica still signing with the old key for
those seconds is harmless, since the old key stays published.

The first current key is the platform's existing token key (``MPP_AUTH_PRIVATE_KEY``,
:mod:`shared.auth`), so tokens signed before the first rotation verify both against the
JWKS and against the public key services were given before. Keys are Ed25519 (JWS
``EdDSA``), the algorithm the platform's tokens have always used. Private keys are kept
sealed (AES-256-GCM under ``MPP_OIDC_KEY_SECRET``, bound to the key's id); the database
alone does not give them away.
"""

import time
import warnings
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet, OKPKey
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.auth import LEEWAY_SECONDS, load_private_key
from shared.events import utcnow
from shared.sealing import seal, unseal
from shared.settings import Settings
from shared.unit_of_work import Transaction, UnitsOfWork

__all__ = ["ALGORITHM", "KeyRing", "SigningKeys"]

ALGORITHM = "EdDSA"
"""The JWS algorithm of every token: Ed25519, as the platform's verifiers expect."""

# RFC 9864 names the Ed25519 algorithm "Ed25519" and deprecates "EdDSA"; the platform's
# verifiers (PyJWT, most mobile libraries) know only "EdDSA" so far.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

_SLOTS = ("current", "next")


@dataclass(frozen=True)
class KeyRing:
    """What one process signs with and publishes, as read at ``read_at``."""

    current: OKPKey
    published: tuple[dict[str, Any], ...]
    read_at: float

    @property
    def kid(self) -> str:
        return str(self.current.kid)

    def jwks(self) -> dict[str, Any]:
        return {"keys": list(self.published)}

    def verifying_keys(self) -> KeySet:
        return KeySet.import_key_set(self.jwks())


class SigningKeys:
    """The ``oidc_signing_keys`` collection: the one module that reads and writes it."""

    def __init__(self, db: AsyncDatabase, units: UnitsOfWork, settings: Settings) -> None:
        self.keys = db["oidc_signing_keys"]
        self.units = units
        self.settings = settings
        self.secret = settings.oidc_key_secret
        self.cache_seconds = settings.oidc_key_cache_seconds
        # A retired key stays published while a token it signed may still be presented.
        self.keep_retired = timedelta(minutes=settings.auth_token_minutes) + timedelta(
            seconds=LEEWAY_SECONDS + settings.oidc_key_cache_seconds
        )
        self._ring: KeyRing | None = None

    async def prepare(self) -> None:
        """Indexes, then a current and a next key when there are none (several replicas
        may start at once: the unique slot lets one of them win)."""
        await self.keys.create_index(
            "slot", unique=True, partialFilterExpression={"slot": {"$type": "string"}}
        )
        await self.keys.create_index([("state", ASCENDING)])
        await self.keys.create_index("drop_at", expireAfterSeconds=0)
        if await self.keys.find_one({"slot": "current"}) is None:
            first = OKPKey.import_key(_existing_key_pem(self.settings))
            await self._insert(first, "current")
        if await self.keys.find_one({"slot": "next"}) is None:
            await self._insert(_new_key(), "next")

    async def _insert(self, key: OKPKey, state: str) -> None:
        with suppress(DuplicateKeyError):  # another replica made it first
            await self.keys.insert_one(self._document(key, state))

    def _document(self, key: OKPKey, state: str) -> dict[str, Any]:
        kid = key.thumbprint()
        pem = key.as_pem(private=True).decode()
        return {
            "_id": kid,
            "state": state,
            "slot": state,
            "private": seal(self.secret, pem, f"oidc-signing-key|{kid}"),
            "public": {**key.as_dict(private=False), "kid": kid, "use": "sig", "alg": ALGORITHM},
            "created_at": utcnow(),
        }

    async def rotate(self) -> str:
        """Promote next to current, retire the current key, make a new next; returns the
        new current key's id. Every process signs with it within the cache time."""
        now = utcnow()
        replacement = self._document(_new_key(), "next")

        async def promote(tx: Transaction) -> str:
            session = tx.session
            current = await self.keys.find_one({"slot": "current"}, session=session)
            upcoming = await self.keys.find_one({"slot": "next"}, session=session)
            if current is None or upcoming is None:
                raise RuntimeError("no signing keys yet: start the service once first")
            retire = {"state": "retired", "retired_at": now, "drop_at": now + self.keep_retired}
            await self.keys.update_one(
                {"_id": current["_id"], "slot": "current"},
                {"$set": retire, "$unset": {"slot": ""}},
                session=session,
            )
            await self.keys.update_one(
                {"_id": upcoming["_id"], "slot": "next"},
                {"$set": {"state": "current", "slot": "current", "current_since": now}},
                session=session,
            )
            await self.keys.insert_one(replacement, session=session)
            return str(upcoming["_id"])

        kid = await self.units.run(promote)
        self._ring = None  # this process signs with the new key at once
        return kid

    async def ring(self) -> KeyRing:
        """The keys as last read, read again once older than the cache time."""
        ring = self._ring
        if ring is not None and time.monotonic() - ring.read_at < self.cache_seconds:
            return ring
        ring = await self._read()
        self._ring = ring
        return ring

    async def _read(self) -> KeyRing:
        now = utcnow()
        found = await self.keys.find(
            {"$or": [{"slot": {"$in": list(_SLOTS)}}, {"drop_at": {"$gt": now}}]}
        ).to_list(None)
        current = next((row for row in found if row.get("slot") == "current"), None)
        if current is None:
            raise RuntimeError("no current signing key: the provider has not started")
        pem = unseal(self.secret, current["private"], f"oidc-signing-key|{current['_id']}")
        key = OKPKey.import_key(pem, {"kid": current["_id"], "use": "sig", "alg": ALGORITHM})
        order = {"next": 0, "current": 1, "retired": 2}
        found.sort(key=lambda row: (order.get(row["state"], 3), _newest_first(row)))
        return KeyRing(key, tuple(row["public"] for row in found), time.monotonic())

    async def states(self) -> list[dict[str, Any]]:
        """Every key with its state and dates (no key material), for operators."""
        projection = {"private": 0, "public": 0}
        return await self.keys.find({}, projection).sort("created_at", 1).to_list(None)


def _newest_first(row: dict[str, Any]) -> float:
    created: datetime = row["created_at"]
    return -created.timestamp()


def _new_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519", private=True)


def _existing_key_pem(settings: Settings) -> bytes:
    """The Ed25519 key the platform signed its tokens with until now."""
    return load_private_key(settings).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
