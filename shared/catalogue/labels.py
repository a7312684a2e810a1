"""What people read instead of the catalogue's codes: a form field's label, an option's
label, a document kind's name.

A service's form is a JSON Schema whose field ``title`` is written "Indonesian /
English" (the form the citizen fills shows the same); option values (``perubahan_data``)
and document kinds (``pas_foto``) are codes that agencies' systems read, so their words
live beside the catalogue in ``data/labels.json``. A test holds every option and
document kind of every service to having both words.

A code with no words (a field added to an agency's form later, a free entry an officer
typed) is written as words too: underscores become spaces, never shown as the code.
"""

import json
from datetime import date
from functools import lru_cache
from typing import Any

from shared.catalogue import DATA_DIR, Service
from shared.i18n.dates import day_in_words

__all__ = ["document_label", "field_label", "option_label", "requested_label", "shown_answer"]


@lru_cache(maxsize=1)
def _labels() -> dict[str, Any]:
    return json.loads((DATA_DIR / "labels.json").read_text(encoding="utf-8"))


def _plain(code: str) -> str:
    """A code as words, when nothing better is known: ``nomor_rumah`` → "Nomor rumah"."""
    words = str(code).replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def _pick(text: dict[str, str], lang: str) -> str:
    return text["en"] if lang == "en" else text["id"]


def field_label(service: Service | None, field: str, lang: str) -> str:
    """The form field's title in the reader's language ("Alasan" / "Reason")."""
    spec = (service.form.get("properties", {}) if service else {}).get(field) or {}
    title = spec.get("title")
    if not isinstance(title, str):
        return _plain(field)
    indonesian, _, english = title.partition(" / ")
    return (english or indonesian) if lang == "en" else indonesian


def option_label(field: str | None, value: Any, lang: str) -> str:
    """One option of a form field in words ("Perubahan data", not ``perubahan_data``);
    without a field, the words any field gives the code. An unnamed code reads as its
    words ("Kurang mampu" for ``kurang_mampu``); a value that is no code ("B1", 2) as is."""
    options: dict[str, dict[str, Any]] = _labels()["options"]
    fields = [field] if field is not None else list(options)
    for name in fields:
        known = options.get(name, {}).get(str(value))
        if known:
            return _pick(known, lang)
    code = str(value)
    return _plain(code) if code.isidentifier() and "_" in code else code


def document_label(kind: str, lang: str) -> str:
    """A document kind's name ("Pas foto", not ``pas_foto``)."""
    known = _labels()["documents"].get(kind)
    return _pick(known, lang) if known else _plain(kind)


def requested_label(service: Service | None, name: str, lang: str) -> str:
    """What an officer asked for: a form field, a document kind, or words they typed."""
    if service is not None and name in service.form.get("properties", {}):
        return field_label(service, name, lang)
    if name in _labels()["documents"] or (service is not None and name in service.documents):
        return document_label(name, lang)
    return name if " " in name or not name.isidentifier() else _plain(name)


def shown_answer(service: Service | None, field: str, value: Any, lang: str) -> str:
    """A form answer as the reader reads it: an option in words, a date in words
    ("Senin, 5 Januari 2026"), yes/no for a tick."""
    spec = (service.form.get("properties", {}) if service else {}).get(field) or {}
    if spec.get("format") == "date" and isinstance(value, str):
        try:
            return day_in_words(date.fromisoformat(value), lang)
        except ValueError:
            return value
    if isinstance(value, bool):
        return ("Yes" if value else "No") if lang == "en" else ("Ya" if value else "Tidak")
    if isinstance(value, list):
        return ", ".join(option_label(field, item, lang) for item in value)
    return option_label(field, value, lang)
