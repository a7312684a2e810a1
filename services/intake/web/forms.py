"""A service's form, rendered from its JSON Schema and read back from a posted form.

Only the schema features the catalogue uses are drawn: strings (with ``enum`` as a
select, ``format: date`` as a date input), integers, numbers and booleans. Values are
coerced to the schema's type here; validating them stays with the API, which answers
with one message per field.
"""

import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from shared.applicant import FIELD_LABELS
from shared.channels import CHANNEL_NAMES, CHANNELS

__all__ = [
    "ADDRESS_LABELS",
    "ADDRESS_PARTS",
    "ADDRESS_REQUIRED",
    "CHANNELS",
    "NUMERIC_FIELDS",
    "FormField",
    "applicant_inputs",
    "fields_of",
    "prefill",
    "profile_errors",
    "profile_values",
    "read_applicant",
    "read_data",
    "read_profile",
    "submission_errors",
]

_PROFILE_KEYS = {"name", "email", "phone", "nik", "family_card_number"}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: str  # text | select | number | date | checkbox
    required: bool
    options: tuple[str, ...] = ()
    hint: str | None = None
    numeric: bool = False
    """Digits only (a NIK, a KK number): a phone shows its number pad."""


_DIGITS_ONLY = re.compile(r"\^\[0-9\](\{[0-9,]+\}|\+)\$")


def fields_of(schema: dict[str, Any]) -> list[FormField]:
    required = set(schema.get("required", []))
    fields = []
    for name, spec in schema.get("properties", {}).items():
        kind = spec.get("type", "string")
        if "enum" in spec:
            widget = "select"
        elif kind in ("integer", "number"):
            widget = "number"
        elif kind == "boolean":
            widget = "checkbox"
        elif spec.get("format") == "date":
            widget = "date"
        else:
            widget = "text"
        hint = spec.get("description")
        if spec.get("pattern") == "^[0-9]{16}$":
            hint = hint or "16 digit / 16 digits"
        fields.append(
            FormField(
                name=name,
                label=spec.get("title", name),
                widget=widget,
                required=name in required,
                options=tuple(str(option) for option in spec.get("enum", ())),
                hint=hint,
                numeric=bool(_DIGITS_ONLY.fullmatch(str(spec.get("pattern", "")))),
            )
        )
    return fields


