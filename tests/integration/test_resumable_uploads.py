"""Resumable document uploads over tus 1.0, against the real database, intake served over
real HTTP and driven by a real tus client (tuspy): an upload stopped half way, or a
request cut off mid-body, goes on from where it got to and becomes the same document a
one-request upload makes; nobody else can see or extend it."""

import asyncio
import hashlib
import io
import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from tusclient.client import TusClient

from shared.events import utcnow
from shared.settings import Settings
from tests.e2e.helpers import register
from tests.front_door import HttpFrontDoor
from tests.integration.routing_support import http_server

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="module")
async def intake(stack) -> AsyncIterator[httpx.AsyncClient]:
    from services.identity.app import build as build_identity
    from services.intake.app import build

    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_uri=stack.mongo_uri,
        namespace=f"t{uuid.uuid4().hex[:10]}",
    )
    identity = build_identity(settings)
    async with http_server(identity) as identity_url:
        settings = settings.model_copy(update={"internal_urls": {"identity": identity_url}})
        app = build(settings)
        async with (
            http_server(app) as url,
            httpx.AsyncClient(
                base_url=url, timeout=30, transport=HttpFrontDoor(identity_url)
            ) as client,
        ):
            client.app = app  # type: ignore[attr-defined]
            client.identity = identity  # type: ignore[attr-defined]
            yield client


def pdf(size: int) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(size - 9)


def tus_client(intake: httpx.AsyncClient, citizen: Any) -> TusClient:
    return TusClient(f"{intake.base_url}/api/v1/uploads", headers=citizen.headers)


async def test_a_tus_client_stopped_half_way_resumes_and_the_upload_becomes_a_document(intake):
    citizen = await register(intake)
    content = pdf(1_500_000)
    client = tus_client(intake, citizen)

    def first_session() -> str:
        uploader = client.uploader(
            file_stream=io.BytesIO(content), chunk_size=300_000, metadata={"filename": "kk.pdf"}
        )
        uploader.upload(stop_at=600_000)  # the connection is lost after two chunks
        return uploader.url

    url = await asyncio.to_thread(first_session)
    head = await intake.head(url, headers={**citizen.headers, **TUS})
    assert head.status_code == 200
    assert (head.headers["upload-offset"], head.headers["upload-length"]) == ("600000", "1500000")
    assert head.headers["cache-control"] == "no-store"

    def second_session() -> int:  # later, from where the server says it got to
        uploader = client.uploader(file_stream=io.BytesIO(content), url=url, chunk_size=300_000)
        resumed_at = uploader.offset
        uploader.upload()
        return resumed_at

    assert await asyncio.to_thread(second_session) == 600_000
    status = (await intake.get(urlsplit(url).path, headers=citizen.headers)).json()
    assert status["offset"] == status["length"] == len(content)
    document = status["document"]
    assert document == {
        "sha256": hashlib.sha256(content).hexdigest(),
        "name": "kk.pdf",
        "content_type": "application/pdf",
        "size": len(content),
    }
    # the same document a one-request upload makes: one file, and it can be submitted
    again = await intake.post(
        "/api/v1/documents",
        files={"file": ("lagi.pdf", content, "application/pdf")},
        headers=citizen.headers,
    )
    assert again.json()["sha256"] == document["sha256"]
    files = intake.app.state.runtime.db["documents.files"]
    assert await files.count_documents({"metadata.sha256": document["sha256"]}) == 1
    pieces = intake.app.state.runtime.db["upload_chunks"]
    assert await pieces.count_documents({"upload_id": urlsplit(url).path.rsplit("/", 1)[1]}) == 0
    submitted = await intake.post(
        "/api/v1/applications",
        json={"service": "ktp-el", "region": "3576", "data": {"reason": "baru"},
              "documents": [document["sha256"]]},
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )  # fmt: skip
    assert submitted.status_code == 202, submitted.text


async def _cut_patch(intake: httpx.AsyncClient, path: str, token: str, body: bytes, sent: int):
    """A PATCH that announces ``body`` but whose connection drops after ``sent`` bytes."""
    url = urlsplit(str(intake.base_url))
    _reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {token}\r\n"
        f"Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
        f"Content-Type: application/offset+octet-stream\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body[:sent])
    await writer.drain()
    await asyncio.sleep(0.5)
    writer.close()
    await writer.wait_closed()


