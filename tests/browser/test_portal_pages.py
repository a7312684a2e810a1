"""The citizen portal's pages, in process against the real broker and database —
the fast check of each page; tests/browser/test_story.py drives a real browser."""

import re

import pytest

from services.intake.tracking import apply_status_change
from shared.events import CancellationRefused, CancellationRefusedData

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
    # What goes to the police, from the profile: the NIK, name and what the NIK says; the
    # birth place and address are not in the profile yet, so the form asks for them.
    shared = _shared_rows(form.text)
    assert shared == {
        "NIK": NIK,
        "Nama lengkap": "Siti Aminah",
        "Tempat lahir": None,
        "Tanggal lahir": "05-07-1990",
        "Jenis kelamin": "Perempuan",
        "Alamat": None,
    }
    assert "Data Anda yang dikirim ke Kepolisian Resor Kota Mojokerto" in form.text
    assert 'id="ap-birth_place" name="applicant.birth_place"' in form.text
    assert 'id="ap-address-rt" name="applicant.address.rt"' in form.text
    assert 'id="ap-sex"' not in form.text  # read from the NIK at registration

    invalid = await client.post(
        "/portal/services/skck/apply",
        data={"csrf": _csrf(client), "region": "3576", "data.purpose": "x", "key": "k-1"},
        files={"doc.pas_foto": ("", b"")},
    )
    assert invalid.status_code == 422
    assert re.search(r'id="d-purpose-error">[^<]+<', invalid.text)

    photo = {"doc.pas_foto": ("foto.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")}
    typed = {
        "csrf": _csrf(client),
        "region": "3576",
        "data.purpose": "melamar kerja",
        "applicant.birth_place": "Mojokerto",
        "applicant.address.street": "Jl. Gajah Mada 12",
        "applicant.address.village": "Mentikan",
        "applicant.address.district": "Prajurit Kulon",
    }
    incomplete = await client.post(
        "/portal/services/skck/apply", data={**typed, "key": "k2"}, files=photo
    )
    assert incomplete.status_code == 422
    # The birth place was saved to the profile and is now shown as sent; the address,
    # still without RT and RW, is asked again with the two parts marked.
    assert _shared_rows(incomplete.text)["Tempat lahir"] == "Mojokerto"
    assert re.search(r'id="ap-address-rt-error">[^<]+<', incomplete.text)
    assert re.search(r'id="ap-address-rw-error">[^<]+<', incomplete.text)
    assert 'value="Jl. Gajah Mada 12"' in incomplete.text
    assert 'id="ap-address-street-error"' not in incomplete.text

    wrong = await client.post(
        "/portal/services/skck/apply",
        data={**typed, "applicant.address.rt": "tiga", "applicant.address.rw": "5", "key": "k3"},
        files=photo,
    )
    assert wrong.status_code == 422
    assert re.search(r'id="ap-address-rt-error">[^<]+<', wrong.text)

    applied = await client.post(
        "/portal/services/skck/apply",
        data={**typed, "applicant.address.rt": "003", "applicant.address.rw": "005", "key": "k4"},
        files=photo,
    )
    assert applied.status_code == 303, applied.text
    detail = await client.get(applied.headers["location"])
    number = re.search(r'id="tracking-number">([^<]+)<', detail.text).group(1)
    assert "foto.png" in detail.text
    shared_list = re.search(r'<section id="shared-data".*?</section>', detail.text, re.S).group(0)
    assert "Data Anda yang dikirim ke Kepolisian Resor Kota Mojokerto" in shared_list
    for label in ("NIK", "Tempat lahir", "Jenis kelamin", "Alamat"):
        assert label in shared_list
    assert "Nomor HP" not in shared_list  # the police do not receive the phone number
    profile = await client.get("/portal/profile")  # the form completed the profile
    assert 'id="f-rt" name="rt" type="text" value="003"' in profile.text
    assert 'value="Mojokerto"' in profile.text

    assert "Batalkan permohonan" in detail.text
    cancelled = await client.post(
        applied.headers["location"] + "/cancel", data={"csrf": _csrf(client), "reason": "salah"}
    )
    assert cancelled.headers["location"].endswith("?cancelled=1")

    # Routing refuses a cancellation the agency overtook; the page says why.
    application_id = applied.headers["location"].rsplit("/", 1)[-1]
    stored = await client.app.state.runtime.db["applications"].find_one({"_id": application_id})
    refusal = CancellationRefused(
        source="routing",
        subject=application_id,
        region="3576",
        correlation_id=application_id,
        data=CancellationRefusedData(
            application_id=application_id,
            tracking_number=number,
            citizen_id=stored["citizen_id"],
            status="approved",
            reason="Permohonan sudah berstatus approved / already approved",
        ),
    )
    await apply_status_change(client.app.state.runtime.db, refusal, None)
    refused = await client.get(applied.headers["location"])
    assert re.search(
        r'id="cancellation-refused".*Permohonan sudah berstatus approved', refused.text, re.S
    )

    client.cookies.clear()
    public = await client.get(f"/portal/track?number={number}")
    assert 'data-status="submitted"' in public.text
    assert "Siti" not in public.text
    assert NIK not in public.text


