"""A citizen's copy of their data as plain JSON: what identity and intake each hand over
for the export (docs/privacy.md, data rights)."""

from typing import Any

__all__ = ["plain_json"]


def plain_json(value: Any) -> Any:
    """Dates as ISO strings, through nested documents and lists, so the export is plain
    JSON."""
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
