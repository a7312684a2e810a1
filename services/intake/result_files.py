"""A citizen's result document, fetched from routing on their behalf.

Routing keeps the files an agency issued; intake knows whose application each is. Intake
fetches the file server to server, posting a short-lived signature over the application,
the file's hash and the citizen (:mod:`shared.document_links`), and streams it on: the
signature never reaches the browser, so no URL in its history or a proxy's log opens it.
"""

from typing import Any

import httpx
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from services.intake.refusals import NoSuchResult, ResultRevoked, ResultsUnavailable
from shared.document_links import link_query
from shared.settings import Settings
from shared.web import internal_url

__all__ = ["CITIZEN_LINK_AGENCY", "result_response", "routing_client"]

CITIZEN_LINK_AGENCY = "citizen"
"""The ``agency`` a citizen's result signature names (routing checks the same)."""

_PASSED_ON = ("content-type", "content-length", "content-disposition")


def routing_client(settings: Settings) -> httpx.AsyncClient:
    """Routing's HTTP API, as intake reaches it (``MPP_INTERNAL_URLS``)."""
    return httpx.AsyncClient(base_url=internal_url(settings, "routing"), timeout=30)


def _signed_fields(application: dict[str, Any], code: str, settings: Settings) -> dict[str, str]:
    """The signed fields for the application's result ``code``; 404 when the agency
    issued no such document."""
    result = next((r for r in application.get("results") or [] if r["code"] == code), None)
    if result is None:
        raise NoSuchResult(code)
    fields = link_query(
        settings.document_link_secret,
        application["_id"],
        result["sha256"],
        CITIZEN_LINK_AGENCY,
        settings.document_link_seconds,
        officer=application["citizen_id"],
    )
    fields["citizen"] = fields.pop("officer")
    del fields["agency"]
    return fields


async def result_response(
    application: dict[str, Any], code: str, settings: Settings
) -> StreamingResponse:
    """The file, streamed from routing; routing's refusal said again (410 revoked), or
    503 when routing cannot be reached."""
    fields = _signed_fields(application, code, settings)
    client = routing_client(settings)
    try:
        answer = await client.send(
            client.build_request("POST", f"/results/{code}", data=fields), stream=True
        )
    except httpx.HTTPError:
        await client.aclose()
        raise ResultsUnavailable(code) from None
    if answer.status_code != 200:
        await answer.aread()
        await answer.aclose()
        await client.aclose()
        if answer.status_code == 410:
            problem = answer.json()
            raise ResultRevoked(problem.get("title", ""), problem.get("detail", ""))
        raise ResultsUnavailable(code)

    async def close() -> None:
        await answer.aclose()
        await client.aclose()

    headers = {name: answer.headers[name] for name in _PASSED_ON if name in answer.headers}
    headers |= {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return StreamingResponse(answer.aiter_raw(), headers=headers, background=BackgroundTask(close))
