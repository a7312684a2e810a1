"""Time-ordered identifiers.

Event and application ids are UUIDv7 (RFC 9562): sortable by creation time, so an index
on them is an index on time, and unique without coordination. Within one process the
ids are strictly increasing (RFC 9562 §6.2, method 1: a counter in ``rand_a``), so
events staged in the same millisecond keep their order.
"""

import os
import threading
import time
import uuid

__all__ = ["uuid7"]

_lock = threading.Lock()
_last_ms = 0
_last_counter = 0


def uuid7() -> str:
    """A new UUIDv7 as its canonical 36-character string."""
    global _last_ms, _last_counter
    with _lock:
        unix_ms = time.time_ns() // 1_000_000
        if unix_ms <= _last_ms:
            unix_ms = _last_ms
            counter = _last_counter + 1
            if counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                unix_ms += 1
                counter = 0
        else:
            counter = int.from_bytes(os.urandom(2), "big") & 0x7FF
        _last_ms, _last_counter = unix_ms, counter
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (
        ((unix_ms & 0xFFFF_FFFF_FFFF) << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand_b
    )
    return str(uuid.UUID(int=value))
