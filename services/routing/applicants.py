"""The applicant's data as an agency may read it: opened, minimal, or erased.

Routing keeps the applicant snapshot as intake sealed it, under the citizen's data key
(``applications.applicant``: ``pdp1.…``; from before sealing, a plain object). Nothing
routing publishes carries it — an agency's inbox event and webhook name only the
fields held (``applicant_fields``) — and it is opened only for the agency's API, the
workbench reading through it, each such read recorded as a ``DataAccessed`` event. Once
the citizen erased their account the key is gone and the agency gets ``null`` with
``applicant_erased: true``.

The form's answers about a person (the fields the catalogue marks ``personal``: a
child's name, the deceased's NIK, the family card number) arrive sealed the same way,
and travel sealed on the agency's inbox and webhook; they are opened in the same
recorded read (:func:`readable_answers`), and read ``[erased]`` after an erasure.
"""

from typing import Any

from shared.privacy.personal import ERASED, Personal

__all__ = ["readable_answers", "readable_applicant"]


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


async def readable_answers(personal: Personal, application: dict[str, Any]) -> dict[str, Any]:
    """The form and the citizen's answers to requests for information, their personal
    values opened for the application's citizen."""
    owner = application.get("citizen_id") or ""
    responses = [
        {**response, "form": await personal.open_all(response.get("form") or {}, owner)}
        for response in application.get("responses") or []
    ]
    return {
        "form": await personal.open_all(application.get("form") or {}, owner),
        "responses": responses,
    }
