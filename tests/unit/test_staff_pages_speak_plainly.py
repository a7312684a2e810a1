"""The staff pages, the inbox, the survey page and the notices, rendered with realistic
data, say everything in words: no workflow status code (``needs_info``), no stored
timestamp (``2026-12-07T03:18:33Z``), no form key or option code (``perubahan_data``)
in the text a person reads — and every time in the zone of the application's region,
with the zone's name (a Makassar citizen reads 11.18 WITA for 03:18 UTC)."""

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from services.audit.web import TEMPLATES as AUDIT_TEMPLATES
from services.audit.web.readers import reader_rows
from services.audit.web.routes import _region_of
from services.notify.inbox import in_app_document, public_view
from services.notify.links import NoticeLinks
from services.notify.messages import copy_for
from services.notify.skm import ELEMENTS
from services.notify.templates import StatusNotice, render_escalation, render_status
from services.notify.web import TEMPLATES as NOTIFY_TEMPLATES
from services.routing.web.dashboard import summarise
from services.routing.web.dashboard_page import DashboardQuery, dashboard_context
from services.routing.web.routes import TEMPLATES as ROUTING_TEMPLATES
from services.routing.web.workbench_handlers import (
    QueueQuery,
    ShowApplication,
    application_page,
    queue_page,
)
from shared.catalogue import load_catalogue
from shared.catalogue.labels import _labels, option_label
from shared.events import StatusChangedData
from shared.settings import Settings
from shared.web import Home, Pages
from shared.workflow import STATUSES

CATALOGUE = load_catalogue()
SETTINGS = Settings(namespace="plain", portal_url="https://mpp.example.go.id")
AT_0318_UTC = datetime(2026, 12, 7, 3, 18, 33, 198000, tzinfo=UTC)
STATUS_CODE = re.compile(r"\b(" + "|".join(map(re.escape, STATUSES)) + r")\b")
STATUS_CODE_WITH_UNDERSCORE = re.compile(
    r"\b(" + "|".join(re.escape(s) for s in STATUSES if "_" in s) + r")\b"
)
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?")
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


