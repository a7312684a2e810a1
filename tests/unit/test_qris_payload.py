"""The dynamic QRIS payload: its CRC matches published EMVCo payloads and the CRC
catalogue's check value, and any payload built for a bill reads back to that bill."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.routing.payments.qris import (
    QrisMerchant,
    crc16_ccitt_false,
    dynamic_payload,
    parse,
    with_crc,
)

PUBLISHED = [
    # EMVCo MPM specification's sample (Chinese text: lengths in characters, CRC over UTF-8)
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
    "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
    "540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988"
    "770708123456786304A13A",
    # Mastercard's merchant QR example
    "000201010211057704736a2f41a3-c54c-fce8-32d2-0324e1c32e22*3440e5bf-81ca-4c5f-a1b2-"
    "cf989f09a03952045024530384054031005802US5913Test Merchant6008New York62080304123463046F6D",
]

MERCHANT = QrisMerchant(
    acquirer_domain="ID.CO.BANKSULSELBAR.WWW",
    merchant_pan="9360012600000012345",
    merchant_id="000000012345",
    nmid="ID1026123456789",
    name="BAPENDA KOTA MAKASSAR",
    city="MAKASSAR",
    postal_code="90111",
)


def test_the_crc_is_the_catalogues_check_value_for_123456789():
    assert crc16_ccitt_false(b"123456789") == 0x29B1


@pytest.mark.parametrize("payload", PUBLISHED)
def test_published_payloads_carry_the_crc_this_code_computes(payload):
    assert with_crc(payload[:-8]) == payload
    assert parse(payload)["00"] == "01"


@given(st.integers(min_value=1, max_value=10**12), st.text(string.digits, min_size=1, max_size=25))
def test_a_bills_payload_reads_back_to_its_amount_and_number(amount, number):
    payload = dynamic_payload(MERCHANT, amount, number)
    objects = parse(payload)
    assert objects["01"] == "12"  # dynamic: one transaction
    assert objects["54"] == str(amount)
    assert objects["53"] == "360"
    assert objects["62"] == f"01{len(number):02d}{number}"
    assert payload.startswith("000201")
    assert payload[-8:-4] == "6304"


@given(st.integers(min_value=1, max_value=10**9), st.data())
def test_changing_any_character_of_a_payload_breaks_its_crc(amount, data):
    payload = dynamic_payload(MERCHANT, amount, "820261207000001")
    at = data.draw(st.integers(min_value=0, max_value=len(payload) - 5))
    other = data.draw(st.sampled_from(string.ascii_uppercase + string.digits))
    if other == payload[at]:
        return
    tampered = payload[:at] + other + payload[at + 1 :]
    with pytest.raises(ValueError, match=r"CRC|length"):
        parse(tampered)
