"""The citizen portal's pages, in process against the real broker and database —
the fast check of each page; tests/browser/test_story.py drives a real browser.

One intake serves the whole module; each test browses with its own cookies."""

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.identity import codes
from services.identity.dukcapil import DukcapilUnavailable
from services.intake.applications import ApplicationRepository
from shared.events import CancellationRefused, CancellationRefusedData
from tests.e2e.helpers import eventually, new_nik, prove_account, register, running_intake
from tests.front_door import front_door, portal_register, portal_sign_in, registration_page

pytestmark = pytest.mark.integration

NIK = "3576014507900001"
PASSWORD = "rahasia-sekali"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile"
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
PHOTO = {"doc.pas_foto": ("foto.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")}


@pytest.fixture(scope="module")
async def intake(stack) -> AsyncIterator[object]:
    async with running_intake(stack) as client:
        app = client.app
        app.state.identity_app = client.identity  # the front door's other half
        yield app


def browser(app, user_agent: str = ANDROID) -> httpx.AsyncClient:
    """A browser of its own (cookies, user agent) on the module's intake, identity's
    paths routed to identity as the proxy does."""
    return front_door(app, app.state.identity_app, headers={"User-Agent": user_agent})


@pytest.fixture
async def client(intake) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(intake) as opened:
        yield opened


def _csrf(client) -> str:
    return client.cookies["mpp_csrf"]


async def _register(client, nik: str | None = None, email: str | None = None, **fields):
    """Register on identity's page, from the portal's "Daftar" (signed in afterwards)."""
    return await portal_register(
        client,
        **{
            "nik": nik or new_nik(),
            "name": "Siti Aminah",
            "email": email or f"warga-{uuid.uuid4().hex[:10]}@example.id",
            "phone": "081234567890",
            "password": PASSWORD,
            **fields,
        },
    )


def _path(url: str) -> str:
    """A redirect's path and query: the portal's pages at their own address."""
    found = httpx.URL(url)
    return found.raw_path.decode("ascii")


def _bearer(client) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.cookies['mpp_session']}"}


async def _account_id(client) -> str:
    return (await client.get("/api/v1/me", headers=_bearer(client))).json()["id"]


def _states(page: str) -> dict[str, str]:
    return dict(re.findall(r'id="(email|phone|nik)-state" data-state="(\w+)"', page))


def _unlabelled(page: str) -> list[str]:
    """Inputs, selects and text areas (hidden ones aside) without a ``label for``."""
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    controls = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", page)
    ids = []
    for attributes in controls:
        if 'type="hidden"' in attributes:
            continue
        found = re.search(r'\bid="([^"]+)"', attributes)
        ids.append(found.group(1) if found else attributes)
    return [i for i in ids if i not in labelled]


async def test_a_citizen_registers_applies_and_finds_the_status_by_tracking_number(client):
    page, _ = await registration_page(client)
    assert page.status_code == 200
    assert '<html lang="id">' in page.text
    registered = await portal_register(
        client,
        nik=NIK,
        name="Siti Aminah",
        email="siti@example.id",
        phone="081234567890",
        password="rahasia-sekali",
    )
    assert registered.status_code == 303
    session = registered.cookies.get("mpp_session")
    assert session
    assert "httponly" in registered.headers["set-cookie"].lower()
    assert "samesite=lax" in registered.headers["set-cookie"].lower()
    assert registered.headers["location"] == "/portal/verify"
    # Proving email, phone and NIK has tests of its own, below.
    await prove_account(client, await _account_id(client))

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

    photo = PHOTO
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
    profile = await client.get("/account/profile")  # the form completed the profile
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
    await ApplicationRepository(client.app.state.runtime.db).note_refusal(refusal)
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


async def test_a_form_without_its_csrf_token_is_refused_and_english_is_remembered(client):
    refused = await client.post("/portal/signout", data={})
    assert refused.status_code == 403

    first = await client.get("/portal/track?lang=en")
    assert '<html lang="en">' in first.text
    later = await client.get("/portal/track")
    assert "Check an application" in later.text

    # Before signing in, a service's page already says which profile data it sends.
    service = await client.get("/portal/services/izin-praktik-nakes?region=3576")
    sent = re.search(r"<h2>Your data sent to the agency</h2>.*?</ul>", service.text, re.S)
    assert sent, "the service page does not say what is sent"
    assert re.findall(r"<li>([^<]+)</li>", sent.group(0)) == ["NIK", "Full name"]


