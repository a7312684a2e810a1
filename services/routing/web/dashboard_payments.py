"""The dashboard's payments section: billed, paid, expired and refunded, counted and in
rupiah, per service, agency and local day over the last :data:`PAYMENT_DAYS` days.

The figures are the payments store's aggregation
(:class:`services.routing.payments.totals.PaymentTotals`); this module only names each
code as people call it, for ``_dashboard_payments.html``.
"""

from datetime import timedelta
from typing import Any

from services.routing.payments.totals import EARLIEST_ZONE, PaymentTotals, Tally
from services.routing.web.dashboard_page import DashboardQuery, Figures, Names
from shared.events import utcnow

__all__ = ["PAYMENT_DAYS", "payments_section"]

PAYMENT_DAYS = 30


async def payments_section(query: DashboardQuery, figures: Figures) -> dict[str, Any]:
    """The section's context: ``payments`` (None when nothing was billed in the window)."""
    catalogue = figures.catalogue
    first_day = utcnow().astimezone(EARLIEST_ZONE).date() - timedelta(days=PAYMENT_DAYS - 1)
    totals = await PaymentTotals(figures.db).read(
        first_day,
        catalogue.zone_of,
        lambda service, region: (
            found.code if (found := catalogue.agency_for(service, region)) else None
        ),
    )
    if not any(totals.overall.count.values()):
        return {"payments": None, "payment_days": PAYMENT_DAYS}
    named = Names(catalogue, query.english)
    return {
        "payments": {
            "overall": totals.overall,
            "services": _rows(totals.by_service, named.service),
            "agencies": _rows(totals.by_agency, named.agency),
            "days": sorted(totals.by_day.items(), reverse=True),
        },
        "payment_days": PAYMENT_DAYS,
    }


def _rows(tallies: dict[str, Tally], name: Any) -> list[tuple[str, Tally]]:
    """Named rows, the most billed first."""
    rows = [(name(code) if code != "-" else "—", tally) for code, tally in tallies.items()]
    return sorted(rows, key=lambda row: (-row[1].amount_idr["billed"], row[0]))
