"""``mpp applications``: operator actions on applications.

mpp applications reroute ID [--operator NAME]   route a routing_failed application again, once

The command writes to routing's database (``MPP_MONGO_URI``, ``MPP_NAMESPACE``) and
stages its events in routing's outbox; the running routing process publishes them.
"""

import argparse
import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.routing.composition import RoutingParts

__all__ = ["add_parser", "operator_argument", "operator_name", "run", "with_routing"]

_REROUTE_HELP = """\
Route an application whose status is routing_failed again, after the catalogue
(a region package in shared/catalogue/packages/) has gained an office for its service
and region.

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


async def with_routing(work: Callable[["RoutingParts"], Awaitable[int]]) -> int:
    """Run ``work(parts)`` with routing's parts
    (:func:`services.routing.composition.build_parts`), as the service builds them: its
    units of work stage in the outbox on routing's database, and the running routing
    process's relay publishes those rows on its next poll (nothing is started here)."""
    from services.routing.composition import build_parts
    from shared.settings import Settings

    parts = build_parts(Settings())
    try:
        return await work(parts)
    finally:
        await parts.close()


async def _reroute(application_id: str, operator: str) -> int:
    from services.routing.operator_actions import ActionRefused, reroute

    async def work(parts: "RoutingParts") -> int:
        try:
            done = await reroute(application_id, operator=operator, parts=parts)
        except ActionRefused as exc:
            print(f"Ditolak / refused: {exc}")
            return 1
        inbox = parts.topics.agency_inbox(parts.catalogue.inbox_of(done.agency))
        how = {
            "kafka": f"dikirim ke topik / sent to topic {inbox}",
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
