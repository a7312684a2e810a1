"""Replacing an email or phone: the factors a forgotten password is recovered with.

Whoever controls the verified email (or phone) can reset the password, so moving one
to a new address is as strong as knowing the password. A stolen access token (a kiosk
left signed in, a shared computer) must not be enough: the change needs the current
password, asked for again (:mod:`services.identity.password_check`, throttled like
sign-in), and a contact that was verified is told it was replaced — by the event
``AccountContactReplaced``, which notify sends to the old address whatever the
citizen's preferences (:mod:`services.notify.account_notices`). Only verified contacts
are told: an address that was only typed may be anybody's.

Anything else that saves a profile (the fields an application adds, a counter, a
mobile unit) cannot replace a contact at all: it has no password to show.
"""

from dataclasses import dataclass
from typing import Any, Literal

from shared.correlation import current_correlation_id
from shared.events import AccountContactReplaced, ContactReplacedData
from shared.problems import Problem

__all__ = ["ContactReplaced", "contact_change_needs_password", "replaced_contacts"]


@dataclass(frozen=True)
class ContactReplaced:
    """A verified contact about to be replaced: its channel and old address, sealed
    under the citizen's key as stored."""

    channel: Literal["email", "phone"]
    sealed_address: str

    def event(self, account: dict[str, Any]) -> AccountContactReplaced:
        return AccountContactReplaced(
            source="identity",
            subject=account["_id"],
            correlation_id=current_correlation_id(),
            data=ContactReplacedData(
                citizen_id=account["_id"],
                channel=self.channel,
                address=self.sealed_address,
                language=account.get("language", "id"),
            ),
        )


def replaced_contacts(
    stored: dict[str, Any] | None, cleared: dict[str, Any]
) -> list[ContactReplaced]:
    """The verified contacts among those a change replaces (``cleared``: the
    ``<contact>_verified`` flags it clears), from the account as ``stored``."""
    if stored is None:
        return []
    replaced = []
    for flag in sorted(cleared):
        channel = flag.removesuffix("_verified")
        if channel in ("email", "phone") and stored.get(flag) and stored.get(channel):
            replaced.append(ContactReplaced(channel, stored[channel]))  # type: ignore[arg-type]
    return replaced


def contact_change_needs_password(flags: list[str]) -> Problem:
    """403 for a change of email or phone without the current password; ``flags`` are
    the verification flags it would clear (``email_verified`` …)."""
    contacts = [flag.removesuffix("_verified") for flag in flags]
    message = "perlu kata sandi saat ini / needs the current password"
    return Problem(
        403,
        "Perlu kata sandi / Password needed",
        "Email dan nomor HP (tujuan kode atur ulang kata sandi) hanya bisa diganti di profil "
        "dengan kata sandi saat ini / The email and phone (where password reset codes go) "
        "can only be changed in the profile, with the current password.",
        type_="https://mpp.go.id/problems/contact-change-needs-password",
        errors=[
            *({"field": contact, "message": message} for contact in contacts),
            {
                "field": "current_password",
                "message": "wajib untuk mengganti email atau nomor HP / required to change the "
                "email or phone",
            },
        ],
    )
