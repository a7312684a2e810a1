"""One recorded event's ``data`` as rows an auditor reads on the console's timeline.

Personal values travel sealed (``pdp1.<citizen id>.<ciphertext>``): shown as they are,
the ciphertext is noise to a reader, and it names the citizen. So a sealed value reads
as the word "sealed" (and a value whose citizen's key was destroyed as "erased") until
the auditor opens the application with a stated purpose; the opened timeline then holds
the plain values, which these rows show in the same places.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shared.privacy.personal import ERASED, is_sealed

__all__ = ["Row", "rows_of"]


@dataclass(frozen=True)
class Row:
    """One value: its path in ``data`` (``applicant_sealed.name``) and what to show —
    ``kind`` is ``"value"``, ``"sealed"`` or ``"erased"``; ``text`` is only for values."""

    path: str
    kind: str
    text: str = ""


def rows_of(event: Any) -> list[Row]:
    """The rows of an event's ``data``, nested values by their dotted path; none for a
    record that did not parse as an event."""
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        return []
    return list(_rows(data, ""))


def _rows(value: Any, path: str) -> Iterator[Row]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _rows(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for index, inner in enumerate(value):
            yield from _rows(inner, f"{path}.{index}")
    elif isinstance(value, list):
        shown = [_row(path, v) for v in value]
        if any(row.kind != "value" for row in shown):
            yield from (Row(f"{path}.{i}", r.kind, r.text) for i, r in enumerate(shown))
        else:
            yield Row(path, "value", ", ".join(row.text for row in shown) or "-")
    else:
        yield _row(path, value)


def _row(path: str, value: Any) -> Row:
    if is_sealed(value):
        return Row(path, "sealed")
    if value == ERASED:
        return Row(path, "erased")
    if value is None or value == "":
        return Row(path, "value", "-")
    return Row(path, "value", str(value))
