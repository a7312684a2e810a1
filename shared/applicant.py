"""The applicant's data that travels with an application: declared, minimal, pinned.

Each service declares in the catalogue which profile fields its agency needs
(``applicant_fields``: a KTP-el needs NIK, name, birth place and date, sex, address and
family card number; a health worker's licence only NIK and name). At submission intake
copies exactly those fields from the citizen's profile into a snapshot pinned on the
application: the agency receives that snapshot on every handler kind, and a later
profile change does not rewrite what was submitted. Nothing else leaves intake.

Pure functions: no I/O.
"""

from typing import Any

from shared.catalogue import APPLICANT_LABELS, Service
from shared.events import Applicant
from shared.problems import Problem

__all__ = ["FIELD_LABELS", "applicant_snapshot", "missing_fields"]

FIELD_LABELS = APPLICANT_LABELS


_ADDRESS_REQUIRED = ("street", "rt", "rw", "village", "district")


def _value(account: dict[str, Any], field: str) -> Any:
    value = account.get(field)
    if field == "address":
        if not value or any(not value.get(part) for part in _ADDRESS_REQUIRED):
            return None
        return {k: v for k, v in value.items() if v is not None}
    if field == "birth_date" and value is not None:
        return str(value)[:10]
    return value


def missing_fields(account: dict[str, Any], service: Service) -> list[str]:
    """The declared fields the profile does not hold yet."""
    return [f for f in service.applicant_fields if _value(account, f) in (None, "")]


def applicant_snapshot(account: dict[str, Any], service: Service) -> Applicant | None:
    """The declared fields only; 422 naming each one still missing from the profile."""
    if not service.applicant_fields:
        return None
    missing = missing_fields(account, service)
    if missing:
        raise Problem(
            422,
            "Profil belum lengkap / Profile incomplete",
            f"Layanan {service.name.id} memerlukan data berikut; lengkapi di formulir atau "
            f"profil Anda / {service.name.en} needs these details; add them on the form "
            "(field applicant) or in your profile: "
            + ", ".join(f"{FIELD_LABELS[f][0]} / {FIELD_LABELS[f][1]}" for f in missing),
            errors=[
                {"field": f"applicant.{f}", "message": "wajib untuk layanan ini / required"}
                for f in missing
            ],
            missing_fields=missing,
        )
    return Applicant.model_validate({f: _value(account, f) for f in service.applicant_fields})
