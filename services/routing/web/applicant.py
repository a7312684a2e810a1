"""The applicant as the workbench shows it: the fields the service declares, labelled.

The labels are the catalogue's (``shared.catalogue.APPLICANT_LABELS``), the same the
citizen saw on the form.
"""

from typing import Any

from shared.catalogue import APPLICANT_LABELS
from shared.web.applicant import shown_value

__all__ = ["applicant_rows"]


def applicant_rows(
    applicant: dict[str, Any] | None, declared: list[str], lang: str
) -> list[dict[str, str]]:
    """``{field, label, value}`` per field received, in the service's declared order."""
    if not applicant:
        return []
    order = [f for f in declared if f in applicant] + [f for f in applicant if f not in declared]
    english = lang == "en"
    return [
        {
            "field": field,
            "label": APPLICANT_LABELS.get(field, (field, field))[english],
            "value": shown_value(field, applicant[field], lang),
        }
        for field in order
        if applicant[field] not in (None, "")
    ]