async def test_a_request_cut_off_mid_body_keeps_every_byte_that_arrived(intake):
    citizen = await register(intake)
    content = pdf(900_000)
    created = await intake.post(
        "/api/v1/uploads",
        headers={**citizen.headers, **TUS, "Upload-Length": str(len(content))},
    )
    assert created.status_code == 201, created.text
    path = urlsplit(created.headers["location"]).path
    await _cut_patch(intake, path, citizen.token, content, 400_000)

    async def offset() -> int:
        head = await intake.head(path, headers={**citizen.headers, **TUS})
        return int(head.headers["upload-offset"])

    for _ in range(50):  # the server notices the drop, then stores the unfinished piece
        if await offset() == 400_000:
            break
        await asyncio.sleep(0.1)
    assert await offset() == 400_000

    def resume() -> None:
        uploader = tus_client(intake, citizen).uploader(
            file_stream=io.BytesIO(content), url=created.headers["location"]
        )
        uploader.upload()

    await asyncio.to_thread(resume)
    status = (await intake.get(path, headers=citizen.headers)).json()
    assert status["document"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert status["document"]["name"] == "dokumen"


async def test_another_citizen_can_neither_see_nor_extend_nor_end_my_upload(intake):
    owner, other = await register(intake), await register(intake)
    created = await intake.post(
        "/api/v1/uploads", headers={**owner.headers, **TUS, "Upload-Length": "1000"}
    )
    path = urlsplit(created.headers["location"]).path
    theirs = {**other.headers, **TUS}
    patch = {**theirs, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    assert (await intake.head(path, headers=theirs)).status_code == 404
    assert (await intake.patch(path, content=pdf(1000), headers=patch)).status_code == 404
    assert (await intake.delete(path, headers=theirs)).status_code == 404
    assert (await intake.get(path, headers=other.headers)).status_code == 404
    mine = await intake.head(path, headers={**owner.headers, **TUS})
    assert mine.headers["upload-offset"] == "0"
    assert (await intake.head(path, headers=TUS)).status_code == 401


async def test_the_protocol_refuses_what_it_must(intake):
    citizen = await register(intake)
    options = await intake.options("/api/v1/uploads")
    assert options.status_code == 204
    assert options.headers["tus-version"] == "1.0.0"
    assert set(options.headers["tus-extension"].split(",")) == {
        "creation",
        "expiration",
        "termination",
    }
    limit = int(options.headers["tus-max-size"])

    headers = {**citizen.headers, **TUS}
    no_version = await intake.post(
        "/api/v1/uploads", headers={**citizen.headers, "Upload-Length": "10"}
    )
    assert (no_version.status_code, no_version.headers["tus-version"]) == (412, "1.0.0")
    too_big = await intake.post(
        "/api/v1/uploads", headers={**headers, "Upload-Length": str(limit + 1)}
    )
    assert too_big.status_code == 413
    for length in ("", "0", "\u00b2", "-5"):  # "²" is a digit to str.isdigit, not to tus
        bad = await intake.post(
            "/api/v1/uploads", headers={**headers, "Upload-Length": length.encode("latin-1")}
        )
        assert bad.status_code == 400, length
    assert too_big.headers["content-type"].startswith("application/problem+json")

    created = await intake.post("/api/v1/uploads", headers={**headers, "Upload-Length": "1000"})
    path = urlsplit(created.headers["location"]).path
    stream = {**headers, "Content-Type": "application/offset+octet-stream"}
    body = pdf(1000)
    wrong_type = await intake.patch(
        path, content=body, headers={**headers, "Upload-Offset": "0",
                                     "Content-Type": "application/octet-stream"}
    )  # fmt: skip
    assert wrong_type.status_code == 415
    executable = await intake.patch(
        path, content=b"MZ\x90\x00" + body[4:], headers={**stream, "Upload-Offset": "0"}
    )
    assert executable.status_code == 415  # refused from its first bytes
    half = await intake.patch(path, content=body[:500], headers={**stream, "Upload-Offset": "0"})
    assert (half.status_code, half.headers["upload-offset"]) == (204, "500")
    assert "upload-expires" in half.headers
    stale = await intake.patch(path, content=body[:500], headers={**stream, "Upload-Offset": "0"})
    assert stale.status_code == 409
    assert stale.headers["tus-resumable"] == "1.0.0"
    beyond = await intake.patch(path, content=body, headers={**stream, "Upload-Offset": "500"})
    assert beyond.status_code == 413
    rest = await intake.patch(path, content=body[500:], headers={**stream, "Upload-Offset": "500"})
    assert (rest.status_code, rest.headers["upload-offset"]) == (204, "1000")


async def test_an_abandoned_upload_is_gone_when_it_expires_or_is_ended(intake):
    citizen = await register(intake)
    headers = {**citizen.headers, **TUS}
    stream = {**headers, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    db = intake.app.state.runtime.db
    ended = await intake.post("/api/v1/uploads", headers={**headers, "Upload-Length": "600000"})
    path = urlsplit(ended.headers["location"]).path
    await intake.patch(path, content=pdf(300_000), headers=stream)
    upload_id = path.rsplit("/", 1)[1]
    assert await db["upload_chunks"].count_documents({"upload_id": upload_id}) == 2
    assert (await intake.delete(path, headers=headers)).status_code == 204
    assert await db["upload_chunks"].count_documents({"upload_id": upload_id}) == 0
    assert (await intake.head(path, headers=headers)).status_code == 404

    expired = await intake.post("/api/v1/uploads", headers={**headers, "Upload-Length": "1000"})
    path = urlsplit(expired.headers["location"]).path
    await db["uploads"].update_one(
        {"_id": path.rsplit("/", 1)[1]}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}}
    )
    assert (await intake.head(path, headers=headers)).status_code == 404
    for collection in ("uploads", "upload_chunks"):  # the database deletes what expired
        ttl = [
            index
            for index in (await db[collection].index_information()).values()
            if index["key"] == [("expires_at", 1)]
        ]
        assert ttl[0]["expireAfterSeconds"] == 0


async def test_a_document_at_the_size_limit_goes_in_one_patch_by_default(intake):
    citizen = await register(intake)
    limit = intake.app.state.runtime.settings.intake_document_limit_bytes
    content = pdf(limit)

    def upload() -> tuple[str, float]:
        uploader = tus_client(intake, citizen).uploader(file_stream=io.BytesIO(content))
        started = time.perf_counter()
        uploader.upload()  # tuspy's default chunk is the whole file
        return uploader.url, time.perf_counter() - started

    url, elapsed = await asyncio.to_thread(upload)
    print(f"\n{limit / 1_048_576:.0f} MB in one resumable PATCH: {elapsed:.2f} s")
    status = (await intake.get(urlsplit(url).path, headers=citizen.headers)).json()
    assert status["document"]["size"] == limit
