"""Templates as code: one per notice kind and language, versioned, rendered with Jinja2.

A template has a subject, a plain-text body (email text part, SMS, WhatsApp, in-app) and
an HTML body. HTML is rendered with autoescaping on, so an officer's note or any other
text that came from outside can never inject markup into an email; the text part is
rendered without escaping (it is not HTML). Undefined variables fail loudly
(``StrictUndefined``): a notice with a hole in it is never sent.

Each rendering carries the template's name and version; the notice and its delivery
events store them, so anyone can tell later which wording a citizen received.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, StrictUndefined
from jinja2 import Template as JinjaTemplate

from services.notify.messages import STATUS_TEMPLATE_VERSION, copy_for
from shared.catalogue.labels import requested_label
from shared.catalogue.live import served_catalogue
from shared.i18n import status_words, translations, when_in_words

__all__ = ["Rendered", "StatusNotice", "in_words", "render_escalation", "render_status"]

ESCALATION_TEMPLATE_VERSION = 2


def in_words(moment: datetime, region: str | None, language: str = "id") -> str:
    """``Senin, 7 Desember 2026 pukul 11.18 WITA``: in the zone of the application's
    region (WIB, WITA or WIT, as the catalogue decides: ``Catalogue.zone_of``), with the
    zone's name, in the notice's language."""
    zone = served_catalogue().zone_of(region)
    return when_in_words(moment, zone, "en" if language == "en" else "id")


@dataclass(frozen=True)
class Rendered:
    template: str
    version: int
    language: str
    subject: str
    text: str
    html: str
    link: str | None = None
    """The page the notice leads to (absolute): the application, or the survey once it
    is finished; a push notice opens it when tapped."""


@dataclass(frozen=True)
class _Template:
    subject: str
    text: str
    html: str


_html = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True)
_text = Environment(autoescape=False, undefined=StrictUndefined, trim_blocks=True)  # noqa: S701 (plain text, never HTML)

_STATUS: dict[str, _Template] = {
    "id": _Template(
        subject="[{{ tracking_number }}] {{ headline }}",
        text="""{{ headline }}: {{ service_name }} ({{ tracking_number }}).
{{ meaning }}
{% if changed_at %}Waktu: {{ changed_at }}.
{% endif %}{% if note %}Catatan petugas: {{ note }}
{% endif %}{% if requested_fields %}Yang perlu dilengkapi: {{ requested_fields | join(", ") }}.
{% endif %}Langkah berikutnya: {{ next_step }}
{% if sla_due %}Target selesai: {{ sla_due }}.
{% endif %}{% if application_url %}Lihat permohonan Anda: {{ application_url }}
{% endif %}{% if survey_url %}Isi survei kepuasan (SKM): {{ survey_url }}
{% endif %}""",
        html="""<!doctype html>
<html lang="id"><body>
<h1>{{ headline }}</h1>
<p><strong>{{ service_name }}</strong><br>
Nomor lacak: <strong>{{ tracking_number }}</strong></p>
<p>{{ meaning }}</p>
{% if changed_at %}<p>Waktu: {{ changed_at }}</p>
{% endif %}{% if note %}<p>Catatan petugas: {{ note }}</p>
{% endif %}{% if requested_fields %}<p>Yang perlu dilengkapi:</p>
<ul>{% for field in requested_fields %}<li>{{ field }}</li>{% endfor %}</ul>
{% endif %}<p><strong>Langkah berikutnya:</strong> {{ next_step }}</p>
{% if sla_due %}<p>Target selesai: {{ sla_due }}</p>
{% endif %}{% if application_url %}<p><a href="{{ application_url }}">Lihat permohonan Anda</a>:
{{ application_url }}</p>
{% endif %}{% if survey_url %}<p><a href="{{ survey_url }}">Isi survei kepuasan (SKM)</a>:
{{ survey_url }}</p>
{% endif %}<p>MPP Digital</p>
</body></html>""",
    ),
    "en": _Template(
        subject="[{{ tracking_number }}] {{ headline }}",
        text="""{{ headline }}: {{ service_name }} ({{ tracking_number }}).
{{ meaning }}
{% if changed_at %}When: {{ changed_at }}.
{% endif %}{% if note %}Officer's note: {{ note }}
{% endif %}{% if requested_fields %}Please provide: {{ requested_fields | join(", ") }}.
{% endif %}Next step: {{ next_step }}
{% if sla_due %}Due by: {{ sla_due }}.
{% endif %}{% if application_url %}See your application: {{ application_url }}
{% endif %}{% if survey_url %}Rate our service (SKM survey): {{ survey_url }}
{% endif %}""",
        html="""<!doctype html>
<html lang="en"><body>
<h1>{{ headline }}</h1>
<p><strong>{{ service_name }}</strong><br>
Tracking number: <strong>{{ tracking_number }}</strong></p>
<p>{{ meaning }}</p>
{% if changed_at %}<p>When: {{ changed_at }}</p>
{% endif %}{% if note %}<p>Officer's note: {{ note }}</p>
{% endif %}{% if requested_fields %}<p>Please provide:</p>
<ul>{% for field in requested_fields %}<li>{{ field }}</li>{% endfor %}</ul>
{% endif %}<p><strong>Next step:</strong> {{ next_step }}</p>
{% if sla_due %}<p>Due by: {{ sla_due }}</p>
{% endif %}{% if application_url %}<p><a href="{{ application_url }}">See your application</a>:
{{ application_url }}</p>
{% endif %}{% if survey_url %}<p><a href="{{ survey_url }}">Rate our service (SKM survey)</a>:
{{ survey_url }}</p>
{% endif %}<p>MPP Digital</p>
</body></html>""",
    ),
}

# Supervisors get one bilingual email: an agency's staff may read either language.
_ESCALATION = _Template(
    subject="[MPP Digital] {{ title_id }} / {{ title_en }}: {{ tracking_number }}",
    text="""{{ title_id }} / {{ title_en }}
