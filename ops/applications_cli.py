"""``mpp applications``: operator actions on applications.

mpp applications reroute ID [--operator NAME]   route a routing_failed application again, once

The command writes to routing's database (``MPP_MONGO_URI``, ``MPP_NAMESPACE``) and
stages its events in routing's outbox; the running routing process publishes them.
"""

import argparse
import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["add_parser", "operator_argument", "operator_name", "run", "with_routing"]

_REROUTE_HELP = """\
Route an application whose status is routing_failed again, after the catalogue
(shared/catalogue/data/services.json) has gained an agency for its service and region.

In one transaction the application moves routing_failed -> routed (sequence + 1,
the agency, handler kind and catalogue version set), the status change is staged for
mpp.applications.status, the application is dispatched to the agency (its Kafka inbox
topic, a webhook delivery, or the workbench) and an operator.acted event naming the
operator is staged for mpp.operations. The running routing process publishes them.

Refused (exit code 1) when the application does not exist, is not routing_failed
(an application is re-routed once), or the catalogue still has no agency for it.
"""


def operator_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--operator",
        default=None,
        help="who is acting, recorded in the audit log (default: your OS user name)",
    )


def add_parser(commands: Any) -> None:
    applications = commands.add_parser(
        "applications",
        help="operator actions on applications (re-route)",
        description="Operator actions on applications in routing's database\n"
        "(MPP_MONGO_URI, MPP_NAMESPACE); the running routing process publishes the events.",
        epilog="example:\n  mpp applications reroute 01935f2a-7c1e-7d4b-9a52-3f0c2b1d9e8a "
        "--operator siti.aminah",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = applications.add_subparsers(dest="action", required=True)
    reroute = actions.add_parser(
        "reroute",
        help="route a routing_failed application again, once, after the catalogue is fixed",
        description=_REROUTE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reroute.add_argument("application_id", metavar="ID", help="the application id")
    operator_argument(reroute)


def operator_name(args: argparse.Namespace) -> str:
    return args.operator or getpass.getuser()


async def with_routing(work: Callable[..., Awaitable[int]]) -> int:
    """Run ``work(settings, catalogue, units, db, topics, deliveries)`` against routing's
    database, its units of work staging in an outbox on it: rows staged here are
    published by the running routing process's relay on its next poll."""
    from services.routing.webhooks import WebhookDeliveries
    from shared.catalogue import load_catalogue
    from shared.kafka import make_broker
    from shared.mongo import make_mongo
    from shared.outbox import Outbox
    from shared.settings import Settings
    from shared.topics import Topics
    from shared.unit_of_work import UnitsOfWork

    settings = Settings()
    catalogue = load_catalogue()
    topics = Topics(settings.namespace)
    mongo = make_mongo(settings, "mpp-cli")
    db = mongo[settings.database_name("routing")]
    # Never started: this process only stages rows; routing's relay publishes them.
    broker = make_broker(settings, client_id=f"{settings.namespace}-cli")
    outbox = Outbox(db, broker, allowed_topics=topics.all(catalogue.kafka_agencies()))
    units = UnitsOfWork(mongo, outbox)
    deliveries = WebhookDeliveries(
        settings=settings, catalogue=catalogue, units=units, db=db, topics=topics
    )
    try:
        return await work(settings, catalogue, units, db, topics, deliveries)
    finally:
        await mongo.close()


async def _reroute(application_id: str, operator: str) -> int:
    from services.routing.operator_actions import ActionRefused, reroute

    async def work(
        settings: Any,
        catalogue: Any,
        units: Any,
        db: Any,
        topics: Any,
        deliveries: Any,
    ) -> int:
        try:
            done = await reroute(
                application_id,
                operator=operator,
                catalogue=catalogue,
                units=units,
                db=db,
                topics=topics,
                deliveries=deliveries,
            )
        except ActionRefused as exc:
            print(f"Ditolak / refused: {exc}")
            return 1
        how = {
            "kafka": f"dikirim ke topik / sent to topic {topics.agency_inbox(done.agency)}",
            "webhook": "pengiriman webhook dijadwalkan / webhook delivery scheduled",
            "workbench": "menunggu di workbench instansi / waiting in the agency's workbench",
        }[done.handler_kind]
        print(
            f"Dirutekan ulang / re-routed: {done.application_id} -> {done.agency} "
            f"({done.handler_kind}); status routed, sequence {done.sequence}, "
            f"rule_version {done.rule_version}; {how}"
        )
        print(
            "Peristiwa dipublikasikan oleh proses routing yang berjalan / "
            "the running routing process publishes the events"
        )
        return 0

    return await with_routing(work)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_reroute(args.application_id, operator_name(args)))
