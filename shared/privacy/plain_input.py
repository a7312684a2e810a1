"""Personal data comes in as plaintext: a value that looks sealed is refused.

A sealed value (``pdp1.<citizen id>.…``, :mod:`shared.privacy.personal`) names the key
that opens it. Were one accepted as input — a name, a form answer — it would be stored
as it came (it is sealed already) and opened on the next read, under whatever citizen's
key it names: anyone holding a copy of the database could paste another citizen's
sealed values into their own profile and read them back in plain text. So every request
body that carries personal data, from a citizen, an officer, an agency or a device,
is a :class:`PlainInput`: any string in it, at any depth, that starts with the sealed
prefix is refused with a 422 naming where it is, before anything else is checked.
"""

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.privacy.personal import PREFIX

__all__ = ["SEALED_INPUT_MESSAGE", "PlainInput", "refuse_sealed", "sealed_paths"]

SEALED_INPUT_MESSAGE = (
    "nilai terenkripsi ('{prefix}…') tidak diterima; ketik isinya / an encrypted value "
    "('{prefix}…') is not accepted; type the value itself"
)


def sealed_paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Where ``value`` (a parsed JSON body) holds a string that looks sealed; a key that
    looks sealed counts too."""
    if isinstance(value, str):
        if value.lstrip().lower().startswith(PREFIX):
            yield path
    elif isinstance(value, dict):
        for key, child in value.items():
            if isinstance(key, str) and key.lstrip().lower().startswith(PREFIX):
                yield (*path, key)
            yield from sealed_paths(child, (*path, key))
    elif isinstance(value, list | tuple):
        for index, child in enumerate(value):
            yield from sealed_paths(child, (*path, index))


def refuse_sealed(value: Any) -> Any:
    """``value`` as it is, or a validation error at each place it holds a sealed value."""
    errors = [
        InitErrorDetails(
            type=PydanticCustomError("sealed_value", SEALED_INPUT_MESSAGE, {"prefix": PREFIX}),
            loc=path,
            input=value,
        )
        for path in sealed_paths(value)
    ]
    if errors:
        raise ValidationError.from_exception_data("sealed input", errors)
    return value


class PlainInput(BaseModel):
    """A request body that may carry personal data: sealed-looking values refused."""

    @model_validator(mode="before")
    @classmethod
    def _no_sealed_values(cls, data: Any) -> Any:
        return refuse_sealed(data)
