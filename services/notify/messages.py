"""What each status means to a citizen, in plain words: Bahasa Indonesia and English."""

__all__ = ["TEMPLATE_VERSION", "message_for"]

TEMPLATE_VERSION = 1

_MESSAGES: dict[str, tuple[str, str]] = {
    "routed": (
        "Permohonan Anda sudah diteruskan ke instansi yang menangani.",
        "Your application has been passed to the agency that handles it.",
    ),
    "routing_failed": (
        "Permohonan Anda belum dapat diteruskan. Petugas kami sedang menanganinya.",
        "Your application could not be passed on yet. Our staff are on it.",
    ),
    "received": (
        "Instansi sudah menerima permohonan Anda.",
        "The agency has received your application.",
    ),
    "in_review": ("Permohonan Anda sedang diperiksa.", "Your application is being reviewed."),
    "needs_info": (
        "Instansi memerlukan data tambahan. Silakan lengkapi permohonan Anda.",
        "The agency needs more information. Please complete your application.",
    ),
    "resubmitted": (
        "Data tambahan Anda sudah kami terima.",
        "We have received your additional information.",
    ),
    "approved": ("Permohonan Anda disetujui.", "Your application has been approved."),
    "rejected": (
        "Permohonan Anda ditolak. Lihat catatan petugas untuk alasannya.",
        "Your application was rejected. See the officer's note for the reason.",
    ),
    "completed": (
        "Layanan Anda sudah selesai. Mohon beri penilaian atas layanan kami.",
        "Your service is complete. Please rate our service.",
    ),
    "cancelled": ("Permohonan Anda dibatalkan.", "Your application has been cancelled."),
}


def message_for(status: str, language: str = "id") -> str:
    indonesian, english = _MESSAGES.get(status, (f"Status baru: {status}", f"New status: {status}"))
    return english if language == "en" else indonesian