async def test_a_citizen_edits_the_profile_and_the_next_form_is_prefilled_from_it(client):
    registered = await portal_register(
        client,
        nik="3576014507900002",
        name="Siti Aminah",
        email="siti.profil@example.id",
        phone="081234567890",
        password="rahasia-sekali",
    )
    assert registered.status_code == 303
    home = await client.get("/portal/")
    assert re.search(r'href="[^"]*/account/profile"', home.text)

    page = await client.get("/account/profile")
    assert page.status_code == 200
    assert 'value="Siti Aminah"' in page.text
    assert re.search(r'id="birth-date">05-07-1990<', page.text)  # read from the NIK
    assert re.search(r'id="sex">Perempuan<', page.text)
    assert 'id="f-channel-email" name="notification_channels" value="email" checked' in page.text

    wrong = await client.post(
        "/account/profile",
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

    # A new mobile number needs the current password: the page says so, saves nothing and
    # keeps the citizen signed in.
    no_password = await client.post(
        "/account/profile",
        data={
            "csrf": _csrf(client),
            "name": "Siti Aminah",
            "phone": "0812 9999 0000",
            "notification_channels": ["in_app"],
        },
    )
    assert no_password.status_code == 403
    assert re.search(r'id="f-current_password-error">[^<]+<', no_password.text)
    assert 'value="0812 9999 0000"' in no_password.text  # kept to send again
    kept = await client.get("/account/profile")
    assert 'value="+6281234567890"' in kept.text

    saved = await client.post(
        "/account/profile",
        data={
            "csrf": _csrf(client),
            "current_password": "rahasia-sekali",
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
    assert saved.headers["location"] == "/account/profile?saved=1"
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


async def test_a_new_account_lands_on_the_verify_page_with_three_steps_still_to_prove(client):
    registered = await _register(client)
    assert registered.headers["location"] == "/portal/verify"

    page = await client.get("/account/verify")
    assert page.status_code == 200
    assert '<html lang="id">' in page.text
    assert _states(page.text) == {"email": "todo", "phone": "todo", "nik": "todo"}
    assert page.text.count("Kirim kode</button>") == 2
    assert 'action="/account/verify/email/confirm"' in page.text
    assert 'action="/account/verify/phone/confirm"' in page.text
    # The NIK waits for the contacts: a Dukcapil try costs confirmed contacts.
    assert 'id="nik-after-contacts"' in page.text
    assert "Periksa ke Dukcapil" not in page.text
    assert "loket MPP mana pun dengan membawa KTP" in page.text
    assert page.text.count('name="csrf"') == 5  # every form carries the token
    assert _unlabelled(page.text) == []

    # Elsewhere, a banner says what is missing and leads to the page.
    for path in ("/portal/", "/account/profile"):
        shown = await client.get(path)
        banner = re.search(r'<div class="warning" id="verify-banner".*?</div>', shown.text, re.S)
        assert banner, path
        assert "email, nomor HP dan NIK" in banner.group(0)
        assert re.search(r'href="[^"]*/account/verify"', banner.group(0))  # identity's page
    english = await client.get("/account/verify?lang=en")
    assert "Verify your account" in english.text
    assert "Confirm the email and mobile number first" in english.text


async def test_an_email_code_is_sent_and_confirmed_on_the_verify_page(client, monkeypatch):
    monkeypatch.setattr(codes, "new_code", lambda: "246810")
    email = f"kode-{uuid.uuid4().hex[:10]}@example.id"
    await _register(client, email=email)
    send = "/account/verify/email/send"
    confirm = "/account/verify/email/confirm"

    sent = await client.post(send, data={"csrf": _csrf(client)})
    assert sent.status_code == 303
    assert sent.headers["location"] == "/account/verify?sent=email#email"
    page = await client.get(sent.headers["location"])
    assert re.search(rf'id="email-sent">Kode sudah dikirim ke {re.escape(email)}\.', page.text)

    wrong = await client.post(confirm, data={"csrf": _csrf(client), "code": "000000"})
    assert wrong.status_code == 422
    assert re.search(r'id="f-email-code-error">Kode salah; sisa 4 kali percobaan\.<', wrong.text)
    assert 'aria-invalid="true" aria-describedby="f-email-code-hint f-email-code-error"' in (
        wrong.text
    )
    short = await client.post(confirm, data={"csrf": _csrf(client), "code": "12"})
    assert re.search(r'id="f-email-code-error">Kode terdiri dari 6 angka\.<', short.text)

    # Three codes per address a quarter of an hour: the fourth waits, said at the field.
    for _ in range(2):
        assert (await client.post(send, data={"csrf": _csrf(client)})).status_code == 303
    held = await client.post(send, data={"csrf": _csrf(client)})
    assert held.status_code == 429
    assert re.search(
        r'id="f-email-code-error">Sudah terlalu banyak kode dikirim; minta kode baru setelah '
        r"\d+ (detik|menit)\.<",
        held.text,
    )

    right = await client.post(confirm, data={"csrf": _csrf(client), "code": "246 810"})
    assert right.headers["location"] == "/account/verify?confirmed=email"
    page = await client.get(right.headers["location"])
    assert "Email Anda sudah terverifikasi." in page.text
    assert _states(page.text) == {"email": "done", "phone": "todo", "nik": "todo"}
    assert 'action="/account/verify/email/confirm"' not in page.text


async def test_the_nik_is_checked_with_dukcapil_on_the_verify_page(client, monkeypatch):
    answers: list[object] = [False, DukcapilUnavailable("unreachable", 30), True]
    names: list[str] = []

    async def dukcapil(nik, name, birth_date) -> bool:
        names.append(name)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return bool(answer)

    monkeypatch.setattr(client.identity.state.ownership.dukcapil, "matches", dukcapil)
    email = f"warga-{uuid.uuid4().hex[:10]}@example.id"
    await _register(client, email=email)
    await client.identity.state.accounts.accounts.update_one(  # the codes have their own tests
        {"email_index": client.identity.state.accounts.sealed.email_index(email)},
        {"$set": {"email_verified": True, "phone_verified": True}},
    )
    page = await client.get("/account/verify")
    assert 'id="f-nik-name" name="name" type="text" value="Siti Aminah"' in page.text
    assert "Periksa ke Dukcapil" in page.text
    check = "/account/verify/nik"

    no = await client.post(check, data={"csrf": _csrf(client), "name": "Siti Aminh"})
    assert no.status_code == 422
    assert re.search(
        r'id="f-nik-name-error">Nama dan tanggal lahir tidak cocok dengan data Dukcapil[^<]*'
        r"Sisa percobaan hari ini: 4\.<",
        no.text,
    )
    assert 'value="Siti Aminh"' in no.text  # kept to be corrected

    down = await client.post(check, data={"csrf": _csrf(client), "name": "Siti Aminah"})
    assert down.status_code == 503
    assert re.search(
        r'id="f-nik-name-error">Dukcapil sedang tidak dapat dihubungi; coba lagi setelah '
        r"30 detik, atau datang ke loket MPP dengan KTP\.<",
        down.text,
    )

    yes = await client.post(check, data={"csrf": _csrf(client), "name": "SITI AMINAH"})
    assert yes.headers["location"] == "/account/verify?confirmed=nik"
    assert names == ["Siti Aminh", "Siti Aminah", "SITI AMINAH"]
    page = await client.get(yes.headers["location"])
    assert _states(page.text)["nik"] == "done"
    assert "Dibuktikan lewat Dukcapil." in page.text
    # With the email and phone proven before (their codes have a test above), all is done.
    done = re.search(
        r'<div class="notice" role="status" id="all-verified">.*?</div>', page.text, re.S
    )
    assert done
    assert re.search(r'href="[^"]*/portal/"', done.group(0))  # the portal's services
    assert 'id="verify-banner"' not in (await client.get("/portal/")).text


async def test_an_unproven_account_saves_a_draft_and_submits_it_once_proven(client):
    await _register(client)
    form = await client.get("/portal/services/skck?region=3576")
    notice = re.search(r'<div class="warning" id="unverified-notice".*?</div>', form.text, re.S)
    assert notice
    assert re.search(r'href="[^"]*/account/verify"', notice.group(0))
    assert 'action="/portal/services/skck/draft"' in form.text
    assert "Simpan draf</button>" in form.text
    assert "Kirim permohonan" not in form.text
    assert _unlabelled(form.text) == []

    saved = await client.post(
        "/portal/services/skck/draft",
        data={
            "csrf": _csrf(client),
            "region": "3576",
            "data.purpose": "melamar kerja",
            "applicant.birth_place": "Mojokerto",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/portal/services/skck?region=3576&draft=saved"
    again = await client.get(saved.headers["location"])
    assert 'id="draft-saved"' in again.text
    assert re.search(r'id="d-purpose"[^>]*value="melamar kerja"', again.text)
    assert _shared_rows(again.text)["Tempat lahir"] == "Mojokerto"  # the profile kept it
    later = await client.get("/portal/services/skck")
    assert 'id="draft-loaded"' in later.text
    assert re.search(r'id="d-purpose"[^>]*value="melamar kerja"', later.text)

    # A page from before is submitted anyway: refused, and the answers wait as the draft.
    address = {
        "applicant.address.street": "Jl. Gajah Mada 12",
        "applicant.address.rt": "003",
        "applicant.address.rw": "005",
        "applicant.address.village": "Mentikan",
        "applicant.address.district": "Prajurit Kulon",
    }
    typed = {"csrf": _csrf(client), "region": "3576", "data.purpose": "melamar kerja di Surabaya"}
    refused = await client.post(
        "/portal/services/skck/apply", data={**typed, **address, "key": "d1"}, files=PHOTO
    )
    assert refused.status_code == 403
    assert 'id="unverified-notice"' in refused.text
    assert 'id="draft-saved"' in refused.text
    assert re.search(r'id="d-purpose"[^>]*value="melamar kerja di Surabaya"', refused.text)
    mine = await client.get("/portal/applications")
    assert re.search(r'<div class="card draft" data-service="skck">', mine.text)

    await prove_account(client, await _account_id(client))
    ready = await client.get("/portal/services/skck")
    assert 'id="unverified-notice"' not in ready.text
    assert "Kirim permohonan</button>" in ready.text
    assert 'formaction="/portal/services/skck/draft">Simpan draf</button>' in ready.text
    assert re.search(r'id="d-purpose"[^>]*value="melamar kerja di Surabaya"', ready.text)
    assert _shared_rows(ready.text)["Alamat"].startswith("Jl. Gajah Mada 12, RT 003/RW 005")

    applied = await client.post(
        "/portal/services/skck/apply", data={**typed, "key": "d2"}, files=PHOTO
    )
    assert applied.status_code == 303, applied.text
    assert applied.headers["location"].startswith("/portal/applications/")
    gone = await client.get("/api/v1/drafts/skck", headers=_bearer(client))
    assert gone.status_code == 404  # the submitted draft was deleted
    assert 'id="drafts"' not in (await client.get("/portal/applications")).text


async def test_a_reset_request_says_the_same_for_anyone_and_the_code_sets_a_new_password(
    client, monkeypatch
):
    started = await client.get("/portal/signin")
    signin = await client.get(httpx.URL(started.headers["location"]).raw_path.decode())
    assert 'href="/account/forgot">Lupa kata sandi?</a>' in signin.text
    forgot = await client.get("/account/forgot")
    assert forgot.status_code == 200
    assert _unlabelled(forgot.text) == []

    monkeypatch.setattr(codes, "new_code", lambda: "135790")
    citizen = await register(client)  # with its email verified
    unknown = f"tidak-ada-{uuid.uuid4().hex[:8]}@example.id"
    pages = {}
    for username in (unknown, citizen.email):
        asked = await client.post(
            "/account/forgot", data={"csrf": _csrf(client), "username": username}
        )
        assert (asked.status_code, asked.headers["location"]) == (303, "/account/reset?sent=1")
        page = await client.get(asked.headers["location"])
        assert page.status_code == 200
        assert username not in page.text  # nothing typed is kept for the next person
        pages[username] = page.text.replace(username, "USERNAME")
    assert pages[unknown] == pages[citizen.email]  # nothing tells the two apart
    assert "Jika akun ini ada dan punya email atau nomor HP terverifikasi" in pages[unknown]
    assert _unlabelled(pages[unknown]) == []

    async def issued():
        return await client.identity.state.runtime.db["account_codes"].find_one(
            {"account_id": citizen.id, "purpose": "password_reset"}
        )

    await eventually(issued, timeout=10)
    reset = {"csrf": _csrf(client), "username": citizen.email}
    wrong = await client.post(
        "/account/reset", data={**reset, "code": "000000", "new_password": "x" * 12}
    )
    assert wrong.status_code == 422
    assert re.search(r'id="f-code-error">Kode salah atau tidak berlaku lagi', wrong.text)
    short = await client.post(
        "/account/reset", data={**reset, "code": "135790", "new_password": "pendek"}
    )
    assert re.search(r'id="f-new_password-error">Minimal 8 karakter\.<', short.text)

    done = await client.post(
        "/account/reset", data={**reset, "code": "135790", "new_password": "kata-sandi-baru-1"}
    )
    assert _path(done.headers["location"]) == "/portal/signin?reset=1"
    assert (
        "Kata sandi baru sudah disimpan" in (await client.get(_path(done.headers["location"]))).text
    )
    signed_in = await portal_sign_in(client, citizen.email, "kata-sandi-baru-1")
    assert signed_in.status_code == 303


async def test_the_security_page_lists_devices_and_signing_out_everywhere_ends_the_session(
    client, intake
):
    email = f"perangkat-{uuid.uuid4().hex[:10]}@example.id"
    await _register(client, email=email)
    profile = await client.get("/account/profile")
    assert re.search(r'href="[^"]*/account/security"', profile.text)

    async def sign_in(other: httpx.AsyncClient) -> None:
        done = await portal_sign_in(other, email, PASSWORD)
        assert done.status_code == 303

    def devices(page: str) -> list[tuple[str, bool, str]]:
        rows = re.findall(
            r'<tr data-device="([^"]+)"( data-current="true")?>\s*<td[^>]*>([^<]+)', page
        )
        return [(id, bool(current), name.strip()) for id, current, name in rows]

    async with browser(intake, WINDOWS) as laptop, browser(intake, "curl/8.5") as script:
        await sign_in(laptop)
        await sign_in(script)
        page = await client.get("/account/security")
        assert page.status_code == 200
        assert _unlabelled(page.text) == []
        listed = devices(page.text)
        assert [(current, name) for _, current, name in listed] == [
            (False, "Portal web — curl/8.5"),
            (False, "Portal web — Firefox, Windows"),
            (True, "Portal web — Chrome, Android"),
        ]
        assert "(perangkat ini)" in page.text

        # Signing out of the portal takes that device off the list; so does "Keluarkan".
        await laptop.post("/portal/signout", data={"csrf": _csrf(laptop)})
        removed = await client.post(
            f"/account/security/devices/{listed[0][0]}/signout", data={"csrf": _csrf(client)}
        )
        assert removed.headers["location"] == "/account/security?removed=1"
        page = await client.get(removed.headers["location"])
        assert [name for _, _, name in devices(page.text)] == ["Portal web — Chrome, Android"]

        wrong = await client.post(
            "/account/security/password",
            data={
                "csrf": _csrf(client),
                "current_password": "bukan-sandinya",
                "new_password": "kata-sandi-baru-1",
            },
        )
        assert wrong.status_code == 403
        assert re.search(r'id="f-current_password-error">Kata sandi saat ini salah\.<', wrong.text)

        session = client.cookies["mpp_session"]
        out = await client.post(
            "/account/security/signout-everywhere", data={"csrf": _csrf(client)}
        )
        assert _path(out.headers["location"]) == "/portal/signin?everywhere=1"
        assert "mpp_session" not in client.cookies
        assert (
            "Anda sudah keluar dari semua perangkat."
            in (await client.get(_path(out.headers["location"]))).text
        )
        after = await client.get("/account/security")
        assert after.headers["location"] == "/account/signin?next=/portal/security"
        onward = await client.get(after.headers["location"])
        assert _path(onward.headers["location"]) == "/portal/signin?next=/portal/security"
        # The token itself is refused now, here and by the API, and so is the other one's.
        client.cookies.set("mpp_session", session)
        assert (await client.get("/account/security")).status_code == 303
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {session}"})
        assert me.status_code == 401
        assert (await script.get("/account/security")).status_code == 303
