"""The documentation says what the code does."""

from pathlib import Path

from ops.settings_doc import render
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_settings_page_lists_every_setting_with_its_default():
    assert (ROOT / "docs" / "settings.md").read_text() == render(), (
        "docs/settings.md is out of date: run `python -m ops settings-doc > docs/settings.md`"
    )


def test_the_readme_names_the_settings_that_point_at_real_servers():
    readme = (ROOT / "README.md").read_text()
    for name in ("kafka_bootstrap", "mongo_uri", "kafka_idempotent_producer"):
        assert name in Settings.model_fields
        assert f"MPP_{name.upper()}" in readme
    assert "make up" in readme
    assert "make test" in readme
