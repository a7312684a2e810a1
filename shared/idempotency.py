"""The words every ``Idempotency-Key`` speaks, said once for every service.

A key names one request: a retry with the same key gets the first answer, and the same
key sent with something else is refused. What "the same request" means is the
:func:`fingerprint`: what the request acts on (the path it was posted to, or the
application it moves) and its body, in a canonical form — so a retry that orders its
JSON members differently is still the same request. The refusal of a reused key is
:func:`key_reused`, one problem with one wording wherever a key is taken.
"""

import hashlib
from typing import Any

import orjson

from shared.problems import Problem

__all__ = ["fingerprint", "key_reused"]


def fingerprint(body: Any, **about: str) -> str:
    """The request's identity for key-reuse checks: ``about`` (``path=…`` or
    ``application=…``) and the body, as JSON with sorted keys, hashed (SHA-256)."""
    canonical = orjson.dumps({**about, "body": body}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def key_reused() -> Problem:
    """422: the key was first used for a different request, whose answer it keeps."""
    return Problem(
        422,
        "Idempotency-Key sudah dipakai / Idempotency-Key reused",
        "Kunci ini sudah dipakai untuk permintaan lain (tujuan atau isi berbeda); buat "
        "kunci baru untuk setiap permintaan baru / This key was already used for a "
        "different request (another target or body); use a new key for every new request.",
    )
