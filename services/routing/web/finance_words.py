"""What each reconciliation finding means to the region's finance officer, and what they
do about it, in plain words (both languages; docs/payments.md, "What an operator
does"). The page never shows a finding's kind or reason key, a bill's state or a
channel's name as stored: it shows these."""

from typing import NamedTuple

__all__ = ["BILL_STATES", "CHANNELS", "FindingWords", "finding_words"]


class FindingWords(NamedTuple):
    """(Bahasa Indonesia, English) for each part."""

    title: tuple[str, str]
    meaning: tuple[str, str]
    action: tuple[str, str]


_WORDS: dict[tuple[str, str], FindingWords] = {
    ("unmatched", "no_bill"): FindingWords(
        ("Dibayar di bank, tanpa tagihan di platform", "Paid at the bank, no bill on the platform"),
        (
            "Bank menyetorkan pembayaran dengan kode yang tidak pernah diterbitkan platform.",
            "The bank settled a payment under a code the platform never issued.",
        ),
        (
            "Cari kode dan bukti bayarnya di log audit (pembayaran ditolak: tagihan tidak "
            "dikenal), lalu minta bank atau SIMPONI mengembalikan uangnya kepada pembayar.",
            "Look the code and receipt up in the audit log (payment refused: no such bill), "
            "then ask the bank or SIMPONI to return the money to the payer.",
        ),
    ),
    ("unmatched", "not_paid"): FindingWords(
        ("Disetor bank, belum lunas di platform", "Settled by the bank, not paid on the platform"),
        (
            "Bank menyetorkan pembayaran untuk tagihan yang di platform belum tercatat lunas: "
            "laporan pembayarannya ditolak atau tidak pernah sampai.",
            "The bank settled a bill the platform does not count as paid: its payment report "
            "was refused or never arrived.",
        ),
        (
            "Bila tagihan masih menunggu pembayaran, laporannya terlambat: tunggu, atau minta "
            "bank mengirim ulang. Bila tagihan sudah kedaluwarsa atau gagal, warga membayar "
            "terlambat: minta bank mengembalikan uangnya.",
            "If the bill is still waiting for payment, its report is late: wait, or ask the "
            "bank to send it again. If the bill expired or failed, the citizen paid too late: "
            "ask the bank to return the money.",
        ),
    ),
    ("unsettled", "not_in_file"): FindingWords(
        (
            "Lunas di platform, tidak ada di berkas bank",
            "Paid on the platform, not in the bank's file",
        ),
        (
            "Platform mencatat pembayaran yang tidak disetorkan bank pada hari itu.",
            "The platform counted a payment the bank did not settle that day.",
        ),
        (
            "Pembayaran mungkin disetor keesokan harinya: impor berkas hari itu. Bila tidak, "
            "tanyakan ke bank dengan bukti bayarnya. Permohonannya sudah diteruskan ke instansi.",
            "It may settle the next day: import that day's file. Otherwise ask the bank with "
            "the receipt. The application was already passed to its agency.",
        ),
    ),
    ("amount", "amount_differs"): FindingWords(
        ("Jumlah disetor berbeda dari tagihan", "Settled for another amount than billed"),
        (
            "Bank menyetorkan jumlah yang tidak sama dengan tagihannya.",
            "The bank settled an amount that differs from the bill.",
        ),
        (
            "Minta bank membetulkan setorannya; selisihnya dikembalikan atau ditagih.",
            "Ask the bank to correct the settlement; the difference is returned or claimed.",
        ),
    ),
}

_UNKNOWN = FindingWords(
    ("Temuan rekonsiliasi", "Reconciliation finding"),
    ("Entri ini tidak cocok dengan tagihannya.", "This entry does not match its bill."),
    ("Periksa bersama bank.", "Check it with the bank."),
)

BILL_STATES: dict[str, tuple[str, str]] = {
    "created": ("belum diterbitkan", "not issued yet"),
    "pending": ("menunggu pembayaran", "waiting for payment"),
    "paid": ("lunas", "paid"),
    "expired": ("kedaluwarsa", "expired"),
    "failed": ("gagal diterbitkan", "could not be issued"),
}
"""A bill's state as the finance officer reads it."""

CHANNELS: dict[str, tuple[str, str]] = {
    "simponi": ("SIMPONI (PNBP)", "SIMPONI (PNBP)"),
    "snap": ("QRIS bank daerah (retribusi)", "QRIS at the regional bank (levy)"),
}
"""Who settled it."""


def finding_words(kind: str, reason: str) -> FindingWords:
    """The words for a finding; a kind this page does not know yet still reads."""
    return _WORDS.get((kind, reason), _UNKNOWN)
