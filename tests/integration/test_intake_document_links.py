"""Officers open an application's documents through the workbench's signed links, served
by intake from its own database."""

import time
import uuid
from urllib.parse import urlsplit

import pytest

from services.routing.web.routes import document_forms
from shared.document_links import link_query
from tests.e2e.helpers import register, running_intake

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"7" * 3000
AGENCY = "disdukcapil-3576"


@pytest.fixture(scope="module")
async def intake(stack):
    async with running_intake(stack) as client:
        yield client


async def apply_with(intake, content: bytes, name: str) -> tuple[str, str]:
    """A citizen uploads one document and applies with it: (application id, sha256)."""
    citizen = await register(intake)
    files = {"file": (name, content, "application/octet-stream")}
    uploaded = await intake.post("/api/v1/documents", files=files, headers=citizen.headers)
    assert uploaded.status_code == 201, uploaded.text
    sha256 = uploaded.json()["sha256"]
    body = {"service": "ktp-el", "region": "3576", "data": {"reason": "baru"}}
    headers = {**citizen.headers, "Idempotency-Key": str(uuid.uuid4())}
    accepted = await intake.post(
        "/api/v1/applications", json={**body, "documents": [sha256]}, headers=headers
    )
    assert accepted.status_code == 202, accepted.text
    return accepted.json()["id"], sha256


def workbench_form(intake, application_id: str, sha256: str) -> tuple[str, dict[str, str]]:
    """The path and the fields of the form routing's workbench renders for this
    document."""
    settings = intake.app.state.runtime.settings
    item = {"id": application_id, "agency": AGENCY, "documents": [{"sha256": sha256}]}
    form = document_forms(settings, item)[sha256]
    url = urlsplit(form.action)
    assert url.netloc == f"127.0.0.1:{settings.intake_port}"
    return url.path, form.fields


async def test_an_officers_link_opens_the_exact_document_inline_and_uncached(intake):
    application_id, sha256 = await apply_with(intake, PNG, "foto ktp.png")
    path, fields = workbench_form(intake, application_id, sha256)
    opened = await intake.post(path, data=fields)
    assert opened.status_code == 200, opened.text
    assert opened.content == PNG
    assert opened.headers["content-type"] == "image/png"
    assert opened.headers["content-disposition"].startswith('inline; filename="foto ktp.png"')
    assert opened.headers["cache-control"] == "private, no-store"
    assert opened.headers["x-content-type-options"] == "nosniff"


async def test_an_expired_or_tampered_link_is_refused_with_a_problem(intake):
    application_id, sha256 = await apply_with(intake, PDF, "surat.pdf")
    settings = intake.app.state.runtime.settings
    path, fields = workbench_form(intake, application_id, sha256)

    expired = link_query(
        settings.document_link_secret, application_id, sha256, AGENCY, -1, now=time.time()
    )
    tampered = {**fields, "signature": "0" * 64}
    other_agency = {**fields, "agency": "disdukcapil-3514"}
    for query_fields in (expired, tampered, other_agency):
        refused = await intake.post(path, data=query_fields)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert "Tautan dokumen tidak berlaku" in refused.json()["title"]
        assert PDF not in refused.content


async def test_a_signed_link_for_another_applications_document_is_not_found(intake):
    mine, _ = await apply_with(intake, PDF, "surat.pdf")
    _, theirs = await apply_with(intake, PNG + b"other", "lain.png")
    # Even a genuine signature does not open a document the application does not hold.
    path, fields = workbench_form(intake, mine, theirs)
    refused = await intake.post(path, data=fields)
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"].startswith("Dokumen tidak ditemukan")
