"""Verifying the log: in the database, and as an exported file away from the platform.

Both walk the chain with :class:`~services.audit.chain.ChainCheck` in large batches, so
memory stays flat and a broken record is named by its sequence number. The whole log is
walked by :func:`verify_store` (a verification job, :mod:`services.audit.jobs`); a range
after a verified position by :func:`verify_range` (:mod:`services.audit.incremental`).
"""

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.audit.chain import HASHED_FIELDS, ChainCheck, Verdict
from services.audit.checkpoints import check_checkpoints
from services.audit.export import EXPORT_FORMAT, seal_message
from services.audit.signing import (
    checkpoint_message,
    key_id,
    parse_public_key,
    public_key_text,
    verify_signature,
)

__all__ = ["Progress", "verify_export", "verify_range", "verify_store"]

_PROJECTION = {name: 1 for name in (*HASHED_FIELDS, "hash")}

Progress = Callable[[int], Awaitable[None]]
"""Told how many records are verified so far, after each batch."""


async def _walk(
    records: AsyncCollection,
    check: ChainCheck,
    query: Mapping[str, Any],
    batch_size: int,
    progress: Progress | None = None,
) -> None:
    cursor = records.find(dict(query), _PROJECTION, batch_size=batch_size).sort("_id", 1)
    pending = asyncio.ensure_future(cursor.to_list(batch_size))
    try:
        while batch := await pending:
            # fetch the next batch while this one is hashed
            pending = asyncio.ensure_future(cursor.to_list(batch_size))
            if not check.feed(batch):
                break
            if progress is not None:
                await progress(check.checked)
    finally:
        pending.cancel()
        await cursor.close()


