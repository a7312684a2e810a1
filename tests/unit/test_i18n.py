"""The reader's language: catalogues complete, times in the region's zone and in words."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from shared import i18n
from shared.workflow import STATUSES

ROOT = Path(__file__).resolve().parents[2]


def _page_message_ids() -> set[str]:
    ids: set[str] = set()
    for folder in (ROOT / "services", ROOT / "shared"):
        method_map = [
            ("**/web/templates/**.html", "jinja2"),
            ("i18n/*.py", "python"),
            ("audit/web/readers.py", "python"),
        ]
        options = {"**/web/templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(folder),
            method_map,
            options_map=options,
            keywords={"_": None, "gettext": None, "N_": None},
        ):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_page_text_has_an_english_translation() -> None:
    path = i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        english = {m.id: m.string for m in read_po(po) if m.id}
    ids = _page_message_ids()
    assert len(ids) > 300
    missing = sorted(i for i in ids if not english.get(i))
    assert missing == [], f"page text without English in messages.po: {missing[:10]}"


def test_a_language_without_a_catalogue_reads_indonesian() -> None:
    assert i18n.translations("jv").gettext("Masuk") == "Masuk"
    assert i18n.translations("en").gettext("Masuk") == "Sign in"
    assert i18n.languages()[0] == "id"
    assert "en" in i18n.languages()


def test_every_status_has_plain_words_and_a_next_step_in_both_languages() -> None:
    assert set(i18n.STATUS_WORDS) == set(STATUSES)
    english = i18n.translations("en").gettext
    for status in STATUSES:
        indonesian = i18n.status_words(status, lambda m: m)
        words = i18n.status_words(status, english)
        assert status not in (indonesian.label, words.label)
        assert words.label != indonesian.label
        assert words.next_step != indonesian.next_step


def test_a_status_this_page_does_not_know_reads_as_being_processed() -> None:
    assert i18n.status_words("awaiting_payment", lambda m: m).label == "Sedang diproses"


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("3576", "Senin, 7 Desember 2026 pukul 10.18 WIB"),  # Kota Mojokerto
        ("7371", "Senin, 7 Desember 2026 pukul 11.18 WITA"),  # Kota Makassar
        ("5171", "Senin, 7 Desember 2026 pukul 11.18 WITA"),  # Kota Denpasar
        ("9471", "Senin, 7 Desember 2026 pukul 12.18 WIT"),  # Kota Jayapura
        (None, "Senin, 7 Desember 2026 pukul 10.18 WIB"),
    ],
)
def test_a_moment_reads_in_the_region_s_own_zone_with_its_name(
    region: str | None, expected: str
) -> None:
    assert i18n.when_in_words("2026-12-07T03:18:33.198000Z", region, "id") == expected


def test_english_readers_get_english_words_and_the_same_zone() -> None:
    moment = datetime(2026, 12, 7, 3, 18, tzinfo=UTC)
    assert i18n.when_in_words(moment, "7371", "en") == "Monday, 7 December 2026 at 11:18 WITA"


def test_the_day_is_the_region_s_day_not_utc_s() -> None:
    # 20:00 UTC on Monday is already Tuesday 04:00 in Makassar and 03:00 in Jakarta
    assert i18n.day_in_words("2026-12-07T20:00:00Z", "id", "7371") == "Selasa, 8 Desember 2026"
    assert i18n.day_in_words("2026-12-07T16:30:00Z", "id", "3576") == "Senin, 7 Desember 2026"


def test_rupiah_read_as_each_language_writes_them() -> None:
    assert i18n.money(50000, "id") == "Rp50.000"
    assert i18n.money(1250000, "en") == "IDR1,250,000"


def test_the_stepper_marks_where_the_application_is() -> None:
    steps = i18n.progress_steps("needs_info", lambda m: m)
    states = {s["status"]: s["state"] for s in steps}
    assert states["routed"] == "done"
    assert states["in_review"] == "current"
    assert states["completed"] == "todo"
    assert all(s["state"] == "done" for s in i18n.progress_steps("completed", lambda m: m))
