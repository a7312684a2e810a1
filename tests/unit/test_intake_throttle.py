"""Sign-in backoff: the arithmetic, and that one client's failures are its own."""

import pytest

from services.identity.throttle import SignInThrottle, backoff_seconds


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0), (1, 0), (4, 0), (5, 1), (6, 2), (7, 4), (8, 8), (14, 512), (15, 900), (99, 900)],
)
def test_after_five_failures_the_wait_starts_at_one_second_and_doubles_up_to_fifteen_minutes(
    failures, wait
):
    assert backoff_seconds(failures, free=5, base=1.0, cap=900.0) == wait


def test_a_huge_number_of_failures_waits_the_cap_without_overflowing():
    assert backoff_seconds(10**9, free=5, base=1.0, cap=900.0) == 900.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_waits_after_its_free_failures_and_a_success_clears_its_count():
    clock = Clock()
    throttle = SignInThrottle(free=5, base=1.0, cap=900.0, clock=clock)
    guesser = throttle.key("3576015508900001", "203.0.113.7")
    assert [throttle.attempt(guesser) for _ in range(5)] == [None] * 5
    assert throttle.attempt(guesser) == pytest.approx(1.0)
    clock.now += 1.0
    assert throttle.attempt(guesser) is None  # the sixth attempt: then 2 s
    assert throttle.attempt(guesser) == pytest.approx(2.0)
    clock.now += 2.0
    assert throttle.attempt(guesser) is None
    throttle.succeeded(guesser)
    assert throttle.failures(guesser) == 0
    assert throttle.attempt(guesser) is None


def test_attempts_started_together_get_no_more_than_the_free_checks():
    throttle = SignInThrottle(free=5, base=1.0, cap=900.0, clock=Clock())
    key = throttle.key("warga@example.id", "203.0.113.7")
    answers = [throttle.attempt(key) for _ in range(50)]  # none has finished yet
    assert answers.count(None) == 5


def test_another_clients_failures_never_delay_the_owner():
    throttle = SignInThrottle(free=5, base=1.0, cap=900.0, clock=Clock())
    for _ in range(100):
        throttle.attempt(throttle.key("Warga@Example.id ", "203.0.113.7"))
    assert throttle.attempt(throttle.key("warga@example.id", "198.51.100.20")) is None


def test_a_client_quiet_for_long_enough_is_forgotten():
    clock = Clock()
    throttle = SignInThrottle(free=2, base=1.0, cap=10.0, clock=clock)
    key = throttle.key("warga@example.id", "203.0.113.7")
    for _ in range(6):
        throttle.attempt(key)
        clock.now += 20
    clock.now += throttle.forget_after + 1
    assert throttle.attempt(key) is None
    assert throttle.failures(key) == 1
