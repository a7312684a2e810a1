"""Dates, times and money as a person reads them, in their language (CLDR, by Babel).

A citizen reads "Senin, 7 Desember 2026 pukul 10.18 WIB", never ``2026-12-07T03:18:33Z``:
the weekday and month in words, the time in the region's zone, and the zone's name. Each
function takes the region's code or, better, its zone as the catalogue answers it
(``Catalogue.zone_of``, which knows a zone a region declares itself).
"""

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from shared.i18n.zones import Where, as_local

__all__ = ["day_in_words", "money", "number", "time_in_words", "when_in_words"]

# Babel's locale for each page language; a language without CLDR data of its own
# (none today) would borrow Indonesian.
_LOCALES = {"id": "id_ID", "en": "en_GB", "jv": "jv_ID", "su": "su_ID"}
# "pukul" / "at" joins the day and the time, as each language writes it.
_AT = {"id": "pukul", "en": "at", "jv": "jam", "su": "jam"}


def _locale(language: str) -> str:
    return _LOCALES.get(language, "id_ID")


def when_in_words(moment: datetime | str, region: Where, language: str) -> str:
    """ "Senin, 7 Desember 2026 pukul 10.18 WIB" in the region's zone."""
    day = day_in_words(as_local(moment, region), language)
    return f"{day} {_AT.get(language, 'pukul')} {time_in_words(moment, region, language)}"


def time_in_words(moment: datetime | str, region: Where, language: str) -> str:
    """ "10.18 WIB": the hour and minute in the region's zone, with the zone's name."""
    local = as_local(moment, region)
    pattern = "HH.mm" if language != "en" else "HH:mm"
    return f"{format_time(local, pattern, locale=_locale(language))} {local.tzname()}"


def day_in_words(day: date | datetime | str, language: str, region: Where = None) -> str:
    """ "Senin, 7 Desember 2026". A moment (a datetime or a timestamp) is first taken to
    the region's zone, so 20:00 UTC is already the next day in Makassar."""
    if isinstance(day, (str, datetime)):
        day = as_local(day, region).date()
    return format_date(day, "EEEE, d MMMM y", locale=_locale(language))


def money(amount: int | Decimal, language: str) -> str:
    """Rupiah as the reader writes it: "Rp50.000" (Indonesian), "IDR50,000" (English);
    rupiah have no cents in use."""
    return format_currency(amount, "IDR", format="¤#,##0", locale=_locale(language))


def number(value: int | float | Decimal, language: str) -> str:
    """1.250 (Indonesian) or 1,250 (English)."""
    return format_decimal(value, locale=_locale(language))
