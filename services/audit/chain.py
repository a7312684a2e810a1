"""The hash chain, as pure functions.

Record ``n`` stores ``hash = SHA-256(prev_hash ‖ canonical JSON of its other fields)``,
where ``prev_hash`` is record ``n-1``'s hash (64 zeros for the first). Changing,
deleting, inserting or reordering any record breaks the link at that position, and
:func:`verify` names the first record where it breaks.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["GENESIS", "HASHED_FIELDS", "Verdict", "record_hash", "verify"]

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "prev_hash",
    "event_id",
    "event",
    "valid",
    "topic",
    "partition",
    "offset",
    "received_at",
)


def record_hash(record: Mapping[str, Any]) -> str:
    body = {name: record[name] for name in HASHED_FIELDS}
    digest = hashlib.sha256(record["prev_hash"].encode("ascii"))
    digest.update(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    first_invalid: int | None
    reason: str | None = None


def verify(
    records: Iterable[Mapping[str, Any]], start_seq: int = 1, prev_hash: str = GENESIS
) -> Verdict:
    """Check records in stored order; the first broken link ends the check."""
    expected_seq, checked = start_seq, 0
    for record in records:
        seq = record.get("seq")
        if seq != expected_seq:
            return Verdict(
                False, checked, expected_seq, f"expected record {expected_seq}, found {seq}"
            )
        if record.get("prev_hash") != prev_hash:
            return Verdict(False, checked, seq, "link to the previous record is broken")
        if record_hash(record) != record.get("hash"):
            return Verdict(False, checked, seq, "record content does not match its hash")
        prev_hash, expected_seq, checked = record["hash"], expected_seq + 1, checked + 1
    return Verdict(True, checked, None)
