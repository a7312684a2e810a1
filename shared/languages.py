"""The language of an answer, chosen per request from ``Accept-Language``.

The platform's messages are written "<Bahasa Indonesia> / <English>" in one string, so a
person reads the one they know. An app that shows the message to a citizen wants one
language, and says which with ``Accept-Language``:

* no header: the bilingual text, as before (clients written before this keep working);
* ``id`` or ``en`` (any region, ``en-US``; q-values honoured, ``q=0`` refuses): the
  preferred of the two;
* a header naming neither (``fr``, ``*``): Indonesian, the platform's first language.

A text is split only when it holds exactly one `` / `` (space, slash, space); anything
else (an English-only detail, a path, several slashes) is shown as written.
"""

from typing import Literal

__all__ = ["Language", "content_language", "negotiate", "pick"]

Language = Literal["id", "en"]
SUPPORTED: tuple[Language, ...] = ("id", "en")
SEPARATOR = " / "


def negotiate(accept_language: str | None) -> Language | None:
    """The language to answer in; None when the client did not say (bilingual)."""
    if accept_language is None or not accept_language.strip():
        return None
    best: tuple[float, int, Language] | None = None
    for position, entry in enumerate(accept_language.split(",")):
        tag, _, params = entry.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in SUPPORTED:
            continue
        quality = _quality(params)
        if quality <= 0:
            continue
        candidate = (quality, -position, primary)
        if best is None or candidate[:2] > best[:2]:
            best = candidate  # type: ignore[assignment]
    return best[2] if best is not None else "id"


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def pick(text: str, language: Language | None) -> str:
    """The part of "<id> / <en>" in ``language``; the whole text when None or when it
    is not in that form."""
    if language is None or text.count(SEPARATOR) != 1:
        return text
    indonesian, english = text.split(SEPARATOR)
    return (indonesian if language == "id" else english).strip()


def content_language(language: Language | None) -> str:
    """The ``Content-Language`` header of an answer in ``language`` (both when None)."""
    return language or "id, en"
