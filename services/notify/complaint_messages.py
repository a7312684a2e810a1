"""What a complaint notice says, in Bahasa Indonesia then English: the agency answered
(with its words), SP4N-LAPOR! changed the complaint's status, a step of the timeline was
late and went to the agency's supervisor, or the complaint was closed. Times are the
region's local time with its zone, in words; never a code, a state name or an ISO time.
"""

from dataclasses import dataclass
from datetime import datetime
from html import escape

from services.notify.templates import Rendered, in_words, service_name
from shared.catalogue.live import served_catalogue

__all__ = ["COMPLAINT_TEMPLATE_VERSION", "ComplaintMoment", "mpp_name", "render_complaint_notice"]

COMPLAINT_TEMPLATE_VERSION = 1

_KIND = {"konsultasi": ("Pertanyaan", "question"), "pengaduan": ("Pengaduan", "complaint")}

# What LAPOR!'s own statuses mean to a citizen; one not listed is said as LAPOR! says it.
_LAPOR = {
    "diterima": ("diterima", "received"),
    "diproses": ("sedang diproses", "being handled"),
    "ditindaklanjuti": ("sedang ditindaklanjuti", "being followed up"),
    "selesai": ("dinyatakan selesai", "marked as resolved"),
}


@dataclass(frozen=True)
class ComplaintMoment:
    """One move of a complaint, as a citizen is told of it."""

    move: str
    """``answered``, ``tracked``, ``escalated`` or ``closed``."""
    kind: str
    region: str
    service: str
    at: datetime
    link: str
    answer: str | None = None
    lapor_status: str | None = None
    tracking_id: str | None = None
    step: str | None = None
    due_at: datetime | None = None
    close_due_at: datetime | None = None
    about: str = "application"
    """``building``: the region's MPP itself, which no service names."""


def mpp_name(region: str) -> str:
    """The region's MPP by its name (``MPP <code>`` for a region the catalogue lacks)."""
    found = served_catalogue().region(region)
    return found.mpp if found is not None else f"MPP {region}"


def _about(moment: ComplaintMoment, kind_id: str, kind_en: str) -> tuple[str, str]:
    if moment.about == "building":
        mpp = mpp_name(moment.region)
        return f"{kind_id} Anda tentang gedung {mpp}", f"Your {kind_en} about the {mpp} building"
    return (
        f"{kind_id} Anda tentang layanan {service_name(moment.service, 'id')}",
        f"Your {kind_en} about {service_name(moment.service, 'en')}",
    )


def _lines(moment: ComplaintMoment) -> tuple[str, str, str, str]:
    """The Indonesian and English subject and sentences of one move."""
    kind_id, kind_en = _KIND.get(moment.kind, _KIND["pengaduan"])
    about_id, about_en = _about(moment, kind_id, kind_en)
    when_id = in_words(moment.at, moment.region, "id")
    when_en = in_words(moment.at, moment.region, "en")
    if moment.move == "answered":
        close_id = close_en = ""
        if moment.close_due_at is not None:
            close_id = (
                " Bila Anda tidak menanggapi, pengaduan ditutup setelah "
                f"{in_words(moment.close_due_at, moment.region, 'id')}."
            )
            close_en = (
                " If you do not reply, it closes after "
                f"{in_words(moment.close_due_at, moment.region, 'en')}."
            )
        return (
            f"{kind_id} Anda sudah dijawab",
            f'{about_id} sudah dijawab instansi pada {when_id}: "{moment.answer}"{close_id}',
            f"{kind_en.capitalize()} answered",
            f'{about_en} was answered by the agency on {when_en}: "{moment.answer}"{close_en}',
        )
    if moment.move == "tracked":
        said_id, said_en = _LAPOR.get(
            (moment.lapor_status or "").lower(), (moment.lapor_status, moment.lapor_status)
        )
        return (
            f"Kabar dari SP4N-LAPOR! tentang {kind_id.lower()} Anda",
            f"{about_id} {said_id} oleh SP4N-LAPOR! (nomor {moment.tracking_id}) pada {when_id}.",
            f"News from SP4N-LAPOR! about your {kind_en}",
            f"{about_en} was {said_en} by SP4N-LAPOR! (number {moment.tracking_id}) on {when_en}.",
        )
    if moment.move == "escalated":
        late_id, late_en = (
            ("belum diteruskan ke SP4N-LAPOR!", "was not forwarded to SP4N-LAPOR!")
            if moment.step == "forward"
            else ("belum dijawab instansi", "was not answered by the agency")
        )
        due = moment.due_at or moment.at
        return (
            f"{kind_id} Anda dilaporkan ke atasan instansi",
            f"{about_id} {late_id} sampai batas waktunya, "
            f"{in_words(due, moment.region, 'id')}. Kami telah melaporkannya ke atasan "
            "instansi agar segera ditangani.",
            f"Your {kind_en} went to the agency's supervisor",
            f"{about_en} {late_en} by its deadline, {in_words(due, moment.region, 'en')}. "
            "We reported it to the agency's supervisor to handle it promptly.",
        )
    return (
        f"{kind_id} Anda selesai",
        f"{about_id} ditutup pada {when_id}: 10 hari kerja berlalu setelah jawaban instansi "
        "tanpa tanggapan dari Anda. Bila masih ada masalah, ajukan pengaduan baru.",
        f"Your {kind_en} is closed",
        f"{about_en} closed on {when_en}: 10 working days passed after the agency's answer "
        "without a reply from you. If something is still wrong, file a new one.",
    )


def render_complaint_notice(moment: ComplaintMoment) -> Rendered:
    """One notice of a complaint's move, both languages in one message."""
    subject_id, said_id, subject_en, said_en = _lines(moment)
    text = (
        f"{said_id}\nLihat percakapannya: {moment.link}\n\n"
        f"{said_en}\nSee the conversation: {moment.link}\n"
    )
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in (said_id, "", said_en) if line)
    link = f'<p><a href="{escape(moment.link)}">{escape(moment.link)}</a></p>'
    return Rendered(
        template=f"complaint.{moment.move}",
        version=COMPLAINT_TEMPLATE_VERSION,
        language="id",
        subject=f"{subject_id} / {subject_en}",
        text=text,
        html=f'<!doctype html><html lang="id"><body>{paragraphs}{link}<p>MPP Digital</p>'
        "</body></html>",
        link=moment.link,
    )
