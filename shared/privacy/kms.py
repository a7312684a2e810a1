"""The master key that wraps every citizen's data key.

A data key never rests unwrapped: the key vault stores it encrypted (AES-256-GCM)
under a master key held outside the database. :class:`MasterKey` is the adapter a KMS
implements (wrap, unwrap, and the id of the key that wrapped); :class:`LocalFileMasterKey`
reads a 32-byte key from a file. On the local stack the file is created on first use;
with ``MPP_ENVIRONMENT=production`` it must exist — a service refuses to start without
it, so a deployment never runs on a key it did not choose.

A cloud KMS (or an HSM) plugs in as another :class:`MasterKey`: ``wrap`` and ``unwrap``
become calls to it, and the master key never enters the process.
"""

import base64
import hashlib
import os
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.settings import Settings

__all__ = ["KmsError", "LocalFileMasterKey", "MasterKey", "master_key_from_settings"]

_NONCE = 12
_KEY_BYTES = 32


class KmsError(RuntimeError):
    """The master key is missing, unreadable, or did not wrap this value."""


class MasterKey(Protocol):
    """What the key vault needs from a KMS."""

    @property
    def key_id(self) -> str:
        """Names the master key (stored beside each wrapped key, for rotation)."""
        ...

    def wrap(self, data_key: bytes, context: str) -> bytes: ...

    def unwrap(self, wrapped: bytes, context: str) -> bytes: ...


class LocalFileMasterKey:
    """AES-256-GCM under a key read from a file (base64 of 32 random bytes); the
    ``context`` (the citizen id) is bound as associated data, so a wrapped key cannot
    be moved to another citizen."""

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise KmsError(f"the master key must be {_KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)
        self._key_id = "local:" + hashlib.sha256(b"mpp-master-key-id|" + key).hexdigest()[:16]

    @classmethod
    def from_file(cls, path: Path, *, create: bool) -> "LocalFileMasterKey":
        """Read the key; when ``create`` and the file is missing, write a fresh one
        (mode 0600, never overwriting a file another process wrote first)."""
        if create and not path.exists():
            # Written whole beside it, then linked in place: a process starting at the
            # same moment reads either no file or the whole key, and the first one wins.
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".{path.name}.{os.getpid()}")
            descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(base64.b64encode(os.urandom(_KEY_BYTES)) + b"\n")
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        try:
            text = path.read_bytes().strip()
        except OSError as exc:
            raise KmsError(
                f"master key file {path} cannot be read ({exc.strerror}); set "
                "MPP_MASTER_KEY_FILE to a file holding base64 of 32 random bytes "
                "(`python -c 'import os,base64; print(base64.b64encode(os.urandom(32)).decode())'`)"
            ) from None
        try:
            key = base64.b64decode(text, validate=True)
        except ValueError:
            raise KmsError(f"master key file {path} does not hold base64") from None
        return cls(key)

    @property
    def key_id(self) -> str:
        return self._key_id

    def wrap(self, data_key: bytes, context: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, data_key, context.encode())

    def unwrap(self, wrapped: bytes, context: str) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], context.encode())
        except InvalidTag:
            raise KmsError("this data key was not wrapped by this master key") from None


def master_key_from_settings(settings: Settings) -> MasterKey:
    """The configured master key; created on the local stack when missing."""
    path = Path(settings.master_key_file or Path(settings.local_dir) / "keys" / "master.key")
    return LocalFileMasterKey.from_file(path, create=settings.is_local)
