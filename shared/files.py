"""Files people upload: the type is read from the content, the name is made safe.

Intake keeps citizens' supporting documents and routing keeps the result documents
agencies issue; both accept PDF, JPEG and PNG only, told apart by their first bytes (a
``.pdf`` name on an executable is refused), and both store a name that cannot climb out
of a folder or break a header.
"""

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from fastapi import UploadFile
from fastapi.responses import StreamingResponse
from gridfs import AsyncGridFSBucket

from shared.problems import Problem

__all__ = [
    "ALLOWED_TYPES",
    "checked_type",
    "file_response",
    "open_chunks",
    "read_upload",
    "safe_name",
    "sniff_type",
    "too_large",
    "unsupported_type",
]

_CHUNK = 256 * 1024

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


async def read_upload(upload: UploadFile, limit: int) -> tuple[bytes, str]:
    """The upload's bytes and content type; 413 past ``limit`` bytes (read no further),
    415 when the content is not a PDF, JPEG or PNG."""
    content = bytearray()
    while chunk := await upload.read(_CHUNK):
        content += chunk
        if len(content) > limit:
            raise too_large(limit)
    return bytes(content), checked_type(bytes(content[:8]))


def too_large(limit: int) -> Problem:
    return Problem(
        413,
        "Dokumen terlalu besar / Document too large",
        f"A document may be at most {limit // 1_048_576} MB; "
        "scan at a lower resolution or split it.",
    )


def unsupported_type() -> Problem:
    """415: the content is not a PDF, JPEG or PNG."""
    return Problem(
        415,
        "Jenis dokumen tidak didukung / Unsupported document type",
        "Unggah PDF, JPEG atau PNG / Upload a PDF, JPEG or PNG file "
        "(the type is read from the file's content, not its name).",
    )


def checked_type(head: bytes) -> str:
    """The content type from the first bytes; 415 when it is not a PDF, JPEG or PNG."""
    kind = sniff_type(head)
    if kind is None:
        raise unsupported_type()
    return kind


async def open_chunks(bucket: AsyncGridFSBucket, file_id: Any) -> AsyncIterator[bytes]:
    """A stored file's bytes, a chunk at a time; the stream closes when iteration ends or
    the iterator is closed (``aclose``), so an abandoned download leaks nothing."""
    stream = await bucket.open_download_stream(file_id)

    async def chunks() -> AsyncIterator[bytes]:
        try:
            while chunk := await stream.read(_CHUNK):
                yield chunk
        finally:
            await stream.close()

    return chunks()


def file_response(
    chunks: AsyncIterator[bytes], name: str, content_type: str, size: int, *, inline: bool
) -> StreamingResponse:
    """A personal file sent to one person: never cached, never type-sniffed, its name
    given both as ASCII and UTF-8 (RFC 6266)."""
    plain = name.encode("ascii", "replace").decode().replace("?", "_")
    disposition = "inline" if inline else "attachment"
    return StreamingResponse(
        chunks,
        media_type=content_type,
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f'{disposition}; filename="{plain}"; '
            f"filename*=UTF-8''{quote(name)}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
