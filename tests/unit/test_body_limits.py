"""How large a body each route takes: a portal form has room for every document a
service asks for (10 MB each) when it posts them without JavaScript, a piece of a
resumable upload for one document, anything else 1 MB; and the deployment's nginx lets
each of those through to intake, which holds the exact limit."""

import re

import httpx
import pytest

from shared.catalogue import load_catalogue
from shared.limits import MULTIPART_OVERHEAD, BodyLimitMiddleware
from shared.settings import Settings
from tests.nginx import NGINX_CONF

MB = 1_048_576


async def _accepted(app, path: str, size: int) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        return (await client.post(path, content=b"x" * size)).status_code


async def _echo(scope, receive, send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.mark.parametrize(
    "path",
    [
        "/portal/services/perpanjangan-sim/apply",
        "/portal/services/perpanjangan-sim/draft",
        "/portal/applications/0190aaaa/answer",
    ],
)
async def test_a_portal_form_takes_two_ten_megabyte_documents(path: str) -> None:
    app = BodyLimitMiddleware(_echo, limit=MB, upload_limit=10 * MB, documents_per_form=2)
    assert await _accepted(app, path, 20 * MB) == 204
    assert await _accepted(app, path, 20 * MB + MULTIPART_OVERHEAD + 1) == 413


async def test_a_piece_through_the_portal_takes_one_document_and_other_pages_one_megabyte():
    app = BodyLimitMiddleware(_echo, limit=MB, upload_limit=10 * MB, documents_per_form=2)
    assert await _accepted(app, "/portal/uploads/0190aaaa", 10 * MB) == 204
    assert await _accepted(app, "/portal/uploads/0190aaaa", 11 * MB) == 413
    assert await _accepted(app, "/portal/signin", MB + 1) == 413
    assert await _accepted(app, "/portal/services/x/apply/more", MB + 1) == 413


def _nginx_limit(location: str | None) -> int:
    conf = NGINX_CONF.read_text()
    if location is not None:
        conf = re.search(rf"location {re.escape(location)} \{{(.*?)\}}", conf, re.S).group(1)
    megabytes = re.search(r"client_max_body_size (\d+)m;", conf).group(1)
    return int(megabytes) * MB


def test_the_proxy_lets_through_what_intake_accepts() -> None:
    settings = Settings()
    most = max(len(service.documents) for service in load_catalogue().services)
    document = settings.intake_document_limit_bytes + MULTIPART_OVERHEAD
    form = settings.intake_document_limit_bytes * most + MULTIPART_OVERHEAD
    assert _nginx_limit(None) >= document  # the API's uploads, one document each
    assert _nginx_limit("/portal/") >= form
