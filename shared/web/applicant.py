"""An applicant's profile values as people read them: the citizen on the form that
lists what will be shared, the officer who receives it. One place, so both see the same."""

from typing import Any

__all__ = [
    "ADDRESS_HINTS",
    "ADDRESS_LABELS",
    "ADDRESS_PARTS",
    "ADDRESS_REQUIRED",
    "NUMERIC_FIELDS",
    "SEX_LABELS",
    "shown_value",
]

SEX_LABELS = {"F": ("Perempuan", "Female"), "M": ("Laki-laki", "Male")}

# An address as the profile keeps it (PATCH /api/v1/me), part by part, in words: the
# profile page (identity's) and the service form (the portal's) ask for the same parts.
ADDRESS_PARTS = (
    "street",
    "rt",
    "rw",
    "village",
    "district",
    "city",
    "province",
    "region_code",
    "postal_code",
)
ADDRESS_REQUIRED = ("street", "rt", "rw", "village", "district")
"""The parts without which an address is not complete enough to send to an agency."""
ADDRESS_LABELS: dict[str, tuple[str, str]] = {
    "street": ("Jalan dan nomor rumah", "Street and house number"),
    "rt": ("RT", "RT (neighbourhood)"),
    "rw": ("RW", "RW (hamlet)"),
    "village": ("Kelurahan/desa", "Village"),
    "district": ("Kecamatan", "District"),
    "city": ("Kabupaten/kota", "Regency/city"),
    "province": ("Provinsi", "Province"),
    "region_code": ("Kode wilayah kabupaten/kota", "Regency/city code"),
    "postal_code": ("Kode pos", "Postal code"),
}
ADDRESS_HINTS: dict[str, tuple[str, str]] = {
    "rt": ("Contoh 003", "For example 003"),
    "rw": ("Contoh 005", "For example 005"),
    "region_code": (
        "4 digit, sama dengan 4 digit pertama NIK bila Anda tinggal sesuai KTP",
        "4 digits, the first 4 digits of your NIK if you live where your ID card says",
    ),
    "postal_code": ("5 digit", "5 digits"),
}
NUMERIC_FIELDS = frozenset({"nik", "family_card_number", "rt", "rw", "region_code", "postal_code"})
"""Fields of digits: their inputs ask a phone for its number pad (``inputmode``)."""


def shown_value(field: str, value: Any, lang: str) -> str:
    """One value (address on one line, birth date as dd-mm-yyyy, sex in words)."""
    english = lang == "en"
    if value in (None, ""):
        return ""
    if field == "sex" and value in SEX_LABELS:
        return SEX_LABELS[value][english]
    if field == "birth_date":
        day = str(value)[:10]
        return "-".join(reversed(day.split("-"))) if len(day) == 10 else day
    if field == "address" and isinstance(value, dict):
        neighbourhood = "/".join(
            f"{part.upper()} {value[part]}" for part in ("rt", "rw") if value.get(part)
        )
        parts = [
            value.get("street"),
            neighbourhood,
            value.get("village"),
            value.get("district"),
            value.get("city"),
            " ".join(filter(None, [value.get("province"), value.get("postal_code")])),
        ]
        line = ", ".join(str(part) for part in parts if part)
        if value.get("region_code"):
            line += f" ({'region code' if english else 'kode wilayah'} {value['region_code']})"
        return line
    return str(value)
