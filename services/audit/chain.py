"""The hash chain, as pure functions.

Record ``n`` stores ``hash = SHA-256(prev_hash ‖ canonical JSON of its other fields)``,
where ``prev_hash`` is record ``n-1``'s hash (64 zeros for the first). Changing,
deleting, inserting or reordering any record breaks the link at that position, and
:func:`verify` names the first record where it breaks. A chain changed *and* rehashed
from that point on is caught by the signed checkpoints (:mod:`services.audit.signing`).
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = [
    "GENESIS",
    "HASHED_FIELDS",
    "ChainCheck",
    "Verdict",
    "record_hash",
    "stored_fields",
    "verify",
]

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


def stored_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed fields and the hash: what an export carries for each record."""
    body = {name: record[name] for name in HASHED_FIELDS}
    body["hash"] = record["hash"]
    return body


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    first_invalid: int | None
    reason: str | None = None


class ChainCheck:
    """Checks records fed in stored order, batch by batch, so a large log is verified
    without holding it in memory. ``checkpoints`` maps sequence numbers to the hashes
    signed for them: a chain rewritten with recomputed hashes still breaks there.
    """

    def __init__(
        self,
        start_seq: int = 1,
        prev_hash: str = GENESIS,
        checkpoints: Mapping[int, str] | None = None,
    ) -> None:
        self.expected_seq = start_seq
        self.prev_hash = prev_hash
        self.checked = 0
        self.failure: Verdict | None = None
        self._checkpoints = checkpoints or {}

    def _fail(self, seq: int, reason: str) -> bool:
        self.failure = Verdict(False, self.checked, seq, reason)
        return False

    def feed(self, records: Iterable[Mapping[str, Any]]) -> bool:
        """Check more records; False once the chain is broken (the rest is not read)."""
        if self.failure is not None:
            return False
        expected_seq, prev_hash, checkpoints = self.expected_seq, self.prev_hash, self._checkpoints
        try:
            for record in records:
                seq = record.get("seq")
                if seq != expected_seq:
                    return self._fail(expected_seq, f"expected record {expected_seq}, found {seq}")
                if record.get("prev_hash") != prev_hash:
                    return self._fail(seq, "link to the previous record is broken")
                stored = record.get("hash")
                if record_hash(record) != stored:
                    return self._fail(seq, "record content does not match its hash")
                if seq in checkpoints and checkpoints[seq] != stored:
                    return self._fail(seq, "record does not match its signed checkpoint")
                prev_hash, expected_seq = stored, expected_seq + 1
                self.checked += 1
        except (KeyError, TypeError, AttributeError) as exc:
            return self._fail(expected_seq, f"record is malformed: {type(exc).__name__} {exc}")
        finally:
            self.expected_seq, self.prev_hash = expected_seq, prev_hash
        return True

    def verdict(self) -> Verdict:
        """The result; a signed checkpoint beyond the last record means records are missing
        from the end."""
        if self.failure is not None:
            return self.failure
        beyond = [seq for seq in self._checkpoints if seq >= self.expected_seq]
        if beyond:
            return Verdict(
                False,
                self.checked,
                self.expected_seq,
                f"records {self.expected_seq}..{max(beyond)} are missing: "
                f"a signed checkpoint covers record {max(beyond)}",
            )
        return Verdict(True, self.checked, None)


def verify(
    records: Iterable[Mapping[str, Any]], start_seq: int = 1, prev_hash: str = GENESIS
) -> Verdict:
    """Check records in stored order; the first broken link ends the check."""
    check = ChainCheck(start_seq, prev_hash)
    check.feed(records)
    return check.verdict()
