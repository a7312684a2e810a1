"""``mpp payments``: the finance side of fees.

mpp payments reconcile FILE [--date YYYY-MM-DD]   match a settlement file to the bills

The command reads and writes routing's database (``MPP_MONGO_URI``, ``MPP_NAMESPACE``):
the bills, and the findings and runs it records (docs/payments.md).
"""

import argparse
import asyncio
import hashlib
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.applications_cli import with_routing

if TYPE_CHECKING:
    from services.routing.composition import RoutingParts
    from services.routing.payments.reconciliation import ReconciliationRun

__all__ = ["add_parser", "run"]

_RECONCILE_HELP = """\
Match a bank's or biller's daily settlement file (CSV, columns in docs/payments.md) to
the platform's bills, and record what does not match:

  unmatched   settled by the bank, but no bill has its code, or its bill is not paid here
  unsettled   paid here on that day, but absent from the settlement file
  amount      settled for another amount than its bill

Importing the same file again finds the same findings (none are added twice); a
corrected file replaces the day's findings for its channels. Exit code 0 when
everything matches, 1 when there are findings, 2 when the file does not read.
"""

_WORDS = {
    "unmatched": "dibayar tetapi tidak cocok / paid but unmatched",
    "unsettled": "cocok tetapi tidak disetel / matched but unsettled",
    "amount": "jumlah berbeda / amount mismatch",
}


def add_parser(commands: Any) -> None:
    payments = commands.add_parser(
        "payments",
        help="fees: reconcile a settlement file with the bills",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = payments.add_subparsers(dest="action", required=True)
    reconcile = actions.add_parser(
        "reconcile",
        help="match a daily settlement file (CSV) to the bills",
        description=_RECONCILE_HELP,
        epilog="example:\n  mpp payments reconcile simponi-2026-12-07.csv --date 2026-12-07",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reconcile.add_argument("file", metavar="FILE", type=Path, help="the settlement file (CSV)")
    reconcile.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        help="the settlement day to reconcile (default: the file's only day)",
    )


def _describe(finding: dict) -> str:
    words = _WORDS[finding["kind"]]
    where = f"{finding.get('region') or '-'}/{finding.get('service') or '-'}"
    amounts = (
        f"settled {finding.get('amount_settled_idr')}, billed {finding.get('amount_billed_idr')}"
    )
    return (
        f"  {words}: {finding['channel']} code {finding.get('billing_code')} "
        f"receipt {finding.get('receipt')} ({where}, {amounts}; {finding['reason']})"
    )


def _print(run: "ReconciliationRun") -> None:
    print(
        f"Rekonsiliasi / reconciliation {run.day.isoformat()} ({', '.join(run.channels) or '-'}): "
        f"{run.entries} entries, {run.matched} matched, {len(run.findings)} findings"
    )
    for finding in run.findings:
        print(_describe(finding))
    for label, key in (("service", "service"), ("agency", "agency"), ("day", "day")):
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in run.totals:
            sums[str(row[key])][0] += row["count"]
            sums[str(row[key])][1] += row["amount_idr"]
        for name, (count, amount) in sorted(sums.items()):
            print(f"  total per {label} {name}: {count} payments, Rp{amount:,}".replace(",", "."))


async def _reconcile(raw: bytes, day: date | None) -> int:
    from services.routing.payments.reconciliation import Reconciler
    from services.routing.payments.settlement_file import SettlementFileInvalid, read_settlement
    from shared.events import utcnow

    try:
        entries = read_settlement(raw.decode("utf-8"))
    except (SettlementFileInvalid, UnicodeDecodeError) as error:
        print(f"Berkas ditolak / file refused: {error}")
        return 2
    days = sorted({entry.settlement_date for entry in entries})
    if day is None and len(days) != 1:
        print(f"Beri --date / give --date: the file holds {len(days)} settlement days")
        return 2
    chosen = day or days[0]

    async def work(parts: "RoutingParts") -> int:
        reconciler = Reconciler(parts.runtime.db)
        await reconciler.create_indexes()
        run = await reconciler.reconcile(chosen, entries, utcnow(), hashlib.sha256(raw).hexdigest())
        _print(run)
        return 1 if run.findings else 0

    return await with_routing(work)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_reconcile(args.file.read_bytes(), args.date))