def prefill(schema: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    """Values the citizen gave once, in their profile, for the fields that ask again."""
    values: dict[str, Any] = {}
    for name in schema.get("properties", {}):
        if name in _PROFILE_KEYS and profile.get(name):
            values[name] = profile[name]
        elif profile.get("address") and name in profile["address"]:
            values[name] = profile["address"][name]
    return values


def read_data(schema: dict[str, Any], form: FormData, prefix: str = "data.") -> dict[str, Any]:
    """The posted values, typed as the schema says; empty fields are left out."""
    data: dict[str, Any] = {}
    for name, spec in schema.get("properties", {}).items():
        raw = form.get(prefix + name)
        kind = spec.get("type", "string")
        if kind == "boolean":
            if raw is not None:
                data[name] = True
            continue
        if raw is None or not isinstance(raw, str) or raw.strip() == "":
            continue
        value: Any = raw.strip()
        try:
            if kind == "integer":
                value = int(value)
            elif kind == "number":
                value = float(value)
        except ValueError:
            pass  # the API names the field and the expected type
        data[name] = value
    return data


# The profile page: what PATCH /api/v1/me accepts, as flat form fields.
ADDRESS_PARTS = (
    "street",
    "rt",
    "rw",
    "village",
    "district",
    "city",
    "province",
    "region_code",
    "postal_code",
)
ADDRESS_REQUIRED = ("street", "rt", "rw", "village", "district")
"""The parts without which an address is not complete enough to send to an agency."""
ADDRESS_LABELS: dict[str, tuple[str, str]] = {
    "street": ("Jalan dan nomor rumah", "Street and house number"),
    "rt": ("RT", "RT (neighbourhood)"),
    "rw": ("RW", "RW (hamlet)"),
    "village": ("Kelurahan/desa", "Village"),
    "district": ("Kecamatan", "District"),
    "city": ("Kabupaten/kota", "Regency/city"),
    "province": ("Provinsi", "Province"),
    "region_code": ("Kode wilayah kabupaten/kota", "Regency/city code"),
    "postal_code": ("Kode pos", "Postal code"),
}
ADDRESS_HINTS: dict[str, tuple[str, str]] = {
    "rt": ("Contoh 003", "For example 003"),
    "rw": ("Contoh 005", "For example 005"),
    "region_code": (
        "4 digit, sama dengan 4 digit pertama NIK bila Anda tinggal sesuai KTP",
        "4 digits, the first 4 digits of your NIK if you live where your ID card says",
    ),
    "postal_code": ("5 digit", "5 digits"),
}
NUMERIC_FIELDS = frozenset({"nik", "family_card_number", "rt", "rw", "region_code", "postal_code"})
"""Fields of digits: their inputs ask a phone for its number pad (``inputmode``)."""
_PROFILE_TEXT = ("name", "email", "phone", "birth_place", "family_card_number")


def profile_values(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile as the page's fields (the address flattened into its parts)."""
    values = {key: profile.get(key) or "" for key in _PROFILE_TEXT}
    address = profile.get("address") or {}
    values.update({part: address.get(part) or "" for part in ADDRESS_PARTS})
    values["language"] = profile.get("language") or "id"
    values["notification_channels"] = list(profile.get("notification_channels") or [])
    return values


def read_profile(form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the PATCH body, the values to show again). An empty text field is left as it
    was; the address is sent whole, since the API replaces it whole."""
    shown: dict[str, Any] = {
        key: str(form.get(key, "")).strip() for key in (*_PROFILE_TEXT, *ADDRESS_PARTS)
    }
    shown["language"] = "en" if form.get("language") == "en" else "id"
    shown["notification_channels"] = [
        str(c) for c in form.getlist("notification_channels") if c in CHANNEL_NAMES
    ]
    body: dict[str, Any] = {key: shown[key] for key in _PROFILE_TEXT if shown[key]}
    if any(shown[part] for part in ADDRESS_PARTS):
        body["address"] = {part: shown[part] or None for part in ADDRESS_PARTS}
    body["language"] = shown["language"]
    body["notification_channels"] = shown["notification_channels"]
    # Needed to change the email or phone; never shown again.
    if password := str(form.get("current_password", "")):
        body["current_password"] = password
    return body, shown


def profile_errors(errors: dict[str, str]) -> dict[str, str]:
    """The API's field names (``address.city``, ``notification_channels.0``) as the
    page's (``city``, ``notification_channels``)."""
    named: dict[str, str] = {}
    for field, message in errors.items():
        if field.startswith("address."):
            field = field.removeprefix("address.")
        elif field.startswith("notification_channels"):
            field = "notification_channels"
        named.setdefault(field, message.removeprefix("Value error, "))
    return named


@dataclass(frozen=True)
class ApplicantInput:
    """An input on the service form for a declared field the profile lacks."""

    field: str  # the profile field, e.g. birth_place; address.rt for an address part
    name: str  # the form field: applicant.birth_place, applicant.address.rt
    id: str
    label: tuple[str, str]
    widget: str  # text | date | sex | tel | email
    required: bool
    hint: tuple[str, str] | None = None
    numeric: bool = False


_APPLICANT_WIDGETS = {"birth_date": "date", "sex": "sex", "phone": "tel", "email": "email"}
_APPLICANT_HINTS = {
    "family_card_number": ("16 digit", "16 digits"),
    "birth_date": ("Harus sesuai dengan NIK", "Must agree with your NIK"),
    "sex": ("Harus sesuai dengan NIK", "Must agree with your NIK"),
}


def applicant_inputs(missing: list[str]) -> dict[str, list[ApplicantInput]]:
    """The inputs for the missing declared fields, per field (an address has several)."""
    inputs: dict[str, list[ApplicantInput]] = {}
    for field in missing:
        if field == "nik":  # part of the account since registration; cannot be typed here
            continue
        if field == "address":
            inputs[field] = [
                ApplicantInput(
                    field=f"address.{part}",
                    name=f"applicant.address.{part}",
                    id=f"ap-address-{part}",
                    label=ADDRESS_LABELS[part],
                    widget="text",
                    required=part in ADDRESS_REQUIRED,
                    hint=ADDRESS_HINTS.get(part),
                    numeric=part in NUMERIC_FIELDS,
                )
                for part in ADDRESS_PARTS
            ]
            continue
        inputs[field] = [
            ApplicantInput(
                field=field,
                name=f"applicant.{field}",
                id=f"ap-{field}",
                label=FIELD_LABELS[field],
                widget=_APPLICANT_WIDGETS.get(field, "text"),
                required=True,
                hint=_APPLICANT_HINTS.get(field),
                numeric=field in NUMERIC_FIELDS,
            )
        ]
    return inputs


def read_applicant(
    form: FormData, missing: list[str], data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """(the submission's ``applicant``, the typed values to show again). Only the missing
    declared fields are read; an address is sent whole, as the profile replaces it whole.
    A field the service's own form also asks (the family card number of a KTP-el) is
    taken from there when its input here was left empty."""
    applicant: dict[str, Any] = {}
    typed: dict[str, str] = {}
    for field in missing:
        if field == "nik":
            continue
        if field == "address":
            address = {
                part: str(form.get(f"applicant.address.{part}", "")).strip()
                for part in ADDRESS_PARTS
            }
            typed.update({f"applicant.address.{part}": v for part, v in address.items()})
            if any(address.values()):
                applicant["address"] = {part: v or None for part, v in address.items()}
            continue
        value = str(form.get(f"applicant.{field}", "")).strip()
        typed[f"applicant.{field}"] = value
        if not value and isinstance(data.get(field), str):
            value = data[field]
        if value:
            applicant[field] = value
    return applicant, typed


def submission_errors(problem: dict[str, Any]) -> dict[str, str]:
    """The API's messages by the service page's field names: ``data.purpose`` →
    ``purpose``; ``applicant.address.rt`` stays; a profile field named bare (the birth
    date or sex checked against the NIK) → ``applicant.<field>``."""
    errors: dict[str, str] = {}
    for error in problem.get("errors") or []:
        field = str(error.get("field", ""))
        message = str(error.get("message", "")).removeprefix("Value error, ")
        if field.startswith("data."):
            field = field.removeprefix("data.")
        elif field in _BARE_PROFILE_FIELDS or field.startswith("address."):
            field = f"applicant.{field}"
        errors.setdefault(field, message)
    return errors


_BARE_PROFILE_FIELDS = {
    "name",
    "birth_place",
    "birth_date",
    "sex",
    "family_card_number",
    "phone",
    "email",
}
