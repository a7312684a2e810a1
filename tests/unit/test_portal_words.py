"""Every citizen-facing page of the portal (intake's, and identity's account pages in
the same frame), drawn with realistic data, reads as words: no
workflow status code, no ISO timestamp, no time without its zone, no form key
(``perubahan_data``, ``birth_place``) in the text a person sees (tags and attributes,
where codes belong, are left out).

Each template is drawn through the portal's own page functions where they exist
(:mod:`services.intake.web.applications`, ``applying``), with data in the API's shapes.
A new template without a case here fails the first test."""

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from services.identity.web import TEMPLATES as ACCOUNT_TEMPLATES
from services.identity.web.messages import RESET_SENT
from services.identity.web.page import AccountPage
from services.identity.web.profile import profile_values
from services.intake.tracking import ApplicationView, PublicStatus, PublicStep
from services.intake.web import TEMPLATES
from services.intake.web.applications import application_page, applications_page
from services.intake.web.applying import service_page
from services.intake.web.deps import Page
from services.intake.web.queue_desk import PRIORITY_REASONS, queued_services, ticket_view
from services.intake.web.service_complaints import complaints_view
from shared.auth import CitizenPrincipal
from shared.catalogue import load_catalogue
from shared.channels import CHANNELS
from shared.settings import Settings
from shared.web import Home, Pages
from shared.web.applicant import ADDRESS_HINTS, ADDRESS_LABELS, ADDRESS_PARTS, NUMERIC_FIELDS
from shared.workflow import STATUSES

SHARED_TEMPLATES = Path(__file__).resolve().parents[2] / "shared" / "web" / "templates"
PARTIALS = {
    "portal.html",
    "status.html",
    "pieces.html",
    "antrean.html",
    "antrean_papan.html",
    "payment.html",
}
PARTIALS |= {"complaint_card.html"}
"""Drawn inside the pages below, not on their own (the queue staff's frame, the hall's
board)."""
SHARED_PAGES = {"error.html", "missing.html", "citizen_signin.html"}
"""The citizen's frame (``citizen.html``) is drawn around every page."""

AT = "2026-12-07T03:18:33.198000Z"  # 10.18 WIB
CATALOGUE = load_catalogue()
PROFILE = {
    "id": "acc-1",
    "nik": "3576014507900001",
    "name": "Siti Aminah",
    "email": "siti@example.id",
    "phone": "+6281234567890",
    "region": "3576",
    "birth_date": "1990-07-05",
    "sex": "F",
    "birth_place": "Mojokerto",
    "family_card_number": "3576010101010001",
    "address": {"street": "Jl. Gajah Mada 12", "rt": "003", "rw": "005"},
    "language": "id",
    "notification_channels": ["in_app", "email"],
    "email_verified": True,
    "phone_verified": False,
    "nik_verified": False,
    "can_submit": False,
    "to_verify": ["phone", "nik"],
}


