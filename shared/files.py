"""Files people upload: the type is read from the content, the name is made safe.

Intake keeps citizens' supporting documents and routing keeps the result documents
agencies issue; both accept PDF, JPEG and PNG only, told apart by their first bytes (a
``.pdf`` name on an executable is refused), and both store a name that cannot climb out
of a folder or break a header.
"""

import re

__all__ = ["ALLOWED_TYPES", "safe_name", "sniff_type"]

_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)

ALLOWED_TYPES = tuple(kind for _, kind in _MAGIC)


def sniff_type(head: bytes) -> str | None:
    """The content type from the file's signature, or None when it is not allowed."""
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def safe_name(name: str | None, default: str = "dokumen") -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip() or default
    return cleaned[:120]
