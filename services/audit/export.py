"""The export: the whole log as JSON lines an auditor can verify offline.

Layout, one JSON object a line, canonical JSON (sorted keys, no whitespace)::

    {"kind": "header", "format": "mpp-audit-export/1", "public_key": ..., ...}
    {"kind": "record", "seq": 1, "prev_hash": ..., "event": ..., "hash": ...}
    {"kind": "checkpoint", "seq": 1000, "hash": ..., "signature": ...}   # after its record
    ...
    {"kind": "checkpoint", "seq": <last>, ...}      # signed at export time
    {"kind": "seal", "sha256": <of every byte above>, "signature": ...}

The chain and the checkpoints locate a changed record; the seal makes any other changed
byte (header, checkpoint, line order) detectable too.
"""

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from pymongo.asynchronous.database import AsyncDatabase

from services.audit.chain import HASHED_FIELDS
from services.audit.checkpoints import Checkpoints
from services.audit.signing import public_key_text
from shared.events import utcnow

__all__ = ["EXPORT_FORMAT", "export_lines", "seal_message"]

EXPORT_FORMAT = "mpp-audit-export/1"

_PROJECTION = {name: 1 for name in (*HASHED_FIELDS, "hash")}


def seal_message(sha256_hex: str) -> bytes:
    return f"mpp-audit-export-seal/1\n{sha256_hex}".encode("ascii")


def _line(item: dict[str, Any]) -> bytes:
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS) + b"\n"


async def export_lines(
    db: AsyncDatabase, checkpoints: Checkpoints, batch_size: int = 5000
) -> AsyncIterator[bytes]:
    """Yield the export of every record up to the current head, sealed at the end, in
    blocks of whole lines (one per database batch) so a stream is not one write a line."""
    records = db["records"]
    head = await records.find_one({}, {"seq": 1, "hash": 1}, sort=[("_id", -1)])
    if head is not None:
        await checkpoints.sign(head["seq"], head["hash"])
    head_seq = head["seq"] if head is not None else 0
    signed = {c["seq"]: c for c in await checkpoints.all() if c["seq"] <= head_seq}
    signer = checkpoints.signer
    digest = hashlib.sha256()

    block: list[bytes] = []

    def emit(item: dict[str, Any]) -> None:
        line = _line(item)
        digest.update(line)
        block.append(line)

    emit(
        {
            "kind": "header",
            "format": EXPORT_FORMAT,
            "exported_at": utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "records": head_seq,
            "public_key": public_key_text(signer.public_key),
            "key_id": signer.key_id,
            "algorithm": "Ed25519",
        }
    )
    cursor = records.find({"_id": {"$lte": head_seq}}, _PROJECTION, batch_size=batch_size)
    async for record in cursor.sort("_id", 1):
        record.pop("_id", None)
        emit({"kind": "record", **record})
        checkpoint = signed.get(record["seq"])
        if checkpoint is not None:
            emit({"kind": "checkpoint", **checkpoint})
        if len(block) >= batch_size:
            yield b"".join(block)
            block.clear()
    seal = digest.hexdigest()
    block.append(
        _line(
            {
                "kind": "seal",
                "sha256": seal,
                "key_id": signer.key_id,
                "signature": signer.sign(seal_message(seal)),
            }
        )
    )
    yield b"".join(block)
