"""The payment section of the application page, drawn through the portal's own page
function with the bill in the API's shape: the amount in rupiah as people write it, the
billing code in groups with a copy button, the QRIS drawn as an image with its words,
the time to pay in the region's zone with its name, the receipt once paid, and what to do
once expired — never an ISO time, a state code or a status code in what a person reads."""

import re
from typing import Any

import pytest

from services.intake.web.applications import application_page
from services.intake.web.deps import Page
from services.intake.web.payment import grouped
from tests.regions import eastern_catalogue
from tests.unit.test_portal_words import (
    A_TIME,
    FORM_KEY,
    ISO_TIME,
    _application,
    _page,
    visible_text,
)

CODE = "820261207000123"
EXPIRES = "2026-12-09T03:18:33Z"  # 10.18 WIB, 11.18 WITA
QRIS = "00020101021226570011ID.CO.MPP.WWW0118936000000000000003040123456304ABCD"
STATES = ("created", "pending", "paid", "expired", "failed")


def bill(state: str, kind: str = "pnbp", **changes: Any) -> dict[str, Any]:
    channels: list[dict[str, Any]] = []
    if state == "pending" and kind == "pnbp":
        channels = [{"kind": "billing_code", "value": CODE, "bank": None}]
    if state == "pending" and kind == "regional_levy":
        channels = [{"kind": "qris", "value": QRIS, "bank": None}]
    receipt = None
    if state == "paid":
        receipt = {
            "ntpn": "0A1B2C3D4E5F6071",
            "ntb": "NTB0000123",
            "reference": None,
            "paid_at": "2026-12-07T06:00:00Z",
        }
    return {
        "id": "bill-1",
        "reference": CODE,
        "amount_idr": 30000,
        "kind": kind,
        "state": state,
        "expires_at": EXPIRES,
        "channels": channels,
        "receipt": receipt,
        **changes,
    }


def page_with(the_bill: dict | None, lang: str = "id", region: str = "3576", **item: Any) -> str:
    application = _application("payment_due", region=region) | {"bill": the_bill, **item}
    page = _page(lang)
    if region != "3576":
        page = Page(page.request, page.pages, eastern_catalogue())
    return application_page(page, application, {}, region=region).body.decode()


def test_a_pending_pnbp_bill_shows_the_amount_the_grouped_code_to_copy_and_the_time_in_wib():
    html = page_with(bill("pending"))
    text = visible_text(html)
    assert "Rp30.000" in text
    assert "82026 12070 00123" in text
    assert f'data-copy="{CODE}"' in html
    assert "Salin kode billing" in text
    assert "Bayar sebelum Rabu, 9 Desember 2026 pukul 10.18 WIB" in text
    assert "diteruskan ke instansi segera setelah dibayar" in text


def test_the_english_page_says_the_same_in_english():
    text = visible_text(page_with(bill("pending"), lang="en"))
    assert "Pay before Wednesday, 9 December 2026 at 10:18 WIB" in text
    assert "Copy the billing code" in text
    assert "IDR30,000" in text


def test_a_makassar_bill_is_due_in_wita_with_the_zones_name():
    text = visible_text(page_with(bill("pending"), region="7371"))
    assert "pukul 11.18 WITA" in text


def test_a_levy_shows_its_qris_as_an_image_drawn_here_with_words_for_a_screen_reader():
    html = page_with(bill("pending", kind="regional_levy"))
    image = re.search(r'<img src="data:image/svg\+xml;base64,[^"]+"[^>]*alt="([^"]+)"', html)
    assert image is not None
    assert "QRIS" in image.group(1)
    assert "Rp30.000" in image.group(1)
    assert "Tampilkan QRIS" in visible_text(html)
    assert "Retribusi daerah" in visible_text(html)


def test_a_channel_the_page_does_not_know_yet_is_still_shown_with_its_number():
    account = {"kind": "virtual_account", "value": "8808123456789012", "bank": "Bank Jatim"}
    text = visible_text(page_with(bill("pending", channels=[account])))
    assert "Nomor virtual account · Bank Jatim" in text
    assert grouped("8808123456789012") in text


def test_a_paid_bill_shows_the_ntpn_and_when_it_was_paid_and_no_way_to_pay_again():
    html = page_with(bill("paid"), status="routed")
    text = visible_text(html)
    assert "Pembayaran lunas" in text
    assert "0A1B2C3D4E5F6071" in text
    assert "Senin, 7 Desember 2026 pukul 13.00 WIB" in text
    assert "data-copy" not in html
    assert "Bayar sebelum" not in text


def test_an_expired_bill_says_not_to_pay_the_old_code_and_how_to_go_on():
    html = page_with(bill("expired"), status="payment_expired")
    text = visible_text(html)
    assert "Batas waktu pembayaran sudah lewat" in text
    assert "Jangan membayar kode lama ini" in text
    assert "/portal/services/ktp-el" in html
    assert CODE not in text
    assert "data-copy" not in html


def test_an_application_without_a_bill_has_no_payment_section():
    assert 'id="payment"' not in page_with(None, status="in_review")


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("state", STATES)
def test_no_state_of_a_bill_shows_a_code_a_timestamp_or_a_time_without_its_zone(state, lang):
    text = visible_text(page_with(bill(state), lang=lang))
    section = text[text.index("Rp" if lang == "id" else "IDR") :]
    problems = [m for m in ISO_TIME.findall(section)]
    problems += [m for m in FORM_KEY.findall(section)]
    problems += [m for m in A_TIME.findall(section)]
    codes = (*STATES, "pnbp", "regional_levy", "billing_code", "payment_due")
    # In English "paid" or "expired" is a plain word; only Indonesian has no use for one.
    shown = [c for c in codes if lang == "id" or "_" in c]
    problems += [c for c in shown if re.search(rf"\b{c}\b", section)]
    assert problems == []


def test_a_refunded_bill_says_what_came_back_when_and_what_is_still_with_the_bank():
    refunds = [
        {"id": "r-1", "amount_idr": 10000, "state": "success", "at": "2026-12-08T02:00:00Z"},
        {"id": "r-2", "amount_idr": 5000, "state": "submitted", "at": "2026-12-08T03:00:00Z"},
        {"id": "r-3", "amount_idr": 2000, "state": "failed", "at": "2026-12-08T04:00:00Z"},
    ]
    text = visible_text(page_with(bill("paid", refunds=refunds), status="completed"))
    assert "Pengembalian dana" in text
    assert "Rp10.000 · sudah dikembalikan" in text
    assert "Selasa, 8 Desember 2026 pukul 09.00 WIB" in text
    assert "Rp5.000 · sedang diproses oleh bank" in text
    assert "Rp2.000 · tidak dapat dikembalikan oleh bank" in text
    assert not ISO_TIME.findall(text[text.index("Pengembalian dana") :])
