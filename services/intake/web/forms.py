"""A service's form, rendered from its JSON Schema and read back from a posted form.

Only the schema features the catalogue uses are drawn: strings (with ``enum`` as a
select, ``format: date`` as a date input), integers, numbers and booleans. Values are
coerced to the schema's type here; validating them stays with the API, which answers
with one message per field.
"""

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

__all__ = [
    "ADDRESS_PARTS",
    "CHANNELS",
    "FormField",
    "fields_of",
    "prefill",
    "profile_errors",
    "profile_values",
    "read_data",
    "read_profile",
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
ADDRESS_PARTS = ("street", "village", "district", "city", "province", "postal_code")
CHANNELS = ("in_app", "email", "sms", "whatsapp")
_PROFILE_TEXT = ("name", "email", "phone", "family_card_number")


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
        str(c) for c in form.getlist("notification_channels") if c in CHANNELS
    ]
    body: dict[str, Any] = {key: shown[key] for key in _PROFILE_TEXT if shown[key]}
    if any(shown[part] for part in ADDRESS_PARTS):
        body["address"] = {part: shown[part] or None for part in ADDRESS_PARTS}
    body["language"] = shown["language"]
    body["notification_channels"] = shown["notification_channels"]
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