async def verify_store(
    db: AsyncDatabase,
    public_key: Ed25519PublicKey,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> Verdict:
    """Walk every stored record in sequence order against the signed checkpoints."""
    stored = await db["checkpoints"].find({}, {"_id": 0}).to_list(None)
    checkpoints, forged = check_checkpoints(stored, public_key)
    if forged is not None:
        return forged
    check = ChainCheck(checkpoints=checkpoints)
    await _walk(db["records"], check, {}, batch_size, progress)
    return check.verdict()


_NUMBERS_PER_LOOKUP = 100
"""Records asked by their numbers at once (``$in``). A range on ``_id`` scans the whole
log on the local database (0.9 s at 50,000 records, growing with the log); a short list
of numbers is a few point lookups on any server."""


async def _walk_numbers(records: AsyncCollection, check: ChainCheck, first: int, last: int) -> None:
    def fetch(low: int) -> "asyncio.Future[list[dict[str, Any]]]":
        numbers = list(range(low, min(low + _NUMBERS_PER_LOOKUP, last + 1)))
        return asyncio.ensure_future(
            records.find({"_id": {"$in": numbers}}, _PROJECTION).to_list(None)
        )

    if first > last:
        return
    low, pending = first, fetch(first)
    try:
        while pending is not None:
            batch = await pending
            low += _NUMBERS_PER_LOOKUP
            # fetch the next numbers while these are hashed
            pending = fetch(low) if low <= last else None
            if not check.feed(sorted(batch, key=lambda record: record["_id"])):
                break
    finally:
        if pending is not None:
            pending.cancel()


async def verify_range(
    db: AsyncDatabase,
    public_key: Ed25519PublicKey,
    after: tuple[int, str],
    last: int,
    *,
    to_the_end: bool,
) -> Verdict:
    """Records ``after[0] + 1`` to ``last``, the first linked to ``after`` (the sequence
    number and hash of the record before them), against the signed checkpoints in that
    range; ``to_the_end`` when ``last`` is the log's last record, so that a checkpoint
    beyond it names records missing from the end. ``checked`` counts this range only."""
    start, start_hash = after
    signed = {"_id": {"$gt": start}} if to_the_end else {"_id": {"$gt": start, "$lte": last}}
    stored = await db["checkpoints"].find(signed, {"_id": 0}).to_list(None)
    checkpoints, forged = check_checkpoints(stored, public_key)
    if forged is not None:
        return forged
    check = ChainCheck(start + 1, start_hash, checkpoints)
    await _walk_numbers(db["records"], check, start + 1, last)
    verdict = check.verdict()
    if verdict.ok and check.expected_seq - 1 != last:
        return Verdict(
            False, check.checked, check.expected_seq, f"record {check.expected_seq} is missing"
        )
    return verdict


def _fail(check: ChainCheck, reason: str, seq: int | None = None) -> Verdict:
    return Verdict(False, check.checked, seq if seq is not None else check.expected_seq, reason)


def verify_export(
    lines: Iterable[bytes], public_key: Ed25519PublicKey | None = None, batch_size: int = 5000
) -> Verdict:
    """Verify an export (JSONL: header, records with their checkpoints, seal).

    With ``public_key`` the export must have been signed by it; without, the key named in
    the header is used, which proves integrity only if that key is known by other means.
    """
    digest = hashlib.sha256()
    check = ChainCheck()
    buffer: list[dict[str, Any]] = []
    key = public_key
    last_checkpoint = 0
    for number, line in enumerate(lines, start=1):
        try:
            item = orjson.loads(line)
            kind = item["kind"]
        except (orjson.JSONDecodeError, TypeError, KeyError):
            return _fail(check, f"line {number} is not an export line")
        if (number == 1) != (kind == "header"):
            return _fail(check, "an export starts with its header, and has only one", seq=0)
        if kind == "record":
            buffer.append(item)
            if len(buffer) >= batch_size:
                if not check.feed(buffer):
                    return check.verdict()
                buffer.clear()
        elif kind == "checkpoint":
            if not check.feed(buffer):
                return check.verdict()
            buffer.clear()
            failure = _check_checkpoint(item, check, key)
            if failure is not None:
                return failure
            last_checkpoint = item["seq"]
        elif kind == "header":
            header = item
            if header.get("format") != EXPORT_FORMAT:
                return _fail(check, f"unknown export format {header.get('format')!r}")
            if key is None:
                key = _header_key(header)
            elif header.get("public_key") != public_key_text(key):
                return _fail(check, "the export was signed by another key", seq=0)
        elif kind == "seal":
            if not check.feed(buffer):
                return check.verdict()
            buffer.clear()
            return _check_seal(item, digest, check, key, last_checkpoint)
        else:
            return _fail(check, f"line {number}: unexpected {kind!r} line")
        digest.update(line if line.endswith(b"\n") else line + b"\n")
    check.feed(buffer)
    return _fail(check, "the export has no seal: it was cut short")


def _header_key(header: dict[str, Any]) -> Ed25519PublicKey | None:
    try:
        return parse_public_key(str(header.get("public_key", "")))
    except ValueError:
        return None


def _check_checkpoint(
    item: dict[str, Any], check: ChainCheck, key: Ed25519PublicKey | None
) -> Verdict | None:
    seq = item.get("seq")
    if key is None:
        return _fail(check, "no public key to check signatures with", seq=0)
    message = checkpoint_message(seq, item.get("hash", ""), item.get("signed_at", ""))  # type: ignore[arg-type]
    if not verify_signature(key, str(item.get("signature", "")), message):
        return _fail(check, f"checkpoint at record {seq} is not signed by this key", seq=seq)
    if seq != check.expected_seq - 1 or item.get("hash") != check.prev_hash:
        return _fail(check, f"records up to {seq} do not match their signed checkpoint", seq=seq)
    return None


def _check_seal(
    item: dict[str, Any],
    digest: Any,
    check: ChainCheck,
    key: Ed25519PublicKey | None,
    last_checkpoint: int,
) -> Verdict:
    if key is None:
        return _fail(check, "no public key to check signatures with", seq=0)
    if last_checkpoint != check.expected_seq - 1:
        return _fail(check, "the last records are not covered by a signed checkpoint")
    seal = digest.hexdigest()
    if item.get("sha256") != seal or not verify_signature(
        key, str(item.get("signature", "")), seal_message(seal)
    ):
        return Verdict(False, check.checked, None, "the export's bytes changed after it was sealed")
    if item.get("key_id") != key_id(key):
        return Verdict(False, check.checked, None, "the seal names another key")
    return Verdict(True, check.checked, None)
