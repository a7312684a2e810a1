"""The settlement file: its lines read as settled entries, and a file that does not read
is refused whole, naming the line to fix."""

from datetime import UTC, date, datetime

import pytest

from services.routing.payments.settlement_file import SettlementFileInvalid, read_settlement

HEADER = "settlement_date,channel,billing_code,amount_idr,receipt,ntb,paid_at\n"


def test_a_simponi_line_and_a_qris_line_read_as_entries_on_their_bills_channels():
    text = (
        HEADER
        + "2026-12-07,simponi,820261207000123,30000,0A1B2C3D4E5F6071,NTB1,"
        + "2026-12-07T09:14:03+07:00\n"
        + "2026-12-07,QRIS,LV0001,150000,REF-77,,2026-12-07T23:59:00+07:00\n"
    )

    simponi, qris = read_settlement(text)

    assert (simponi.channel, simponi.amount_idr, simponi.ntb) == ("simponi", 30000, "NTB1")
    assert simponi.settlement_date == date(2026, 12, 7)
    assert simponi.paid_at == datetime(2026, 12, 7, 2, 14, 3, tzinfo=UTC)
    assert (qris.channel, qris.billing_code, qris.ntb, qris.line) == ("snap", "LV0001", None, 3)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("2026-12-07,cash,1,30000,R,,2026-12-07T09:00:00+07:00", "cash"),
        ("2026-12-07,simponi,1,tiga puluh,R,,2026-12-07T09:00:00+07:00", "tiga puluh"),
        ("2026-12-07,simponi,1,30000,R,,2026-12-07T09:00:00", "UTC offset"),
        ("2026-12-07,simponi,,30000,R,,2026-12-07T09:00:00+07:00", "required"),
    ],
)
def test_a_line_that_does_not_read_refuses_the_file_and_names_the_line(line, why):
    with pytest.raises(SettlementFileInvalid, match=f"line 3 does not read: .*{why}"):
        read_settlement(HEADER + "2026-12-07,simponi,1,1,R,,2026-12-07T09:00:00+07:00\n" + line)


def test_a_file_without_the_columns_is_refused_naming_them():
    with pytest.raises(SettlementFileInvalid, match="missing columns: receipt, ntb"):
        read_settlement("settlement_date,channel,billing_code,amount_idr,paid_at\n")
