"""Verification's handlers, without HTTP or a database: fake result documents and
applications, the real catalogue."""

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from services.routing.verification_handlers import (
    CITIZEN_LINK_AGENCY,
    CitizenDownload,
    VerifyDocument,
    open_citizen_result,
    verify_document,
)
from shared import document_links
from shared.catalogue import load_catalogue
from shared.problems import Problem

SECRET = SecretStr("s" * 32)
ROW = {
    "_id": "ABCD-1234",
    "application_id": "app-1",
    "agency": "dukcapil",
    "state": "issued",
    "sha256": "a" * 64,
    "content_type": "application/pdf",
    "size": 3,
    "name": "result.pdf",
}


class FakeResults:
    def __init__(self, *rows: dict[str, Any]) -> None:
        self.rows = list(rows)

    async def find(self, code: str | None = None, sha256: str | None = None) -> dict | None:
        for row in self.rows:
            if (code and row["_id"] == code) or (sha256 and row["sha256"] == sha256):
                return row
        return None

    async def open(self, row: dict) -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"pdf"

        return chunks()


class FakeApplications:
    async def service_and_region(self, application_id: str) -> dict:
        return {"service": "ktp", "region": "31"} if application_id == "app-1" else {}


def link(application: str = "app-1", citizen: str = "c1", expires: int = 0) -> CitizenDownload:
    expires = expires or int(time.time()) + 300
    signature = document_links.sign(
        SECRET, application, ROW["sha256"], CITIZEN_LINK_AGENCY, expires, officer=citizen
    )
    return CitizenDownload(ROW["_id"], application, citizen, expires, signature)


async def test_a_document_verifies_by_its_code_or_its_hash_without_naming_anyone():
    catalogue = load_catalogue()
    results, applications = FakeResults(ROW), FakeApplications()
    by_code = await verify_document(
        VerifyDocument("ABCD-1234", None), results, applications, catalogue
    )
    by_hash = await verify_document(
        VerifyDocument(None, "a" * 64), results, applications, catalogue
    )
    assert by_code == by_hash
    assert (by_code["valid"], by_code["service"]["code"], by_code["region"]) == (True, "ktp", "31")
    assert "citizen_id" not in by_code
    assert "application_id" not in by_code


async def test_an_unknown_code_is_not_found():
    with pytest.raises(Problem) as unknown:
        await verify_document(
            VerifyDocument("NOPE", None), FakeResults(), FakeApplications(), load_catalogue()
        )
    assert unknown.value.status == 404


async def test_a_citizens_genuine_link_opens_their_result():
    opened = await open_citizen_result(link(), FakeResults(ROW), SECRET)
    assert opened.row["name"] == "result.pdf"
    assert [chunk async for chunk in opened.chunks] == [b"pdf"]


@pytest.mark.parametrize(
    "bent",
    [
        lambda good: CitizenDownload(
            good.code, good.application, "c2", good.expires, good.signature
        ),
        lambda good: CitizenDownload(
            good.code, good.application, good.citizen, good.expires, "0" * 64
        ),
        lambda good: link(expires=int(time.time()) - 1),
        lambda good: link(application="app-2"),
    ],
)
async def test_a_bent_expired_or_foreign_link_is_refused(bent):
    with pytest.raises(Problem) as refused:
        await open_citizen_result(bent(link()), FakeResults(ROW), SECRET)
    assert refused.value.status == 403


async def test_a_revoked_result_is_gone():
    revoked = {**ROW, "state": "revoked", "revocation_reason": "salah cetak"}
    with pytest.raises(Problem) as gone:
        await open_citizen_result(link(), FakeResults(revoked), SECRET)
    assert gone.value.status == 410


class ErasedResults(FakeResults):
    async def open(self, row: dict) -> None:  # type: ignore[override]
        return None  # the citizen's key was destroyed


async def test_a_result_whose_citizen_was_erased_is_gone_even_with_a_genuine_link():
    with pytest.raises(Problem) as gone:
        await open_citizen_result(link(), ErasedResults(ROW), SECRET)
    assert gone.value.status == 410
    assert "erased their account" in gone.value.detail
