"""Accept-Language chooses the language of a message written "<id> / <en>"."""

import pytest

from shared.languages import content_language, negotiate, pick


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("en", "en"),
        ("id", "id"),
        ("en-US,en;q=0.9", "en"),
        ("id-ID", "id"),
        ("en;q=0.5, id;q=0.8", "id"),
        ("id;q=0.5, en-GB;q=0.9", "en"),
        ("en;q=0, id", "id"),
        ("en;q=0", "id"),
        ("fr, de;q=0.5", "id"),
        ("*", "id"),
        ("fr, en;q=0.1", "en"),
        ("en, id", "en"),
        ("en;q=abc, id;q=0.2", "id"),
    ],
)
def test_the_preferred_supported_language_wins_and_indonesian_is_the_default(header, expected):
    assert negotiate(header) == expected


def test_a_bilingual_text_gives_each_language_its_part():
    text = "Tidak ditemukan / Not found"
    assert pick(text, "id") == "Tidak ditemukan"
    assert pick(text, "en") == "Not found"
    assert pick(text, None) == text


def test_a_text_not_in_the_two_part_form_is_shown_as_written():
    assert pick("You have no application; see GET /api/v1/applications.", "id").endswith(".")
    assert pick("a / b / c", "en") == "a / b / c"


def test_the_content_language_names_both_languages_when_none_was_asked():
    assert content_language(None) == "id, en"
    assert content_language("en") == "en"
