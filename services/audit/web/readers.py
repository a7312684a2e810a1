"""Who read a citizen's data, as the citizen reads it: "Petugas Disdukcapil Kota
Mojokerto (budi)", not ``officer disdukcapil-3576/budi``; the purpose in the page's
language; the time in the zone of the application's region."""

from typing import Any

from shared.catalogue import Catalogue
from shared.languages import pick

__all__ = ["READER_WORDS", "reader_rows"]


def N_(message: str) -> str:
    """Marks a message for the catalogue; translated where it is shown."""
    return message


READER_WORDS = {
    "officer": N_("Petugas"),
    "auditor": N_("Auditor"),
    "citizen": N_("Anda sendiri"),
    "system": N_("Sistem"),
}


def reader_rows(
    items: list[dict[str, Any]], catalogue: Catalogue, lang: str
) -> list[dict[str, Any]]:
    """Each recorded read with ``who`` (a kind word, a message id), ``agency`` (the
    agency's name, when an agency's officer read), ``person`` (the officer's or auditor's
    own name in the log) and ``purpose`` in ``lang``."""
    rows = []
    for item in items:
        agency = catalogue.agency(item["agency"]) if item.get("agency") else None
        person = str(item.get("actor_id") or "")
        if agency is not None and person.startswith(f"{agency.code}/"):
            person = person[len(agency.code) + 1 :]
        rows.append(
            {
                "at": item.get("at"),
                "region": item.get("region"),
                "who": READER_WORDS.get(str(item.get("actor_kind")), N_("Petugas")),
                "agency": (agency.name.en if lang == "en" else agency.name.id) if agency else None,
                "person": person,
                "purpose": pick(str(item.get("purpose") or ""), "en" if lang == "en" else "id"),
            }
        )
    return rows
