"""The person behind a sign-in, as tokens and userinfo describe them.

Citizens and staff sign in with the stores that have always checked them
(:class:`services.identity.accounts.AccountStore`, its :class:`StaffStore`); this module
turns who signed in into the claims the provider hands out:

- ``sub``: the account id (a citizen) or the username (staff) — never the NIK;
- ``roles``, and for staff ``agency`` / ``region`` and ``name``, as before;
- ``nik_proof``: how far the citizen's NIK is proven — ``dukcapil`` (checked against
  the population registry), ``counter`` (a KTP seen at an MPP counter) or ``none``.
  Staff tokens carry no NIK proof.
"""

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from services.identity.accounts import AccountStore
from shared.problems import Problem

__all__ = ["Person", "nik_proof", "person_of"]

Kind = Literal["citizen", "staff"]


@dataclass(frozen=True)
class Person:
    """Who a code, a token or a refresh was issued for."""

    subject: str
    kind: Kind
    roles: tuple[str, ...]
    auth_time: int
    claims: dict[str, str] = field(default_factory=dict)
    """``agency``, ``region``, ``name`` (staff), as :func:`shared.auth.issue_token` has
    them."""
    profile: dict[str, Any] = field(default_factory=dict)
    """The citizen's name, contacts and NIK proof, for ID tokens and userinfo."""

    def get_user_id(self) -> str:
        return self.subject

    @property
    def citizen(self) -> bool:
        return self.kind == "citizen"

    def token_claims(self) -> dict[str, Any]:
        """What an access token says about the person besides ``sub``."""
        claims: dict[str, Any] = {
            "roles": list(self.roles),
            "auth_time": self.auth_time,  # a person signed in (RFC 9068); a client did not
            **self.claims,
        }
        if self.citizen:
            claims["nik_proof"] = self.profile.get("nik_proof", "none")
        return claims


def nik_proof(account: dict[str, Any]) -> str:
    proof = account.get("nik_verification") or {}
    return str(proof.get("method") or "none")


async def person_of(
    accounts: AccountStore, subject: str, auth_time: int | None = None
) -> Person | None:
    """The person as they stand now: None when the account is gone, frozen, or the
    staff member was disabled."""
    try:
        signed_in = await accounts.still_signed_in(subject)
    except Problem:  # a frozen account
        return None
    if signed_in is None:
        return None
    when = auth_time if auth_time is not None else int(time.time())
    if "citizen" not in signed_in.roles:
        return Person(signed_in.subject, "staff", signed_in.roles, when, dict(signed_in.claims))
    account = await accounts.profile(signed_in.subject)
    if account is None:
        return None
    profile = {
        "name": account.get("name"),
        "email": account.get("email"),
        "email_verified": bool(account.get("email_verified")),
        "phone_number": account.get("phone"),
        "phone_number_verified": bool(account.get("phone_verified")),
        "locale": account.get("language"),
        "nik_proof": nik_proof(account),
    }
    return Person(signed_in.subject, "citizen", signed_in.roles, when, profile=profile)
