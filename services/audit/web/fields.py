"""One recorded event's ``data`` as rows an auditor reads on the console's timeline.

Personal values travel sealed (``pdp1.<citizen id>.<ciphertext>``): shown as they are,
the ciphertext is noise to a reader, and it names the citizen. So a sealed value reads
as the word "sealed" (and a value whose citizen's key was destroyed as "erased") until
the auditor opens the application with a stated purpose; the opened timeline then holds
the plain values, which these rows show in the same places. Where a value was sealed is
read from the record as stored (its sealed copy), since an opened value looks like any
other. Only those values are rows: the rest of a record is on the timeline already
(its type, time, source, status) or in the export.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shared.privacy.personal import ERASED, is_sealed

__all__ = ["Row", "personal_rows"]


@dataclass(frozen=True)
class Row:
    """One value: its path in ``data`` (``applicant_sealed.name``) and what to show —
    ``kind`` is ``"value"``, ``"sealed"`` or ``"erased"``; ``text`` is only for values."""

    path: str
    kind: str
    text: str = ""


def personal_rows(
    entries: list[dict[str, Any]], stored: list[dict[str, Any]] | None = None
) -> dict[int, list[Row]]:
    """Each entry's personal rows, by ``seq``. ``stored`` holds the same records sealed
    as stored, for an opened timeline; without it the entries are the sealed ones."""
    sealed = {item.get("seq"): item.get("event") for item in stored or entries}
    result: dict[int, list[Row]] = {}
    for entry in entries:
        paths = set(_sealed_paths(_data(sealed.get(entry.get("seq"))), ""))
        rows = _rows(_data(entry.get("event")), "")
        mine = [r for r in rows if r.kind != "value" or _under(r.path, paths)]
        if mine:
            result[entry["seq"]] = mine
    return result


def _data(event: Any) -> dict[str, Any]:
    data = event.get("data") if isinstance(event, dict) else None
    return data if isinstance(data, dict) else {}


def _under(path: str, prefixes: set[str]) -> bool:
    return any(path == p or path.startswith(p + ".") for p in prefixes)


def _sealed_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _sealed_paths(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _sealed_paths(inner, f"{path}.{index}")
    elif is_sealed(value):
        yield path


def _rows(value: Any, path: str) -> Iterator[Row]:
    """Nested values by their dotted path; a list of plain words on one row."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _rows(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and all(_plain(v) for v in value):
        yield Row(path, "value", ", ".join(str(v) for v in value) or "-")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _rows(inner, f"{path}.{index}")
    elif is_sealed(value):
        yield Row(path, "sealed")
    elif value == ERASED:
        yield Row(path, "erased")
    else:
        yield Row(path, "value", "-" if value is None or value == "" else str(value))


def _plain(value: Any) -> bool:
    return not isinstance(value, dict | list) and not is_sealed(value) and value != ERASED
