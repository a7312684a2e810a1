"""How an account's personal data rests in identity's database: sealed, found by index.

Every personal field of an account (:data:`PERSONAL_FIELDS`) is stored sealed under the
citizen's data key (:mod:`shared.privacy.personal`); a raw read of the collection, a
dump or a backup shows ``pdp1.…`` strings only. Sign-in by NIK or email, the counter's
look-up by NIK and "one email per account" go through blind indexes (``nik_index``,
``email_index``); ``nik_owners`` is keyed by the NIK's index, never by the NIK.

The stores read and write accounts through :class:`SealedAccounts` and hand the rest of
identity plain dictionaries, so code above them never sees a sealed value.
"""

from typing import Any

from pydantic import SecretStr

from shared.privacy.personal import Personal, blind_index

__all__ = ["PERSONAL_FIELDS", "SealedAccounts"]

PERSONAL_FIELDS = (
    "nik",
    "name",
    "email",
    "phone",
    "birth_place",
    "birth_date",
    "sex",
    "address",
    "family_card_number",
)


class SealedAccounts:
    def __init__(self, personal: Personal, index_secret: SecretStr) -> None:
        self.personal = personal
        self.index_secret = index_secret

    def nik_index(self, nik: str) -> str:
        return blind_index(self.index_secret, "nik", nik)

    def email_index(self, email: str) -> str:
        return blind_index(self.index_secret, "email", email)

    async def seal(self, account_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """``fields`` as stored: personal ones sealed, with the indexes of a NIK or an
        email among them."""
        stored = await self.personal.seal_fields(account_id, fields, PERSONAL_FIELDS)
        if fields.get("nik"):
            stored["nik_index"] = self.nik_index(fields["nik"])
        if fields.get("email"):
            stored["email_index"] = self.email_index(fields["email"])
        return stored

    async def open(self, stored: dict[str, Any] | None) -> dict[str, Any] | None:
        """The account as the rest of identity reads it (indexes dropped)."""
        if stored is None:
            return None
        opened = await self.personal.open_fields(stored, PERSONAL_FIELDS, stored["_id"])
        assert opened is not None
        opened.pop("nik_index", None)
        opened.pop("email_index", None)
        return opened
