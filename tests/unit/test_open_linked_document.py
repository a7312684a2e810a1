"""Opening a document from an officer's signed link: refused unless genuine and the
application's own, recorded before any byte is handed back, closed when the record fails."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from services.intake.documents import OpenLinkedDocument, open_linked_document
from services.intake.refusals import problem_for
from shared.document_links import sign
from shared.errors import Rejected
from shared.problems import Problem

KEY = SecretStr("unit-test-link-key")
APP, DOC, AGENCY = "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000", "ab" * 32, "disdukcapil-3576"
EXPIRES = 4_000_000_000


class _Chunks:
    def __init__(self) -> None:
        self.closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self.closed = True


class _Documents:
    def __init__(self, found: bool) -> None:
        self.found = found
        self.chunks = _Chunks()

    async def open_for_application(self, applications: Any, application_id: str, sha256: str):
        if not self.found:
            return None
        owner = {"_id": application_id, "citizen_id": "c-1", "region": "3576"}
        file = {"metadata": {"content_type": "application/pdf", "size": 3}}
        return owner, file, self.chunks

    async def file_name(self, found: dict[str, Any]) -> str:
        return "ktp.pdf"

    @staticmethod
    def size(found: dict[str, Any]) -> int:
        return int(found["metadata"]["size"])


class _Access:
    def __init__(self, fails: bool = False) -> None:
        self.fails = fails
        self.recorded: list[tuple[str, str, str, str]] = []

    async def record(self, application: dict, file_name: str, agency: str, officer: str) -> None:
        if self.fails:
            raise RuntimeError("broker down")
        self.recorded.append((application["_id"], file_name, agency, officer))


def _command(signature: str | None = None) -> OpenLinkedDocument:
    genuine = sign(KEY, APP, DOC, AGENCY, EXPIRES, officer="budi")
    return OpenLinkedDocument(APP, DOC, AGENCY, "budi", EXPIRES, signature or genuine)


async def _open(command: OpenLinkedDocument, documents: _Documents, access: _Access):
    """What the route answers: the document, or its refusal as a problem."""
    try:
        return await open_linked_document(
            command, secret=KEY, documents=documents, applications=None, access=access
        )
    except Rejected as refusal:
        raise problem_for(refusal) from refusal


async def test_a_genuine_link_records_the_opening_and_hands_back_the_document():
    documents, access = _Documents(found=True), _Access()
    opened = await _open(_command(), documents, access)
    assert (opened.name, opened.content_type, opened.size) == ("ktp.pdf", "application/pdf", 3)
    assert opened.chunks is documents.chunks
    assert access.recorded == [(APP, "ktp.pdf", AGENCY, "budi")]


async def test_a_link_not_genuine_is_refused_with_403_and_nothing_recorded():
    access = _Access()
    with pytest.raises(Problem) as refused:
        await _open(_command(signature="0" * 64), _Documents(found=True), access)
    assert refused.value.status == 403
    assert access.recorded == []


async def test_a_document_not_the_applications_is_404():
    with pytest.raises(Problem) as refused:
        await _open(_command(), _Documents(found=False), _Access())
    assert refused.value.status == 404


async def test_when_the_record_fails_the_download_is_closed_and_nothing_shown():
    documents = _Documents(found=True)
    with pytest.raises(RuntimeError):
        await _open(_command(), documents, _Access(fails=True))
    assert documents.chunks.closed
