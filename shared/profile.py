"""The profile a citizen enters once: its address and the fields a change may carry.

Identity stores the profile; intake validates a submission's ``applicant`` (the profile
fields a form adds) with the same model before it asks identity to save them, so a bad
field is refused with the same message wherever it is sent.
"""

import re
from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from shared.channels import ChannelName
from shared.nik import PROVINCES
from shared.privacy.plain_input import PlainInput

__all__ = ["Address", "Channel", "ProfileUpdate", "check_email", "normalise_phone"]

Channel = ChannelName
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^(?:\+62|62|0)(8[0-9]{7,12})$")


def normalise_phone(value: str) -> str:
    """Indonesian mobile numbers in any common form, as E.164 (+628…)."""
    match = _PHONE.match(re.sub(r"[\s-]", "", value))
    if not match:
        raise ValueError("nomor HP tidak valid, contoh 081234567890 / not a valid mobile number")
    return "+62" + match.group(1)


def check_email(value: str) -> str:
    """A plausible address, lower-cased; ValueError otherwise."""
    if not _EMAIL.match(value) or len(value) > 254:
        raise ValueError("alamat email tidak valid / not a valid email address")
    return value.lower()


class Address(PlainInput):
    model_config = ConfigDict(extra="forbid")

    street: str | None = Field(None, max_length=200)
    rt: str | None = Field(None, pattern=r"^[0-9]{1,3}$", description="Rukun tetangga.")
    rw: str | None = Field(None, pattern=r"^[0-9]{1,3}$", description="Rukun warga.")
    village: str | None = Field(None, max_length=100, description="Kelurahan/desa.")
    district: str | None = Field(None, max_length=100, description="Kecamatan.")
    city: str | None = Field(None, max_length=100, description="Kabupaten/kota.")
    province: str | None = Field(None, max_length=100)
    region_code: str | None = Field(
        None,
        pattern=r"^[0-9]{4}$",
        description="Kemendagri code of the kabupaten/kota (as in the first four NIK digits).",
    )
    postal_code: str | None = Field(None, pattern=r"^[0-9]{5}$")

    @field_validator("region_code")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value[:2] not in PROVINCES:
            raise ValueError(
                f"kode provinsi {value[:2]} tidak dikenal / {value[:2]} is not a province code"
            )
        if value[2:] == "00":
            raise ValueError(
                "kode kabupaten/kota tidak boleh 00 / the regency or city code cannot be 00"
            )
        return value


class ProfileUpdate(PlainInput):
    """What a citizen may change; the NIK and the account id are not among it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=20)
    birth_place: str | None = Field(None, min_length=1, max_length=100)
    birth_date: date | None = Field(None, description="Must agree with the NIK.")
    sex: Literal["F", "M"] | None = Field(None, description="Must agree with the NIK.")
    address: Address | None = None
    family_card_number: str | None = Field(None, pattern=r"^[0-9]{16}$")
    language: Literal["id", "en"] | None = None
    notification_channels: list[Channel] | None = Field(
        None,
        min_length=1,
        max_length=5,
        description="In order of preference; push reaches the devices registered with notify.",
    )

    _email = field_validator("email")(lambda v: v if v is None else check_email(v))
    _phone = field_validator("phone")(lambda v: v if v is None else normalise_phone(v))

    @field_validator("notification_channels")
    @classmethod
    def _distinct(cls, value: list[Channel] | None) -> list[Channel] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("setiap kanal sekali saja / list each channel once")
        return value
