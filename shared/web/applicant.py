"""An applicant's profile values as people read them: the citizen on the form that
lists what will be shared, the officer who receives it. One place, so both see the same."""

from typing import Any

__all__ = ["SEX_LABELS", "shown_value"]

SEX_LABELS = {"F": ("Perempuan", "Female"), "M": ("Laki-laki", "Male")}


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
