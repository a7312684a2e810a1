"""The portal with a phone's files and a person's eyes, in process against the real broker
and database: pages answer pages (an expired form, a body too large, a missing page, a
failure), 10 MB documents through the form and large ones in pieces through the
resumable endpoint, "My applications" a page at a time, and times in the citizen's own
zone."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.e2e.helpers import Citizen, new_nik, register, running_intake, submit
from tests.front_door import front_door, provider_sign_in_page

pytestmark = pytest.mark.integration

MB = 1_048_576
PDF = b"%PDF-1.4\n"
JPEG = b"\xff\xd8\xff\xe0"


@pytest.fixture(scope="module")
async def intake(stack) -> AsyncIterator[object]:
    async with running_intake(stack) as client:
        app = client.app
        app.state.identity_app = client.identity  # the front door's other half
        yield app


def browser(app) -> httpx.AsyncClient:
    return front_door(app, app.state.identity_app)


@pytest.fixture
async def client(intake) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(intake) as opened:
        yield opened


async def signed_in(client: httpx.AsyncClient, **fields) -> Citizen:
    """A proven citizen, signed in on the portal as a browser would be."""
    citizen = await register(client, **fields)
    client.cookies.set("mpp_session", citizen.token)
    await client.get("/portal/")  # the CSRF cookie
    return citizen


def csrf(client: httpx.AsyncClient) -> str:
    return client.cookies["mpp_csrf"]


def ktp_form(client: httpx.AsyncClient, key: str) -> dict[str, str]:
    return {"csrf": csrf(client), "region": "3576", "data.reason": "baru", "key": key}


# --- pages answer pages ---------------------------------------------------------------


async def test_an_expired_form_answers_a_page_that_says_to_reload_it(client):
    _, signin = await provider_sign_in_page(client)
    refused = await client.post(signin, data={"username": "x", "password": "y"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert 'data-reason="form_expired"' in refused.text
    assert "muat ulang halamannya" in refused.text
    # The page gave a fresh token: the same form sent again is accepted.
    again = await client.post(signin, data={"csrf": csrf(client), "username": "x", "password": "y"})
    assert again.status_code == 401  # a wrong password, said on the sign-in page
    english = await client.post(
        signin + "&lang=en", data={"csrf": "stale", "username": "x", "password": "y"}
    )
    assert "The form has expired" in english.text
    assert '<html lang="en">' in english.text


async def test_a_body_too_large_for_a_page_answers_a_page_and_the_api_keeps_json(client):
    _, signin = await provider_sign_in_page(client)
    too_large = await client.post(signin, data={"csrf": csrf(client), "username": "x" * (2 * MB)})
    assert too_large.status_code == 413
    assert too_large.headers["content-type"].startswith("text/html")
    assert "Berkas terlalu besar" in too_large.text
    api = await client.post("/api/v1/accounts", content=b"{" + b" " * (2 * MB) + b"}")
    assert api.status_code == 413
    assert api.headers["content-type"] == "application/problem+json"


async def test_a_missing_page_answers_a_page_and_a_missing_api_route_a_problem(client):
    page = await client.get("/portal/nothing-here")
    assert page.status_code == 404
    assert "Halaman tidak ditemukan" in page.text
    assert 'href="/portal/"' in page.text
    api = await client.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


async def test_a_failure_on_a_page_answers_a_page_saying_nothing_was_half_stored(
    client, monkeypatch
):
    async def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("services.intake.web.routes.public_status", broken)
    page = await client.get("/portal/track?number=MPP-0000")
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Terjadi kesalahan di pihak kami" in page.text
    assert "database" not in page.text


# --- documents from a phone ---------------------------------------------------------------


async def test_a_ten_megabyte_document_goes_through_the_portal_form_without_javascript(client):
    await signed_in(client)
    document = PDF + bytes(int(9.9 * MB))
    sent = await client.post(
        "/portal/services/ktp-el/apply",
        data=ktp_form(client, "ten-mb"),
        files={"doc.kartu_keluarga": ("scan KK.pdf", document, "application/pdf")},
    )
    assert sent.status_code == 303, sent.text[:500]
    page = await client.get(sent.headers["location"])
    assert 'data-name="kartu_keluarga.pdf"' in page.text
    assert "Kartu Keluarga (PDF)" in page.text


async def test_a_document_over_ten_megabytes_answers_a_page_that_says_what_to_do(client):
    await signed_in(client)
    refused = await client.post(
        "/portal/services/ktp-el/apply",
        data=ktp_form(client, "too-big"),
        files={"doc.kartu_keluarga": ("kk.pdf", PDF + bytes(11 * MB), "application/pdf")},
    )
    assert refused.status_code in (413, 422)
    assert refused.headers["content-type"].startswith("text/html")
    assert "10 MB" in refused.text


async def send_in_pieces(
    client: httpx.AsyncClient, content: bytes, kind: str = "kartu_keluarga"
) -> str:
    """What the page's script does: start an upload, send it 2 MB at a time."""
    token = {"X-CSRF-Token": csrf(client)}
    started = await client.post(
        f"/portal/uploads?kind={kind}&suffix=.jpg",
        headers={**token, "Upload-Length": str(len(content))},
    )
    assert started.status_code == 201, started.text
    address = started.headers["location"]
    assert address.startswith("/portal/uploads/")
    offset = 0
    while offset < len(content):
        piece = await client.patch(
            address,
            content=content[offset : offset + 2 * MB],
            headers={**token, "Upload-Offset": str(offset)},
        )
        assert piece.status_code == 204, piece.text
        offset = int(piece.headers["upload-offset"])
    resumed = await client.head(address, headers=token)
    assert resumed.headers["upload-offset"] == str(len(content))
    return address.rsplit("/", 1)[-1]