def _shared_rows(page: str) -> dict[str, str | None]:
    """The service form's "your data sent to" table: label → value (None when asked)."""
    section = re.search(r'<section class="card" id="shared-data".*?</section>', page, re.S)
    assert section, "the form does not list the data sent to the agency"
    rows = re.findall(
        r'<tr data-field="[^"]+"><th scope="row">([^<]+)</th>\s*<td>(.*?)</td></tr>',
        section.group(0),
        re.S,
    )
    return {label: None if value.startswith("<em>") else value for label, value in rows}


async def test_a_form_without_its_csrf_token_is_refused_and_english_is_remembered(service_app):
    client = await service_app("intake")
    refused = await client.post("/portal/signin", data={"username": "x", "password": "y"})
    assert refused.status_code == 403

    first = await client.get("/portal/signin?lang=en")
    assert '<html lang="en">' in first.text
    later = await client.get("/portal/track")
    assert "Check an application" in later.text

    # Before signing in, a service's page already says which profile data it sends.
    service = await client.get("/portal/services/izin-praktik-nakes?region=3576")
    sent = re.search(r"<h2>Your data sent to the agency</h2>.*?</ul>", service.text, re.S)
    assert sent, "the service page does not say what is sent"
    assert re.findall(r"<li>([^<]+)</li>", sent.group(0)) == ["NIK", "Full name"]


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
    assert re.search(r'id="birth-date">05-07-1990<', page.text)  # read from the NIK
    assert re.search(r'id="sex">Perempuan<', page.text)
    assert 'id="f-channel-email" name="notification_channels" value="email" checked' in page.text

    wrong = await client.post(
        "/portal/profile",
        data={
            "csrf": _csrf(client),
            "name": "Siti Aminah",
            "phone": "12345",
            "postal_code": "6131",
            "rt": "tiga",
            "region_code": "9901",
            "notification_channels": ["in_app"],
        },
    )
    assert wrong.status_code == 422
    assert re.search(r'id="f-rt-error">[^<]+<', wrong.text)
    assert re.search(r'id="f-region_code-error">[^<]*kode provinsi 99', wrong.text)
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
            "birth_place": "Mojokerto",
            "street": "Jl. Gajah Mada 12",
            "rt": "003",
            "rw": "005",
            "village": "Mentikan",
            "district": "Prajurit Kulon",
            "region_code": "3576",
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
    for name, value in (("birth_place", "Mojokerto"), ("rt", "003"), ("region_code", "3576")):
        assert f'id="f-{name}" name="{name}" type="text" value="{value}"' in again.text
    assert '<option value="en" selected>' in again.text
    assert 'value="whatsapp" checked' in again.text
    assert 'value="email" checked' not in again.text

    form = await client.get("/portal/services/ktp-el?region=3576")
    assert re.search(r'id="d-family_card_number"[^>]*value="3576010101010001"', form.text)
    # Everything a KTP-el needs is in the profile now: listed, nothing more to type.
    assert _shared_rows(form.text)["Alamat"] == (
        "Jl. Gajah Mada 12, RT 003/RW 005, Mentikan, Prajurit Kulon, Kota Mojokerto "
        "(kode wilayah 3576)"
    )
    assert 'name="applicant.' not in form.text