class _Visible(HTMLParser):
    """The text a person reads: element text, without tags, attributes or scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _request(lang: str, path: str = "/portal/", query: str = "") -> Request:
    cookies = f"mpp_lang={lang}; mpp_csrf=token; mpp_session=session"
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(b"cookie", cookies.encode()), (b"host", b"portal.test")],
            "client": ("127.0.0.1", 1),
            "server": ("portal.test", 80),
            "scheme": "http",
        }
    )


def _page(lang: str, query: str = "") -> Page:
    pages = Pages(
        TEMPLATES,
        Settings(),
        "intake",
        "portal.html",
        Home("/portal/", "Kembali ke layanan", "Back to services"),
        context=lambda request: {"signed_in": True},
    )
    return Page(_request(lang, query=query), pages, CATALOGUE)


def _account_page(lang: str) -> AccountPage:
    """Identity's account pages, in the same citizen's frame."""
    pages = Pages(
        ACCOUNT_TEMPLATES,
        Settings(),
        "identity",
        "citizen.html",
        context=lambda request: {"signed_in": True},
    )
    return AccountPage(_request(lang, path="/account/security"), pages)


def _application(status: str, region: str = "3576") -> dict[str, Any]:
    timeline = [
        {"status": step, "at": AT, "sequence": n}
        for n, step in enumerate(("submitted", "routed", "received", "in_review"), start=1)
    ]
    timeline.append(
        {
            "status": "needs_info",
            "at": AT,
            "sequence": 5,
            "note": "Kirim foto terbaru.",
            "requested_fields": ["reason", "kartu_keluarga"],
        }
    )
    timeline.append({"status": status, "at": AT, "sequence": 6})
    view = ApplicationView(
        id="app-1",
        tracking_number="MPP-3576-ABCD1234",
        service="ktp-el",
        region=region,
        channel="web",
        status=status,
        agency="disdukcapil-3576",
        submitted_at=AT,
        sla_due_at="2026-12-17T09:00:00Z",
        working_days_remaining=4,
        documents=[
            {
                "sha256": "a" * 64,
                "name": "kartu_keluarga.pdf",
                "content_type": "application/pdf",
                "size": 9,
            }
        ],
        cancellation_refused={"at": AT, "reason": "Sudah diproses"},
        applicant_fields=["nik", "name", "birth_place", "family_card_number"],
        results=[
            {
                "code": "MPP-AAAA-BBBB-CCCC",
                "sha256": "b" * 64,
                "name": "KTP-el",
                "content_type": "application/pdf",
                "size": 2048,
                "issued_at": AT,
                "download": "/api/v1/applications/app-1/results/MPP-AAAA-BBBB-CCCC",
                "verify": "http://routing.test/verify/MPP-AAAA-BBBB-CCCC",
            }
        ],
        timeline=timeline,
    )
    return view.model_dump(mode="json")


def _devices() -> list[dict[str, Any]]:
    return [
        {
            "id": "d1",
            "device_name": "Portal web — Chrome, Android",
            "created_at": AT,
            "last_used_at": AT,
            "current": True,
        }
    ]


def _rendered(lang: str) -> dict[str, str]:
    """Each page's HTML, by template name."""
    page = _page(lang)
    account = _account_page(lang)
    service = CATALOGUE.service("ktp-el")
    assert service is not None
    detail = {
        "code": service.code,
        "name": service.name.model_dump(),
        "regions": ["3576", "3514"],
        "agencies": {"3576": {"name": {"id": "Disdukcapil Kota Mojokerto", "en": "Mojokerto"}}},
        "fee_idr": 0,
        "sla_within": None,
        "sla_working_days": 14,
        "requirements": service.requirements.model_dump(),
        "documents": list(service.documents),
        "form_schema": service.form,
    }
    draft = {
        "service": "ktp-el",
        "region": "3576",
        "data": {"reason": "perubahan_data"},
        "updated_at": AT,
    }
    found = PublicStatus(
        tracking_number="MPP-3576-ABCD1234",
        service="ktp-el",
        region="3576",
        status="received",
        timeline=[
            PublicStep(status=s, at=datetime(2026, 12, 7, 3, 18, tzinfo=UTC))
            for s in ("submitted", "routed", "received")
        ],
    )
    names = {s.code: s.name.model_dump() for s in CATALOGUE.services}
    regions = {r.code: r.name for r in CATALOGUE.regions}
    common = {"names": names, "regions": regions}
    html = {
        "application.html": application_page(page, _application("needs_info"), {}).body,
        "applications.html": applications_page(
            page,
            [_application("in_review"), _application("completed")],
            [dict(draft)],
            True,
            "3576",
        ).body,
        "service.html": service_page(
            page, detail, "3576", {"reason": "perubahan_data"}, {}, PROFILE, draft=dict(draft)
        ).body,
        "erased.html": account.render(
            "erased.html",
            erased={
                "open_applications": 1,
                "kept": ["Riwayat permohonan tanpa data pribadi, 10 tahun (arsip)."],
            },
        ).body,
        "forgot.html": account.render("forgot.html", username="", errors={}).body,
        "home.html": page.render(
            "home.html",
            regions=[r.model_dump() for r in CATALOGUE.regions],
            region="3576",
            services=[
                {
                    "code": "skck",
                    "name": {"id": "SKCK", "en": "Police record"},
                    "fee_idr": 30000,
                    "sla_working_days": 3,
                }
            ],
            me=PROFILE,
        ).body,
        "profile.html": account.render(
            "profile.html",
            me=PROFILE,
            values=profile_values(PROFILE),
            errors={},
            address_parts=ADDRESS_PARTS,
            address_labels=ADDRESS_LABELS,
            address_hints=ADDRESS_HINTS,
            numeric=NUMERIC_FIELDS,
            region="3576",
            region_name="Kota Mojokerto",
            birth_date="Kamis, 5 Juli 1990",
            sex=("Perempuan", "Female"),
            channels=CHANNELS,
        ).body,
        "register.html": account.render(
            "register.html", values={}, errors={}, query="client_id=portal", signin_query=""
        ).body,
        "reset.html": account.render("reset.html", username="", errors={}, sent=RESET_SENT).body,
        "security.html": account.render(
            "security.html", devices=_with_times(_devices()), errors={}, region="3576"
        ).body,
        "signin.html": page.render("signin.html", next="/portal/").body,
        "signin_failed.html": page.render("signin_failed.html", 400, reason="expired").body,
        "track.html": page.render(
            "track.html", number="MPP-3576-ABCD1234", found=found, **common
        ).body,
        "verify.html": account.render(
            "verify.html", me=PROFILE, errors={}, sent="phone", name="Siti Aminah"
        ).body,
        "error.html": page.render(
            "error.html",
            403,
            status=403,
            reason="form_expired",
            title_words=None,
            back="/portal/services/ktp-el",
        ).body,
        "missing.html": page.render("missing.html", 404).body,
        "citizen_signin.html": page.render("citizen_signin.html", 401).body,
        **_queue_pages(page),
        "complaints.html": _complaints_page(page),
    }
    return {name: bytes(body).decode() for name, body in html.items()}


