"""The catalogue's codes as words: a form's options (``perubahan_data``) and the kinds of
document a service asks for (``pas_foto``).

The catalogue keeps codes, which the API and the agencies read; a person reads
"Perubahan data" and "Pas foto". The words are message ids in the platform's catalogue
(Bahasa Indonesia is the source language), so a language added by a region translates
them with the rest of the page text. A code without words here is still shown as words:
its underscores become spaces and its first letter a capital.
"""

from collections.abc import Callable

__all__ = ["DOCUMENT_WORDS", "OPTION_WORDS", "document_words", "option_words"]


def N_(message: str) -> str:
    """Marks a message for the catalogue; translated where it is shown."""
    return message


DOCUMENT_WORDS: dict[str, str] = {
    "kartu_keluarga": N_("Kartu Keluarga"),
    "buku_nikah": N_("Buku nikah atau akta perkawinan"),
    "surat_keterangan_lahir": N_("Surat keterangan lahir"),
    "surat_keterangan_kematian": N_("Surat keterangan kematian"),
    "sertifikat_tanah": N_("Sertifikat tanah"),
    "gambar_teknis": N_("Gambar teknis bangunan"),
    "str": N_("Surat Tanda Registrasi (STR)"),
    "rekomendasi_profesi": N_("Rekomendasi organisasi profesi"),
    "pas_foto": N_("Pas foto"),
    "sim_lama": N_("SIM lama"),
    "surat_sehat": N_("Surat keterangan sehat"),
    "stnk": N_("STNK"),
}

OPTION_WORDS: dict[str, str] = {
    "baru": N_("Baru"),
    "rusak": N_("Rusak"),
    "hilang": N_("Hilang"),
    "perubahan_data": N_("Perubahan data"),
    "tambah_anggota": N_("Tambah anggota keluarga"),
    "kurang_anggota": N_("Kurangi anggota keluarga"),
    "suami_istri": N_("Suami atau istri"),
    "anak": N_("Anak"),
    "orang_tua": N_("Orang tua"),
    "saudara": N_("Saudara"),
    "lainnya": N_("Lainnya"),
    "hunian": N_("Hunian"),
    "usaha": N_("Usaha"),
    "sosial_budaya": N_("Sosial dan budaya"),
    "keagamaan": N_("Keagamaan"),
    "campuran": N_("Campuran"),
    "dokter": N_("Dokter"),
    "dokter_gigi": N_("Dokter gigi"),
    "perawat": N_("Perawat"),
    "bidan": N_("Bidan"),
    "apoteker": N_("Apoteker"),
    "motor": N_("Sepeda motor"),
    "mobil": N_("Mobil"),
}


def _as_words(code: str) -> str:
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def document_words(kind: str, gettext: Callable[[str], str]) -> str:
    """ "Pas foto" for ``pas_foto``, in the reader's language."""
    return gettext(DOCUMENT_WORDS[kind]) if kind in DOCUMENT_WORDS else _as_words(kind)


def option_words(value: object, gettext: Callable[[str], str]) -> str:
    """ "Perubahan data" for ``perubahan_data``; a value that is no code ("B1", 2) as is."""
    code = str(value)
    return gettext(OPTION_WORDS[code]) if code in OPTION_WORDS else _as_words(code)
