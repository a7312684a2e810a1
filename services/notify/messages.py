"""What each status means to a citizen and what they should do next, in plain words.

This is the copy the templates (:mod:`services.notify.templates`) put around the
application's details. Bahasa Indonesia first, English second. Changing a sentence here
changes what citizens read: bump :data:`STATUS_TEMPLATE_VERSION` so each stored notice
still says which wording it was sent with.
"""

from typing import NamedTuple

__all__ = ["STATUS_TEMPLATE_VERSION", "Copy", "copy_for"]

STATUS_TEMPLATE_VERSION = 3


class Copy(NamedTuple):
    headline: str
    meaning: str
    next_step: str


_ID: dict[str, Copy] = {
    "payment_due": Copy(
        "Tagihan siap dibayar",
        "Layanan ini berbayar. Permohonan Anda diteruskan ke instansi setelah tagihan dibayar.",
        "Bayar sesuai catatan di bawah (kode atau nomor tagihan) sebelum batas waktunya.",
    ),
    "payment_expired": Copy(
        "Tagihan kedaluwarsa",
        "Tagihan tidak dibayar sampai batas waktunya; permohonan tidak diteruskan ke instansi.",
        "Ajukan permohonan baru bila Anda masih memerlukan layanan ini.",
    ),
    "routed": Copy(
        "Permohonan diteruskan",
        "Permohonan Anda sudah diteruskan ke instansi yang menangani.",
        "Anda tidak perlu melakukan apa pun. Kami kabari lagi saat instansi menerimanya.",
    ),
    "routing_failed": Copy(
        "Permohonan tertunda",
        "Permohonan Anda belum dapat diteruskan ke instansi. Petugas kami sedang menanganinya.",
        "Anda tidak perlu mengajukan ulang. Kami kabari lagi setelah masalahnya selesai.",
    ),
    "delivery_failed": Copy(
        "Permohonan tertunda",
        "Sistem instansi belum dapat menerima permohonan Anda. Petugas kami sedang menanganinya.",
        "Anda tidak perlu mengajukan ulang. Kami kabari lagi setelah masalahnya selesai.",
    ),
    "received": Copy(
        "Permohonan diterima instansi",
        "Instansi sudah menerima permohonan Anda dan akan memprosesnya.",
        "Anda tidak perlu melakukan apa pun. Pantau status permohonan dengan nomor lacak Anda.",
    ),
    "in_review": Copy(
        "Permohonan sedang diperiksa",
        "Petugas instansi sedang memeriksa permohonan dan dokumen Anda.",
        "Anda tidak perlu melakukan apa pun. Kami kabari bila ada yang perlu dilengkapi.",
    ),
    "needs_info": Copy(
        "Data tambahan diperlukan",
        "Instansi memerlukan data atau dokumen tambahan untuk melanjutkan permohonan Anda.",
        "Buka permohonan Anda di aplikasi MPP Digital dan lengkapi data yang diminta.",
    ),
    "resubmitted": Copy(
        "Data tambahan diterima",
        "Data tambahan Anda sudah kami terima dan diteruskan ke instansi.",
        "Anda tidak perlu melakukan apa pun. Instansi akan melanjutkan pemeriksaan.",
    ),
    "approved": Copy(
        "Permohonan disetujui",
        "Permohonan Anda disetujui oleh instansi.",
        "Tunggu pemberitahuan berikutnya: kami kabari saat dokumen Anda siap.",
    ),
    "rejected": Copy(
        "Permohonan ditolak",
        "Permohonan Anda ditolak oleh instansi.",
        "Baca catatan petugas untuk alasannya. Anda dapat mengajukan permohonan baru.",
    ),
    "completed": Copy(
        "Layanan selesai",
        "Layanan Anda sudah selesai.",
        "Ambil atau unduh hasil layanan Anda, lalu beri penilaian atas layanan kami (SKM).",
    ),
    "cancelled": Copy(
        "Permohonan dibatalkan",
        "Permohonan Anda sudah dibatalkan.",
        "Anda dapat mengajukan permohonan baru kapan saja.",
    ),
}

_EN: dict[str, Copy] = {
    "payment_due": Copy(
        "Your bill is ready to pay",
        "This service has a fee. Your application goes to the agency once the bill is paid.",
        "Pay as the note below says (code or bill number) before it expires.",
    ),
    "payment_expired": Copy(
        "Bill expired",
        "The bill was not paid in time, so the application was not passed to the agency.",
        "Submit a new application if you still need this service.",
    ),
    "routed": Copy(
        "Application passed on",
        "Your application has been passed to the agency that handles it.",
        "You do not need to do anything. We will tell you when the agency receives it.",
    ),
    "routing_failed": Copy(
        "Application delayed",
        "Your application could not be passed to the agency yet. Our staff are on it.",
        "You do not need to apply again. We will tell you once it is sorted out.",
    ),
    "delivery_failed": Copy(
        "Application delayed",
        "The agency's system could not take your application yet. Our staff are on it.",
        "You do not need to apply again. We will tell you once it is sorted out.",
    ),
    "received": Copy(
        "Application received by the agency",
        "The agency has received your application and will process it.",
        "You do not need to do anything. Follow its status with your tracking number.",
    ),
    "in_review": Copy(
        "Application under review",
        "An officer of the agency is reviewing your application and documents.",
        "You do not need to do anything. We will tell you if anything is missing.",
    ),
    "needs_info": Copy(
        "More information needed",
        "The agency needs more information or documents to go on with your application.",
        "Open your application in the MPP Digital app and add what was asked for.",
    ),
    "resubmitted": Copy(
        "Additional information received",
        "We have received your additional information and passed it to the agency.",
        "You do not need to do anything. The agency will carry on with the review.",
    ),
    "approved": Copy(
        "Application approved",
        "Your application has been approved by the agency.",
        "Wait for the next notice: we will tell you when your document is ready.",
    ),
    "rejected": Copy(
        "Application rejected",
        "Your application was rejected by the agency.",
        "Read the officer's note for the reason. You may submit a new application.",
    ),
    "completed": Copy(
        "Service completed",
        "Your service is complete.",
        "Collect or download the result, then please rate our service (SKM survey).",
    ),
    "cancelled": Copy(
        "Application cancelled",
        "Your application has been cancelled.",
        "You may submit a new application at any time.",
    ),
}


def copy_for(status: str, language: str = "id") -> Copy:
    """The copy for ``status``; an unknown status (a newer workflow than this notice)
    still reads as a sentence in plain words, never as its code."""
    if language == "en":
        return _EN.get(status) or Copy(
            "Status updated",
            "Your application is being processed.",
            "Open your application for details.",
        )
    return _ID.get(status) or Copy(
        "Status diperbarui",
        "Permohonan Anda sedang diproses.",
        "Buka permohonan Anda untuk rinciannya.",
    )
