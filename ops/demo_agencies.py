"""The demo agency systems ``make up`` runs beside the platform.

* Every Kafka agency of the catalogue is served by ``examples.agency`` (one process).
* Every webhook agency is served by ``examples.webhook_agency`` (one process on a free
  loopback port): for this run, each agency gets a fresh signing secret and an agency
  API key, routing is told the demo's endpoints (local mode allows plain HTTP on
  loopback), and the demo verifies each delivery and reports it ``received`` through
  the agency API.

Workbench agencies need no system: officers use the agency API with a key from
``mpp agency issue-key``.
"""

import asyncio
import json
import sys
from pathlib import Path

from ops.localstack import free_port
from ops.processes import PlatformProcess, demo_agency_process
from shared.catalogue import Catalogue
from shared.settings import Settings

__all__ = ["WEBHOOK_READY_LINE", "demo_agencies"]

WEBHOOK_READY_LINE = "webhook agency ready"


async def _issue_keys(settings: Settings, mongo_uri: str, agencies: list[str]) -> dict[str, str]:
    from pymongo import AsyncMongoClient

    from services.routing.keys import ApiKeys

    client: AsyncMongoClient = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        keys = ApiKeys(client[settings.database_name("routing")])
        return {agency: (await keys.issue(agency)).token for agency in agencies}
    finally:
        await client.close()


def demo_agencies(
    settings: Settings, catalogue: Catalogue, env: dict[str, str], log_dir: Path
) -> tuple[dict[str, str], list[PlatformProcess]]:
    """The demo processes, and the settings routing needs to reach the webhook demo."""
    from services.routing.signing import generate_secret

    webhook_agencies = [a.code for a in catalogue.agencies if a.handler.kind == "webhook"]
    port = free_port()
    secrets = {agency: generate_secret() for agency in webhook_agencies}
    mongo_uri = env.get("MPP_MONGO_URI", settings.mongo_uri)
    keys = asyncio.run(_issue_keys(settings, mongo_uri, webhook_agencies))
    routing_env = {
        "MPP_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "MPP_WEBHOOK_SECRETS": json.dumps(secrets),
        "MPP_WEBHOOK_URLS": json.dumps(
            {a: f"http://127.0.0.1:{port}/mpp/webhook/{a}" for a in webhook_agencies}
        ),
    }
    webhook_demo = PlatformProcess(
        "webhook-agency",
        [sys.executable, "-m", "examples.webhook_agency", "--port", str(port)],
        {
            **env,
            "DEMO_WEBHOOK_SECRETS": json.dumps(secrets),
            "DEMO_AGENCY_KEYS": json.dumps(keys),
            "DEMO_ROUTING_URL": f"http://127.0.0.1:{settings.routing_port}",
        },
        log_path=log_dir / "webhook-agency.log",
        ready_line=WEBHOOK_READY_LINE,
    )
    kafka_demo = demo_agency_process(catalogue.kafka_inboxes(), env, log_dir)
    return routing_env, [kafka_demo, webhook_demo]
