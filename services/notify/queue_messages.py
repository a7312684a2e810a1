"""What a queue notice says, in Bahasa Indonesia then English: a booking's reminder (the
local time with its zone, the service, the MPP, the booking code) and the SKM survey
offered after a served ticket."""

from datetime import datetime
from html import escape

from services.notify.templates import Rendered, in_words, service_name
from shared.catalogue.live import served_catalogue

__all__ = ["QUEUE_TEMPLATE_VERSION", "render_reminder", "render_served_survey"]

QUEUE_TEMPLATE_VERSION = 1

_WHEN = {"day_before": ("besok", "tomorrow"), "hour_before": ("satu jam lagi", "in one hour")}


def _mpp(region: str) -> str:
    found = served_catalogue().region(region)
    return found.mpp if found is not None else f"MPP {region}"


def _html(text: str, link: str | None = None) -> str:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in text.strip().split("\n\n"))
    more = f'<p><a href="{escape(link)}">{escape(link)}</a></p>' if link else ""
    return (
        f'<!doctype html><html lang="id"><body>{paragraphs}{more}<p>MPP Digital</p></body></html>'
    )


def render_reminder(
    kind: str, *, start: datetime, region: str, service: str, code: str
) -> Rendered:
    """The reminder of one booking, ``day_before`` or ``hour_before`` its slot."""
    soon_id, soon_en = _WHEN[kind]
    mpp = _mpp(region)
    text = (
        f"Pengingat antrean: {soon_id}, {in_words(start, region, 'id')}, layanan "
        f"{service_name(service, 'id')} di {mpp}. Kode antrean: {code}. Tunjukkan kode "
        "atau kode QR-nya di kios antrean; datanglah paling lambat pada jam itu.\n\n"
        f"Queue reminder: {soon_en}, {in_words(start, region, 'en')}, "
        f"{service_name(service, 'en')} at {mpp}. Booking code: {code}. Show the code or "
        "its QR code at the queue kiosk; come by that time at the latest.\n"
    )
    return Rendered(
        template=f"queue.reminder.{kind}",
        version=QUEUE_TEMPLATE_VERSION,
        language="id",
        subject=f"Pengingat antrean {mpp} / {mpp} queue reminder",
        text=text,
        html=_html(text),
    )


def render_served_survey(*, region: str, service: str, number: str, survey_url: str) -> Rendered:
    """The invitation to rate the service just received at the counter."""
    mpp = _mpp(region)
    text = (
        f"Terima kasih telah datang ke {mpp} (nomor {number}, layanan "
        f"{service_name(service, 'id')}). Mohon beri penilaian layanan kami "
        f"(Survei Kepuasan Masyarakat): {survey_url}\n\n"
        f"Thank you for visiting {mpp} (number {number}, {service_name(service, 'en')}). "
        f"Please rate our service (public satisfaction survey): {survey_url}\n"
    )
    return Rendered(
        template="queue.served_survey",
        version=QUEUE_TEMPLATE_VERSION,
        language="id",
        subject=f"Beri penilaian layanan {mpp} / Rate the service at {mpp}",
        text=text,
        html=_html(text, survey_url),
        link=survey_url,
    )
