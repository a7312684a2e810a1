"""Asking a signed-in citizen for their password again, before a change that matters
(a new password, erasing the account): throttled like sign-in, so a stolen token
cannot guess it."""

import math

from services.identity.accounts import AccountStore
from services.identity.passwords import Passwords
from services.identity.throttle import SignInThrottle
from shared.problems import Problem

__all__ = ["confirm_password"]


async def confirm_password(
    *,
    store: AccountStore,
    passwords: Passwords,
    throttle: SignInThrottle,
    account_id: str,
    client: str,
    password: str,
    field: str,
) -> None:
    """Return when ``password`` is the account's; 429 while throttled, 403 naming
    ``field`` when it does not match."""
    key = throttle.key(f"account:{account_id}", client)
    wait = throttle.attempt(key)
    if wait is not None:
        seconds = str(math.ceil(wait))
        raise Problem(
            429,
            "Terlalu banyak percobaan / Too many attempts",
            f"Coba lagi setelah {seconds} detik / Retry after {seconds} s.",
            headers={"Retry-After": seconds},
        )
    stored = await store.accounts.find_one({"_id": account_id}, {"password_hash": 1})
    if (
        not stored
        or not stored.get("password_hash")
        or not await passwords.verify(stored["password_hash"], password)
    ):
        raise Problem(
            403,
            "Kata sandi salah / Wrong password",
            "Kata sandi tidak cocok / The password does not match.",
            errors=[{"field": field, "message": "kata sandi tidak cocok / does not match"}],
        )
    throttle.succeeded(key)
