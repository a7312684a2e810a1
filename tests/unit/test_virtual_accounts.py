"""A levy's virtual account number, as the citizen types it and as SNAP splits it: it
names its bill number and no other, however the bank sends it."""

from hypothesis import given
from hypothesis import strategies as st

from services.routing.payments.va import VirtualAccount, virtual_account_of

bill_numbers = st.from_regex(r"[0-9]{4}[0-9]{12}", fullmatch=True)


def test_a_pasuruan_bill_number_gives_a_seventeen_digit_account_with_the_regions_prefix():
    account = virtual_account_of("3514000000123456")
    assert account.number == "93514000000123456"
    assert account.partner_service_id == "   93514"
    assert account.snap_number == "   93514000000123456"


@given(bill_numbers)
def test_every_account_names_back_the_bill_number_it_was_made_from(number):
    account = virtual_account_of(number)
    assert account.bill_number == number
    assert (
        VirtualAccount(account.partner_service_id.strip(), account.customer_no).bill_number
        == number
    )


def test_an_account_outside_the_scheme_names_no_bill():
    assert VirtualAccount("   12345", "000000123456").bill_number is None
    assert VirtualAccount("   93514", "123").bill_number is None
