"""A sample citizen profile for load runs and tests: every applicant field a service in
the catalogue may declare, so any service can be applied for with it."""

__all__ = ["SAMPLE_ADDRESS", "SAMPLE_PROFILE", "TEST_IDENTITIES"]

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

TEST_IDENTITIES = (
    {"nik": "3576014507900001", "name": "Siti Aminah", "birth_date": "1990-07-05"},
    {"nik": "3578011203850002", "name": "Budi Santoso", "birth_date": "1985-03-12"},
    {"nik": "3171026808920003", "name": "Dewi Lestari", "birth_date": "1992-08-28"},
    {"nik": "3273011511880004", "name": "Agus Wijaya", "birth_date": "1988-11-15"},
    {"nik": "5171024102950005", "name": "Ni Made Ayu Lestari", "birth_date": "1995-02-01"},
)
"""Fictitious residents the local Dukcapil simulator knows: register with one of these
NIKs, names and birth dates to prove a NIK on the local stack (``make up``)."""
