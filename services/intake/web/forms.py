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
from shared.web.applicant import (
    ADDRESS_HINTS,
    ADDRESS_LABELS,
    ADDRESS_PARTS,
    ADDRESS_REQUIRED,
    NUMERIC_FIELDS,
)

__all__ = [
    "ADDRESS_PARTS",
    "ADDRESS_REQUIRED",
    "FormField",
    "applicant_inputs",
    "fields_of",
    "prefill",
    "read_applicant",
    "read_data",
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


_BARE_PROFILE_FIELDS = set(FIELD_LABELS) - {"nik", "address"}
"""Profile fields an error may name bare: every declared field but the NIK (never typed
on a form) and the address (named by its parts, ``address.rt``)."""
