"""Each workflow status in plain words, with what happens next.

A citizen never reads ``received`` or ``needs_info``: the page shows "Diterima instansi"
and a sentence saying what happens now and who acts. The words are message ids in the
platform's catalogue (Bahasa Indonesia is the source language), so a region adding a
language translates them with the rest of the page text. ``shared.workflow.STATUSES``
is the list they cover; a test fails when a status has no words.
"""

from collections.abc import Callable
from dataclasses import dataclass

from shared.workflow import FULFILLED, STATUSES, TRANSITIONS

__all__ = ["PROGRESS", "STATUS_WORDS", "StatusWords", "progress_steps", "status_words"]


def N_(message: str) -> str:
    """Marks a message for the catalogue; translated where it is shown."""
    return message


@dataclass(frozen=True)
class StatusWords:
    label: str
    next_step: str


STATUS_WORDS: dict[str, StatusWords] = {
    "submitted": StatusWords(
        N_("Diajukan"),
        N_("Permohonan Anda sudah kami terima dan sedang diteruskan ke instansi."),
    ),
    "payment_due": StatusWords(
        N_("Menunggu pembayaran"),
        N_(
            "Bayar tagihan layanan ini sebelum batas waktunya; permohonan diteruskan ke "
            "instansi begitu pembayaran diterima."
        ),
    ),
    "payment_expired": StatusWords(
        N_("Tagihan kedaluwarsa"),
        N_(
            "Tagihan tidak dibayar sampai batas waktunya, jadi permohonan tidak diteruskan "
            "ke instansi. Ajukan permohonan baru bila Anda masih memerlukan layanan ini."
        ),
    ),
    "routed": StatusWords(
        N_("Diteruskan ke instansi"),
        N_("Instansi akan memeriksa kelengkapan permohonan Anda."),
    ),
    "received": StatusWords(
        N_("Diterima instansi"),
        N_("Petugas instansi akan mulai memeriksa permohonan Anda."),
    ),
    "in_review": StatusWords(
        N_("Sedang diperiksa"),
        N_("Petugas sedang memeriksa permohonan Anda. Anda akan diberi tahu hasilnya."),
    ),
    "needs_info": StatusWords(
        N_("Perlu data tambahan"),
        N_("Petugas meminta data tambahan. Lengkapi permintaan itu agar permohonan dilanjutkan."),
    ),
    "resubmitted": StatusWords(
        N_("Data tambahan dikirim"),
        N_("Petugas akan memeriksa data tambahan dari Anda."),
    ),
    "approved": StatusWords(
        N_("Disetujui"),
        N_("Permohonan disetujui. Dokumen hasil sedang disiapkan."),
    ),
    "rejected": StatusWords(
        N_("Ditolak"),
        N_(
            "Permohonan tidak dapat dilanjutkan. Baca alasannya di bawah; "
            "Anda dapat mengajukan lagi."
        ),
    ),
    "completed": StatusWords(
        N_("Selesai"),
        N_("Layanan selesai. Dokumen hasil dapat diunduh atau diambil sesuai petunjuk."),
    ),
    "cancelled": StatusWords(
        N_("Dibatalkan"),
        N_("Permohonan ini dibatalkan atas permintaan Anda."),
    ),
    "routing_failed": StatusWords(
        N_("Tertunda"),
        N_("Permohonan belum dapat diteruskan ke instansi. Kami mencoba lagi secara otomatis."),
    ),
}


def _path_to_fulfilment() -> tuple[str, ...]:
    """The shortest way from the first status to the fulfilled one: the path most
    applications take, which the stepper on the application page draws."""
    first = STATUSES[0]
    paths: dict[str, tuple[str, ...]] = {first: (first,)}
    frontier = [first]
    while frontier and FULFILLED not in paths:
        following = []
        for status in frontier:
            for next_status in TRANSITIONS.get(status, {}):
                if next_status not in paths:
                    paths[next_status] = (*paths[status], next_status)
                    following.append(next_status)
        frontier = following
    return paths[FULFILLED]


PROGRESS = _path_to_fulfilment()


def _place_on_path() -> dict[str, int]:
    """Where each status sits on the path: a status off it sits at the furthest step
    it can follow (needs_info at the review step, routing_failed at the first)."""
    place = {status: position for position, status in enumerate(PROGRESS)}
    changed = True
    while changed:
        changed = False
        for status, nexts in TRANSITIONS.items():
            for next_status in nexts:
                if next_status in PROGRESS or status not in place:
                    continue
                if place.get(next_status, -1) < place[status]:
                    place[next_status] = place[status]
                    changed = True
    return place


_PLACE = _place_on_path()


def status_words(status: str, gettext: Callable[[str], str]) -> StatusWords:
    """The words for ``status`` in the reader's language; an unknown status (a newer
    workflow than this page) reads as "being processed", never as its code."""
    words = STATUS_WORDS.get(status)
    if words is None:
        return StatusWords(gettext("Sedang diproses"), "")
    return StatusWords(gettext(words.label), gettext(words.next_step))


def progress_steps(status: str, gettext: Callable[[str], str]) -> list[dict[str, str]]:
    """The stepper's steps, each ``done``, ``current`` or ``todo``."""
    here = _PLACE.get(status, 0)
    steps = []
    for position, step in enumerate(PROGRESS):
        state = "done" if position < here else ("current" if position == here else "todo")
        if status == "completed":
            state = "done"
        steps.append({"status": step, "label": gettext(STATUS_WORDS[step].label), "state": state})
    return steps
