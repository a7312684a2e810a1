"""The bank's or biller's daily settlement file: what it says was paid and settled.

One CSV file per channel and settlement day, as a biller sends it (docs/payments.md has
the columns and an example). A file that does not read is refused as a whole, naming the
line, so an operator fixes the file rather than reconciling half of it.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from shared.errors import Rejected

__all__ = ["CHANNELS", "COLUMNS", "SettledEntry", "SettlementFileInvalid", "read_settlement"]

COLUMNS = ("settlement_date", "channel", "billing_code", "amount_idr", "receipt", "ntb", "paid_at")
CHANNELS = {"simponi": "simponi", "qris": "snap"}
"""The file's channel names, and the channel a bill of that kind is stored under."""


class SettlementFileInvalid(Rejected, ValueError):
    """The file is not a settlement file: a missing column, or a line that does not read."""


@dataclass(frozen=True)
class SettledEntry:
    """One payment the biller or bank settled."""

    line: int
    settlement_date: date
    channel: str
    """The bill's channel (``simponi``, or ``snap`` for a QRIS levy)."""
    billing_code: str
    """SIMPONI's billing code, or the bill number a levy's QRIS carries."""
    amount_idr: int
    receipt: str
    """The NTPN for PNBP, the bank's reference for a levy."""
    ntb: str | None
    paid_at: datetime


def read_settlement(text: str) -> list[SettledEntry]:
    """Every entry of the settlement file ``text``; raises :class:`SettlementFileInvalid`."""
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [column for column in COLUMNS if column not in (rows.fieldnames or [])]
    if missing:
        raise SettlementFileInvalid(
            f"kolom tidak ada / missing columns: {', '.join(missing)} "
            f"(expected {','.join(COLUMNS)})"
        )
    return [_entry(number, row) for number, row in enumerate(rows, start=2)]


def _entry(line: int, row: dict[str, str]) -> SettledEntry:
    try:
        channel = CHANNELS[row["channel"].strip().lower()]
        paid_at = datetime.fromisoformat(row["paid_at"].strip())
        if paid_at.tzinfo is None:
            raise ValueError("paid_at needs its UTC offset, e.g. +07:00")
        code, receipt = row["billing_code"].strip(), row["receipt"].strip()
        if not code or not receipt:
            raise ValueError("billing_code and receipt are required")
        return SettledEntry(
            line=line,
            settlement_date=date.fromisoformat(row["settlement_date"].strip()),
            channel=channel,
            billing_code=code,
            amount_idr=int(row["amount_idr"].strip()),
            receipt=receipt,
            ntb=(row.get("ntb") or "").strip() or None,
            paid_at=paid_at,
        )
    except (KeyError, ValueError, AttributeError) as error:
        raise SettlementFileInvalid(
            f"baris {line} tidak terbaca / line {line} does not read: {error}"
        ) from None
