"""The dynamic QRIS payload: EMVCo's merchant-presented QR code, as Indonesia profiles it.

A payload is a run of data objects, each a two-digit id, a two-digit length and that many
characters; a template (a merchant account, the additional data) holds data objects of
its own the same way. It starts with the payload format indicator ``000201`` and ends
with tag 63, the CRC: CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no
reflection, no final XOR) over every byte before it *including* the ``6304`` that
introduces it, written as four upper-case hex digits. Point of initiation ``12`` marks a
dynamic code: one transaction, with its amount (tag 54) fixed, which is what a bill is.
Lengths count characters and the CRC runs over the UTF-8 bytes, as the EMVCo sample with
Chinese text shows (``tests/unit/test_qris_payload.py``).
"""

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["QrisMerchant", "crc16_ccitt_false", "dynamic_payload", "parse", "with_crc"]


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _object(tag: str, value: str) -> str:
    if not 0 < len(value) <= 99:
        raise ValueError(f"tag {tag}: a value of 1 to 99 characters, not {len(value)}")
    return f"{tag}{len(value):02d}{value}"


def _template(objects: Mapping[str, str]) -> str:
    return "".join(_object(tag, value) for tag, value in objects.items() if value)


def with_crc(payload: str) -> str:
    """``payload`` (everything before tag 63) closed with its CRC."""
    body = payload + "6304"
    return body + f"{crc16_ccitt_false(body.encode('utf-8')):04X}"


@dataclass(frozen=True)
class QrisMerchant:
    """The region's merchant account at its bank, as the QRIS registration gives it."""

    acquirer_domain: str
    """The acquirer's reverse domain (``ID.CO.BANKJATIM.WWW``): tag 26's GUID."""
    merchant_pan: str
    merchant_id: str
    nmid: str
    """The national merchant id QRIS assigns (``ID10…``): tag 51."""
    name: str
    city: str
    postal_code: str
    category: str = "9399"
    """ISO 18245 merchant category code: 9399, government services."""
    criteria: str = "URE"
    """QRIS merchant criteria; regional government revenue is ``URE``, whose payments
    carry no merchant fee."""


def dynamic_payload(merchant: QrisMerchant, amount_idr: int, bill_number: str) -> str:
    """The QRIS payload for one bill: its exact amount, its number in the additional data."""
    account = _template(
        {
            "00": merchant.acquirer_domain,
            "01": merchant.merchant_pan,
            "02": merchant.merchant_id,
            "03": merchant.criteria,
        }
    )
    national = _template({"00": "ID.CO.QRIS.WWW", "02": merchant.nmid, "03": merchant.criteria})
    objects = [
        _object("00", "01"),
        _object("01", "12"),
        _object("26", account),
        _object("51", national),
        _object("52", merchant.category),
        _object("53", "360"),
        _object("54", str(amount_idr)),
        _object("58", "ID"),
        _object("59", merchant.name[:25]),
        _object("60", merchant.city[:15]),
        _object("61", merchant.postal_code),
        _object("62", _template({"01": bill_number})),
    ]
    return with_crc("".join(objects))


def parse(payload: str) -> dict[str, str]:
    """The top-level data objects of ``payload`` by tag; raises ValueError when a length
    runs past the end or the CRC does not match."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise ValueError("no CRC (tag 63) at the end")
    if with_crc(payload[:-8]) != payload:
        raise ValueError("CRC mismatch")
    objects: dict[str, str] = {}
    at = 0
    while at < len(payload):
        tag, size = payload[at : at + 2], payload[at + 2 : at + 4]
        if not size.isdigit() or at + 4 + int(size) > len(payload):
            raise ValueError(f"tag {tag}: length runs past the end")
        objects[tag] = payload[at + 4 : at + 4 + int(size)]
        at += 4 + int(size)
    return objects