def _complaints_page(page: Page) -> Any:
    """The complaints page: the form for Kota Mojokerto, an answered complaint about a
    service and one about an application still waiting."""
    said = [{"by": "citizen", "text": "Loket tutup", "at": AT}]
    answered = {
        "id": "c-1",
        "kind": "pengaduan",
        "about": "service",
        "state": "answered",
        "service": "skck",
        "region": "3576",
        "confidential": True,
        "answer_due_at": AT,
        "close_due_at": AT,
        "lapor_tracking_id": "LPR-000001",
        "thread": [*said, {"by": "agency", "text": "Maaf, sudah diperbaiki", "at": AT}],
    }
    waiting = answered | {
        "id": "c-2",
        "about": "application",
        "state": "forwarded",
        "kind": "konsultasi",
        "application_id": "a-1",
        "tracking_number": "MPP-3576-ABCD1234",
        "thread": said,
    }
    services = [{"code": "skck", "name": {"id": "SKCK", "en": "Police record"}}]
    regions = [r.model_dump() for r in CATALOGUE.regions]
    return complaints_view(page, regions, "3576", services, [answered, waiting]).body


def _queue_pages(page: Page) -> dict[str, Any]:
    """The building's queue pages: the kiosk, a ticket, the counter, the hall's display."""
    at = datetime(2026, 12, 7, 3, 18, tzinfo=UTC)
    staff = CitizenPrincipal(
        "kios.mojokerto", ("queue_kiosk", "counter_officer"), at, "t", region="3576"
    )
    common = {
        "staff": staff,
        "region": "3576",
        "region_name": "Kota Mojokerto",
        "services": queued_services(CATALOGUE, "3576"),
        "reasons": PRIORITY_REASONS,
    }
    answered = {"number": "P-003", "service": "ktp-el", "date": "2026-12-07", "slot": "10:00"}
    ticket = ticket_view(
        {**answered, "priority": True, "checked_in_at": AT}, CATALOGUE.zone_of("3576")
    )
    called = {**answered, "id": "t1", "booking": "ABCD2345", "priority": True, "called_at": at}
    refused = "Kode antrean tidak dikenal / Unknown booking code"
    board = {"number": "A-017", "service": "skck", "counter": "loket-3", "called_at": at}
    names = {s["code"]: s for s in queued_services(CATALOGUE, "3576")}
    return {
        "antrean_kios.html": page.render(
            "antrean_kios.html", walk_in_key="k", check_in_error=refused, **common
        ).body,
        "antrean_tiket.html": page.render("antrean_tiket.html", ticket=ticket, **common).body,
        "antrean_loket.html": page.render(
            "antrean_loket.html",
            counter="loket-3",
            counters=CATALOGUE.counters_of("3576"),
            declared=CATALOGUE.queue_counter("3576", "loket-3"),
            chosen=["ktp-el"],
            called=called,
            done=("A-016", "selesai dilayani", "served"),
            nobody=("Tidak ada yang menunggu", "Nobody is waiting"),
            **common,
        ).body,
        "antrean_gagal.html": page.render("antrean_gagal.html", 403, message=refused).body,
        "antrean_layar.html": page.render(
            "antrean_layar.html",
            region="3576",
            region_name="Kota Mojokerto",
            called=[board, {**board, "number": "A-016"}],
            waiting={"skck": 4},
            names=names,
            counters={c.id: c.label for c in CATALOGUE.counters_of("3576")},
            now=at,
        ).body,
    }


