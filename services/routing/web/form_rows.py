"""An application's form as the officer reads it: each field by its label, each answer
in words, what may be asked for by name.

The catalogue's labels (``shared.catalogue.labels``) are the ones the citizen saw on the
form, so officer and citizen speak of the same thing; the field's code stays in a
``data-field`` attribute for scripts and tests, never in the text.
"""

from typing import Any

from shared.catalogue import Service
from shared.catalogue.labels import document_label, field_label, requested_label, shown_answer

__all__ = ["form_rows", "request_choices", "with_labels"]


def form_rows(service: Service | None, form: dict[str, Any] | None, lang: str) -> list[dict]:
    """``{field, label, value}`` per answer, in the form's own order."""
    declared = list(service.form.get("properties", {})) if service else []
    answers = form or {}
    order = [f for f in declared if f in answers] + [f for f in answers if f not in declared]
    return [
        {
            "field": field,
            "label": field_label(service, field, lang),
            "value": shown_answer(service, field, answers[field], lang),
        }
        for field in order
    ]


def request_choices(service: Service | None, lang: str) -> list[dict[str, str]]:
    """The boxes of "request more information": each form field and document kind."""
    if service is None:
        return []
    fields = [
        {"code": f, "label": field_label(service, f, lang)}
        for f in service.form.get("properties", {})
    ]
    documents = [{"code": d, "label": document_label(d, lang)} for d in service.documents]
    return fields + documents


def with_labels(service: Service | None, item: dict[str, Any], lang: str) -> None:
    """The citizen's answers with their fields labelled and what was asked for named."""
    for response in item.get("responses") or []:
        response["form_rows"] = form_rows(service, response.get("form"), lang)
        response["requested_labels"] = [
            requested_label(service, name, lang) for name in response.get("requested_fields") or []
        ]
    item["form_rows"] = form_rows(service, item.get("form"), lang)
