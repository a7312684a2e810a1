"""The payment section of an application's page: what to pay, how, until when, and the
receipt afterwards (``payment.html``).

The bill comes with the application from intake's API (``bill``, :mod:`services.intake.bills`).
Here it is made ready for a person: the billing code in groups of five digits, as a
teller reads it back; the QRIS drawn as an image on the server, so the citizen can scan
it with another phone or save it; every channel the bill offers, in the order given, so
a channel added later shows without a change here.
"""

import base64
from typing import Any

from services.intake.bills import qris_svg

__all__ = ["grouped", "payment_of"]


def grouped(code: str, size: int = 5) -> str:
    """ "820261207000123" → "82026 12070 00123": easier to read out and to type."""
    return " ".join(code[i : i + size] for i in range(0, len(code), size))


def _image(payload: str, tracking_number: str) -> str:
    """The QRIS as a ``data:`` URL for an ``<img>`` (no second request, nothing cached
    outside the page)."""
    svg = qris_svg(payload, f"QRIS {tracking_number}")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def payment_of(item: dict[str, Any]) -> dict[str, Any] | None:
    """The application's bill with its channels ready to show; None without a bill."""
    bill = item.get("bill")
    if not bill:
        return None
    channels = []
    for channel in bill.get("channels") or []:
        shown = {**channel, "grouped": grouped(channel["value"])}
        if channel["kind"] == "qris":
            shown["image"] = _image(channel["value"], item["tracking_number"])
        channels.append(shown)
    return {**bill, "channels": channels}
