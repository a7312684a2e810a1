"""The pipeline benchmark's search for the highest sustained rate, without servers."""

from bench.search import Criterion, RateSearch


def search_against(limit: int, start: int = 32) -> RateSearch:
    """Run a search against a pipeline that sustains exactly the rates up to ``limit``."""
    search = RateSearch(start=start)
    while (rate := search.next()) is not None:
        search.record(rate, rate <= limit)
        assert len(search.trials) < 20, search.trials
    return search


def test_the_search_steps_up_until_a_rate_fails_then_narrows_to_within_ten_percent():
    search = search_against(limit=61)
    assert [t.rate for t in search.trials][:3] == [32, 48, 72]
    assert search.highest is not None
    assert 0.9 * 61 <= search.highest <= 61


def test_the_search_steps_down_when_the_first_rate_is_not_sustained():
    search = search_against(limit=12)
    assert [t.rate for t in search.trials][:3] == [32, 21, 14]
    assert search.highest is not None
    assert 11 <= search.highest <= 12


def test_nothing_sustained_down_to_the_floor_ends_with_no_rate():
    search = search_against(limit=0, start=4)
    assert search.highest is None
    assert [t.rate for t in search.trials] == [4, 2, 1]


def test_a_failure_below_a_sustained_rate_does_not_stop_the_search():
    search = RateSearch(start=32)
    search.record(32, True)
    search.record(48, False)
    search.record(40, True)
    search.record(36, False)  # noise below a sustained rate
    assert search.next() == 44


def test_a_run_is_sustained_only_when_it_meets_every_part_of_the_criterion():
    criterion = Criterion()
    assert criterion.failures(50, 49.5, 1.2, 300) == []
    assert criterion.failures(50, 48.0, 1.2, 300) == ["accepted 48.0/s < 98% of 50/s"]
    assert criterion.failures(50, 49.5, None, 300) == ["not drained > 5 s"]
    assert criterion.failures(50, 49.5, 6.0, 300) == ["drained in 6.0 s > 5 s"]
    assert len(criterion.failures(50, 49.5, 1.0, float("nan"))) == 1
    assert len(criterion.failures(50, 49.5, 1.0, 1000)) == 1
