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
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from jinja2 import Environment, StrictUndefined
from jinja2 import Template as JinjaTemplate

from services.notify.messages import STATUS_TEMPLATE_VERSION, copy_for
from shared.catalogue import load_catalogue

__all__ = ["Rendered", "format_wib", "render_escalation", "render_status"]

WIB = timezone(timedelta(hours=7), "WIB")

_MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
_DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

ESCALATION_TEMPLATE_VERSION = 1


def format_wib(moment: datetime, language: str = "id") -> str:
    """``Senin, 23 November 2026 pukul 16.00 WIB`` / ``Monday 23 November 2026, 16:00 WIB``.

    The regions the platform serves today are all on Western Indonesian Time (UTC+7, no
    daylight saving), so a fixed offset is exact.
    """
    local = moment.astimezone(WIB)
    if language == "en":
        return (
            f"{_DAYS_EN[local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]} "
            f"{local.year}, {local:%H:%M} WIB"
        )
    return (
        f"{_DAYS_ID[local.weekday()]}, {local.day} {_MONTHS_ID[local.month - 1]} "
        f"{local.year} pukul {local:%H.%M} WIB"
    )


@dataclass(frozen=True)
class Rendered:
    template: str
    version: int
    language: str
    subject: str
    text: str
    html: str


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
{% if note %}Catatan petugas: {{ note }}
{% endif %}{% if requested_fields %}Yang perlu dilengkapi: {{ requested_fields | join(", ") }}.
{% endif %}Langkah berikutnya: {{ next_step }}
{% if sla_due %}Target selesai: {{ sla_due }}.
{% endif %}{% if survey_path %}Isi survei kepuasan (SKM): {{ survey_path }}
{% endif %}""",
        html="""<!doctype html>
<html lang="id"><body>
<h1>{{ headline }}</h1>
<p><strong>{{ service_name }}</strong><br>
Nomor lacak: <strong>{{ tracking_number }}</strong></p>
<p>{{ meaning }}</p>
{% if note %}<p>Catatan petugas: {{ note }}</p>
{% endif %}{% if requested_fields %}<p>Yang perlu dilengkapi:</p>
<ul>{% for field in requested_fields %}<li>{{ field }}</li>{% endfor %}</ul>
{% endif %}<p><strong>Langkah berikutnya:</strong> {{ next_step }}</p>
{% if sla_due %}<p>Target selesai: {{ sla_due }}</p>
{% endif %}{% if survey_path %}<p>Isi survei kepuasan (SKM): {{ survey_path }}</p>
{% endif %}<p>MPP Digital</p>
</body></html>""",
    ),
    "en": _Template(
        subject="[{{ tracking_number }}] {{ headline }}",
        text="""{{ headline }}: {{ service_name }} ({{ tracking_number }}).
{{ meaning }}
{% if note %}Officer's note: {{ note }}
{% endif %}{% if requested_fields %}Please provide: {{ requested_fields | join(", ") }}.
{% endif %}Next step: {{ next_step }}
{% if sla_due %}Due by: {{ sla_due }}.
{% endif %}{% if survey_path %}Rate our service (SKM survey): {{ survey_path }}
{% endif %}""",
        html="""<!doctype html>
<html lang="en"><body>
<h1>{{ headline }}</h1>
<p><strong>{{ service_name }}</strong><br>
Tracking number: <strong>{{ tracking_number }}</strong></p>
<p>{{ meaning }}</p>
{% if note %}<p>Officer's note: {{ note }}</p>
{% endif %}{% if requested_fields %}<p>Please provide:</p>
<ul>{% for field in requested_fields %}<li>{{ field }}</li>{% endfor %}</ul>
{% endif %}<p><strong>Next step:</strong> {{ next_step }}</p>
{% if sla_due %}<p>Due by: {{ sla_due }}</p>
{% endif %}{% if survey_path %}<p>Rate our service (SKM survey): {{ survey_path }}</p>
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
    service = load_catalogue().service(code)
    if service is None:
        return code
    return service.name.en if language == "en" else service.name.id


def render_status(
    *,
    status: str,
    language: str,
    tracking_number: str,
    service: str,
    note: str | None = None,
    requested_fields: list[str] | None = None,
    sla_due_at: datetime | None = None,
    survey_path: str | None = None,
) -> Rendered:
    """The notice for one status change, in the citizen's language (``id`` by default)."""
    language = "en" if language == "en" else "id"
    copy = copy_for(status, language)
    context = {
        "headline": copy.headline,
        "meaning": copy.meaning,
        "next_step": copy.next_step,
        "service_name": service_name(service, language),
        "tracking_number": tracking_number,
        "note": note,
        "requested_fields": requested_fields or [],
        "sla_due": format_wib(sla_due_at, language) if sla_due_at else None,
        "survey_path": survey_path,
    }
    subject, text, html = _render(_STATUS[language], context)
    return Rendered(f"status.{status}", STATUS_TEMPLATE_VERSION, language, subject, text, html)


def render_escalation(
    *,
    kind: str,
    tracking_number: str,
    service: str,
    agency: str,
    status: str,
    reason: str,
    sla_due_at: datetime | None = None,
    detail: str | None = None,
) -> Rendered:
    """The email to an agency's supervisor: an SLA breach or a failed webhook delivery."""
    title_id, title_en = _ESCALATION_TITLES[kind]
    found = load_catalogue().agency(agency)
    context = {
        "title_id": title_id,
        "title_en": title_en,
        "service_name": service_name(service, "id"),
        "tracking_number": tracking_number,
        "agency_name": found.name.id if found else agency,
        "status": status,
        "sla_due": format_wib(sla_due_at, "id") if sla_due_at else None,
        "reason": reason,
        "detail": detail,
    }
    subject, text, html = _render(_ESCALATION, context)
    return Rendered(f"operator.{kind}", ESCALATION_TEMPLATE_VERSION, "id", subject, text, html)
