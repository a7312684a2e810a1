"""Links from the workbench to an application's documents, which stay in intake."""

from typing import Any
from urllib.parse import urlencode

from shared.document_links import link_query
from shared.web import service_url

__all__ = ["document_urls"]


def document_urls(settings: Any, item: dict[str, Any], officer: str = "") -> dict[str, str]:
    """A short-lived signed link per document, opened on intake's pages: the bytes stay in
    intake's database, and the link works only for this application's own documents
    (those submitted, and those the citizen sent with an answer). Each link names the
    officer it was made for, so intake records the opening as that officer's access to
    the citizen's data — the staff username, which the link's signature covers."""
    base = service_url(settings, "intake")
    links = {}
    answered = [d for r in item.get("responses") or [] for d in r.get("documents") or []]
    for document in [*(item.get("documents") or []), *answered]:
        if document["sha256"] in links:
            continue
        query = link_query(
            settings.document_link_secret,
            item["id"],
            document["sha256"],
            item["agency"],
            settings.document_link_seconds,
            officer=officer,
        )
        links[document["sha256"]] = f"{base}/documents/{document['sha256']}?{urlencode(query)}"
    return links
