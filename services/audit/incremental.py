"""Incremental verification: each request verifies only what was added since the last one.

Re-walking the whole log on every ``GET /api/v1/audit/verify`` outgrew a proxy's
timeout at about a million records. Instead the log remembers a **verified position**:
"records 1 to *n* were verified, and record *n* has hash *h*", signed with the audit
key like a checkpoint (:func:`~services.audit.signing.position_message`, a prefix of its
own). A request checks the position's signature, verifies the records after it — at
most ``MPP_AUDIT_VERIFY_STEP`` of them, so it ends in bounded time; the next request
carries on — linking the first to *h* and matching the signed checkpoints in that
range, then signs the new position.

What this trusts: the records up to the position are not read again, so a record
changed *before* the position (by someone who can write the database but does not hold
the key) is caught only by a full verification (:mod:`services.audit.jobs`, ``mpp
audit verify``), which walks everything and is what an auditor runs on a schedule. A
forged or altered position fails its signature; a deleted one starts the walk again
from the first record. A full verification that finds the log broken records it on the
position, and incremental requests report that failure until a full verification
passes again.
"""

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.audit.chain import GENESIS, Verdict
from services.audit.log import last_record
from services.audit.signing import Signer, position_message, verify_signature
from services.audit.verification import verify_range
from shared.events import utcnow

__all__ = ["Increment", "VerifiedPosition", "verify_increment"]

_ID = "position"


@dataclass(frozen=True)
class Increment:
    """One incremental request's answer."""

    verdict: Verdict
    verified_through: int  # the position after this request
    new: int  # records this request verified
    head: int  # the last record found

    def as_dict(self) -> dict[str, Any]:
        ok = self.verdict.ok
        return {
            "ok": ok,
            # records known intact: through the position, or before the broken one
            "checked": self.verified_through
            if ok
            else max((self.verdict.first_invalid or 1) - 1, 0),
            "first_invalid": self.verdict.first_invalid,
            "reason": self.verdict.reason,
            "mode": "incremental",
            "new": self.new,
            "verified_through": self.verified_through,
            "head": self.head,
            "complete": ok and self.verified_through >= self.head,
        }


class VerifiedPosition:
    """The signed verified position, one document in ``verification``."""

    def __init__(self, db: AsyncDatabase, signer: Signer) -> None:
        self._state = db["verification"]
        self._signer = signer

    def _signed(self, seq: int, record_hash: str) -> dict[str, Any]:
        verified_at = utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {
            "seq": seq,
            "hash": record_hash,
            "verified_at": verified_at,
            "key_id": self._signer.key_id,
            "signature": self._signer.sign(position_message(seq, record_hash, verified_at)),
        }

    async def load(self) -> tuple[int, str] | Verdict:
        """The position (sequence number, hash), or the failing verdict to report: a
        recorded failure of the full verification, or a signature that does not hold."""
        stored = await self._state.find_one({"_id": _ID})
        if stored is None:
            return 0, GENESIS
        failure = stored.get("failure")
        if failure is not None:
            return Verdict(
                False,
                0,
                failure.get("first_invalid"),
                f"{failure.get('reason')} (found by the full verification at "
                f"{failure.get('at')}; run `mpp audit verify` again once it is resolved)",
            )
        message = position_message(stored["seq"], stored["hash"], stored["verified_at"])
        if not verify_signature(self._signer.public_key, stored.get("signature", ""), message):
            return Verdict(
                False,
                0,
                None,
                "the verified position is not signed by this key; run the full "
                "verification (`mpp audit verify`)",
            )
        return stored["seq"], stored["hash"]

    async def advance(self, start: int, seq: int, record_hash: str) -> None:
        """Move the position from ``start`` to ``seq``; a concurrent request that moved it
        first wins (its position is as good)."""
        signed = self._signed(seq, record_hash)
        if start == 0:
            try:
                await self._state.insert_one({"_id": _ID, **signed})
                return
            except DuplicateKeyError:
                pass
        await self._state.update_one(
            {"_id": _ID, "seq": start, "failure": {"$exists": False}}, {"$set": signed}
        )

    async def verified(self, seq: int, record_hash: str) -> None:
        """A full verification passed through ``seq``: the position, any failure cleared."""
        await self._state.replace_one({"_id": _ID}, self._signed(seq, record_hash), upsert=True)

    async def broken(self, verdict: Verdict, job_id: str) -> None:
        """A full verification found the log broken: every request reports it."""
        failure = {
            "first_invalid": verdict.first_invalid,
            "reason": verdict.reason,
            "job_id": job_id,
            "at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        await self._state.update_one({"_id": _ID}, {"$set": {"failure": failure}}, upsert=True)


async def _records_after_hole(records: AsyncCollection, head: int) -> bool:
    """Whether records follow the hole after ``head`` (the first number not found), by
    point lookups at doubling distances: a range query would scan the log on the local
    database. A hole the probes miss is named once the next signed checkpoint covers it
    (every ``MPP_AUDIT_CHECKPOINT_INTERVAL`` records), and always by the full job."""
    for distance in (2**k for k in range(1, 21)):
        if await records.find_one({"_id": head + distance}, {"_id": 1}) is not None:
            return True
    return False


async def verify_increment(db: AsyncDatabase, signer: Signer, step: int) -> Increment:
    """Verify at most ``step`` records after the verified position, and move it on."""
    position = VerifiedPosition(db, signer)
    loaded = await position.load()
    if isinstance(loaded, Verdict):
        return Increment(loaded, 0, 0, 0)
    start, start_hash = loaded
    records = db["records"]
    if start and await records.find_one({"_id": start}, {"_id": 1}) is None:
        verdict = Verdict(False, 0, start, f"record {start}, verified before, is missing")
        return Increment(verdict, start, 0, start)
    head, _ = await last_record(records, start, start_hash)
    last = min(head, start + step)
    to_the_end = last == head
    if to_the_end and await _records_after_hole(records, head):
        verdict = Verdict(False, 0, head + 1, f"record {head + 1} is missing")
        return Increment(verdict, start, 0, head)
    verdict = await verify_range(
        db, signer.public_key, (start, start_hash), last, to_the_end=to_the_end
    )
    if not verdict.ok:
        return Increment(verdict, start, verdict.checked, head)
    if last > start:
        last_hash = (await records.find_one({"_id": last}, {"hash": 1}))["hash"]
        await position.advance(start, last, last_hash)
    return Increment(verdict, last, last - start, head)
