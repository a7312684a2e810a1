"""A demo agency system behind a webhook: verifies each delivery, then answers through
the agency API: ``received`` for a new application (``application.dispatched``),
``in_review`` for the citizen's answer to "needs more information"
(``application.answer_forwarded``); a cancellation (``application.cancellation_forwarded``)
only stops work. Other types are acknowledged and ignored.

    python -m examples.webhook_agency --port 8010

Settings (environment):

* ``DEMO_WEBHOOK_SECRETS`` — JSON ``{"agency-code": "whsec_..."}``: the secret of each
  agency served (the platform holds the same ones in ``MPP_WEBHOOK_SECRETS``);
* ``DEMO_AGENCY_KEYS`` — JSON ``{"agency-code": "mppak_..."}``: API keys issued with
  ``mpp agency issue-key``;
* ``DEMO_ROUTING_URL`` — the platform's agency API (default ``http://127.0.0.1:8001``).

Each agency's endpoint is ``POST /mpp/webhook/<agency-code>``.
"""

import argparse
import asyncio
import json
import logging
import os
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response

from examples.webhook_agency.verify import InvalidSignature, verify

log = logging.getLogger("webhook-agency")
READY_LINE = "webhook agency ready"


class _Seen:
    """The last webhook-ids handled: a retried delivery is acknowledged, not re-processed."""

    def __init__(self, size: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def add(self, message_id: str) -> bool:
        if message_id in self._ids:
            return False
        self._ids[message_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


def build_app(
    secrets: dict[str, str],
    api_keys: dict[str, str],
    routing_url: str,
    *,
    report_status: str | None = "received",
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        log.info("serving %s", ", ".join(sorted(secrets)))
        print(READY_LINE, flush=True)
        yield

    app = FastAPI(title="Demo agency webhook receiver", lifespan=lifespan)
    app.state.received = []  # (agency, application id) of every application delivered
    app.state.events = []  # every verified event, as delivered
    seen = _Seen()
    tasks: set[asyncio.Task] = set()

    async def report(agency: str, application_id: str, status: str, event_id: str) -> None:
        """Tell the platform what happened (retried a few times, one key per event)."""
        url = f"{routing_url}/api/v1/agency/applications/{application_id}/transitions"
        headers = {
            "authorization": f"Bearer {api_keys[agency]}",
            "idempotency-key": f"{status}-{event_id}",
        }
        async with httpx.AsyncClient(timeout=10) as client:
            for attempt in range(5):
                try:
                    response = await client.post(url, json={"to": status}, headers=headers)
                    if response.status_code < 500:
                        log.info("reported %s: %s", application_id, response.status_code)
                        return
                except httpx.HTTPError as exc:
                    log.info("report failed (%s); retrying", exc)
                await asyncio.sleep(0.5 * 2**attempt)

    @app.post("/mpp/webhook/{agency}", status_code=204)
    async def receive(agency: str, request: Request) -> Response:
        secret = secrets.get(agency)
        if secret is None:
            return Response(status_code=404)
        body = await request.body()
        try:
            message_id = verify(secret, request.headers, body)
        except InvalidSignature as exc:
            log.warning("rejected a delivery: %s", exc)
            return Response(status_code=401)
        if not seen.add(message_id):
            return Response(status_code=204)  # a retry of something already handled
        event: dict[str, Any] = json.loads(body)
        application_id = event["data"]["application_id"]
        app.state.events.append(event)
        status = None
        if event.get("type") == "application.dispatched":
            app.state.received.append((agency, application_id))
            status = report_status
        elif event.get("type") == "application.answer_forwarded" and report_status:
            status = "in_review"
        if status and agency in api_keys:
            task = asyncio.create_task(report(agency, application_id, status, message_id))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return Response(status_code=204)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    secrets = json.loads(os.environ.get("DEMO_WEBHOOK_SECRETS", "{}"))
    keys = json.loads(os.environ.get("DEMO_AGENCY_KEYS", "{}"))
    routing_url = os.environ.get("DEMO_ROUTING_URL", "http://127.0.0.1:8001")
    app = build_app(secrets, keys, routing_url)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
