"""Password hashing (argon2id) with bounded concurrency, off the event loop.

One argon2 hash or check takes tens of milliseconds of CPU and 64 MiB of memory. Run
on ``asyncio.to_thread`` they share the loop's default executor with everything else
that needs a thread, and a burst of sign-ins (or of guesses) would fill it: requests that
only wanted a DNS lookup or a file read would queue behind the hashes. Here they get
their own small pool, and a semaphore with as many slots (``MPP_AUTH_HASH_CONCURRENCY``,
2 by default) keeps the rest waiting on the loop, where waiting costs nothing.

:meth:`Passwords.slot` is the same bound for code that hashes through a helper of its
own: holding a slot, it may run at most one argon2 computation. Slots are re-entrant
within a task, so a helper that later hashes through :class:`Passwords` itself does not
wait for the slot its caller already holds.
"""

import asyncio
import contextvars
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["Passwords"]

_holding: contextvars.ContextVar[bool] = contextvars.ContextVar("holding_hash_slot", default=False)


class Passwords:
    def __init__(self, concurrency: int = 2, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._gate = asyncio.Semaphore(concurrency)
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the hashing slots (a no-op when this task holds one already)."""
        if _holding.get():
            yield
            return
        async with self._gate:
            token = _holding.set(True)
            try:
                yield
            finally:
                _holding.reset(token)

    async def hash(self, password: str) -> str:
        async with self.slot():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, self.hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self.slot():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, self._verify, password_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