Layanan / Service: {{ service_name }}
Nomor lacak / Tracking number: {{ tracking_number }}
Instansi / Agency: {{ agency_name }}
Status: {{ status }}
{% if sla_due %}Batas SLA / SLA due: {{ sla_due }}
{% endif %}Alasan / Reason: {{ reason }}
{% if detail %}{{ detail }}
{% endif %}""",
    html="""<!doctype html>
<html lang="id"><body>
<h1>{{ title_id }} / {{ title_en }}</h1>
<ul>
<li>Layanan / Service: {{ service_name }}</li>
<li>Nomor lacak / Tracking number: <strong>{{ tracking_number }}</strong></li>
<li>Instansi / Agency: {{ agency_name }}</li>
<li>Status: {{ status }}</li>
{% if sla_due %}<li>Batas SLA / SLA due: {{ sla_due }}</li>
{% endif %}<li>Alasan / Reason: {{ reason }}</li>
</ul>
{% if detail %}<p>{{ detail }}</p>
{% endif %}</body></html>""",
)

_ESCALATION_TITLES = {
    "sla_breach": ("Melewati batas SLA", "SLA breached"),
    "webhook_failure": ("Pengiriman ke sistem instansi gagal", "Delivery to agency system failed"),
}


@lru_cache(maxsize=64)
def _compiled(source: str, html: bool) -> JinjaTemplate:
    """Compile each template source once: compiling costs milliseconds, rendering a
    compiled template microseconds, and every status change renders three."""
    return (_html if html else _text).from_string(source)


def _render(template: _Template, context: dict[str, Any]) -> tuple[str, str, str]:
    subject = _compiled(template.subject, False).render(context).strip()
    text = _compiled(template.text, False).render(context).strip() + "\n"
    html = _compiled(template.html, True).render(context)
    return subject, text, html


def service_name(code: str, language: str) -> str:
    service = served_catalogue().service(code)
    if service is None:
        return code
    return service.name.en if language == "en" else service.name.id


@dataclass(frozen=True)
class StatusNotice:
    """What one status-change notice says: the change, where the application is (its
    region decides the zone every time is written in), and the absolute links it
    carries (:mod:`services.notify.links`)."""

    status: str
    tracking_number: str
    service: str
    region: str | None = None
    changed_at: datetime | None = None
    note: str | None = None
    requested_fields: tuple[str, ...] = ()
    sla_due_at: datetime | None = None
    application_url: str | None = None
    survey_url: str | None = None


def render_status(notice: StatusNotice, language: str) -> Rendered:
    """The notice for one status change, in the citizen's language (``id`` by default)."""
    language = "en" if language == "en" else "id"
    copy = copy_for(notice.status, language)
    service = served_catalogue().service(notice.service)
    context = {
        "headline": copy.headline,
        "meaning": copy.meaning,
        "next_step": copy.next_step,
        "service_name": service_name(notice.service, language),
        "tracking_number": notice.tracking_number,
        "changed_at": _when(notice.changed_at, notice.region, language),
        "note": notice.note,
        "requested_fields": [
            requested_label(service, name, language) for name in notice.requested_fields
        ],
        "sla_due": _when(notice.sla_due_at, notice.region, language),
        "application_url": notice.application_url,
        "survey_url": notice.survey_url,
    }
    subject, text, html = _render(_STATUS[language], context)
    link = notice.survey_url or notice.application_url
    return Rendered(
        f"status.{notice.status}", STATUS_TEMPLATE_VERSION, language, subject, text, html, link
    )


def _when(moment: datetime | None, region: str | None, language: str) -> str | None:
    return in_words(moment, region, language) if moment else None


def render_escalation(
    *,
    kind: str,
    tracking_number: str,
    service: str,
    agency: str,
    status: str,
    reason: str,
    region: str | None = None,
    sla_due_at: datetime | None = None,
    detail: str | None = None,
) -> Rendered:
    """The email to an agency's supervisor: an SLA breach or a failed webhook delivery."""
    title_id, title_en = _ESCALATION_TITLES[kind]
    found = served_catalogue().agency(agency)
    context = {
        "title_id": title_id,
        "title_en": title_en,
        "service_name": service_name(service, "id"),
        "tracking_number": tracking_number,
        "agency_name": found.name.id if found else agency,
        "status": " / ".join(
            status_words(status, translations(lang).gettext).label for lang in ("id", "en")
        ),
        "sla_due": _when(sla_due_at, region, "id"),
        "reason": reason,
        "detail": detail,
    }
    subject, text, html = _render(_ESCALATION, context)
    return Rendered(f"operator.{kind}", ESCALATION_TEMPLATE_VERSION, "id", subject, text, html)
