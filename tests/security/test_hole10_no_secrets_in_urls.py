"""Hole 10: a NIK and capability tokens travelled in URLs, which browser history, proxy
and access logs keep: the counter look-up (``GET …/counter/citizens?nik=``), the link
to a citizen's copy of their data, and officers' links to citizens' documents.

Against the real broker and database (the four services in this process). What must
hold: no NIK and no capability in a URL — a URL alone, as history or a log keeps it,
opens nothing. A citizen's result document, too, is fetched by intake from routing and
streamed on, so no signed link to it reaches the browser.
"""

import io
import uuid
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from starlette.datastructures import Headers, UploadFile

from shared.events import utcnow
from tests.e2e.helpers import register, sign_in
from tests.front_door import FrontDoor, merged_openapi, portal_sign_in

PDF = b"%PDF-1.7\n" + b"h10" * 1000
AGENCY = "disdukcapil-3576"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def exports(services, monkeypatch: pytest.MonkeyPatch):
    """Intake asks notify and audit for their part of an export over HTTP; here they run
    in this process, so the asking goes to them in process (the same requests)."""
    rights = services["intake"].identity.state.identity.rights

    async def in_process(service: str, authorization: str, paths: dict[str, str]) -> dict:
        client = services[service]
        part = {}
        for name, path in paths.items():
            answer = await client.get(path, headers={"Authorization": authorization})
            assert answer.status_code == 200, answer.text
            part[name] = answer.json()
        return part

    monkeypatch.setattr(rights, "_remote", in_process)
    return services


async def test_the_counter_look_up_takes_the_nik_in_the_body_and_never_in_a_url(services):
    intake = services["intake"]
    await intake.identity.state.accounts.staff.add(
        "loket-hole10", "counter", "sandi-loket-hole10", region="3576"
    )
    counter = await sign_in(intake, "loket-hole10", "sandi-loket-hole10")
    citizen = await register(intake)

    old_way = await intake.get(
        "/api/v1/counter/citizens", params={"nik": citizen.nik}, headers=bearer(counter)
    )
    assert old_way.status_code == 410, old_way.text
    assert old_way.headers["content-type"] == "application/problem+json"
    assert "POST /api/v1/counter/citizens" in old_way.json()["detail"]
    assert citizen.id not in old_way.text

    found = await intake.post(
        "/api/v1/counter/citizens", json={"nik": citizen.nik}, headers=bearer(counter)
    )
    assert found.status_code == 200, found.text
    assert found.json()["id"] == citizen.id

    spec = merged_openapi(intake.app, intake.identity)
    in_urls = [
        (path, parameter["name"])
        for path, operations in spec["paths"].items()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] in ("query", "path") and "nik" in parameter["name"]
    ]
    assert in_urls == []


async def test_a_data_export_url_alone_opens_nothing(exports):
    services = exports
    intake = services["intake"]
    citizen, other = await register(intake), await register(intake)

    made = await intake.post("/api/v1/me/data-export", headers=citizen.headers)
    assert made.status_code == 201, made.text
    download = made.json()["download"]
    assert urlsplit(download).query == ""  # no signature, no citizen id

    assert (await intake.get(download)).status_code == 401  # as history or a log keeps it
    assert (await intake.get(download, headers=other.headers)).status_code == 404
    copy = await intake.get(download, headers=citizen.headers)
    assert copy.status_code == 200, copy.text
    assert copy.json()["intake"]["profile"]["email"] == citizen.email
    assert copy.headers["cache-control"] == "private, no-store"


async def test_the_portals_download_my_data_answers_the_copy_without_a_link(exports):
    services = exports
    intake = services["intake"]
    citizen = await register(intake)
    async with httpx.AsyncClient(
        transport=FrontDoor(intake.app, intake.identity), base_url="http://intake"
    ) as browser:
        signed_in = await portal_sign_in(browser, citizen.email, citizen.password)
        assert signed_in.status_code == 303
        asked = await browser.post(
            "/account/security/data-export", data={"csrf": browser.cookies["mpp_csrf"]}
        )
    assert asked.status_code == 200, asked.headers.get("location")
    assert asked.headers["content-disposition"].startswith("attachment")
    assert asked.headers["cache-control"] == "private, no-store"
    assert asked.json()["citizen_id"] == citizen.id


