"""Checking the password typed on the provider's sign-in page.

A client says who signs in through it: citizens (the portal, the mobile app) with
their NIK or email, staff (the workbench, the console) with their username. Each form
accepts only its own kind — a staff username typed on the citizen form is refused
without a check, and so is a citizen's NIK or email on the staff form — so a page can
never hand a client a person of the other kind.

Failed attempts count in the same throttle as ``POST /api/v1/auth/token`` (per username
and client address, backing off after ``MPP_AUTH_SIGNIN_FREE_FAILURES``): trying
passwords at both doors earns no extra tries. The argon2 check runs in the bounded
password slots.
"""

import math
import time
from dataclasses import dataclass
from typing import Literal, Protocol

from services.identity.accounts import AccountStore, SignedIn
from services.identity.oidc.people import Person, person_of
from services.identity.passwords import Passwords
from shared.problems import Problem

__all__ = ["Refusal", "SignInAttempt", "Throttle", "check_password"]


class Throttle(Protocol):
    """The sign-in throttle the account API uses (services.identity.throttle)."""

    def key(self, username: str, client: str) -> tuple[str, str]: ...

    def attempt(self, key: tuple[str, str]) -> float | None: ...

    def succeeded(self, key: tuple[str, str]) -> None: ...


@dataclass(frozen=True)
class Refusal:
    """Why the page is shown again: ``wrong``, ``throttled`` (wait ``seconds``) or
    ``frozen``."""

    reason: Literal["wrong", "throttled", "frozen"]
    seconds: int = 0


@dataclass(frozen=True)
class SignInAttempt:
    kind: Literal["citizen", "staff"]
    username: str
    password: str
    client_address: str


def _citizen_username(username: str) -> bool:
    return "@" in username or (len(username) == 16 and username.isdigit())


async def check_password(
    attempt: SignInAttempt, accounts: AccountStore, passwords: Passwords, throttle: Throttle
) -> Person | Refusal:
    """The person signing in, or why not."""
    username = attempt.username.strip()
    key = throttle.key(username, attempt.client_address)
    wait = throttle.attempt(key)
    if wait is not None:
        return Refusal("throttled", math.ceil(wait))
    try:
        async with passwords.slot():
            signed_in = await _check(attempt.kind, username, attempt.password, accounts)
    except Problem:  # the account is frozen (services.identity.nik_ownership)
        return Refusal("frozen")
    if signed_in is None:
        return Refusal("wrong")
    person = await person_of(accounts, signed_in.subject, int(time.time()))
    if person is None or person.kind != attempt.kind:
        return Refusal("wrong")
    throttle.succeeded(key)
    return person


async def _check(
    kind: str, username: str, password: str, accounts: AccountStore
) -> SignedIn | None:
    if kind == "citizen":
        if not _citizen_username(username):
            return None
        signed_in = await accounts.authenticate(username, password)
        return signed_in if signed_in and "citizen" in signed_in.roles else None
    if _citizen_username(username):
        return None
    staff = await accounts.staff.check_password(username.lower(), password)
    if staff is None:
        return None
    return SignedIn(staff["_id"], tuple(staff["roles"]))
