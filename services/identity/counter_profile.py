"""What a counter operator or a mobile unit may write into a citizen's profile.

The operator has the citizen's KTP in hand, not their consent to everything: a NIK is
printed on every KTP, so "submit for this NIK" must never become "take this account".
So an operator:

* never changes the contacts — email, phone, language, notification channels. They are
  where the citizen's notices and recovery codes go; only the citizen changes them, in
  their own profile (``PATCH /api/v1/me``);
* only **fills** profile fields the account does not hold yet (the birth place, the
  family card number, the address parts still empty), and never overwrites one —
  sending a value equal to the stored one is no change; birth date and sex are read
  from the NIK and so are never missing;
* is named for each change: an entry in the citizen's account history
  (:mod:`services.identity.account_history`), written in the same transaction.

The write is guarded by the account's ``updated_at`` as read, so a field the citizen
filled a moment before is not overwritten (409: look the citizen up again).
"""

from typing import Any

from services.identity.account_history import Actor
from services.identity.accounts import AccountStore, ProfileUpdate
from shared.problems import Problem
from shared.unit_of_work import Transaction

__all__ = ["CONTACT_FIELDS", "fill_missing", "refuse_contacts"]

CONTACT_FIELDS = ("email", "phone", "language", "notification_channels")
_FROM_THE_NIK = ("birth_date", "sex")


def refuse_contacts(update: ProfileUpdate, contacts: tuple[str, ...] = CONTACT_FIELDS) -> None:
    """403 naming each contact ``update`` sets: they are the citizen's own to change."""
    sent = [field for field in contacts if field in update.model_fields_set]
    if sent:
        raise Problem(
            403,
            "Kontak diubah di profil warga / Contacts are changed in the citizen's profile",
            "Email, nomor HP dan pilihan pemberitahuan diubah oleh warga sendiri di profilnya "
            "(PATCH /api/v1/me), tidak lewat permohonan / The email, phone and notification "
            "choices are changed by the citizen in their own profile (PATCH /api/v1/me), "
            "never through an application.",
            errors=[
                {"field": f"applicant.{field}", "message": "hanya warga / citizen only"}
                for field in sent
            ],
        )


def _fills(account: dict[str, Any], update: ProfileUpdate) -> tuple[dict[str, Any], list[str]]:
    """(the fields to set, the fields the operator would overwrite)."""
    changes = update.model_dump(exclude_unset=True, mode="json")
    fills: dict[str, Any] = {}
    refused: list[str] = []
    for field, value in changes.items():
        if value is None:
            continue
        current = account.get(field)
        if field == "address":
            merged = dict(current or {})
            for part, given in value.items():
                if given is None or merged.get(part) == given:
                    continue
                if merged.get(part) not in (None, ""):
                    refused.append(f"address.{part}")
                merged[part] = given
            if merged != (current or {}):
                fills[field] = merged
        elif field == "birth_date":
            if str(current or "")[:10] != value:
                refused.append(field)
        elif current == value:
            continue
        elif current in (None, "") and field not in _FROM_THE_NIK:
            fills[field] = value
        else:
            refused.append(field)
    return fills, refused


async def fill_missing(
    accounts: AccountStore, account: dict[str, Any], update: ProfileUpdate, actor: Actor
) -> dict[str, Any]:
    """The account after filling what it lacked from ``update``, the change recorded in
    the operator's name; 403 for a contact or a field the account holds already."""
    refuse_contacts(update)
    fills, refused = _fills(account, update)
    if refused:
        raise Problem(
            403,
            "Loket hanya melengkapi data yang kosong / A counter only fills in missing details",
            "Data yang sudah ada di profil diubah oleh warga sendiri; kirim hanya data yang "
            "belum ada / Details the profile holds are changed by the citizen themselves; "
            "send only the missing ones: " + ", ".join(refused),
            errors=[
                {"field": f"applicant.{field}", "message": "sudah terisi / already filled"}
                for field in refused
            ],
        )
    if not fills:
        return account
    citizen_id = account["_id"]
    sealed = await accounts.sealed.seal(citizen_id, fills)
    entry = await accounts.history.entry(citizen_id, "profile_filled", actor, fields=list(fills))

    async def write(tx: Transaction) -> dict[str, Any] | None:
        filled = await accounts.records.fill_unless_changed(
            citizen_id, account["updated_at"], {**sealed, "updated_at": entry["at"]}, tx.session
        )
        if not filled:
            return None
        await accounts.history.add(entry, tx.session)
        return await accounts.accounts.find_one(
            {"_id": citizen_id}, {"password_hash": 0}, session=tx.session
        )

    updated = await accounts.units.run(write)
    if updated is None:
        raise Problem(
            409,
            "Profil baru saja berubah / The profile just changed",
            "Profil warga diubah saat ini juga; cari warga lagi lalu kirim ulang / The "
            "citizen's profile changed a moment ago; look the citizen up again and resend.",
        )
    opened: dict[str, Any] = await accounts.sealed.open(updated)  # type: ignore[assignment]
    return opened