class _Visible(HTMLParser):
    """The text a reader sees: no tags, no attributes, nothing in <title> of an SVG's
    hover (kept: screen readers read it), nothing in <script> or <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def machine_words(text: str, lang: str) -> list[str]:
    """Every status code, stored timestamp or snake_case key in ``text``. In English a
    plain word such as "completed" is English, so only the codes no sentence uses
    (``needs_info``) count there."""
    codes = STATUS_CODE if lang == "id" else STATUS_CODE_WITH_UNDERSCORE
    found = [m.group(0) for m in codes.finditer(text)]
    found += [m.group(0) for m in ISO_TIME.finditer(text)]
    return found + [m.group(0) for m in SNAKE_CASE.finditer(text)]


def request(lang: str, query: str = "") -> Request:
    params = f"lang={lang}" + (f"&{query}" if query else "")
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "root_path": "",
        "query_string": params.encode(),
        "headers": [],
    }
    return Request(scope)


ROUTING = Pages(ROUTING_TEMPLATES, SETTINGS, "routing", "workbench.html", Home("/", "a", "b"))
NOTIFY = Pages(NOTIFY_TEMPLATES, SETTINGS, "notify", "notify.html")


def render(pages: Pages, template: str, lang: str, query: str = "", **context: Any) -> str:
    body = pages.render(request(lang, query), template, **{"signed_in": True, **context}).body
    return visible(bytes(body).decode())


APPLICATION = {
    "id": "0193a1b2c3d4e5f60718293a4b5c6d7e",
    "tracking_number": "MPP-3576-2026-000123",
    "service": "ktp-el",
    "agency": "disdukcapil-3576",
    "region": "3576",
    "status": "needs_info",
    "overdue": False,
    "working_days_left": 6,
    "applicant": {"nik": "3576014101900001", "name": "Siti Aminah", "sex": "F"},
    "form": {"reason": "perubahan_data", "family_card_number": "3576010101900002"},
    "documents": [
        {"name": "kk.pdf", "content_type": "application/pdf", "size": 20480, "sha256": "a" * 64}
    ],
    "responses": [
        {
            "at": "2026-12-07T03:18:33.198000Z",
            "requested_fields": ["reason", "kartu_keluarga", "foto_ktp_lama"],
            "form": {"reason": "hilang"},
            "documents": [],
            "note": "Sudah saya lengkapi",
        }
    ],
    "results": [
        {
            "name": "ktp.pdf",
            "content_type": "application/pdf",
            "size": 1024,
            "code": "MPP-ABCD-EFGH-JKMN",
            "issued_at": "2026-12-07T03:18:33Z",
        }
    ],
    "cancellation": None,
    "allowed_next": ["in_review", "needs_info", "approved", "rejected"],
}


class _Notes:
    async def of(self, application_id: str, agency: str) -> list[dict[str, Any]]:
        note = {"officer": "budi", "officer_name": "Budi", "text": "cek KK", "at": AT_0318_UTC}
        return [note]


def _agency_api(payload: dict[str, Any]) -> httpx.AsyncClient:
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, json=payload))
    return httpx.AsyncClient(transport=transport, base_url="http://agency")


async def workbench_application(lang: str) -> str:
    async with _agency_api(APPLICATION) as api:
        page = await application_page(
            ShowApplication(APPLICATION["id"], "budi", lang),
            api,
            catalogue=CATALOGUE,
            notes=_Notes(),  # type: ignore[arg-type]
            settings=SETTINGS,
        )
    assert isinstance(page, dict)
    return render(ROUTING, "application.html", lang, "moved=needs_info", **page)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_workbench_application_page_shows_labels_words_and_local_times(lang):
    text = await workbench_application(lang)

    assert machine_words(text, lang) == []
    if lang == "id":
        assert "Alasan Perubahan data" in text  # the field's label and the option's words
        assert "Perlu data tambahan" in text  # the status in words
        assert "Senin, 7 Desember 2026 pukul 10.18 WIB" in text  # Mojokerto keeps WIB
        assert "Pas foto" not in text
        assert "Kartu Keluarga" in text
        assert "Foto ktp lama" in text  # a free entry the officer typed, as words
    else:
        assert "Reason Change of details" in text
        assert "Monday, 7 December 2026 at 10:18 WIB" in text


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_the_queue_shows_each_status_in_words(lang):
    listing = {
        "items": [
            {**APPLICATION, "status": status, "overdue": status == "received"}
            for status in STATUSES
        ],
        "next_page": None,
        "page": 1,
    }
    async with _agency_api(listing) as api:
        page = await queue_page(QueueQuery("in_review", 1), api, CATALOGUE)
    assert isinstance(page, dict)

    assert machine_words(render(ROUTING, "queue.html", lang, **page), lang) == []


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_dashboard_names_agencies_regions_and_services(lang):
    now = datetime(2026, 12, 20, tzinfo=UTC)
    applications = [
        {
            "region": "3576",
            "agency": "disdukcapil-3576",
            "service": "ktp-el",
            "status": "in_review",
            "channel": "web",
            "tracking_number": "MPP-3576-2026-000123",
            "submitted_at": datetime(2026, 11, 2, tzinfo=UTC),
            "sla_due_at": datetime(2026, 12, 7, 3, 18, tzinfo=UTC),
        },
        {
            "region": "3671",
            "agency": "polres-3671",
            "service": "skck",
            "status": "approved",
            "channel": "mobile_unit",
            "submitted_at": datetime(2026, 11, 2, tzinfo=UTC),
            "decided_at": datetime(2026, 11, 5, tzinfo=UTC),
            "sla_due_at": datetime(2026, 11, 9, tzinfo=UTC),
        },
    ]
    ikm = [{"key": "skck", "ikm": 82.5, "grade": "B", "respondents": 3}]
    query = DashboardQuery(english=lang == "en", signed_in=False)
    context = dashboard_context(query, CATALOGUE, summarise(applications, now), ikm, False)

    text = render(ROUTING, "dashboard.html", lang, **context)

    assert machine_words(text, lang) == []
    assert "disdukcapil-3576" not in text
    assert "polres-3671" not in text
    assert "Kota Mojokerto" in text
    assert "Kota Tangerang" in text
    name = CATALOGUE.agency("disdukcapil-3576").name  # type: ignore[union-attr]
    assert (name.en if lang == "en" else name.id)[:20] in text


def change(status: str, region: str = "7371", **extra: Any) -> StatusChangedData:
    return StatusChangedData(
        application_id="0193a1b2c3d4e5f60718293a4b5c6d7e",
        tracking_number="MPP-7371-2026-000042",
        service="ktp-el",
        region=region,
        agency="disdukcapil-3576",
        citizen_id="c-1",
        to_status=status,
        sequence=3,
        actor="agency",
        **extra,
    )


def notice(status: str, lang: str, region: str = "7371") -> Any:
    links = NoticeLinks.from_settings(SETTINGS)
    about = StatusNotice(
        status=status,
        tracking_number="MPP-7371-2026-000042",
        service="ktp-el",
        region=region,
        changed_at=AT_0318_UTC,
        note="Mohon unggah ulang",
        requested_fields=("reason", "kartu_keluarga") if status == "needs_info" else (),
        sla_due_at=AT_0318_UTC,
        application_url=links.application("0193a1b2c3d4e5f60718293a4b5c6d7e", lang),
        survey_url=links.survey("0193a1b2c3d4e5f60718293a4b5c6d7e", lang)
        if status == "completed"
        else None,
    )
    return about, render_status(about, lang)


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("status", [*STATUSES, "delivery_failed", "a_future_status"])
def test_every_notice_speaks_in_words_with_the_application_link(status, lang):
    _about, rendered = notice(status, lang)

    for text in (rendered.subject, rendered.text, visible(rendered.html)):
        without_links = re.sub(r"https://\S+", "", text)
        assert machine_words(without_links, lang) == [], text
    assert "https://mpp.example.go.id/portal/applications/0193a1b2c3d4e5f60718293a4b5c6d7e" in (
        rendered.text
    )


def test_a_makassar_citizens_notice_says_11_18_wita_for_an_event_at_03_18_utc():
    _about, indonesian = notice("received", "id", region="7371")
    _about, english = notice("received", "en", region="7371")

    assert "Senin, 7 Desember 2026 pukul 11.18 WITA" in indonesian.text
    assert "11.18 WITA" in indonesian.html
    assert "Monday, 7 December 2026 at 11:18 WITA" in english.text
    assert "WIB" not in indonesian.text


def test_a_papuan_and_a_javanese_notice_each_keep_their_zone():
    assert "12.18 WIT" in notice("received", "id", region="9471")[1].text
    assert "10.18 WIB" in notice("received", "id", region="3576")[1].text


def test_the_supervisors_escalation_names_the_status_in_words_and_the_regions_zone():
    rendered = render_escalation(
        kind="sla_breach",
        tracking_number="MPP-7371-2026-000042",
        service="ktp-el",
        agency="disdukcapil-3576",
        status="in_review",
        reason="SLA terlewati",
        region="7371",
        sla_due_at=AT_0318_UTC,
    )
    assert "Sedang diperiksa" in rendered.text
    assert "in_review" not in rendered.text
    assert "11.18 WITA" in rendered.text


def test_an_unknown_status_still_reads_as_a_sentence_not_its_code():
    assert "a_future_status" not in " ".join(copy_for("a_future_status", "id"))


def inbox_listing(lang: str) -> dict[str, Any]:
    items = []
    for sequence, status in enumerate(("received", "needs_info", "completed"), start=1):
        about, rendered = notice(status, lang)
        document = in_app_document(
            change(status).model_copy(update={"sequence": sequence}),
            rendered,
            AT_0318_UTC,
            about,
        )
        items.append(public_view(document))
    return {"items": items, "page": 1, "page_size": 20, "total": 3, "unread": 3}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_inbox_shows_words_the_regions_time_and_each_notices_application_link(lang):
    text = render(NOTIFY, "inbox.html", lang, listing=inbox_listing(lang), more=False)

    assert machine_words(re.sub(r"https://\S+", "", text), lang) == []
    assert ("pukul 11.18 WITA" if lang == "id" else "at 11:18 WITA") in text
    html = bytes(
        NOTIFY.render(request(lang), "inbox.html", listing=inbox_listing(lang), more=False).body
    ).decode()
    link = 'href="https://mpp.example.go.id/portal/applications/0193a1b2c3d4e5f60718293a4b5c6d7e'
    assert html.count(link) == 3
    assert 'href="https://mpp.example.go.id/surveys/0193a1b2c3d4e5f60718293a4b5c6d7e?t=' in html


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_survey_page_reads_in_words_in_both_languages(lang):
    survey = {
        "application_id": "0193a1b2c3d4e5f60718293a4b5c6d7e",
        "tracking_number": "MPP-7371-2026-000042",
        "answered": False,
        "elements": [
            {"code": code, "id": indonesian, "en": english}
            for code, indonesian, english in ELEMENTS
        ],
    }
    text = render(NOTIFY, "survey.html", lang, survey=survey, errors={"u3": "x"}, chosen={})

    assert machine_words(text, lang) == []
    assert ("Waktu penyelesaian" if lang == "id" else "Completion time") in text
    assert ("Pilih salah satu nilai." if lang == "id" else "Choose one rating.") in text


def test_the_form_labels_cover_every_option_and_document_of_every_service():
    for service in CATALOGUE.services:
        for field, spec in service.form.get("properties", {}).items():
            for value in spec.get("enum", []):
                for lang in ("id", "en"):
                    assert option_label(field, value, lang) != str(value), (field, value)
        for kind in service.documents:
            assert kind in _labels()["documents"], kind


AUDIT = Pages(AUDIT_TEMPLATES, SETTINGS, "audit", "console.html", Home("/console/", "a", "b"))


def test_the_audit_console_writes_times_in_the_applications_zone_and_statuses_in_words():
    changed = {
        "seq": 7,
        "type": "application.status_changed",
        "time": "2026-12-07T03:18:33.198000Z",
        "topic": "mpp.applications.status",
        "partition": 0,
        "offset": 12,
        "hash": "f" * 64,
        "event": {"source": "routing", "region": "7371", "data": {"to_status": "needs_info"}},
    }
    found = {
        "application_id": "0193a1b2c3d4e5f60718293a4b5c6d7e",
        "events": [changed],
        "accessed_by": [
            {
                "at": "2026-12-07T03:18:33Z",
                "actor_kind": "officer",
                "actor_id": "polres-7371/budi",
                "purpose": "memeriksa berkas",
            }
        ],
    }

    timeline = render(AUDIT, "application.html", "id", found=found, region=_region_of(found))
    search = render(AUDIT, "search.html", "id", filters={}, items=[changed], next_cursor=None)

    assert timeline.count("Senin, 7 Desember 2026 pukul 11.18 WITA") == 2
    assert "Perlu data tambahan" in timeline
    assert "needs_info" not in timeline
    assert "2026-12-07T" not in timeline
    assert "pukul 11.18 WITA" in search
    assert "2026-12-07T" not in search


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_citizens_access_log_names_readers_in_words_and_times_in_the_applications_zone(
    lang,
):
    items = [
        {
            "application_id": "0193a1b2c3d4e5f60718293a4b5c6d7e",
            "region": "7371",
            "at": "2026-12-07T03:18:33.198000Z",
            "actor_kind": "officer",
            "actor_id": "polres-3576/andi.pratama",
            "agency": "polres-3576",
            "purpose": "memproses permohonan / processing the application",
        },
        {
            "application_id": None,
            "region": None,
            "at": "2026-12-07T03:18:33Z",
            "actor_kind": "auditor",
            "actor_id": "auditor-1",
            "agency": None,
            "purpose": "pemeriksaan keluhan warga",
        },
    ]
    page = render(AUDIT, "access.html", lang, items=reader_rows(items, CATALOGUE, lang))

    assert machine_words(page, lang) == []
    assert "officer polres" not in page
    assert "polres-3576" not in page
    if lang == "id":
        assert "Petugas Kepolisian Resor Kota Mojokerto (andi.pratama)" in page
        assert "Senin, 7 Desember 2026 pukul 11.18 WITA" in page  # the application's zone
        assert "pukul 10.18 WIB" in page  # a read of the citizen's records: the national zone
        assert "memproses permohonan" in page
        assert "processing the application" not in page
    else:
        assert "Officer Police Resort, Kota Mojokerto (andi.pratama)" in page
        assert "processing the application" in page
        assert "memproses permohonan" not in page
