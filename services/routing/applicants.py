"""The applicant's data as an agency may read it: opened, minimal, or erased.

Routing keeps the applicant snapshot as intake sealed it, under the citizen's data key
(``applications.applicant``: ``pdp1.…``; from before sealing, a plain object). Nothing
routing publishes carries it — an agency's inbox event and webhook name only the
fields held (``applicant_fields``) — and it is opened only for the agency's API, the
workbench reading through it, each such read recorded as a ``DataAccessed`` event. Once
the citizen erased their account the key is gone and the agency gets ``null`` with
``applicant_erased: true``.
"""

from typing import Any

from shared.privacy.personal import ERASED, Personal

__all__ = ["readable_applicant"]


async def readable_applicant(
    personal: Personal, stored: Any, declared: list[str], citizen_id: str
) -> tuple[dict[str, Any] | None, bool]:
    """(the declared fields of ``citizen_id``'s applicant snapshot, whether they were
    erased)."""
    opened = await personal.open(stored, citizen_id)
    if opened == ERASED:
        return None, True
    if not isinstance(opened, dict):
        return None, False
    kept = {k: v for k, v in opened.items() if k in declared and v is not None}
    return kept or None, False