def _with_times(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for device in devices:
        device["created_at"] = datetime.fromisoformat(device["created_at"])
        device["last_used_at"] = datetime.fromisoformat(device["last_used_at"])
    return devices


ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
FORM_KEY = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
A_TIME = re.compile(r"\b\d{1,2}[.:]\d{2}\b(?!\s*(?:WIB|WITA|WIT)\b)")


def test_every_citizen_page_of_the_portal_has_a_case_here() -> None:
    portal = {p.name for p in (*TEMPLATES.glob("*.html"), *ACCOUNT_TEMPLATES.glob("*.html"))}
    portal -= PARTIALS
    assert portal | SHARED_PAGES == set(_rendered("id"))


@pytest.mark.parametrize("lang", ["id", "en"])
def test_no_page_shows_a_status_code_a_timestamp_or_a_form_key(lang: str) -> None:
    problems = []
    for name, html in _rendered(lang).items():
        text = visible_text(html)
        # In English a status code can be a plain word ("Received by the agency"); an
        # Indonesian page has no reason to show one.
        codes = STATUSES if lang == "id" else [s for s in STATUSES if "_" in s]
        problems += [f"{name}: status {c}" for c in codes if re.search(rf"\b{c}\b", text)]
        problems += [f"{name}: timestamp {m}" for m in ISO_TIME.findall(text)]
        problems += [f"{name}: form key {m}" for m in FORM_KEY.findall(text)]
        problems += [f"{name}: time without zone {m}" for m in A_TIME.findall(text)]
    assert problems == []


def test_the_application_page_says_the_status_the_next_step_and_the_time_in_words() -> None:
    text = visible_text(_rendered("id")["application.html"])
    assert "Perlu data tambahan" in text
    assert "Lengkapi permintaan itu" in text  # what happens next
    assert "Senin, 7 Desember 2026 pukul 10.18 WIB" in text
    assert "Alasan" in text
    assert "Kartu Keluarga" in text
    html = _rendered("id")["application.html"]
    steps = re.findall(r'data-step="(\w+)" data-state="(\w+)"', html)
    assert steps[:3] == [("submitted", "done"), ("routed", "done"), ("received", "done")]
    assert ("in_review", "current") in steps


def test_options_read_as_their_labels_in_both_languages() -> None:
    indonesian = _rendered("id")["service.html"]
    english = _rendered("en")["service.html"]
    assert '<option value="perubahan_data" selected>Perubahan data</option>' in indonesian
    assert '<option value="perubahan_data" selected>Change of details</option>' in english


def test_digit_fields_ask_a_phone_for_its_number_pad() -> None:
    pages = _rendered("id")
    assert re.search(r'id="f-nik"[^>]*inputmode="numeric"', pages["register.html"])
    for field in ("family_card_number", "rt", "rw", "postal_code", "region_code"):
        assert re.search(rf'id="f-{field}"[^>]*inputmode="numeric"', pages["profile.html"]), field
    assert re.search(r'id="d-family_card_number"[^>]*inputmode="numeric"', pages["service.html"])
    assert re.search(r'id="f-code"[^>]*inputmode="numeric"', pages["reset.html"])


def test_the_security_page_shows_the_data_rights_in_its_body_not_its_title() -> None:
    html = _rendered("id")["security.html"]
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title.strip() == "Keamanan akun · MPP Digital"
    body = html.split("</head>", 1)[1]
    assert 'id="export"' in body
    assert 'id="erase"' in body