async def test_a_large_photo_goes_in_pieces_and_the_form_carries_only_its_upload(client):
    await signed_in(client)
    upload = await send_in_pieces(client, JPEG + bytes(6 * MB))
    sent = await client.post(
        "/portal/services/ktp-el/apply",
        data={**ktp_form(client, "pieces"), "upload.kartu_keluarga": upload},
    )
    assert sent.status_code == 303, sent.text[:500]
    page = await client.get(sent.headers["location"])
    assert 'data-name="kartu_keluarga.jpg"' in page.text


async def test_pieces_need_the_page_s_token_and_another_citizen_s_upload_is_refused(intake):
    async with browser(intake) as owner, browser(intake) as other:
        await signed_in(owner)
        await signed_in(other)
        # A cross-site page cannot read the token, so it cannot start an upload.
        forged = await owner.post(
            "/portal/uploads?kind=kartu_keluarga", headers={"Upload-Length": "10"}
        )
        assert forged.status_code == 403
        upload = await send_in_pieces(owner, JPEG + bytes(3 * MB))
        taken = await other.post(
            "/portal/services/ktp-el/apply",
            data={**ktp_form(other, "not-mine"), "upload.kartu_keluarga": upload},
        )
        assert taken.status_code == 422
        assert re.search(
            r'<p class="error">[^<]+</p>\s*<input type="file" id="doc-kartu', taken.text
        )


# --- reading one's applications -------------------------------------------------------------


async def test_my_applications_come_a_page_at_a_time_newest_first(client):
    citizen = await signed_in(client)
    made = [await submit(client, citizen) for _ in range(21)]
    first = await client.get("/portal/applications")
    ids = re.findall(r'class="card application" data-id="([^"]+)"', first.text)
    assert len(ids) == 20
    assert ids[0] == made[-1]["id"]
    older = re.search(r'href="(/portal/applications\?before=[^"]+)" id="older"', first.text)
    assert older, "no link to the older applications"
    second = await client.get(older.group(1))
    assert re.findall(r'class="card application" data-id="([^"]+)"', second.text) == [made[0]["id"]]
    assert 'id="older"' not in second.text
    assert 'id="newest"' in second.text


async def test_a_makassar_citizen_reads_an_event_at_0318_utc_as_1118_wita(client, intake):
    citizen = await signed_in(client, nik=new_nik("7371"))
    made = await submit(client, citizen)
    at = datetime(2026, 12, 7, 3, 18, 33, tzinfo=UTC)
    await intake.state.runtime.db["applications"].update_one(
        {"_id": made["id"]}, {"$set": {"submitted_at": at, "timeline.0.at": at}}
    )
    page = await client.get(f"/portal/applications/{made['id']}")
    shown = re.sub(r"<[^>]+>", " ", page.text)  # what a person reads, not the attributes
    assert "Senin, 7 Desember 2026 pukul 11.18 WITA" in shown
    assert "WIB" not in shown
    assert "03.18" not in shown
    assert "03:18" not in shown
    listed = await client.get("/portal/applications")
    assert "pukul 11.18 WITA" in listed.text
