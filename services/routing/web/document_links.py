"""Forms from the workbench to an application's documents, which stay in intake.

A link's signature is a credential (whoever holds it opens the document), so it never
goes in a URL, where browser history, proxy and access logs would keep it: each
document is a small form that posts the signed fields to intake's ``/documents/{sha256}``
(:mod:`services.intake.documents_api`). The address alone opens nothing.
"""

from dataclasses import dataclass
from typing import Any

from shared.document_links import link_query
from shared.web import service_url

__all__ = ["DocumentForm", "document_forms"]


@dataclass(frozen=True)
class DocumentForm:
    """Where the workbench's form posts (``action``, no query) and its hidden fields."""

    action: str
    fields: dict[str, str]


def document_forms(
    settings: Any, item: dict[str, Any], officer: str = ""
) -> dict[str, DocumentForm]:
    """A short-lived signed form per document, opened on intake's pages: the bytes stay
    in intake's database, and the signature works only for this application's own
    documents (those submitted, and those the citizen sent with an answer). Each names
    the officer it was made for, so intake records the opening as that officer's access
    to the citizen's data — the staff username, which the signature covers."""
    base = service_url(settings, "intake")
    forms = {}
    answered = [d for r in item.get("responses") or [] for d in r.get("documents") or []]
    for document in [*(item.get("documents") or []), *answered]:
        if document["sha256"] in forms:
            continue
        fields = link_query(
            settings.document_link_secret,
            item["id"],
            document["sha256"],
            item["agency"],
            settings.document_link_seconds,
            officer=officer,
        )
        forms[document["sha256"]] = DocumentForm(f"{base}/documents/{document['sha256']}", fields)
    return forms
