"""The dedupe window against the topics' retention: too short is named, long enough is
quiet."""

from shared.retention import DAY_MS, dedupe_window_problem
from shared.settings import Settings


def test_the_default_window_covers_the_default_retention_with_a_margin():
    settings = Settings()
    retention = int(settings.kafka_retention_days * DAY_MS)
    assert dedupe_window_problem(settings.dedupe_retention_days, retention) is None
    assert settings.dedupe_retention_days >= settings.kafka_retention_days + 7


def test_a_window_shorter_than_the_retention_is_named_with_both_figures():
    problem = dedupe_window_problem(10, 30 * DAY_MS)
    assert problem is not None
    assert "MPP_DEDUPE_RETENTION_DAYS=10" in problem
    assert "30 days" in problem


def test_topics_that_keep_records_forever_cannot_be_covered():
    assert dedupe_window_problem(3650, -1) is not None
