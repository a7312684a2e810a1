"""Sealing a citizen's personal values under their data key, and finding them again.

A sealed value is a string ``pdp1.<citizen id>.<base64url(nonce || AES-256-GCM)>``:
the JSON of the value, encrypted under the citizen's data key
(:class:`shared.privacy.vault.KeyVault`) with the citizen id as associated data. It
names the key that opens it, so any reader entitled to the vault — a workbench page, the
audit console, an export — opens any sealed value without knowing the schema, and once
the key is destroyed every reader gets :data:`ERASED` instead. A reader always says
whose record it reads (``owner``): a value sealed for another citizen is never opened
under that read, and request bodies refuse sealed-looking values
(:mod:`shared.privacy.plain_input`), so the API cannot be used to open a value copied
from the database.

A store cannot query by a sealed value (each sealing is different), so look-ups by NIK
or email go through a *blind index*: HMAC-SHA256 of the normalised value under
``MPP_BLIND_INDEX_SECRET``. The index names a value only to whoever holds that secret
and the value; it is removed with the personal data when an account is erased.
"""

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from shared.privacy.vault import KeyVault

__all__ = ["ERASED", "PREFIX", "Personal", "blind_index", "is_sealed", "sealed_by"]

PREFIX = "pdp1."
ERASED = "[erased]"
"""What a reader gets for a value whose citizen's key was destroyed."""

_NONCE = 12


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def sealed_by(value: str) -> str:
    """The citizen id whose key seals ``value``."""
    return value[len(PREFIX) :].split(".", 1)[0]


def blind_index(secret: SecretStr, kind: str, value: str) -> str:
    """The keyed index of a NIK or email (``kind``), normalised (trimmed, lower case)."""
    message = f"{kind}|{value.strip().lower()}".encode()
    digest = hmac.new(secret.get_secret_value().encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


class Personal:
    """Seals and opens personal values with the citizens' keys from ``vault``."""

    def __init__(self, vault: KeyVault) -> None:
        self.vault = vault

    async def seal(self, citizen_id: str, value: Any) -> str:
        """``value`` (anything JSON can hold) sealed under the citizen's key, made now
        when the citizen has none yet."""
        key = await self.vault.create(citizen_id)
        return _seal_with(key, citizen_id, value)

    async def seal_fields(
        self, citizen_id: str, document: dict[str, Any], fields: Iterable[str]
    ) -> dict[str, Any]:
        """A copy of ``document`` with each of ``fields`` that holds a value sealed."""
        sealed = dict(document)
        key: bytes | None = None
        for field in fields:
            value = document.get(field)
            if value is None or (is_sealed(value) and sealed_by(value) == citizen_id):
                continue  # sealed already (a stored record written back)
            if key is None:
                key = await self.vault.create(citizen_id)
            sealed[field] = _seal_with(key, citizen_id, value)
        return sealed

    async def open(self, value: Any, owner: str) -> Any:
        """The plaintext of a value sealed for ``owner``, :data:`ERASED` when their key is
        gone; any other value as it is.

        A value sealed for someone else is never opened here: it names its citizen, so
        opening it with that citizen's key while ``owner``'s record is read would show
        one citizen's data under another's read (a value pasted into a profile, or
        written into a copy of the database). It reads as :data:`ERASED`."""
        if not is_sealed(value):
            return value
        citizen_id, _, body = value[len(PREFIX) :].partition(".")
        if citizen_id != owner:
            return ERASED
        key = await self.vault.data_key(owner)
        if key is None:
            return ERASED
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            plain = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], owner.encode())
        except (InvalidTag, ValueError):
            return ERASED
        return orjson.loads(plain)

    async def seal_bytes(self, citizen_id: str, data: bytes) -> bytes:
        """A file's bytes sealed under the citizen's key: ``nonce || ciphertext+tag``."""
        key = await self.vault.create(citizen_id)
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(key).encrypt(nonce, data, citizen_id.encode())

    async def open_bytes(self, citizen_id: str, sealed: bytes) -> bytes | None:
        """The bytes of a sealed file; None once the citizen's key is gone."""
        key = await self.vault.data_key(citizen_id)
        if key is None:
            return None
        try:
            return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], citizen_id.encode())
        except InvalidTag:
            return None

    async def open_fields(
        self, document: dict[str, Any] | None, fields: Iterable[str], owner: str
    ) -> dict[str, Any] | None:
        """A copy of ``document`` (``owner``'s) with each of ``fields`` opened."""
        if document is None:
            return None
        opened = dict(document)
        for field in fields:
            if field in opened:
                opened[field] = await self.open(opened[field], owner)
        return opened

    async def open_all(self, value: Any, owner: str | None) -> Any:
        """``value`` with every string inside it (at any depth) sealed for ``owner``
        opened — for readers that show whole events or forms (the audit console, replay,
        an export). Values sealed for anyone else read as :data:`ERASED`; with no owner
        (an event about no citizen) nothing is opened."""
        if isinstance(value, dict):
            return {k: await self.open_all(v, owner) for k, v in value.items()}
        if isinstance(value, list):
            return [await self.open_all(v, owner) for v in value]
        if owner is None:
            return ERASED if is_sealed(value) else value
        return await self.open(value, owner)


def _seal_with(key: bytes, citizen_id: str, value: Any) -> str:
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(key).encrypt(nonce, orjson.dumps(value), citizen_id.encode())
    return f"{PREFIX}{citizen_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"
