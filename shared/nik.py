"""The NIK (Nomor Induk Kependudukan), checked before an account exists.

Sixteen digits: province (2) + regency/city (2) + district (2) + birth date DDMMYY, with
40 added to the day for women + a serial (4). A NIK that fails any part is refused with
a message that names the part, so a citizen who mistyped one digit knows which.
Pure functions: no I/O.
"""

from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = ["PROVINCES", "NikError", "NikInfo", "parse_nik"]

# Kemendagri province codes (Permendagri 72/2019 and the 2022 Papua provinces).
PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}


class NikError(ValueError):
    """What is wrong with a NIK, in Bahasa Indonesia and English."""


@dataclass(frozen=True)
class NikInfo:
    region: str  # province + regency/city: the Kemendagri code of the issuing region
    district: str
    birth_date: date
    sex: Literal["F", "M"]


def _birth_date(ddmmyy: str, today: date) -> tuple[date, Literal["F", "M"]]:
    day, month, year = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:])
    sex: Literal["F", "M"] = "F" if day > 40 else "M"
    if sex == "F":
        day -= 40
    # Two-digit year: the most recent century that does not put the birth in the future.
    century = 2000 if 2000 + year <= today.year else 1900
    try:
        born = date(century + year, month, day)
    except ValueError:
        raise NikError(
            f"Digit 7–12 NIK bukan tanggal lahir yang valid ({ddmmyy}; perempuan: tanggal + 40) "
            f"/ NIK digits 7–12 are not a real birth date DDMMYY ({ddmmyy}; women: day + 40)"
        ) from None
    if born > today:
        raise NikError(
            "Tanggal lahir pada NIK ada di masa depan / the birth date in the NIK is in the future"
        )
    return born, sex


def parse_nik(nik: str, today: date | None = None) -> NikInfo:
    """Check every part of ``nik``; raise :class:`NikError` naming the part that is wrong."""
    today = today or date.today()
    if len(nik) != 16 or not nik.isascii() or not nik.isdigit():
        raise NikError(
            f"NIK harus 16 digit angka (diterima {len(nik)} karakter) "
            f"/ NIK must be exactly 16 digits (got {len(nik)} characters)"
        )
    province, regency, district = nik[:2], nik[2:4], nik[4:6]
    if province not in PROVINCES:
        raise NikError(
            f"Kode provinsi {province} pada NIK tidak dikenal "
            f"/ NIK digits 1–2 ({province}) are not a known province code"
        )
    if regency == "00":
        raise NikError(
            "Kode kabupaten/kota pada NIK (digit 3–4) tidak boleh 00 "
            "/ NIK digits 3–4 (regency or city) cannot be 00"
        )
    if district == "00":
        raise NikError(
            "Kode kecamatan pada NIK (digit 5–6) tidak boleh 00 "
            "/ NIK digits 5–6 (district) cannot be 00"
        )
    born, sex = _birth_date(nik[6:12], today)
    if nik[12:] == "0000":
        raise NikError(
            "Nomor urut NIK (digit 13–16) tidak boleh 0000 / NIK digits 13–16 cannot be 0000"
        )
    return NikInfo(region=province + regency, district=district, birth_date=born, sex=sex)
