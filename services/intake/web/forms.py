"""A service's form, rendered from its JSON Schema and read back from a posted form.

Only the schema features the catalogue uses are drawn: strings (with ``enum`` as a
select, ``format: date`` as a date input), integers, numbers and booleans. Values are
coerced to the schema's type here; validating them stays with the API, which answers
with one message per field.
"""

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

__all__ = ["FormField", "fields_of", "prefill", "read_data"]

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
