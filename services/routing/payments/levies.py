"""The region's merchant account for levies paid by QRIS.

A region's QRIS registration (its acquiring bank's domain, merchant PAN, merchant id and
national merchant id) is not yet part of its catalogue package: every region uses the
local demo account below, named for the region. Payloads made with it are well formed
(their CRC checks) but name no real merchant, so no real wallet will pay them.
"""

from services.routing.payments.qris import QrisMerchant
from shared.catalogue import Catalogue

__all__ = ["merchant_for"]


def merchant_for(region: str, catalogue: Catalogue) -> QrisMerchant:
    found = catalogue.region(region)
    city = (found.name if found else region).removeprefix("Kota ").removeprefix("Kabupaten ")
    return QrisMerchant(
        acquirer_domain="ID.CO.BPD.WWW",
        merchant_pan=f"93600{region}0000000000",
        merchant_id=f"{region}00000001",
        nmid=f"ID10{region}000000001",
        name=f"PEMDA {city.upper()}",
        city=city.upper(),
        postal_code="00000",
    )
