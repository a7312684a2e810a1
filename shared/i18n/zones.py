"""Indonesia's three time zones, and which one a region keeps.

Indonesia has kept no daylight saving time since 1964, so each zone is a fixed offset
and needs no time-zone database: WIB (UTC+7), WITA (UTC+8), WIT (UTC+9). A region is
named by its Kemendagri code (``3576``, ``7371``); its first two digits are the
province, and the province decides the zone (Perpres 41/1987, and the provinces formed
since: Kalimantan Utara in WITA, the Papuan provinces in WIT). A region's catalogue entry
may name its zone itself (``Region.zone``), which wins over its province:
``Catalogue.zone_of`` is the one place that decides, and the display functions here take
either the zone it answers or a region code (then the province decides).
"""

from datetime import UTC, datetime, timedelta, timezone, tzinfo

__all__ = ["WIB", "WIT", "WITA", "ZONES", "Where", "as_local", "zone_for_region"]

WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")
ZONES = {"WIB": WIB, "WITA": WITA, "WIT": WIT}

# Province codes (the first two digits of a region code) outside WIB.
_WITA_PROVINCES = frozenset(
    {
        "51",  # Bali
        "52",  # Nusa Tenggara Barat
        "53",  # Nusa Tenggara Timur
        "63",  # Kalimantan Selatan
        "64",  # Kalimantan Timur
        "65",  # Kalimantan Utara
        "71",  # Sulawesi Utara
        "72",  # Sulawesi Tengah
        "73",  # Sulawesi Selatan
        "74",  # Sulawesi Tenggara
        "75",  # Gorontalo
        "76",  # Sulawesi Barat
    }
)
_WIT_PROVINCES = frozenset(
    {
        "81",  # Maluku
        "82",  # Maluku Utara
        "91",  # Papua Barat
        "92",  # Papua Barat Daya
        "94",  # Papua
        "95",  # Papua Selatan
        "96",  # Papua Tengah
        "97",  # Papua Pegunungan
    }
)


def zone_for_region(region: str | None) -> timezone:
    """The zone a region keeps; WIB when the region is unknown (the national default)."""
    province = (region or "")[:2]
    if province in _WITA_PROVINCES:
        return WITA
    if province in _WIT_PROVINCES:
        return WIT
    return WIB


Where = str | tzinfo | None
"""A region code (its province decides the zone) or the zone itself."""


def as_local(moment: datetime | str, region: Where) -> datetime:
    """``moment`` in the region's zone (or in ``region`` when it is a zone). A naive time
    or an ISO string without an offset is taken as UTC, which is how every service stores
    time."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    zone = region if isinstance(region, tzinfo) else zone_for_region(region)
    return moment.astimezone(zone)
