"""The reader's language: page text from gettext catalogues, dates and money from CLDR.

Bahasa Indonesia is the source language: templates and code write Indonesian text as
the message id (``_("Masuk")``), and each other language is one catalogue,
``shared/i18n/locale/<code>/LC_MESSAGES/messages.po``. A region adds Javanese or
Sundanese by adding ``locale/jv`` or ``locale/su``; a message its catalogue lacks reads
in Indonesian. ``make messages`` extracts the ids from the templates and the marked
Python strings and updates every catalogue; a test fails while one lacks a translation
that English has.

The ``.po`` files are read as they are (compiled in memory at first use), so there is
no generated ``.mo`` file to keep in step.
"""

from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from shared.i18n.dates import day_in_words, money, number, time_in_words, when_in_words
from shared.i18n.statuses import STATUS_WORDS, progress_steps, status_words
from shared.i18n.zones import WIB, WIT, WITA, as_local, zone_for_region

__all__ = [
    "LOCALE_DIR",
    "SOURCE_LANGUAGE",
    "STATUS_WORDS",
    "WIB",
    "WIT",
    "WITA",
    "as_local",
    "day_in_words",
    "languages",
    "money",
    "number",
    "progress_steps",
    "status_words",
    "time_in_words",
    "translations",
    "when_in_words",
    "zone_for_region",
]

LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "id"


@cache
def languages() -> tuple[str, ...]:
    """Indonesian first, then every language with a catalogue."""
    found = sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())
    return (SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE))


@cache
def translations(language: str) -> NullTranslations:
    """The catalogue for ``language``; Indonesian (the ids themselves) when it has none."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == SOURCE_LANGUAGE or not path.is_file():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)
