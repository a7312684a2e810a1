"""The finance officer's reconciliation page, rendered from a realistic answer of the
reconciliation API, says every finding in words with what to do, amounts in rupiah and
times in the region's zone: no finding kind or reason key, bill state, channel code or
stored timestamp in the text a person reads."""

from types import SimpleNamespace

import pytest

from services.routing.web.payments_desk import _context
from tests.unit.test_staff_pages_speak_plainly import CATALOGUE, ROUTING, machine_words, render

FOUND_AT = "2026-12-07T03:18:33.198000Z"


def finding(kind: str, reason: str, **fields: object) -> dict:
    return {
        "id": f"{kind}-{reason}",
        "day": "2026-12-07",
        "kind": kind,
        "reason": reason,
        "channel": "simponi",
        "billing_code": "820261207000123",
        "receipt": "0A1B2C3D4E5F6071",
        "amount_settled_idr": 30000,
        "line": 2,
        "bill_id": "bill-1",
        "application_id": "app-1",
        "tracking_number": "MPP-3514-2026-000123",
        "region": "3514",
        "service": "skck",
        "agency": "polres-3514",
        "amount_billed_idr": 30000,
        "bill_state": "paid",
        "found_at": FOUND_AT,
        **fields,
    }


ANSWER = {
    "date": "2026-12-07",
    "region": "3514",
    "imported_at": FOUND_AT,
    "imported_days": ["2026-12-07", "2026-12-06"],
    "findings": [
        finding("unmatched", "no_bill", bill_id=None, bill_state=None, service=None),
        finding("unmatched", "not_paid", bill_state="expired"),
        finding("unsettled", "not_in_file", amount_settled_idr=None),
        finding(
            "amount",
            "amount_differs",
            amount_settled_idr=25000,
            handled={"by": "keu.pasuruan", "at": FOUND_AT, "note": "Bank membetulkan setoran"},
        ),
    ],
    "totals": [
        {
            "day": "2026-12-07",
            "region": "3514",
            "agency": "polres-3514",
            "service": "skck",
            "count": 2,
            "amount_idr": 60000,
        }
    ],
}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_reconciliation_page_says_each_finding_in_words_with_rupiah_and_wib(lang):
    desk = SimpleNamespace(catalogue=CATALOGUE)
    context = _context(ANSWER, lang == "en", desk)  # type: ignore[arg-type]

    text = render(ROUTING, "payments.html", lang, **context)

    assert machine_words(text, lang) == []
    for code in ("no_bill", "not_paid", "not_in_file", "amount_differs", "simponi "):
        assert code not in text
    assert "Rp30.000" in text or "IDR30,000" in text
    assert "Rp60.000" in text or "IDR60,000" in text
    assert "10.18 WIB" in text or "10:18 WIB" in text  # 03:18 UTC in Pasuruan
    assert "Kepolisian Resor Kabupaten Pasuruan" in text or "Police Resort" in text
    assert text.count("Tandai sudah ditangani" if lang == "id" else "Mark as handled") == 3
    assert "Bank membetulkan setoran" in text
