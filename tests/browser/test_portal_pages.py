"""The citizen portal's pages, in process against the real broker and database —
the fast check of each page; tests/browser/test_story.py drives a real browser."""

import re

import pytest

pytestmark = pytest.mark.integration

NIK = "3576014507900001"


def _csrf(client) -> str:
    return client.cookies["mpp_csrf"]


async def test_a_citizen_registers_applies_and_finds_the_status_by_tracking_number(service_app):
    client = await service_app("intake")
    page = await client.get("/portal/register")
    assert page.status_code == 200
    assert '<html lang="id">' in page.text
    registered = await client.post(
        "/portal/register",
        data={
            "csrf": _csrf(client),
            "nik": NIK,
            "name": "Siti Aminah",
            "email": "siti@example.id",
            "phone": "081234567890",
            "password": "rahasia-sekali",
        },
    )
    assert registered.status_code == 303
    session = registered.cookies.get("mpp_session")
    assert session
    assert "httponly" in registered.headers["set-cookie"].lower()
    assert "samesite=lax" in registered.headers["set-cookie"].lower()

    form = await client.get("/portal/services/skck?region=3576")
    assert "Keperluan / Purpose" in form.text
    assert "Rp30.000" in form.text

    invalid = await client.post(
        "/portal/services/skck/apply",
        data={"csrf": _csrf(client), "region": "3576", "data.purpose": "x", "key": "k-1"},
        files={"doc.pas_foto": ("", b"")},
    )
    assert invalid.status_code == 422
    assert re.search(r'id="d-purpose-error">[^<]+<', invalid.text)

    applied = await client.post(
        "/portal/services/skck/apply",
        data={
            "csrf": _csrf(client),
            "region": "3576",
            "data.purpose": "melamar kerja",
            "key": "k2",
        },
        files={"doc.pas_foto": ("foto.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")},
    )
    assert applied.status_code == 303, applied.text
    detail = await client.get(applied.headers["location"])
    number = re.search(r'id="tracking-number">([^<]+)<', detail.text).group(1)
    assert "foto.png" in detail.text

    assert "Batalkan permohonan" in detail.text
    cancelled = await client.post(
        applied.headers["location"] + "/cancel", data={"csrf": _csrf(client), "reason": "salah"}
    )
    assert cancelled.headers["location"].endswith("?cancelled=1")

    client.cookies.clear()
    public = await client.get(f"/portal/track?number={number}")
    assert 'data-status="submitted"' in public.text
    assert "Siti" not in public.text
    assert NIK not in public.text


async def test_a_form_without_its_csrf_token_is_refused_and_english_is_remembered(service_app):
    client = await service_app("intake")
    refused = await client.post("/portal/signin", data={"username": "x", "password": "y"})
    assert refused.status_code == 403

    first = await client.get("/portal/signin?lang=en")
    assert '<html lang="en">' in first.text
    later = await client.get("/portal/track")
    assert "Check an application" in later.text


async def test_a_citizen_edits_the_profile_and_the_next_form_is_prefilled_from_it(service_app):
    client = await service_app("intake")
    await client.get("/portal/register")
    registered = await client.post(
        "/portal/register",
        data={
            "csrf": _csrf(client),
            "nik": "3576014507900002",
            "name": "Siti Aminah",
            "email": "siti.profil@example.id",
            "phone": "081234567890",
            "password": "rahasia-sekali",
        },
    )
    assert registered.status_code == 303
    home = await client.get("/portal/")
    assert 'href="/portal/profile"' in home.text

    page = await client.get("/portal/profile")
    assert page.status_code == 200
    assert 'value="Siti Aminah"' in page.text
    assert 'id="f-channel-email" name="notification_channels" value="email" checked' in page.text

    wrong = await client.post(
        "/portal/profile",
        data={
            "csrf": _csrf(client),
            "name": "Siti Aminah",
            "phone": "12345",
            "postal_code": "6131",
            "notification_channels": ["in_app"],
        },
    )
    assert wrong.status_code == 422
    assert re.search(r'id="f-phone-error">[^<]*nomor HP tidak valid', wrong.text)
    assert re.search(r'id="f-postal_code-error">[^<]+<', wrong.text)
    assert 'value="12345"' in wrong.text  # what the citizen typed stays to be corrected

    saved = await client.post(
        "/portal/profile",
        data={
            "csrf": _csrf(client),
            "name": "Siti Aminah Rahayu",
            "phone": "0812 9999 0000",
            "family_card_number": "3576010101010001",
            "city": "Kota Mojokerto",
            "language": "en",
            "notification_channels": ["in_app", "whatsapp"],
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/portal/profile?saved=1"
    again = await client.get(saved.headers["location"])
    assert "Profil Anda sudah disimpan." in again.text
    assert 'value="Siti Aminah Rahayu"' in again.text
    assert 'value="+6281299990000"' in again.text
    assert 'value="Kota Mojokerto"' in again.text
    assert '<option value="en" selected>' in again.text
    assert 'value="whatsapp" checked' in again.text
    assert 'value="email" checked' not in again.text

    form = await client.get("/portal/services/ktp-el?region=3576")
    assert re.search(r'id="d-family_card_number"[^>]*value="3576010101010001"', form.text)
