"""A sample citizen profile for load runs and tests: every applicant field a service in
the catalogue may declare, so any service can be applied for with it."""

__all__ = ["SAMPLE_ADDRESS", "SAMPLE_PROFILE"]

SAMPLE_ADDRESS = {
    "street": "Jl. Gajah Mada 10",
    "rt": "003",
    "rw": "005",
    "village": "Kauman",
    "district": "Prajurit Kulon",
    "city": "Kota Mojokerto",
    "province": "Jawa Timur",
    "region_code": "3576",
}

SAMPLE_PROFILE = {
    "birth_place": "Mojokerto",
    "address": SAMPLE_ADDRESS,
    "family_card_number": "3576010101900001",
}
"""The registration fields beyond NIK, name and contacts (birth date and sex come from
the NIK)."""
