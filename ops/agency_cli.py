"""``mpp agency``: agency API keys and webhook deliveries, for operators.

mpp agency issue-key AGENCY        issue an API key (printed once; only its hash is kept)
mpp agency revoke-key KEY_ID       revoke a key at once
mpp agency list-keys [AGENCY]      key ids, agencies, and when they were issued or revoked
mpp agency deliveries [--state S]  webhook deliveries (default: failed ones)
mpp agency redeliver DELIVERY_ID   attempt a failed webhook delivery again
mpp agency redeliver --agency A --failed   ... every failed delivery of agency A
mpp agency new-webhook-secret      a fresh whsec_ secret for MPP_WEBHOOK_SECRETS

Keys live in routing's database (``MPP_MONGO_URI``, ``MPP_NAMESPACE``).
"""

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from ops.applications_cli import operator_argument, operator_name, with_routing

if TYPE_CHECKING:
    from services.routing.composition import RoutingParts

__all__ = ["add_parser", "run"]

_REDELIVER_HELP = """\
Attempt a failed webhook delivery again, once the agency's endpoint works:

  mpp agency redeliver DELIVERY_ID            one delivery (ids: mpp agency deliveries)
  mpp agency redeliver --agency A --failed    every failed delivery of agency A

In one transaction the delivery goes back to pending, due now, with the full retry
schedule (MPP_WEBHOOK_RETRY_SCHEDULE) for the new cycle; earlier attempts are kept and
the redelivery is recorded with the operator's name. The application's delivery_state
goes back to pending and an operator.acted event is staged for mpp.operations. The
running routing process sends it on its next poll (MPP_WEBHOOK_POLL_SECONDS).

A delivery that is not failed (pending or delivered) is refused (exit code 1).
"""


def add_parser(commands: Any) -> None:
    agency = commands.add_parser("agency", help="agency API keys and webhook deliveries")
    actions = agency.add_subparsers(dest="action", required=True)
    issue = actions.add_parser("issue-key", help="issue an API key for an agency")
    issue.add_argument("agency", help="agency code from the catalogue, e.g. dinkes-3514")
    revoke = actions.add_parser("revoke-key", help="revoke an API key")
    revoke.add_argument("key_id")
    listing = actions.add_parser("list-keys", help="list API keys (never the keys themselves)")
    listing.add_argument("agency", nargs="?")
    deliveries = actions.add_parser("deliveries", help="webhook deliveries by state")
    deliveries.add_argument("--state", default="failed", choices=["pending", "delivered", "failed"])
    redeliver = actions.add_parser(
        "redeliver",
        help="attempt a failed webhook delivery again (one, or all of an agency's)",
        description=_REDELIVER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    redeliver.add_argument(
        "delivery_id", nargs="?", metavar="DELIVERY_ID", help="the delivery id (webhook-id)"
    )
    redeliver.add_argument("--agency", help="with --failed: the agency whose deliveries to send")
    redeliver.add_argument(
        "--failed", action="store_true", help="with --agency: every failed delivery of the agency"
    )
    operator_argument(redeliver)
    actions.add_parser("new-webhook-secret", help="print a new Standard Webhooks secret")


async def _issue(parts: "RoutingParts", agency: str) -> int:
    if parts.catalogue.agency(agency) is None:
        print(f"unknown agency {agency}: see the offices in shared/catalogue/packages/")
        return 2
    issued = await parts.keys.issue(agency)
    print(f"key id: {issued.key_id}")
    print(f"agency: {issued.agency}")
    print(f"key:    {issued.token}")
    print("Give the key to the agency now: it is not stored and cannot be shown again.")
    return 0


async def _revoke(parts: "RoutingParts", key_id: str) -> int:
    agency = await parts.keys.revoke(key_id)
    if agency is None:
        print(f"no key {key_id}")
        return 1
    print(f"revoked {key_id} of {agency}")
    return 0


async def _list(parts: "RoutingParts", agency: str | None) -> int:
    for key in await parts.keys.list(agency):
        revoked = key["revoked_at"].isoformat() if key["revoked_at"] else "-"
        print(
            f"{key['_id']}\t{key['agency']}\tissued {key['created_at'].isoformat()}\t"
            f"revoked {revoked}"
        )
    return 0


async def _deliveries(parts: "RoutingParts", state: str) -> int:
    rows = await parts.deliveries.in_state(state)
    for row in rows:
        last = row["attempts"][-1] if row["attempts"] else {}
        print(
            f"{row['_id']}\t{row['agency']}\tapplication {row['application_id']}\t"
            f"attempts {len(row['attempts'])}\tlast {last.get('outcome', '-')}"
            f" {last.get('status_code') or ''} {last.get('error') or ''}".rstrip()
        )
    print(f"{len(rows)} {state} deliveries")
    return 0


async def _redeliver(args: argparse.Namespace) -> int:
    from services.routing.operator_actions import ActionRefused, redeliver, redeliver_failed

    by_agency = args.agency is not None or args.failed
    if by_agency == (args.delivery_id is not None) or args.failed != (args.agency is not None):
        print(
            "Sebutkan DELIVERY_ID, atau --agency A bersama --failed / "
            "give a DELIVERY_ID, or --agency A together with --failed"
        )
        return 2
    operator = operator_name(args)

    async def work(parts: "RoutingParts") -> int:
        context = {"operator": operator, "units": parts.units, "db": parts.runtime.db}
        if not by_agency:
            try:
                done = [await redeliver(args.delivery_id, topics=parts.topics, **context)]
            except ActionRefused as exc:
                print(f"Ditolak / refused: {exc}")
                return 1
            refused: list[tuple[str, str]] = []
        else:
            if parts.catalogue.agency(args.agency) is None:
                print(
                    f"Instansi {args.agency} tidak ada di katalog / unknown agency "
                    f"{args.agency}: see the offices in shared/catalogue/packages/"
                )
                return 2
            done, refused = await redeliver_failed(args.agency, topics=parts.topics, **context)
        for item in done:
            print(
                f"Dikirim ulang / redelivered: {item.delivery_id}\t{item.agency}\t"
                f"application {item.application_id}\tafter {item.previous_attempts} attempts"
            )
        for delivery_id, reason in refused:
            print(f"Ditolak / refused: {delivery_id}: {reason}")
        if by_agency:
            print(
                f"{len(done)} pengiriman dijadwalkan ulang / deliveries scheduled again "
                f"for {args.agency}"
            )
        print(
            "Proses routing yang berjalan mengirimnya pada poll berikutnya / "
            f"the running routing process sends them on its next poll "
            f"(MPP_WEBHOOK_POLL_SECONDS={parts.runtime.settings.webhook_poll_seconds:g})"
        )
        return 1 if refused else 0

    return await with_routing(work)


def run(args: argparse.Namespace) -> int:
    if args.action == "redeliver":
        return asyncio.run(_redeliver(args))
    if args.action == "new-webhook-secret":
        from services.routing.signing import generate_secret

        print(generate_secret())
        return 0
    if args.action == "issue-key":
        return asyncio.run(with_routing(lambda parts: _issue(parts, args.agency)))
    if args.action == "revoke-key":
        return asyncio.run(with_routing(lambda parts: _revoke(parts, args.key_id)))
    if args.action == "list-keys":
        return asyncio.run(with_routing(lambda parts: _list(parts, args.agency)))
    return asyncio.run(with_routing(lambda parts: _deliveries(parts, args.state)))