async def _application_with_a_document(intake) -> tuple[str, str]:
    citizen = await register(intake)
    files = {"file": ("akta.pdf", PDF + uuid.uuid4().bytes, "application/pdf")}
    uploaded = await intake.post("/api/v1/documents", files=files, headers=citizen.headers)
    assert uploaded.status_code == 201, uploaded.text
    sha256 = uploaded.json()["sha256"]
    accepted = await intake.post(
        "/api/v1/applications",
        json={
            "service": "ktp-el",
            "region": "3576",
            "data": {"reason": "baru"},
            "documents": [sha256],
        },
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert accepted.status_code == 202, accepted.text
    return accepted.json()["id"], sha256


async def test_an_officers_document_link_carries_nothing_a_url_would_keep(services):
    from services.routing.web.document_links import document_forms

    intake = services["intake"]
    settings = services.settings
    application_id, sha256 = await _application_with_a_document(intake)
    item = {"id": application_id, "agency": AGENCY, "documents": [{"sha256": sha256}]}

    form = document_forms(settings, item, "andi.pratama")[sha256]
    action = urlsplit(form.action)
    assert action.query == ""
    assert set(form.fields) >= {"signature", "expires", "application"}

    # The URL alone, and the old link with the signature in its query, open nothing.
    assert (await intake.get(action.path)).status_code == 410
    old_link = await intake.get(f"{action.path}?{urlencode(form.fields)}")
    assert old_link.status_code == 410
    assert PDF not in old_link.content

    opened = await intake.post(action.path, data=form.fields)
    assert opened.status_code == 200, opened.text
    assert opened.content.startswith(PDF)
    assert opened.headers["cache-control"] == "private, no-store"


async def _issued_result(services, application_id: str, citizen_id: str) -> dict:
    """A result the agency issued for the application, as routing and intake hold it."""
    from services.routing.results import ResultStore

    routing = services.runtime("routing")
    store = ResultStore(routing.db, 1 << 20, routing.personal)
    upload = UploadFile(
        io.BytesIO(PDF), filename="skck.pdf", headers=Headers({"content-type": "application/pdf"})
    )
    row = await store.upload("polres-3576", application_id, citizen_id, upload)
    await store.register.update_one(
        {"_id": row["_id"]}, {"$set": {"state": "issued", "issued_at": utcnow()}}
    )
    result = {"code": row["_id"], "sha256": row["sha256"], "name": "skck.pdf"}
    await (
        services.runtime("intake")
        .db["applications"]
        .update_one({"_id": application_id}, {"$set": {"results": [result]}})
    )
    return result


async def test_a_citizens_result_never_reaches_the_browser_as_a_signed_url(
    services, monkeypatch: pytest.MonkeyPatch
):
    """Intake fetches the file from routing itself (here routing runs in this process,
    so the fetch goes to it in process), and nothing signed is handed to the client."""
    from services.intake import api as result_files

    def in_process(settings) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=services["routing"].app), base_url="http://routing"
        )

    monkeypatch.setattr(result_files, "routing_client", in_process)
    intake = services["intake"]
    citizen = await register(intake)
    accepted = await intake.post(
        "/api/v1/applications",
        json={"service": "skck", "region": "3576", "data": {"purpose": "melamar kerja"}},
        headers={**citizen.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert accepted.status_code == 202, accepted.text
    application_id = accepted.json()["id"]
    result = await _issued_result(services, application_id, citizen.id)

    answer = await intake.get(
        f"/api/v1/applications/{application_id}/results/{result['code']}",
        headers=citizen.headers,
    )
    assert answer.status_code == 200, answer.headers.get("location")
    assert answer.content == PDF
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.headers["cache-control"] == "private, no-store"
    assert "location" not in answer.headers

    # Routing opens nothing from a URL, with or without a signature in its query.
    old_link = await services["routing"].get(
        f"/results/{result['code']}",
        params={"application": application_id, "expires": "9999999999", "signature": "0" * 64},
    )
    assert old_link.status_code == 410
